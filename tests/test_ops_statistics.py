# ruff: noqa: B023 - the loop lambdas are checked (called) before the loop moves on
"""Statistics (autotrace/ops/statistics.py, nanreduce.py, histogram.py) against numpy as
the oracle: dtypes, 0-d and empty inputs, axis forms, NaNs, methods; numpy's errors."""

import warnings

import numpy as np
import pytest
from oracle import assert_same, check, quiet, sample

import autotrace as at

FLOATS = [np.float32, np.float64]
NUMERIC = [np.float32, np.float64, np.int32, np.int64]
AXES = [None, 0, 1, -1, (0, 2), (1, 2), (0, 1, 2)]


def _data(dtype, seed=0, nans=False):
    x = np.random.default_rng(seed).standard_normal((3, 4, 5))
    x = (x * 3).round() if np.dtype(dtype).kind in "iu" else x
    x = x.astype(dtype)
    if nans:
        x[0, 1, 2] = np.nan
        x[1, :, 3] = np.nan
        x[2, 2, :] = np.nan
    return x


def close(fn, *args, rtol=1e-6):
    """Like `check` but values equal up to rounding (quantile interpolation order)."""
    with quiet():
        expected = fn(*args)
        got = at.trace(fn, autograph=False)(*args)
        eager = fn(*[at.EagerTensor(a) for a in args]).numpy()
    for value in (got, eager):
        assert np.result_type(value) == np.result_type(expected)
        assert np.shape(value) == np.shape(expected)
        np.testing.assert_allclose(value, expected, rtol=rtol, atol=1e-12, equal_nan=True)
    assert type(got) is type(expected)


# --- quantiles ------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", NUMERIC, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("axis", AXES, ids=str)
def test_median(dtype, axis):
    check(lambda x: np.median(x, axis=axis), _data(dtype))
    check(lambda x: np.median(x, axis=axis, keepdims=True), _data(dtype, 1))


def test_median_nan_even_odd_and_0d():
    check(lambda x: np.median(x, axis=1), _data(np.float64, nans=True))
    check(np.median, np.array([3.0, 1.0, 2.0, 4.0]))
    check(np.median, np.array([3.0, 1.0, 2.0]))
    check(np.median, np.float32(2.5))
    check(lambda x: x.mean() + np.median(x), np.array(1.5))


@pytest.mark.parametrize("method", ["linear", "weibull", "hazen", "median_unbiased",
                                    "normal_unbiased", "interpolated_inverted_cdf", "lower",
                                    "higher", "midpoint", "nearest"])
@pytest.mark.parametrize("dtype", NUMERIC, ids=lambda d: np.dtype(d).name)
def test_quantile_methods(method, dtype):
    x = _data(dtype)
    for q in (0.0, 0.37, 0.5, 1.0, [0.1, 0.9], np.array([[0.25], [0.75]])):
        close(lambda x: np.quantile(x, q, method=method), x)
        close(lambda x: np.quantile(x, q, axis=1, method=method, keepdims=True), x)
        close(lambda x: np.percentile(x, np.multiply(q, 100), axis=(0, 2), method=method), x)


@pytest.mark.parametrize("axis", AXES, ids=str)
def test_nan_quantiles(axis):
    x = _data(np.float64, nans=True)
    for q in (0.0, 0.3, 1.0, [0.2, 0.5]):
        close(lambda x: np.nanquantile(x, q, axis=axis), x)
        close(lambda x: np.nanpercentile(x, np.multiply(q, 100), axis=axis, keepdims=True), x)
    close(lambda x: np.nanmedian(x, axis=axis), x)
    close(lambda x: np.nanmedian(x, axis=axis), _data(np.float32, nans=True))
    check(lambda x: np.nanmedian(x, axis=axis), _data(np.int64))
    close(lambda x: np.quantile(x, 0.4, axis=axis), x)


def test_quantile_refusals():
    x = _data(np.float64)
    with pytest.raises(NotImplementedError, match="method='inverted_cdf'"):
        at.trace(lambda x: np.quantile(x, 0.5, method="inverted_cdf"))(x)
    with pytest.raises(NotImplementedError, match="traced q"):
        at.trace(lambda x, q: np.quantile(x, q))(x, np.float64(0.5))
    with pytest.raises(ValueError, match="range"):
        at.trace(lambda x: np.quantile(x, 1.5))(x)


