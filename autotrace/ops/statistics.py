"""Order statistics and moments: `median`, `quantile`, `percentile` (and their `nan*`
forms), `average`, `ptp`, `cov`, `corrcoef`.

All are front ends over registry ops (sort, take_along_axis, arithmetic, reductions), so
gradients, JVPs and batching come from those ops. Quantiles follow numpy's algorithm: sort
along the axis (NaNs last), a virtual index per quantile from the method's (alpha, beta)
(Hyndman & Fan), the two neighbours' values and numpy's `_lerp`; a slice holding a NaN
gives NaN (the `nan*` forms instead count the non-NaN values per slice, a traced count, so
their indices are computed in the graph). `q` must be a constant (Python number or numpy
array); a traced `q` is refused.

Methods: 'linear' (default), 'weibull', 'hazen', 'median_unbiased', 'normal_unbiased',
'interpolated_inverted_cdf', 'lower', 'higher', 'midpoint', 'nearest'. The discontinuous
'inverted_cdf', 'averaged_inverted_cdf' and 'closest_observation' and `weights=` are
refused with NotImplementedError.
"""

from __future__ import annotations

import numpy as np

from autotrace.core import Tracer
from autotrace.ops.creation import full_like
from autotrace.ops.elementwise import clip, isnan, logical_not, sqrt, where
from autotrace.ops.join import stack
from autotrace.ops.linalg import diagonal, dot
from autotrace.ops.mathfns import numpy_scalar
from autotrace.ops.reduce import max as max_
from autotrace.ops.reduce import mean
from autotrace.ops.reduce import min as min_
from autotrace.ops.reduce import sum as sum_
from autotrace.ops.registry import dispatches
from autotrace.ops.shape import (
    astype,
    dtype_of,
    expand_dims,
    reshape,
    squeeze,
    transpose,
)
from autotrace.ops.shapes import normalize_axis, shape_of
from autotrace.ops.sort import sort, take_along_axis

_CONTINUOUS = {  # method: (alpha, beta)
    "linear": (1.0, 1.0), "weibull": (0.0, 0.0), "hazen": (0.5, 0.5),
    "median_unbiased": (1 / 3, 1 / 3), "normal_unbiased": (3 / 8, 3 / 8),
    "interpolated_inverted_cdf": (0.0, 1.0),
}  # fmt: skip
_DISCRETE = ("lower", "higher", "midpoint", "nearest")
_REFUSED = ("inverted_cdf", "averaged_inverted_cdf", "closest_observation")


def _to_last(a, axis):
    """`a` with the reduced axes merged into one last axis (None: all axes), and the
    normalized axes (for keepdims)."""
    shape = shape_of(a)
    ndim = len(shape)
    if axis is None:
        axes = tuple(range(ndim))
    else:
        axes = tuple(sorted(normalize_axis(ax, ndim) for ax in
                            (axis if isinstance(axis, (tuple, list)) else (axis,))))
    kept = [d for i, d in enumerate(shape) if i not in axes]
    moved = transpose(a, (*[i for i in range(ndim) if i not in axes], *axes)) if axes else a
    if None in shape:
        raise NotImplementedError("quantiles of a value with an unknown dimension are not "
                                  "supported on traced values")
    n = int(np.prod([shape[i] for i in axes], dtype=np.int64))
    return reshape(moved, (*kept, n)), axes, n


def _restore(result, q_shape, axes, keepdims):
    """`keepdims`: the reduced axes back as size-1 axes (after the quantile axes)."""
    if keepdims:
        for ax in axes:
            result = expand_dims(result, len(q_shape) + ax)
    return result


def _virtual_index(n, q, method):
    """numpy's virtual index (works on Python/numpy values and traced counts alike)."""
    if method in _CONTINUOUS:
        alpha, beta = _CONTINUOUS[method]
        return n * q + (alpha + q * (1 - alpha - beta)) - 1
    linear = (n - 1) * q
    if method == "lower":
        return np.floor(linear)
    if method == "higher":
        return np.ceil(linear)
    if method == "nearest":
        return np.around(linear)
    return 0.5 * (np.floor(linear) + np.ceil(linear))  # midpoint


