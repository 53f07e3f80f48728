"""The remaining ufuncs (autotrace/ops/ufuncs.py) and numpy's other math functions
(autotrace/ops/mathfns.py) against numpy as the oracle: every dtype numpy accepts, 0-d,
empty and broadcast shapes; numpy's errors where numpy refuses."""

import numpy as np
import pytest
from oracle import DTYPES, check, sample, scalar_or_array

import autotrace as at
from autotrace.ops import ufuncs as U
from autotrace.ops.registry import UFUNC_DISPATCH, Op

UFUNCS = {f.op.impl: f for f in vars(U).values()
          if isinstance(getattr(f, "op", None), Op) and isinstance(f.op.impl, np.ufunc)}
UNARY = sorted((u for u in UFUNCS if u.nin == 1), key=lambda u: u.__name__)
BINARY = sorted((u for u in UFUNCS if u.nin == 2), key=lambda u: u.__name__)
TWO_RESULTS = [np.divmod, np.frexp, np.modf]
SHAPES = ["scalar", (), (3,), (2, 3), (0,), (2, 0)]
ALL_DTYPES = {**DTYPES, "c128": np.complex128, "u8": np.uint8, "f16": np.float16}


def test_every_numpy_ufunc_is_dispatched():
    ufuncs = [getattr(np, n) for n in dir(np) if isinstance(getattr(np, n), np.ufunc)]
    missing = sorted(u.__name__ for u in ufuncs if u not in UFUNC_DISPATCH)
    assert not missing, missing


def test_the_walk_finds_the_family():
    assert {np.deg2rad, np.signbit, np.spacing, np.fabs} <= set(UNARY)
    assert {np.logaddexp, np.copysign, np.gcd, np.ldexp, np.float_power} <= set(BINARY)


@pytest.mark.parametrize("dtype", ALL_DTYPES.values(), ids=ALL_DTYPES.keys())
@pytest.mark.parametrize("ufunc", UNARY, ids=lambda u: u.__name__)
def test_unary(ufunc, dtype):
    for shape in SHAPES:
        check(lambda x: ufunc(x), scalar_or_array(shape, dtype))


@pytest.mark.parametrize("ufunc", BINARY, ids=lambda u: u.__name__)
def test_binary_dtype_pairs(ufunc):
    for a in ALL_DTYPES.values():
        for b in ALL_DTYPES.values():
            check(lambda x, y: ufunc(x, y), sample((2, 3), a), sample((3,), b, 1, positive=True))


@pytest.mark.parametrize("ufunc", BINARY, ids=lambda u: u.__name__)
@pytest.mark.parametrize("shapes", [("scalar", "scalar"), ((), (3,)), ((2, 1), (1, 3)),
                                    ((0,), ()), ((2, 3), (4,))], ids=str)
def test_binary_broadcasting_and_python_scalars(ufunc, shapes):
    a, b = (scalar_or_array(s, np.float32, i) for i, s in enumerate(shapes))
    check(lambda x, y: ufunc(x, y), a, b)
    check(lambda x: ufunc(x, 2), a)
    check(lambda x: ufunc(1.5, x), a)


@pytest.mark.parametrize("ufunc", TWO_RESULTS, ids=lambda u: u.__name__)
@pytest.mark.parametrize("dtype", ALL_DTYPES.values(), ids=ALL_DTYPES.keys())
def test_two_results(ufunc, dtype):
    for shape in SHAPES:
        args = [scalar_or_array(shape, dtype, i, positive=True) for i in range(ufunc.nin)]
        for k in range(2):
            check(lambda *xs, k=k: ufunc(*xs)[k], *args)


def test_two_results_broadcast_and_divmod_builtin():
    x, y = sample((2, 3), np.float32), sample((3,), np.float64, 1, positive=True)
    check(lambda x, y: np.divmod(x, y)[1], x, y)
    check(lambda x, y: divmod(x, y)[0], x, y)
    cf = at.trace(lambda x: np.frexp(x))
    m, e = cf(np.array([1.0, 6.0, -0.25]))
    np.testing.assert_array_equal(m, [0.5, 0.75, -0.5])
    assert e.dtype == np.int32 and e.tolist() == [1, 3, -1]


def test_ufunc_kwargs_refused():
    with pytest.raises(NotImplementedError, match=r"numpy.fmax\(\.\.\., where=\.\.\.\)"):
        at.trace(lambda x: np.fmax(x, x, where=x > 0))(np.ones(2))
    with pytest.raises(at.TracingError, match=r"np.divmod\(\.\.\., out=\.\.\.\) with several "
                                              r"outputs is not supported on traced values"):
        at.trace(lambda x: np.divmod(x, x, out=(x, x)))(np.ones(2))


def test_fmax_fmin_nan_rules_and_gradient():
    x = np.array([1.0, np.nan, 3.0, np.nan, 2.0])
    y = np.array([2.0, 1.0, np.nan, np.nan, 2.0])
    check(lambda x, y: np.fmax(x, y), x, y)
    check(lambda x, y: np.fmin(x, y), x, y)
    gx, gy = at.grad(lambda x, y: np.fmax(x, y).sum(), argnums=(0, 1))(x, y)
    np.testing.assert_array_equal(gx, [0, 0, 1, 0, 0.5])
    np.testing.assert_array_equal(gy, [1, 1, 0, 0, 0.5])