def test_quantile_gradient():
    x = np.random.default_rng(3).permutation(np.linspace(-2, 2, 20)).reshape(4, 5)
    at.check_grads(lambda x: np.quantile(x, [0.3, 0.8], axis=1), (x,), order=1)
    at.check_grads(lambda x: np.median(x, axis=0), (x,), order=1)
    xn = x.copy()
    xn[1, 2] = np.nan
    g = at.grad(lambda x: np.nanmedian(x, axis=1).sum())(xn)
    assert g[1, 2] == 0 and np.isfinite(g).all() and g.sum() == pytest.approx(4.0)


# --- moments --------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", NUMERIC + [np.bool_], ids=lambda d: np.dtype(d).name)
def test_average(dtype):
    x = _data(dtype)
    check(lambda x: np.average(x), x)
    check(lambda x: np.average(x, axis=1), x)
    check(lambda x, w: np.average(x, axis=1, weights=w), x, np.arange(1.0, 5.0))
    check(lambda x, w: np.average(x, axis=(0, 2), weights=w), x, sample((3, 4, 5), np.float32,
                                                                          positive=True))
    check(lambda x, w: np.average(x, weights=w, returned=True)[1], x, np.ones((3, 4, 5)))
    check(lambda x: np.average(x, axis=0, returned=True)[1], x)
    check(lambda x: np.average(x, axis=2, keepdims=True), x)


def test_average_errors():
    x = _data(np.float64)
    with pytest.raises(TypeError, match="Axis must be specified"):
        at.trace(lambda x: np.average(x, weights=np.ones(4)))(x)
    with pytest.raises(ValueError, match="Length of weights"):
        at.trace(lambda x: np.average(x, axis=0, weights=np.ones(4)))(x)


