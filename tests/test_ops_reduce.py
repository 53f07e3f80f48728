"""Reductions (sum mean prod max min any all var std argmax argmin) against numpy.

Each case runs the numpy function, the traced graph (checked against its static shapes and
dtypes by `AUTOTRACE_CHECK=1`) and the eager path, and requires the same values, dtype,
shape and Python type -- or, where numpy raises (axis out of bounds, empty max, a tuple axis
for argmax), the same exception type.
"""

import numpy as np
import pytest
from oracle import assert_same, bind, check, method, raises_like_numpy, sample, scalar_or_array

import autotrace as at

REDUCTIONS = [np.sum, np.mean, np.prod, np.max, np.min, np.any, np.all, np.var, np.std,
              np.argmax, np.argmin]
DTYPES = {"f32": np.float32, "f64": np.float64, "i32": np.int32, "i64": np.int64,
          "bool": np.bool_, "u8": np.uint8, "i8": np.int8, "f16": np.float16,
          "c128": np.complex128}
SHAPES = ["scalar", (), (3,), (2, 3), (0,), (2, 0), (2, 3, 4)]


def axes_for(ndim: int) -> list:
    """`axis` values for an array of `ndim` dims (invalid ones for ndim < 2 and `ndim`)."""
    axes = [None, 0, -1, (), (0,), 1, (0, -1), ndim]
    return axes + ([(0, 2), (-1, 0, 1)] if ndim == 3 else [])


@pytest.mark.parametrize("dtype", DTYPES.values(), ids=DTYPES.keys())
@pytest.mark.parametrize("reduction", REDUCTIONS, ids=lambda r: r.__name__)
def test_reduction(reduction, dtype):
    for shape in SHAPES:
        x = scalar_or_array(shape, dtype)
        check(lambda x: reduction(x), x)
        for axis in axes_for(np.ndim(x)):
            for keepdims in (False, True):
                check(bind(reduction, axis=axis, keepdims=keepdims), x)


@pytest.mark.parametrize("dtype", DTYPES.values(), ids=DTYPES.keys())
@pytest.mark.parametrize("name", ["sum", "mean", "prod", "max", "min", "any", "all", "std",
                                  "argmax", "argmin"])
def test_reduction_methods(name, dtype):
    for shape in ("scalar", (2, 3), (2, 0)):
        x = scalar_or_array(shape, dtype)
        for axis in (None, 0, -1):
            check(method(name, axis=axis, keepdims=True), x)
            check(method(name, axis), x)


def test_var_method_on_traced_values():
    check(lambda x: x.var(axis=0), sample((2, 3), np.float64), eager=False)


@pytest.mark.parametrize("fn", [np.var, np.std], ids=["var", "std"])
@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.bool_, np.complex128],
                         ids=["f32", "i64", "bool", "c128"])
def test_var_std_ddof(fn, dtype):
    for shape in ((3,), (2, 3), (0,), (2, 3, 4)):
        x = sample(shape, dtype)
        for ddof in (0, 1, 2, 3):
            for axis in (None, 0, -1, (0, -1)):
                check(bind(fn, axis=axis, ddof=ddof), x)
                check(bind(fn, axis=axis, ddof=ddof, keepdims=True), x)


def test_var_of_complex_is_real():
    x = sample((2, 3), np.complex64)
    assert check(lambda x: np.var(x, axis=0), x).dtype == np.float32
    assert check(lambda x: np.std(x), x).dtype == np.float32


@pytest.mark.parametrize("fn, dtype, want", [
    (np.sum, np.int32, np.int64), (np.sum, np.bool_, np.int64), (np.sum, np.uint8, np.uint64),
    (np.prod, np.int8, np.int64), (np.sum, np.float16, np.float16),
    (np.mean, np.int32, np.float64), (np.mean, np.bool_, np.float64),
    (np.mean, np.float32, np.float32), (np.var, np.int8, np.float64),
    (np.max, np.bool_, np.bool_), (np.any, np.float32, np.bool_), (np.argmax, np.int8, np.intp),
])  # fmt: skip
def test_reduction_dtypes(fn, dtype, want):
    assert check(lambda x: fn(x, axis=0), sample((2, 3), dtype)).dtype == want


def test_scalar_axis_on_0d_follows_numpy():
    # ufunc reductions (and argmax) accept axis 0 / -1 on a 0-d array; mean/var/std do not.
    x = np.array(2.5)
    for fn in (np.sum, np.prod, np.max, np.min, np.any, np.all, np.argmax, np.argmin):
        for axis in (0, -1):
            check(bind(fn, axis=axis), x)
            check(bind(fn, axis=axis, keepdims=True), x)
    for fn in (np.mean, np.var, np.std):
        raises_like_numpy(bind(fn, axis=0), x)


@pytest.mark.parametrize("fn", REDUCTIONS, ids=lambda r: r.__name__)
def test_axis_out_of_bounds_is_numpy_axis_error(fn):
    for x, axis in [(np.ones((2, 3)), 2), (np.ones((2, 3)), -3), (np.ones(3), 1),
                    (np.array(1.0), 1), (np.ones((2, 3)), (0, 5))]:
        err = raises_like_numpy(bind(fn, axis=axis), x)
        if not isinstance(axis, tuple) or fn not in (np.argmax, np.argmin):
            assert isinstance(err, np.exceptions.AxisError)
            assert isinstance(err, ValueError) and isinstance(err, IndexError)
            assert "out of bounds for array of dimension" in str(err)