def test_copysign_heaviside_gradients():
    x = np.array([1.5, -2.0, 3.0])
    g = at.grad(lambda x: np.copysign(x, np.array([-1.0, -1.0, 1.0])).sum())(x)
    np.testing.assert_array_equal(g, [-1, 1, 1])
    g2 = at.grad(lambda h: np.heaviside(np.array([0.0, 1.0, -1.0]), h).sum())(np.ones(3))
    np.testing.assert_array_equal(g2, [1, 0, 0])


def test_conjugate_dispatch():
    for dtype in ALL_DTYPES.values():
        check(lambda x: np.conjugate(x), sample((2,), dtype))
        check(lambda x: np.conj(x), sample((2,), dtype))


# --- non-ufunc math -------------------------------------------------------------------------
MATH_FNS = [np.sinc, np.nan_to_num, np.fix, np.isposinf, np.isneginf, np.i0]


@pytest.mark.parametrize("dtype", ALL_DTYPES.values(), ids=ALL_DTYPES.keys())
@pytest.mark.parametrize("fn", MATH_FNS, ids=lambda f: f.__name__)
def test_math_functions(fn, dtype):
    for shape in [(), (3,), (2, 3), (0,)]:
        check(lambda x: fn(x), sample(shape, dtype))


def test_math_functions_scalars():
    for fn in [np.sinc, np.nan_to_num, np.fix, np.isposinf]:
        check(fn, np.float32(0.5))
    # np.i0 returns a 0-d array for a scalar; autotrace returns numpy's value and dtype
    got = at.trace(lambda x: np.i0(x))(np.float64(0.5))
    assert np.asarray(got) == np.i0(0.5) and got.dtype == np.float64


def test_nan_to_num_special_values_and_arguments():
    x = np.array([np.nan, np.inf, -np.inf, 1.5, -0.0], np.float32)
    check(lambda x: np.nan_to_num(x), x)
    check(lambda x: np.nan_to_num(x, nan=-1.0, posinf=9.0, neginf=-9.0), x)
    check(lambda x: np.isposinf(x), x)
    check(lambda x: np.isneginf(x), x)
    z = np.array([complex(np.nan, np.inf), complex(1, -np.inf), 2 + 1j])
    check(lambda z: np.nan_to_num(z), z)
    g = at.grad(lambda x: np.nan_to_num(x * 2).sum())(np.array([1.0, np.inf, np.nan]))
    np.testing.assert_array_equal(g, [2, 0, 0])


def test_sinc_derivatives_at_zero():
    x = np.array([0.0, 0.25, -1.5])
    check(lambda x: np.sinc(x), x)
    g = at.grad(lambda x: np.sinc(x).sum())(x)
    h = at.grad(lambda x: at.grad(lambda x: np.sinc(x).sum())(x).sum())(x)
    assert g[0] == 0 and abs(h[0] + np.pi ** 2 / 3) < 1e-12
    at.check_grads(np.sinc, (x[1:],), order=2)


def test_i0_gradients_are_bessel_functions():
    x = np.array([0.0, 0.5, -2.0, 7.5, 30.0])
    g = at.grad(lambda x: np.i0(x).sum())(x)
    scipy = pytest.importorskip("scipy.special")
    np.testing.assert_allclose(g, scipy.i1(x), rtol=1e-12, atol=1e-15)
    at.check_grads(np.i0, (x[:4],), order=3)


@pytest.mark.parametrize("dtype", [np.float64, np.int32, np.complex128, np.bool_])
def test_vector_products(dtype):
    a, v = sample((2, 3, 4), dtype), sample((4,), dtype, 1)
    check(lambda x, y: np.vecdot(x, y), a, sample((3, 4), dtype, 1))
    check(lambda x, y: np.vecdot(x, y), v, v)
    if hasattr(np, "matvec"):
        check(lambda x, y: np.matvec(x, y), a, v)
        check(lambda x, y: np.vecmat(x, y), sample((3,), dtype, 2), a)
    check(lambda x, y: np.vecdot(x, y), sample((2, 0), dtype), sample((0,), dtype))


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

_FLOATS = st.floats(allow_nan=True, allow_infinity=True, width=32) | st.sampled_from(
    [0.0, -0.0, 1.0, -1.0, np.pi, 180.0])


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(max_dims=2, max_side=4), elements=_FLOATS),
       hnp.arrays(np.float32, (1,), elements=_FLOATS))
def test_special_values(x, y):
    for ufunc in BINARY + TWO_RESULTS + UNARY:
        if ufunc in (np.gcd, np.lcm, np.bitwise_count, np.ldexp):
            continue  # integer ufuncs: numpy's TypeError on floats is tested above
        args = (x, y)[:ufunc.nin]
        if ufunc in TWO_RESULTS:
            for k in range(2):
                check(lambda *a, k=k, u=ufunc: u(*a)[k], *args, eager=False)
        else:
            check(lambda *a, u=ufunc: u(*a), *args, eager=False)
    for fn in (np.sinc, np.nan_to_num, np.fix, np.isposinf, np.isneginf):
        check(fn, x, eager=False)