def _one_quantile(sorted_, n, q: float, method: str, weak: bool, count=None):
    """The q-quantile of each slice of `sorted_` (sorted along its last axis, NaNs last);
    `count` is the traced number of valid values per slice (nan* forms) or None."""
    valid = n if count is None else count
    virtual = _virtual_index(valid, q, method)
    prev = np.floor(virtual)
    if count is None:  # static indices, numpy's _get_indexes
        if virtual >= n - 1:
            lo = hi = n - 1
        elif virtual < 0:
            lo = hi = 0
        else:
            lo, hi = int(prev), int(prev) + 1
        gamma = 0.0 if method in ("lower", "higher", "nearest") else float(virtual - prev)
        if method == "midpoint":
            gamma = 0.0 if virtual % 1 == 0 else 0.5
        lo_v, hi_v = sorted_[..., lo], sorted_[..., hi]
        t = gamma if weak else np.float64(gamma)
        if method in ("lower", "higher", "nearest"):
            return _nan_slices(lo_v, sorted_, n, count)
    else:
        above, below = virtual >= valid - 1, virtual < 0
        lo = where(above, valid - 1, where(below, 0, prev))
        hi = where(above, valid - 1, where(below, 0, prev + 1))
        lo = astype(where(lo < 0, 0, lo), np.intp)
        hi = astype(where(hi < 0, 0, hi), np.intp)
        gamma = virtual - prev
        if method == "midpoint":
            gamma = where(virtual % 1 == 0, 0.0, 0.5)
        lo_v = take_along_axis(sorted_, expand_dims(lo, -1), axis=-1)[..., 0]
        if method in ("lower", "higher", "nearest"):
            return lo_v
        hi_v = take_along_axis(sorted_, expand_dims(hi, -1), axis=-1)[..., 0]
        t = gamma if not weak else astype(gamma, _float_of(dtype_of(sorted_)))
    diff = hi_v - lo_v
    out = where(t >= 0.5, hi_v - diff * (1 - t), lo_v + diff * t)
    return _nan_slices(out, sorted_, n, count)


def _nan_slices(out, sorted_, n, count):
    """NaN for the slices holding a NaN (sorted last), as numpy's quantile does."""
    if count is None and dtype_of(sorted_).kind in "fc":
        out = where(isnan(sorted_[..., n - 1]), np.nan, out)
    return out


def _float_of(dtype):
    return dtype if dtype.kind in "fc" else np.dtype(np.float64)


def _quantile(a, q, axis, method, keepdims, nan: bool, name: str, weights=None):
    if isinstance(q, Tracer):
        raise NotImplementedError(f"numpy.{name} with a traced q is not supported on "
                                  "traced values; pass q as a number or a numpy array.")
    if weights is not None:
        raise NotImplementedError(f"numpy.{name}(..., weights=...) is not supported on "
                                  "traced values.")
    if method in _REFUSED:
        raise NotImplementedError(f"numpy.{name}(..., method={method!r}) is not supported "
                                  f"on traced values; use one of {sorted(_CONTINUOUS)} or "
                                  f"{list(_DISCRETE)}.")
    if method not in _CONTINUOUS and method not in _DISCRETE:
        raise ValueError(f"{method!r} is not a valid method.")
    weak = type(q) in (int, float)  # a Python number; numpy scalars are strong
    q_arr = np.asarray(q)
    if q_arr.dtype.kind not in "biuf" or np.any(q_arr < 0) or np.any(q_arr > 1):
        raise ValueError("Quantiles must be in the range [0, 1]")
    flat, axes, n = _to_last(a, axis)
    dtype = dtype_of(flat)
    count = None
    if nan and dtype.kind in "fc":
        count = sum_(logical_not(isnan(flat)), axis=-1)
    values = sort(flat, axis=-1)
    if n == 0:
        raise NotImplementedError(f"numpy.{name} of an empty slice is not supported on "
                                  "traced values.")
    parts = [_one_quantile(values, n, float(qk), method, weak, count) for qk in q_arr.ravel()]
    result = parts[0] if q_arr.ndim == 0 else reshape(stack(parts), (*q_arr.shape,
                                                                     *shape_of(parts[0])))
    return numpy_scalar(_restore(result, q_arr.shape, axes, keepdims))


