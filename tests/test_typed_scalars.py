"""Python scalars against arrays in generated code (`codegen.typed_scalar`): bound as 0-d
arrays of the dtype numpy casts them to, with results, dtypes, warnings and errors exactly
those of the plain function."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autotrace as at
from autotrace.compile import codegen

DTYPES = [np.float16, np.float32, np.float64, np.complex64, np.int8, np.int32, np.uint8,
          np.int64, np.bool_]
CONSTANTS = [1, 2, -3, 0, 255, 1000, 2**70, 0.5, 0.1, -0.0, 0.0, 1e30, 1e300, float("inf"),
             float("nan"), -float("nan")]
OPS = {
    "add": lambda x, c: x + c, "radd": lambda x, c: c + x,
    "sub": lambda x, c: x - c, "rsub": lambda x, c: c - x,
    "mul": lambda x, c: x * c, "div": lambda x, c: x / c, "rdiv": lambda x, c: c / x,
    "floordiv": lambda x, c: x // c, "mod": lambda x, c: x % c,
    "and": lambda x, c: x & c, "or": lambda x, c: x | c, "shift": lambda x, c: x << c,
    "maximum": lambda x, c: np.maximum(x, c), "minimum": lambda x, c: np.minimum(c, x),
    "ldexp": lambda x, c: np.ldexp(x, c), "less": lambda x, c: x < c,
    "requal": lambda x, c: c == x, "arctan2": lambda x, c: np.arctan2(c, x),
    "hypot": lambda x, c: np.hypot(x, c), "fmod": lambda x, c: np.fmod(x, c),
    "logaddexp": lambda x, c: np.logaddexp(x, c), "and_": lambda x, c: np.logical_and(x, c),
}


def _outcome(fn, *args):
    """(result or exception type and message, warning messages) of one call."""
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="warn"):
        warnings.simplefilter("always")
        try:
            out = fn(*args)
        except Exception as e:  # the traced function must raise the same
            out = (type(e), str(e).split("\n")[0])
    return out, sorted({str(w.message) for w in caught if w.category is RuntimeWarning})


def _same(got, want) -> None:
    if isinstance(want, tuple):
        assert got == want
        return
    assert type(got) is type(want)
    assert got.dtype == want.dtype and got.shape == want.shape
    assert got.tobytes() == want.tobytes()  # bit for bit (nan, -0.0 included)


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_results_are_the_plain_functions_bit_for_bit(op, dtype):
    x = (np.arange(-3, 4) * 7).astype(dtype)
    for c in CONSTANTS:
        fn = OPS[op]
        want = _outcome(fn, x, c)
        if isinstance(want[0], tuple):  # numpy refuses: tracing refuses too (any message)
            continue
        traced = at.trace(lambda x, fn=fn, c=c: fn(x, c))
        got = _outcome(traced, x)
        _same(got[0], want[0])
        assert got[1] == want[1], (op, c)


UFUNCS = sorted({id(u): u for u in vars(np).values() if isinstance(u, np.ufunc)
                 and u.nin == 2 and u.nout == 1}.values(), key=lambda u: u.__name__)
EDGES = [0, 1, 2, -3, 7, 0.5, 0.1, 1e30, 3.0, -0.0, 16777217, 2**63 - 1, 2**64 - 1,
         float("inf"), float("nan"), -float("nan")]


@pytest.mark.parametrize("dtype", DTYPES + [np.int16, np.uint32, np.complex128],
                         ids=lambda d: np.dtype(d).name)
def test_the_rule_holds_for_every_binary_ufunc(dtype):
    """Wherever `typed_constant` gives an array, numpy computes the same with it as with
    the Python scalar: bit for bit, the same dtype, warnings and errors."""
    dtype = np.dtype(dtype)
    x = np.concatenate([(np.arange(-40, 40) * 1.7).astype(dtype), np.array([0, 1, 3], dtype)])
    typed_any = 0
    for ufunc in UFUNCS:
        for c in EDGES:
            for first in (True, False):
                try:
                    out = ufunc.resolve_dtypes((dtype, dtype, None))[2]
                except TypeError:
                    continue  # no loop for this dtype
                typed = codegen.typed_constant(ufunc, c, dtype, first, out)
                if typed is None:
                    continue
                typed_any += 1
                assert typed.dtype == dtype and typed.shape == ()
                args = [(c, x), (typed, x)] if first else [(x, c), (x, typed)]
                want, got = (_outcome(ufunc, *a) for a in args)
                assert got[1] == want[1], (ufunc, c, first)
                _same(got[0], want[0])
    assert typed_any > 0


def test_a_float32_constant_becomes_a_float32_array():
    f = at.trace(lambda a, b: (a + b) * (b + 1))
    a, b = np.array([2.0], np.float32), np.array([1.0], np.float32)
    cf = f.get_concrete_function(a, b)
    assert "b + _f32_1" in cf._call.source
    assert cf._call.__globals__["_f32_1"].dtype == np.float32
    assert cf._call.__globals__["_f32_1"].shape == ()
    assert "_f32_1 = np.array(1.0, dtype='<f4')" in cf.source
    out = f(a, b)
    assert out.dtype == np.float32 and out.tolist() == [6.0]


@pytest.mark.parametrize("fn, text", [
    (lambda x: x.astype(bool) + 1, "+ 1"),           # bool + int: int64, not bool
    (lambda x: np.ldexp(x, 2), ", 2"),               # a (float, int) loop
    (lambda x: x[0] + 1, "+ 1"),                     # 0-d: numpy's scalar path
    (lambda x: x.astype(np.int8) + 1000, "+ 1000"),  # out of range: numpy raises
    (lambda x: x.astype(np.float16) * 1e30, "* (1e+30)"),  # overflows: numpy warns
])
def test_constants_stay_python_scalars_where_numpy_would_differ(fn, text):
    """Where the 0-d array would not be the same computation, the generated code keeps
    the scalar as written (the bit-for-bit test checks results; this one the code)."""
    x = np.ones(3, np.float32)
    cf = at.trace(fn).get_concrete_function(x)
    if text is not None:
        assert text in cf._call.source
    assert "_f" not in cf._call.source.split("):", 1)[1].replace("_float", "")


def test_comparisons_and_other_ufuncs_take_typed_constants_too():
    f = at.trace(lambda x: (x > 0, np.where(x < 0.5, x, 0.0), np.arctan2(x, 2)))
    x = np.linspace(-1, 1, 5, dtype=np.float32)
    source = f.get_concrete_function(x)._call.source
    assert "x > _f32_0" in source and "x < _f32_0_5" in source and "_f32_2" in source
    got, want = f(x), (x > 0, np.where(x < 0.5, x, 0.0), np.arctan2(x, 2))
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.tobytes() == w.tobytes()


def test_subclass_arguments_see_the_same_values():
    class Sub(np.ndarray):
        pass

    def f(x):
        return x + 1, 1 - x, x * 0.5

    traced = at.trace(f)
    for x in (np.arange(3.0).view(Sub), np.ma.masked_array([1.0, 2.0], mask=[0, 1])):
        for g, w in zip(traced(x), f(x)):
            assert type(g) is type(w)
            np.testing.assert_array_equal(np.ma.getdata(g), np.ma.getdata(w))
            np.testing.assert_array_equal(np.ma.getmaskarray(g), np.ma.getmaskarray(w))


@pytest.mark.parametrize("c", [0.0, -0.0, float("nan"), -float("nan")])
def test_signed_zeros_and_nans_keep_their_bits(c):
    def f(x, y):
        return x * c, y + c

    x = np.array([1.0, -2.0], np.float32)
    for _ in range(2):  # one process-wide cache of typed constants: the second trace hits it
        traced = at.trace(f)
        for g, w in zip(traced(x, x), f(x, x)):
            assert g.dtype == w.dtype and g.tobytes() == w.tobytes()


def test_one_bound_array_per_constant_and_dtype():
    def f(x, y):
        return x + 1, y * 3, x - 1, y + 2, y - 3
    cf = at.trace(f).get_concrete_function(np.ones(2, np.float32), np.ones(2))
    names = sorted(k for k in cf._call.__globals__ if k.startswith(("_f32", "_f64")))
    assert names == ["_f32_1", "_f64_2", "_f64_3"]


def test_backends_keep_python_scalars():
    emitter = codegen.Emitter()
    assert emitter.typed_scalars
    from autotrace.compile.lowering import BackendEmitter

    assert not BackendEmitter.typed_scalars