@pytest.mark.parametrize("fn", REDUCTIONS, ids=lambda r: r.__name__)
def test_bad_axis_types_raise_like_numpy(fn):
    x = np.ones((2, 3))
    for axis in (1.0, True, [0], "0"):
        raises_like_numpy(bind(fn, axis=axis), x)
    check(bind(fn, axis=np.int64(-1)), x)


def test_duplicate_axes_raise_like_numpy():
    err = raises_like_numpy(lambda x: np.sum(x, axis=(1, -1)), np.ones((2, 3)))
    assert "duplicate value in 'axis'" in str(err)


def test_empty_reductions():
    for fn in (np.sum, np.prod, np.any, np.all, np.mean):
        check(bind(fn), np.ones((0,), np.float32))
        check(bind(fn, axis=1), np.ones((2, 0), np.int32))
        check(bind(fn, axis=0), np.ones((0, 3), np.int64))
    for fn in (np.max, np.min, np.argmax, np.argmin):
        raises_like_numpy(bind(fn), np.ones((0,)))
        raises_like_numpy(bind(fn, axis=1), np.ones((2, 0)))
        check(bind(fn, axis=0), np.ones((2, 0)))


@pytest.mark.parametrize("fn", REDUCTIONS, ids=lambda r: r.__name__)
def test_unknown_dims(fn):
    spec = at.TensorSpec((None, 3), np.float32)
    for axis in (None, 0, 1, -1):
        f = at.trace(bind(fn, axis=axis), autograph=False, input_signature=[spec])
        for n in (1, 4, 0):
            check(f.python_function, sample((n, 3), np.float32, n), traced=f, eager=False)
        assert f.trace_count == 1


def test_graph_reused_on_new_values():
    f = at.trace(lambda x: (np.max(x, axis=0), np.argmin(x), np.var(x, ddof=1)),
                 autograph=False)
    for seed in range(4):
        x = sample((3, 4), np.float64, seed)
        for got, want in zip(f(x), f.python_function(x)):
            assert_same(got, want)
    assert f.trace_count == 1


# --- unsupported arguments ------------------------------------------------------------------
@pytest.mark.parametrize("fn, kwargs, word", [
    (np.sum, lambda: {"dtype": np.float32}, "dtype"),
    (np.mean, lambda: {"out": np.zeros(())}, "out"),
    (np.max, lambda: {"where": np.ones(3, bool)}, "where"),
    (np.sum, lambda: {"initial": 1.0}, "initial"),
    (np.var, lambda: {"correction": 1}, "correction"),
    (np.argmax, lambda: {"out": np.zeros((), np.intp)}, "out"),
], ids=["sum-dtype", "mean-out", "max-where", "sum-initial", "var-correction", "argmax-out"])
def test_unsupported_kwargs_are_loud(fn, kwargs, word):
    f = at.trace(lambda x: fn(x, **kwargs()), autograph=False)
    with pytest.raises(NotImplementedError, match=rf"numpy\.{fn.__name__}\(\.\.\., {word}=\.\.\.\) "
                       "is not supported on traced values"):
        f(np.ones(3))


def test_unknown_kwarg_is_a_type_error():
    with pytest.raises(TypeError, match="unexpected arguments"):
        at.sum(at.EagerTensor(np.ones(3)), bogus=1)


# --- ufunc.reduce via the tensor --------------------------------------------------------------
@pytest.mark.parametrize("ufunc", [np.add, np.multiply, np.maximum, np.minimum],
                         ids=lambda u: u.__name__)
def test_ufunc_reduce_maps_to_reductions(ufunc):
    for dtype in (np.float64, np.int32, np.bool_):
        x = sample((3,), dtype)
        check(lambda x: ufunc.reduce(x), x)
        x = sample((2, 3), dtype)
        for axis in (0, 1, -1, None, (0, 1)):
            check(bind(ufunc.reduce, axis=axis), x)
            check(bind(ufunc.reduce, axis=axis, keepdims=True), x)


def test_ufunc_reduce_default_axis_is_zero():
    check(lambda x: np.add.reduce(x), sample((2, 3), np.float64))


def test_ufunc_reduce_unsupported_kwargs_are_loud():
    f = at.trace(lambda x, o: np.add.reduce(x, out=o), autograph=False)
    with pytest.raises(NotImplementedError, match=r"numpy\.sum\(\.\.\., out=\.\.\.\)"):
        f(np.ones(3), np.zeros(()))
    g = at.trace(lambda x: np.add.reduce(x, where=x > 0), autograph=False)
    with pytest.raises(NotImplementedError, match=r"numpy\.sum\(\.\.\., where=\.\.\.\)"):
        g(np.ones(3))


# --- eager values -----------------------------------------------------------------------------
def test_variables_in_eager_mode():
    x = sample((2, 3), np.float32)
    for fn in REDUCTIONS:
        got = fn(at.Variable(x), axis=0)
        assert isinstance(got, at.EagerTensor)
        assert_same(got.numpy(), fn(x, axis=0))
    assert_same(at.Variable(x).var(axis=1, ddof=1).numpy(), x.var(axis=1, ddof=1))


def test_frontends_on_plain_numpy_return_what_numpy_returns():
    x = sample((2, 3), np.int32)
    for name in ("sum", "mean", "prod", "max", "min", "any", "all", "var", "std", "argmax",
                 "argmin"):
        assert_same(getattr(at, name)(x, axis=-1), getattr(np, name)(x, axis=-1))
        assert_same(getattr(at, name)(x), getattr(np, name)(x))
