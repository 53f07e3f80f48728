"""Elementwise ops (ufuncs, where, clip, round) against numpy as the oracle.

Every ufunc op registered in `autotrace/ops/elementwise.py` is found by walking the module,
so a new op is tested without touching this file. Each case checks the traced graph (under
`AUTOTRACE_CHECK=1`, so the shape/dtype rule is validated too) and the eager path.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from oracle import DTYPES, assert_same, check, raises_like_numpy, sample, scalar_or_array

import autotrace as at
from autotrace.ops import elementwise as E
from autotrace.ops.registry import Op

UFUNCS = {f.op.impl: f for f in vars(E).values() if isinstance(getattr(f, "op", None), Op)
          and isinstance(f.op.impl, np.ufunc)}
UNARY = sorted((u for u in UFUNCS if u.nin == 1), key=lambda u: u.__name__)
BINARY = sorted((u for u in UFUNCS if u.nin == 2), key=lambda u: u.__name__)
SHAPES = ["scalar", (), (3,), (2, 3), (0,), (2, 0)]


def test_the_walk_finds_every_ufunc_family():
    assert len(UNARY) >= 30 and len(BINARY) >= 25
    assert {np.sin, np.negative, np.invert, np.isnan} <= set(UNARY)
    assert {np.add, np.power, np.arctan2, np.left_shift, np.logical_xor} <= set(BINARY)


# --- unary -------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES.values(), ids=DTYPES.keys())
@pytest.mark.parametrize("ufunc", UNARY, ids=lambda u: u.__name__)
def test_unary(ufunc, dtype):
    for shape in SHAPES:
        check(lambda x: ufunc(x), scalar_or_array(shape, dtype))


@pytest.mark.parametrize("ufunc", UNARY, ids=lambda u: u.__name__)
def test_unary_frontend_and_numpy_scalar_constant(ufunc):
    frontend = UFUNCS[ufunc]
    check(lambda x: frontend(x), sample((2, 3), np.float64))
    check(lambda x: x + ufunc(np.float32(0.5)), sample((2,), np.float32))
    check(lambda x: x + ufunc(np.int8(3)), sample((2,), np.int8))


@pytest.mark.parametrize("const", [np.float64(0.5), np.complex128(1j)], ids=["f64", "c128"])
def test_numpy_scalar_constants_are_strong(const):
    # np.float64 / np.complex128 subclass Python float / complex but are not weak
    assert check(lambda x: x + const, sample((2,), np.float32)).dtype == np.result_type(const)
    check(lambda x: np.where(x > 0, x, const), sample((2,), np.float32))
    check(lambda x: np.clip(x, const.real, None), sample((2,), np.float32))


@pytest.mark.parametrize("ufunc", [np.sin, np.sqrt, np.invert, np.isnan], ids=lambda u: u.__name__)
def test_unary_complex_and_small_dtypes(ufunc):
    for dtype in (np.complex128, np.uint8, np.int8, np.float16):
        check(lambda x: ufunc(x), sample((3,), dtype))


def test_unary_operators():
    for dtype in DTYPES.values():
        x = sample((2, 3), dtype)
        check(lambda x: -x, x)
        check(lambda x: +x, x)
        check(lambda x: abs(x), x)
        check(lambda x: ~x, x)


# --- binary ------------------------------------------------------------------------------
@pytest.mark.parametrize("ufunc", BINARY, ids=lambda u: u.__name__)
def test_binary_dtype_pairs(ufunc):
    for a in DTYPES.values():
        for b in DTYPES.values():
            check(lambda x, y: ufunc(x, y), sample((2, 3), a), sample((3,), b, 1, positive=True))


BROADCAST = [
    ("scalar", "scalar"), ((), ()), ("scalar", (3,)), ((2, 3), ()), ((3,), (3,)),
    ((3, 1), (1, 4)), ((3,), (2, 3)), ((0,), (0,)), ((0,), (1,)), ((2, 0), (2, 1)),
    ((2, 0), (0,)), ((1,), (2, 0)),
]  # fmt: skip


@pytest.mark.parametrize("ufunc", BINARY, ids=lambda u: u.__name__)
@pytest.mark.parametrize("dtype", [np.float64, np.int64, np.bool_], ids=["f64", "i64", "bool"])
def test_binary_broadcasting(ufunc, dtype):
    for sa, sb in BROADCAST:
        x, y = scalar_or_array(sa, dtype), scalar_or_array(sb, dtype, 1, positive=True)
        check(lambda x, y: ufunc(x, y), x, y)


@pytest.mark.parametrize("ufunc", BINARY, ids=lambda u: u.__name__)
def test_binary_incompatible_shapes_raise_like_numpy(ufunc):
    raises_like_numpy(lambda x, y: ufunc(x, y), np.ones(2), np.ones(3))
    raises_like_numpy(lambda x, y: ufunc(x, y), np.ones((2, 0)), np.ones(3))


@pytest.mark.parametrize("ufunc", BINARY, ids=lambda u: u.__name__)
@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.int8, np.uint8, np.bool_],
                         ids=["f32", "i64", "i8", "u8", "bool"])
def test_binary_python_scalars(ufunc, dtype):
    x = sample((2, 3), dtype, positive=True)
    for s in (2, -1, 2.5, True, 1000, 1j):
        check(lambda x, s=s: ufunc(x, s), x)
        check(lambda x, s=s: ufunc(s, x), x)
        check(lambda x, s=s: ufunc(x, s), x[0, 0])


@pytest.mark.parametrize(
    "fn, x, dtype",
    [
        (lambda x: x * 2.0, np.ones(3, np.float32), np.float32),
        (lambda x: 2.0 * x, np.ones(3, np.float32), np.float32),
        (lambda x: x + 1.5, np.ones(3, np.int64), np.float64),
        (lambda x: x + 1, np.ones(3, np.int8), np.int8),
        (lambda x: x - 1, np.ones(3, np.uint8), np.uint8),
        (lambda x: x / 2, np.ones(3, np.int32), np.float64),
        (lambda x: x / 2, np.ones(3, np.float32), np.float32),
        (lambda x: x ** 2, np.ones(3, np.float32), np.float32),
        (lambda x: x + True, np.ones(3, np.int8), np.int8),
        (lambda x: x * 2.0, np.float32(3), np.float32),
        (lambda x: x + 1j, np.ones(3, np.float32), np.complex64),
    ],
    ids=["f32*2.0", "2.0*f32", "i64+1.5", "i8+1", "u8-1", "i32/2", "f32/2", "f32**2", "i8+True",
         "f32scalar*2.0", "f32+1j"],
)
def test_weak_python_scalar_promotion(fn, x, dtype):
    assert check(fn, x).dtype == dtype


def test_python_int_out_of_range_raises_like_numpy():
    err = raises_like_numpy(lambda x: x + 1000, np.ones(3, np.int8))
    assert isinstance(err, OverflowError)


@pytest.mark.parametrize("fn", [lambda x: +x, lambda x: x + 0, lambda x: x * 1, lambda x: x - 0,
                                lambda x: x / 1.0, lambda x: np.negative(-x)],
                         ids=["pos", "add0", "mul1", "sub0", "div1", "negneg"])
def test_identities_return_fresh_numpy_results(fn):
    # graph simplification may drop the op, but never hand back the input itself
    x = np.ones(3)
    assert at.trace(fn, autograph=False)(x) is not x
    check(fn, np.array(2.0))


def test_binary_operators_and_reflections():
    ops = [
        lambda x, y: x + y, lambda x, y: x - y, lambda x, y: x * y, lambda x, y: x / y,
        lambda x, y: x // y, lambda x, y: x % y, lambda x, y: x ** y, lambda x, y: x < y,
        lambda x, y: x <= y, lambda x, y: x > y, lambda x, y: x >= y, lambda x, y: x == y,
        lambda x, y: x != y, lambda x, y: x & y, lambda x, y: x | y, lambda x, y: x ^ y,
        lambda x, y: x << y, lambda x, y: x >> y,
    ]  # fmt: skip
    for op in ops:
        for dtype in (np.float64, np.int64, np.bool_):
            x, y = sample((2, 3), dtype), sample((3,), dtype, 1, positive=True)
            check(op, x, y)
            check(lambda x, op=op: op(x, 3), x)
            check(lambda x, op=op: op(3, x), x)
            check(lambda x, op=op: op(np.int32(3), x), x)


@pytest.mark.parametrize("ufunc", BINARY, ids=lambda u: u.__name__)
def test_binary_graph_reused_on_new_values(ufunc):
    f = at.trace(lambda x, y: ufunc(x, y), autograph=False)
    for seed in range(3):
        check(f.python_function, sample((2, 3), np.int64, seed),
              sample((3,), np.int64, seed + 7, positive=True), traced=f, eager=False)
    assert f.trace_count == 1


_DTYPE_CHOICES = [np.float32, np.float64, np.int32, np.int64, np.int8, np.uint8, np.bool_]


@settings(max_examples=150, deadline=None)
@given(
    ufunc=st.sampled_from(BINARY),
    dtypes=st.tuples(st.sampled_from(_DTYPE_CHOICES), st.sampled_from(_DTYPE_CHOICES)),
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3,
                                             min_side=0, max_side=3),
    data=st.data(),
)
def test_binary_broadcasting_property(ufunc, dtypes, shapes, data):
    elements = {"min_value": 1, "max_value": 5}
    x, y = (data.draw(hnp.arrays(d, s, elements=elements if np.dtype(d).kind != "b" else None))
            for d, s in zip(dtypes, shapes.input_shapes))
    check(lambda x, y: ufunc(x, y), x, y)


@pytest.mark.parametrize("dims", [(None, 3), (None, 1)])
def test_binary_with_unknown_dims(dims):
    f = at.trace(lambda x, y: np.maximum(x, y) * 2, autograph=False,
                 input_signature=[at.TensorSpec(dims, np.float32), at.TensorSpec((3,), np.int64)])
    for n in (0, 1, 4):
        check(f.python_function, sample((n,) + dims[1:], np.float32), sample((3,), np.int64),
              traced=f, eager=False)
    assert f.trace_count == 1


# --- ufunc keyword arguments and methods ---------------------------------------------------
@pytest.mark.parametrize("word, kwargs", [
    ("out", lambda: {"out": np.zeros(3)}), ("where", lambda: {"where": np.ones(3, bool)}),
    ("dtype", lambda: {"dtype": np.float32}), ("casting", lambda: {"casting": "unsafe"}),
], ids=["out", "where", "dtype", "casting"])
def test_unsupported_ufunc_kwargs_are_loud(word, kwargs):
    f = at.trace(lambda x, y: np.add(x, y, **kwargs()), autograph=False)
    with pytest.raises(NotImplementedError, match=rf"numpy\.add\(\.\.\., {word}=\.\.\.\) is not "
                       "supported on traced values"):
        f(np.ones(3), np.ones(3))


def test_unsupported_ufunc_methods_are_loud():
    for fn, name in [(lambda x: np.add.accumulate(x), "numpy.add.accumulate"),
                     (lambda x: np.multiply.outer(x, x), "numpy.multiply.outer"),
                     (lambda x: np.logical_and.reduce(x), "numpy.logical_and.reduce")]:
        with pytest.raises(NotImplementedError, match=f"{name} is not supported on traced"):
            at.trace(fn, autograph=False)(np.ones(3))


def test_frontend_checks_argument_count():
    with pytest.raises(TypeError, match=r"add\(\) takes 2 arguments \(1 given\)"):
        at.add(np.ones(3))


# --- where ---------------------------------------------------------------------------------
@pytest.mark.parametrize("a", DTYPES.values(), ids=DTYPES.keys())
@pytest.mark.parametrize("b", DTYPES.values(), ids=DTYPES.keys())
def test_where_dtypes(a, b):
    c = sample((2, 3), bool, 3)
    check(lambda c, x, y: np.where(c, x, y), c, sample((2, 3), a), sample((3,), b, 1))


def test_where_shapes_and_scalars():
    for sc, sx, sy in [("scalar", "scalar", "scalar"), ((), (), ()), ((3, 1), (1, 4), ()),
                       ((3,), (2, 1), "scalar"), ((0,), (1,), ()), ((2, 0), (2, 1), (0,))]:
        c = scalar_or_array(sc, bool, 2)
        check(lambda c, x, y: np.where(c, x, y), c, scalar_or_array(sx, np.float32),
              scalar_or_array(sy, np.int64, 1))
    c = sample((3,), bool, 5)
    for s in (1, 2.5, True):
        check(lambda c, x, s=s: np.where(c, x, s), c, sample((3,), np.float32))
        check(lambda c, x, s=s: np.where(c, s, x), c, sample((3,), np.int8))
    check(lambda c: np.where(c, 1, 2.0), c)
    check(lambda c, x: np.where(c > 0, x, -x), sample((3,), np.int64), sample((3,), np.int32))
    check(lambda c, x, y: np.where(c, x, y), sample((3,), np.float64), np.ones(3), np.zeros(3))
    raises_like_numpy(lambda c, x, y: np.where(c, x, y), c, np.ones(2), np.ones(3))


def test_where_one_argument_form_is_nonzero():
    f = at.trace(lambda c: np.where(c), autograph=False)
    c = np.array([True, False, True])
    (got,), (want,) = f(c), np.where(c)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
    raises_like_numpy(lambda c: np.where(c, c), np.ones(3, bool))


# --- clip ----------------------------------------------------------------------------------
CLIP_DTYPES = dict(DTYPES, i8=np.int8, u8=np.uint8)
CLIP_BOUNDS = [(0, 1), (-1, 2), (None, 1), (0, None), (0.5, 1.5), (None, None), (2, -1),
               (-1, 300), (-300, 1), (1.5, None), (True, None), (np.float32(0), np.int8(1))]


@pytest.mark.parametrize("dtype", CLIP_DTYPES.values(), ids=CLIP_DTYPES.keys())
@pytest.mark.parametrize("bounds", CLIP_BOUNDS, ids=repr)
def test_clip(dtype, bounds):
    lo, hi = bounds
    for shape in ("scalar", (2, 3), (0,)):
        x = scalar_or_array(shape, dtype)
        check(lambda x: np.clip(x, lo, hi), x)
        check(lambda x: x.clip(lo, hi), x)
        if lo is not None or hi is not None:
            check(lambda x: np.clip(x, min=lo, max=hi), x)
            check(lambda x: x.clip(min=lo, max=hi), x)


def test_clip_only_one_bound_keyword():
    for dtype in (np.int64, np.int32, np.float32, np.bool_):
        x = sample((2, 3), dtype)
        check(lambda x: np.clip(x, min=0), x)
        check(lambda x: np.clip(x, max=1), x)
        check(lambda x: x.clip(max=1), x)
        check(lambda x: x.clip(min=True), x)
        check(lambda x: x.clip(0), x)  # method form: a_max is optional


def test_clip_with_array_bounds():
    x = sample((2, 3), np.int32)
    check(lambda x, lo, hi: np.clip(x, lo, hi), x, sample((3,), np.int8, 1),
          sample((2, 1), np.int64, 2, positive=True))
    check(lambda x, lo: np.clip(x, lo, None), x, sample((3,), np.int32, 1))
    check(lambda x, hi: np.clip(x, None, hi), x, sample((2, 3, 1), np.float32, 1))
    check(lambda x, lo: np.clip(x, lo, 2), sample((3,), np.uint8), np.zeros((2, 1), np.uint8))


def test_clip_bool_without_bounds_raises_like_numpy():
    raises_like_numpy(lambda x: np.clip(x, None, None), np.ones(3, bool))


def test_clip_errors():
    with pytest.raises(ValueError, match="Passing `min` or `max`"):
        at.trace(lambda x: np.clip(x, 0, 1, min=0), autograph=False)(np.ones(3))
    with pytest.raises(NotImplementedError, match=r"numpy.clip\(\.\.\., out=\.\.\.\)"):
        at.trace(lambda x: np.clip(x, 0, 1, out=x), autograph=False)(np.ones(3))


# --- round ---------------------------------------------------------------------------------
ROUND_DTYPES = dict(DTYPES, i8=np.int8, u8=np.uint8, f16=np.float16, c128=np.complex128)


@pytest.mark.parametrize("dtype", ROUND_DTYPES.values(), ids=ROUND_DTYPES.keys())
@pytest.mark.parametrize("decimals", [0, 1, 2, -1])
def test_round(dtype, decimals):
    for shape in ("scalar", (), (2, 3), (0,)):
        x = scalar_or_array(shape, dtype)
        if dtype != np.bool_:
            x = np.asarray(x * 13, dtype)[()] if shape == "scalar" else np.asarray(x * 13, dtype)
        check(lambda x: np.round(x, decimals), x)
        check(lambda x: np.around(x, decimals=decimals), x)
        check(lambda x: x.round(decimals), x)


def test_round_half_to_even_and_python_scalars():
    x = np.array([0.5, 1.5, 2.5, -0.5, 0.125, 0.135])
    check(lambda x: np.round(x), x)
    check(lambda x: np.round(x, 2), x)
    check(lambda x: x + np.round(3), x)
    check(lambda x: np.round(x + 2.5) + np.round(np.float32(2.5)), x)


def test_round_out_is_loud():
    with pytest.raises(NotImplementedError, match=r"numpy.round\(\.\.\., out=\.\.\.\)"):
        at.trace(lambda x: np.round(x, 0, out=x), autograph=False)(np.ones(3))


# --- eager tensors and variables -----------------------------------------------------------
def test_variables_in_eager_mode():
    for fn in (lambda x, y: x * y + 1, lambda x, y: np.maximum(x, y), lambda x, y: np.where(
            x > y, x, y), lambda x, y: np.clip(x, 0, y), lambda x, y: np.round(x / y, 1)):
        x, y = sample((2, 3), np.float32), sample((3,), np.float32, 1, positive=True)
        got = fn(at.Variable(x), at.Variable(y))
        assert isinstance(got, at.EagerTensor)
        assert_same(got.numpy(), fn(x, y))
        mixed = fn(at.Variable(x), y)
        assert_same(mixed.numpy(), fn(x, y))


def test_traced_function_on_eager_scalars_returns_numpy_scalar():
    f = at.trace(lambda x: x * 2, autograph=False)
    got = f(at.EagerTensor(np.float32(1.5)))
    assert_same(got.numpy(), np.float32(3.0))