@pytest.mark.parametrize("dtype", NUMERIC, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("axis", AXES, ids=str)
def test_ptp(dtype, axis):
    check(lambda x: np.ptp(x, axis=axis), _data(dtype))


@pytest.mark.parametrize("dtype", NUMERIC + [np.complex128], ids=lambda d: np.dtype(d).name)
def test_cov_corrcoef(dtype):
    x = _data(dtype)[0]
    for fn in (np.cov, np.corrcoef):
        close(lambda m: fn(m), x)
        close(lambda m: fn(m, rowvar=False), x)
        close(lambda m, y: fn(m, y), x, _data(dtype, 1)[1])
        close(lambda m: fn(m[0]), x)
    close(lambda m: np.cov(m, bias=True), x)
    close(lambda m: np.cov(m, ddof=2), x)
    close(lambda m: np.cov(m, dtype=np.float32), x.real.astype(np.float64))


def test_cov_corrcoef_gradients():
    x = _data(np.float64)[0]
    at.check_grads(lambda m: np.cov(m), (x,), order=2)
    at.check_grads(lambda m: np.corrcoef(m, rowvar=False)[0, 1:], (x,), order=2)
    at.check_grads(lambda m, w: np.average(m, axis=0, weights=w), (x, np.arange(1.0, 5.0)),
                   order=2)


# --- nan reductions -------------------------------------------------------------------------
NAN_REDUCTIONS = [np.nansum, np.nanprod, np.nanmean, np.nanvar, np.nanstd, np.nanmax, np.nanmin]


@pytest.mark.parametrize("fn", NAN_REDUCTIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype", FLOATS + [np.int64, np.bool_], ids=lambda d: np.dtype(d).name)
def test_nan_reductions(fn, dtype):
    x = _data(dtype, nans=np.dtype(dtype).kind == "f")
    if dtype == np.bool_ and fn in (np.nanvar, np.nanstd):
        return  # numpy's var of bool raises a TypeError in both paths (tested elsewhere)
    for axis in AXES:
        check(lambda x: fn(x, axis=axis), x)
        check(lambda x: fn(x, axis=axis, keepdims=True), x)


def test_nan_reductions_arguments_and_complex():
    x = _data(np.float64, nans=True)
    check(lambda x: np.nanvar(x, axis=1, ddof=1), x)
    check(lambda x: np.nanstd(x, axis=2, ddof=4), x)
    z = x + 1j * _data(np.float64, 1)
    check(lambda z: np.nanvar(z, axis=1), z)
    check(lambda z: np.nansum(z, axis=0), z)
    with pytest.raises(NotImplementedError, match=r"numpy.nansum\(\.\.\., initial=\.\.\.\)"):
        at.trace(lambda x: np.nansum(x, initial=1.0))(x)


@pytest.mark.parametrize("fn", [np.nancumsum, np.nancumprod, np.nanargmax, np.nanargmin],
                         ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype", FLOATS + [np.int64], ids=lambda d: np.dtype(d).name)
def test_nan_scans_and_args(fn, dtype):
    x = _data(dtype, nans=np.dtype(dtype).kind == "f")
    if fn in (np.nanargmax, np.nanargmin):
        x = x[:, :, :3]  # no all-NaN slice along axis 2... nor along 1
        x[2, 2, :] = 1 if dtype != np.int64 else x[2, 2, :]
    for axis in (None, 0, 1, -1):
        check(lambda x: fn(x, axis=axis), x)


def test_nanargmax_all_nan_raises_when_run():
    cf = at.trace(lambda x: np.nanargmax(x, axis=1))
    np.testing.assert_array_equal(cf(np.array([[1.0, np.nan], [np.nan, 2.0]])), [0, 1])
    with pytest.raises(ValueError, match="All-NaN slice"):
        cf(np.array([[1.0, np.nan], [np.nan, np.nan]]))


def test_nan_reduction_gradients():
    x = _data(np.float64, nans=True)
    for fn in (np.nansum, np.nanmean, np.nanvar, np.nanstd, np.nanmax, np.nancumsum):
        g = at.grad(lambda x: fn(x).sum())(x)
        assert (g[np.isnan(x)] == 0).all() and np.isfinite(g).all(), fn.__name__
    clean = _data(np.float64, 2)
    for fn in (np.nanmean, np.nanvar, np.nanstd, np.nanprod):
        at.check_grads(lambda x: fn(x, axis=1), (clean,), order=2)


# --- searchsorted, digitize, interp, bincount, histogram ------------------------------------
EDGES = np.array([-1.0, 0.0, 0.5, 2.0])


@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("dtype", NUMERIC, ids=lambda d: np.dtype(d).name)
def test_searchsorted(side, dtype):
    x = _data(dtype)
    check(lambda x: np.searchsorted(EDGES, x, side=side), x)
    check(lambda a, v: np.searchsorted(a, v, side=side), np.sort(x.ravel()), x[0])
    check(lambda a: np.searchsorted(a, 0.5, side=side), np.sort(x.ravel()))
    check(lambda a: np.searchsorted(a, np.zeros((0,)), side=side), np.sort(x.ravel()))


@pytest.mark.parametrize("right", [False, True])
def test_digitize(right):
    x = np.array([-2.0, -1.0, 0.0, 0.2, 0.5, 3.0, np.nan])
    check(lambda x: np.digitize(x, EDGES, right=right), x)
    check(lambda x: np.digitize(x, EDGES[::-1], right=right), x)
    check(lambda x: np.digitize(x, [0, 1]), np.arange(-2, 3))
    with pytest.raises(ValueError, match="monotonically"):
        at.trace(lambda x: np.digitize(x, [0, 2, 1]))(x)
    with pytest.raises(NotImplementedError, match="traced bins"):
        at.trace(lambda x, b: np.digitize(x, b))(x, EDGES)


def test_interp():
    xp, fp = np.array([-1.0, 0.0, 0.5, 2.0]), np.array([1.0, 3.0, -2.0, 0.0])
    x = np.array([-3.0, -1.0, -0.5, 0.0, 0.25, 0.5, 1.9, 2.0, 2.5, np.nan])
    check(lambda x: np.interp(x, xp, fp), x)
    check(lambda x, xp, fp: np.interp(x, xp, fp), x, xp, fp)
    check(lambda x: np.interp(x, xp, fp, left=-9.0, right=9.0), x)
    check(lambda x: np.interp(x, xp, fp * (1 + 2j)), x)
    check(lambda x: np.interp(x, xp[:1], fp[:1]), x)
    check(lambda x: np.interp(x, xp, fp), x.astype(np.float32))
    check(lambda x: np.interp(x, xp, fp), np.float64(0.3))
    check(lambda x: np.interp(x, xp, fp), np.arange(-2, 3))
    with pytest.raises(ValueError, match="same length"):
        at.trace(lambda x: np.interp(x, xp, fp[:3]))(x)


def test_interp_gradients():
    xp, fp = np.array([-1.0, 0.0, 0.5, 2.0]), np.array([1.0, 3.0, -2.0, 0.0])
    x = np.array([-0.7, 0.1, 0.3, 1.2, 1.9])
    at.check_grads(lambda x, xp, fp: np.interp(x, xp, fp), (x, xp, fp), order=1)
    g = at.grad(lambda x: np.interp(x, xp, fp).sum())(np.array([-2.0, 3.0, 0.25]))
    np.testing.assert_allclose(g, [0, 0, -10.0])


def test_bincount():
    x = np.array([0, 3, 1, 3, 3, 7])
    check(np.bincount, x)
    check(lambda x: np.bincount(x, minlength=10), x)
    check(lambda x, w: np.bincount(x, w), x, np.linspace(0, 1, 6))
    check(lambda x, w: np.bincount(x, w, minlength=3), x, np.linspace(0, 1, 6).astype(np.float32))
    check(np.bincount, np.zeros(0, np.int64))
    graph = at.trace(lambda x: np.bincount(x) * 2).get_concrete_function(x).graph
    assert "i64[?]" in str(graph)  # the length is known only when the graph runs
    with pytest.raises(TypeError):
        at.trace(lambda x: np.bincount(x))(x.astype(np.float64))
    g = at.grad(lambda w: (np.bincount(x, w, minlength=8) * np.arange(8.0)).sum())(np.ones(6))
    np.testing.assert_array_equal(g, x.astype(float))


@pytest.mark.parametrize("dtype", NUMERIC, ids=lambda d: np.dtype(d).name)
def test_histogram(dtype):
    x = _data(dtype)
    for k in (0, 1):
        check(lambda x: np.histogram(x)[k], x)
        check(lambda x: np.histogram(x, bins=4, range=(-1, 1))[k], x)
        check(lambda x: np.histogram(x, bins=[-2, -1, 0, 3])[k], x)
        check(lambda x: np.histogram(x, bins=3, range=(2, 2))[k], x)
    close(lambda x, w: np.histogram(x, bins=5, weights=w)[0], x, _data(np.float32, 1), rtol=1e-5)
    close(lambda x: np.histogram(x, bins=5, density=True)[0], x)
    check(lambda x: np.histogram(x, bins=np.array([-1.0, 0.0, 2.0]), density=True)[0], x)


def test_histogram_errors():
    with pytest.raises(ValueError, match="weights should have the same shape"):
        at.trace(lambda x: np.histogram(x, weights=x[:2])[0])(np.ones(3))
    with pytest.raises(ValueError, match="not finite"):
        at.trace(lambda x: np.histogram(x)[0])(np.array([1.0, np.nan]))
    with pytest.raises(NotImplementedError, match="bins='auto'"):
        at.trace(lambda x: np.histogram(x, bins="auto")[0])(np.ones(3))
    with pytest.raises(ValueError, match="monotonically"):
        at.trace(lambda x: np.histogram(x, bins=[0, 2, 1])[0])(np.ones(3))


def test_histogram_weights_gradient():
    x = _data(np.float64)
    w = _data(np.float64, 1)
    at.check_grads(lambda w: np.histogram(x, bins=4, weights=w)[0], (w,), order=2)


def test_no_warnings_leak():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        at.trace(lambda x: np.nanmean(x, axis=1))(np.ones((2, 3)))
    assert_same(np.float64(1.0), np.float64(1.0))


VMAPPED = {
    "median": lambda x: np.median(x, axis=0),
    "quantile": lambda x: np.quantile(x, [0.2, 0.7]),
    "nanquantile": lambda x: np.nanquantile(np.where(x > 1.0, np.nan, x), 0.4, axis=1),
    "nanmean": lambda x: np.nanmean(np.where(x > 1.0, np.nan, x), axis=0),
    "nanvar": lambda x: np.nanvar(np.where(x > 1.0, np.nan, x)),
    "average": lambda x: np.average(x, axis=1, weights=np.arange(1.0, 6.0)),
    "ptp": lambda x: np.ptp(x, axis=1),
    "cov": lambda x: np.cov(x),
    "corrcoef": lambda x: np.corrcoef(x, rowvar=False),
    "interp": lambda x: np.interp(x, EDGES, np.array([1.0, 3.0, -2.0, 0.0])),
    "digitize": lambda x: np.digitize(x, EDGES),
    "histogram": lambda x: np.histogram(x, bins=3, range=(-1, 1))[0],
    "histogram_auto": lambda x: np.histogram(x, bins=3)[1],
}


@pytest.mark.parametrize("name", sorted(VMAPPED))
def test_vmap_matches_a_loop(name):
    fn = VMAPPED[name]
    x = _data(np.float64)[:, :, :].reshape(3, 4, 5)
    got = at.vmap(fn)(x)
    with quiet():
        want = np.stack([fn(e) for e in x])
    np.testing.assert_allclose(got, want, rtol=1e-12, equal_nan=True)


# --- trapezoid, cumulative_sum/prod, sort_complex, histogram_bin_edges ----------------------
@pytest.mark.parametrize("dtype", NUMERIC + [np.complex128], ids=lambda d: np.dtype(d).name)
def test_trapezoid(dtype):
    y = _data(dtype)
    for axis in (-1, 0, 1):
        check(lambda y: np.trapezoid(y, axis=axis), y)
        check(lambda y: np.trapezoid(y, dx=0.5, axis=axis), y)
        n = y.shape[axis]
        check(lambda y, x: np.trapezoid(y, x, axis=axis), y, np.linspace(0, 2, n) ** 2)
    check(lambda y, x: np.trapezoid(y, x, axis=1), y, _data(np.float64, 1))
    check(lambda y: np.trapezoid(y), np.array([1.0]))
    at.check_grads(lambda y, x: np.trapezoid(y, x), (_data(np.float64)[0], np.arange(5.0)),
                   order=2)


@pytest.mark.parametrize("fn", [np.cumulative_sum, np.cumulative_prod], ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype", NUMERIC + [np.bool_], ids=lambda d: np.dtype(d).name)
def test_cumulative(fn, dtype):
    x = _data(dtype)
    for axis in (0, 1, -1):
        check(lambda x: fn(x, axis=axis), x)
        check(lambda x: fn(x, axis=axis, include_initial=True), x)
    check(lambda x: fn(x[0, 0], include_initial=True), x)
    check(lambda x: fn(x, axis=1, dtype=np.float32), x)
    with pytest.raises(ValueError, match="axis"):
        at.trace(lambda x: fn(x))(x)
    nan = np.array([np.nan, 1.0, np.inf])
    check(lambda x: fn(x, include_initial=True), nan)


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int64, np.float32, np.float64,
                                   np.complex64, np.bool_], ids=lambda d: np.dtype(d).name)
def test_sort_complex(dtype):
    check(np.sort_complex, sample((2, 5), dtype))
    check(np.sort_complex, sample((0,), dtype))


def test_histogram_bin_edges():
    x = _data(np.float32)
    check(lambda x: np.histogram_bin_edges(x), x)
    check(lambda x: np.histogram_bin_edges(x, bins=4, range=(-1, 2)), x)


# --- random shapes, axes, quantiles ---------------------------------------------------------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

_METHODS = ["linear", "weibull", "hazen", "median_unbiased", "normal_unbiased",
            "interpolated_inverted_cdf", "lower", "higher", "midpoint", "nearest"]


@st.composite
def _quantile_case(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5))
    x = draw(hnp.arrays(np.float64, shape, elements=st.floats(-100, 100, width=32)
                        | st.just(np.nan)))
    axis = draw(st.none() | st.integers(-len(shape), len(shape) - 1))
    q = draw(st.floats(0, 1) | st.lists(st.floats(0, 1), min_size=1, max_size=3))
    return x, axis, q, draw(st.sampled_from(_METHODS)), draw(st.booleans())


@settings(max_examples=60, deadline=None)
@given(_quantile_case())
def test_quantiles_on_random_inputs(case):
    x, axis, q, method, keepdims = case
    close(lambda x: np.nanquantile(x, q, axis=axis, method=method, keepdims=keepdims), x)
    close(lambda x: np.quantile(x, q, axis=axis, method=method, keepdims=keepdims), x)
    close(lambda x: np.median(x, axis=axis, keepdims=keepdims), x)