@dispatches(np.quantile)
def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
             keepdims=False, *, weights=None, interpolation=None):
    """`numpy.quantile` (see the module doc for methods)."""
    _no_out("quantile", out)
    return _quantile(a, q, axis, interpolation or method, keepdims, False, "quantile", weights)


@dispatches(np.percentile)
def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
               keepdims=False, *, weights=None, interpolation=None):
    """`numpy.percentile`: `quantile` of q / 100."""
    _no_out("percentile", out)
    return _quantile(a, _percent(q), axis, interpolation or method, keepdims, False,
                     "percentile", weights)


@dispatches(np.nanquantile)
def nanquantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                keepdims=False, *, weights=None, interpolation=None):
    """`numpy.nanquantile`: quantiles of the non-NaN values of each slice."""
    _no_out("nanquantile", out)
    return _quantile(a, q, axis, interpolation or method, keepdims, True, "nanquantile",
                     weights)


@dispatches(np.nanpercentile)
def nanpercentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                  keepdims=False, *, weights=None, interpolation=None):
    """`numpy.nanpercentile`."""
    _no_out("nanpercentile", out)
    return _quantile(a, _percent(q), axis, interpolation or method, keepdims, True,
                     "nanpercentile", weights)


def _percent(q):
    if isinstance(q, Tracer):
        return q
    return q / 100 if isinstance(q, (int, float)) else np.true_divide(q, 100)


@dispatches(np.median)
def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """`numpy.median`: the mean of the middle one or two sorted values (NaN if the slice
    holds a NaN)."""
    _no_out("median", out)
    flat, axes, n = _to_last(a, axis)
    if n == 0:
        raise NotImplementedError("numpy.median of an empty slice is not supported on "
                                  "traced values.")
    values = sort(flat, axis=-1)
    half = n // 2
    middle = values[..., half - 1:half + 1] if n % 2 == 0 else values[..., half:half + 1]
    out = _nan_slices(mean(middle, axis=-1), values, n, None)
    return numpy_scalar(_restore(out, (), axes, keepdims))


@dispatches(np.nanmedian)
def nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """`numpy.nanmedian`: the median of the non-NaN values (the 'linear' 0.5-quantile;
    equal to numpy's up to rounding in the last place)."""
    _no_out("nanmedian", out)
    if dtype_of(a).kind not in "fc":
        return median(a, axis, keepdims=keepdims)
    return _quantile(a, 0.5, axis, "linear", keepdims, True, "nanmedian")


def _no_out(name, out):
    if out is not None:
        raise NotImplementedError(f"numpy.{name}(..., out=...) is not supported on traced "
                                  "values; use the returned value.")


# --- moments --------------------------------------------------------------------------------
@dispatches(np.average)
def average(a, axis=None, weights=None, returned=False, *, keepdims=False):
    """`numpy.average`: the mean, or sum(a * w) / sum(w) in numpy's result dtype (float64
    for integer or bool `a`); `returned=True` also gives sum(w) (or the count)."""
    if weights is None:
        avg = mean(a, axis=axis, keepdims=keepdims)
        if not returned:
            return avg
        if None in shape_of(a):
            raise NotImplementedError("numpy.average(..., returned=True) of a value with "
                                      "an unknown dimension is not supported on traced values")
        size = int(np.prod(shape_of(a), dtype=np.int64))
        size = dtype_of(avg).type(size / max(int(np.prod(shape_of(avg), dtype=np.int64)), 1))
        return avg, numpy_scalar(full_like(avg, size))
    a_dtype, w_dtype = dtype_of(a), dtype_of(weights)
    if a_dtype.kind in "biu":
        result_dtype = np.result_type(a_dtype, w_dtype, "f8")
    else:
        result_dtype = np.result_type(a_dtype, w_dtype)
    a_shape, w_shape = shape_of(a), shape_of(weights)
    if a_shape != w_shape:
        if axis is None:
            raise TypeError("Axis must be specified when shapes of a and weights differ.")
        if len(w_shape) != 1:
            raise TypeError("1D weights expected when shapes of a and weights differ.")
        ax = normalize_axis(axis, len(a_shape))
        if w_shape[0] != a_shape[ax]:
            raise ValueError("Length of weights not compatible with specified axis.")
        weights = reshape(weights, tuple(-1 if i == ax else 1 for i in range(len(a_shape))))
    w = astype(weights, result_dtype, copy=False)
    scl = sum_(w, axis=axis, keepdims=keepdims)
    avg = sum_(astype(a, result_dtype, copy=False) * w, axis=axis, keepdims=keepdims) / scl
    if returned:
        return avg, scl
    return avg


@dispatches(np.ptp)
def ptp(a, axis=None, out=None, keepdims=False):
    """`numpy.ptp`: max - min."""
    _no_out("ptp", out)
    return max_(a, axis=axis, keepdims=keepdims) - min_(a, axis=axis, keepdims=keepdims)


def _as_2d(m, dtype):
    m = astype(m, dtype, copy=False)
    return reshape(m, (1, -1)) if len(shape_of(m)) < 2 else m


@dispatches(np.cov)
def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None,
        *, dtype=None):
    """`numpy.cov` (no `fweights` / `aweights`): rows are variables (columns with
    `rowvar=False`), normalized by N - 1 (N with `bias=True`, N - ddof with `ddof`)."""
    if fweights is not None or aweights is not None:
        raise NotImplementedError("numpy.cov with fweights/aweights is not supported on "
                                  "traced values.")
    if len(shape_of(m)) > 2:
        raise ValueError("m has more than 2 dimensions")
    dtype = np.dtype(dtype) if dtype is not None else np.result_type(
        dtype_of(m), *(() if y is None else (dtype_of(y),)), np.float64)
    x = _as_2d(m, dtype)
    if not rowvar and shape_of(x)[0] != 1:
        x = transpose(x)
    if shape_of(x)[0] == 0:
        raise NotImplementedError("numpy.cov of no variables is not supported on traced values")
    if y is not None:
        # lazy import: join is needed only for the two-argument form
        from autotrace.ops.join import concatenate

        y2 = _as_2d(y, dtype)
        if not rowvar and shape_of(y2)[0] != 1:
            y2 = transpose(y2)
        x = concatenate((x, y2), axis=0)
    if ddof is None:
        ddof = 0 if bias else 1
    fact = shape_of(x)[1] - ddof
    x = x - mean(x, axis=1)[:, None]
    c = dot(x, np.conj(transpose(x)))
    c = astype(c * np.true_divide(1, fact), dtype_of(c), copy=False)  # numpy's c *= 1 / fact
    return squeeze(c)


@dispatches(np.corrcoef)
def corrcoef(x, y=None, rowvar=True, bias=np._NoValue, ddof=np._NoValue, *, dtype=None):
    """`numpy.corrcoef`: cov / (std_i std_j), the real part clipped to [-1, 1]."""
    c = cov(x, y, rowvar, dtype=dtype)
    if len(shape_of(c)) == 0:
        return c / c
    d = diagonal(c)
    stddev = sqrt(np.real(d))
    c = c / stddev[:, None]
    c = c / stddev[None, :]
    if dtype_of(c).kind == "c":
        # lazy import: complex parts are needed only for complex input
        from autotrace.ops.complex import imag, make_complex, real

        return make_complex(clip(real(c), -1, 1), clip(imag(c), -1, 1))
    return clip(c, -1, 1)

