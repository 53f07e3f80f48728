"""Binning and lookup: `searchsorted` and `bincount` (ops with numpy's impl), `digitize`,
`interp` and `histogram` (front ends over registry ops).

* `searchsorted(a, v)`: integer indices, not differentiable; vmap looks up a batch of `v`
  in one call, and loops over examples only when `a` itself is batched.
* `bincount(x, weights, minlength)`: the length is `max(x.max() + 1, minlength)`, known
  only when the graph runs, so the result has an unknown dimension (`None`). The gradient
  reaches `weights` (`g[x]`).
* `digitize(x, bins)`: `bins` must be a constant (numpy checks its monotonicity, which a
  traced `bins` cannot show before running); a traced `bins` is refused.
* `interp(x, xp, fp)`: numpy's formula `slope * (x - xp[j]) + fp[j]` written with ops, so
  it is differentiable in `x`, `xp` and `fp` (slope 0 outside `[xp[0], xp[-1]]`, where
  `left` / `right` apply); `period=` is refused.
* `histogram(a, bins, range, density, weights)`: `bins` an int (edges from `range`, or
  from the traced min/max of `a` as numpy computes them) or a sequence of edges; the counts
  are not differentiable, `weights` are.
"""

from __future__ import annotations

import operator

import numpy as np

from autotrace.core import Tracer
from autotrace.ops.batch_rules import per_example
from autotrace.ops.creation import arange, zeros_like
from autotrace.ops.elementwise import clip, logical_and, where
from autotrace.ops.index import getitem
from autotrace.ops.join import concatenate
from autotrace.ops.mathfns import numpy_scalar
from autotrace.ops.reduce import max as max_
from autotrace.ops.reduce import min as min_
from autotrace.ops.reduce import sum as sum_
from autotrace.ops.registry import Aval, Op, apply, dispatches, register
from autotrace.ops.shape import astype, dtype_of, expand_dims, ravel, reshape
from autotrace.ops.shapes import shape_of


# --- searchsorted ---------------------------------------------------------------------------
def _searchsorted_abstract(a: Aval, v: Aval, side="left") -> Aval:
    if a.ndim != 1:
        raise ValueError("object too deep for desired array")
    return Aval(v.shape, np.dtype(np.intp))


def _searchsorted_batch(trace, op, values, dims, params):
    """A shared sorted array: every example's values looked up at once. A batched one (one
    sorted array per example) loops: numpy searches one 1-d array per call."""
    if dims[0] is not None:
        return per_example(trace, op, values, dims, params)
    return apply(op, *values, **params), 0


_searchsorted = register(Op(
    "searchsorted", lambda a, v, side: np.searchsorted(a, v, side=side), _searchsorted_abstract,
    differentiable=False, batch=_searchsorted_batch))


@dispatches(np.searchsorted)
def searchsorted(a, v, side="left", sorter=None):
    """`numpy.searchsorted` (`sorter=` refused: sort `a` first)."""
    if sorter is not None:
        raise NotImplementedError("numpy.searchsorted(..., sorter=...) is not supported on "
                                  "traced values; pass the sorted array.")
    if side not in ("left", "right"):
        raise ValueError(f"side must be 'left' or 'right' (got {side!r})")
    return apply(_searchsorted, a, v, side=side)


@dispatches(np.digitize)
def digitize(x, bins, right=False):
    """`numpy.digitize` with constant `bins` (monotonic, as numpy requires)."""
    if isinstance(bins, Tracer):
        raise NotImplementedError(
            "numpy.digitize with traced bins is not supported (numpy checks that bins are "
            "monotonic, which a traced value cannot show before it runs); pass constant "
            "bins, or use numpy.searchsorted on increasing bins.")
    bins = np.asarray(bins)
    if dtype_of(x).kind == "c":
        raise TypeError("x may not be complex")
    if bins.ndim != 1:
        raise ValueError("object too deep for desired array" if bins.ndim else
                         "object of too small depth for desired array")
    diffs = np.diff(bins)
    increasing, decreasing = bool(np.all(diffs >= 0)), bool(np.all(diffs <= 0))
    if not (increasing or decreasing):
        raise ValueError("bins must be monotonically increasing or decreasing")
    side = "left" if right else "right"
    if increasing:
        return searchsorted(bins, x, side=side)
    return len(bins) - searchsorted(bins[::-1].copy(), x, side=side)


# --- bincount -------------------------------------------------------------------------------
def _bincount_abstract(x: Aval, *weights: Aval, minlength=0) -> Aval:
    if x.ndim != 1:
        raise ValueError("object too deep for desired array" if x.ndim else
                         "object of too small depth for desired array")
    if x.dtype.kind not in "biu":
        raise TypeError(f"Cannot cast array data from dtype('{x.dtype}') to dtype('int64') "
                        "according to the rule 'safe'")
    dtype = np.float64 if weights else np.intp
    return Aval((None,), np.dtype(dtype))


def _bincount_impl(x, *weights, minlength=0):
    return np.bincount(x, weights[0] if weights else None, minlength=minlength)


def _bincount_vjp(g, x, *rest, minlength=0):
    """Only `weights` (the second input, if given) gets a gradient: `g[x]`."""
    if len(rest) == 1:  # (out,)
        return (None,)
    w = rest[0]
    gw = getitem(g, x)
    return (None, astype(gw, dtype_of(w), copy=False) if dtype_of(w).kind == "f" else gw)


_bincount = register(Op("bincount", _bincount_impl, _bincount_abstract, vjp=_bincount_vjp))


@dispatches(np.bincount)
def bincount(x, weights=None, minlength=0):
    """`numpy.bincount`: counts (or sums of `weights`) per non-negative integer value; the
    length, max(x) + 1 or `minlength`, is unknown until the graph runs."""
    minlength = operator.index(minlength)
    if minlength < 0:
        raise ValueError("'minlength' must not be negative")
    args = (x,) if weights is None else (x, weights)
    return apply(_bincount, *args, minlength=minlength)


def _bincount_jvp(primals, tangents, minlength=0):
    out = apply(_bincount, *primals, minlength=minlength)
    if len(primals) < 2 or tangents[1] is None:
        return out, None
    return out, apply(_bincount, primals[0], tangents[1], minlength=minlength)


_bincount.jvp = _bincount_jvp


# --- interp ---------------------------------------------------------------------------------
@dispatches(np.interp)
def interp(x, xp, fp, left=None, right=None, period=None):
    """`numpy.interp`: piecewise-linear interpolation, float64 (complex128 for complex
    `fp`), with numpy's formula (see the module doc)."""
    if period is not None:
        raise NotImplementedError("numpy.interp(..., period=...) is not supported on traced "
                                  "values.")
    out_dtype = np.complex128 if dtype_of(fp).kind == "c" else np.float64
    xp_shape, fp_shape = shape_of(xp), shape_of(fp)
    if len(xp_shape) != 1 or len(fp_shape) != 1:
        raise ValueError("object too deep for desired array" if len(xp_shape) >= 1 else
                         "object of too small depth for desired array")
    if xp_shape[0] != fp_shape[0]:
        raise ValueError("fp and xp are not of the same length.")
    n = xp_shape[0]
    if n == 0:
        raise ValueError("array of sample points is empty")
    x = astype(x, np.float64, copy=False)
    xp = astype(xp, np.float64, copy=False)
    fp = astype(fp, out_dtype, copy=False)
    first, last = getitem(fp, 0), getitem(fp, -1)
    left = first if left is None else left
    right = last if right is None else right
    if n == 1:
        inner = first + zeros_like(x, dtype=out_dtype)
    else:
        j = clip(searchsorted(xp, x, side="right") - 1, 0, n - 2)
        x0, x1 = getitem(xp, j), getitem(xp, j + 1)
        y0, y1 = getitem(fp, j), getitem(fp, j + 1)
        inner = (y1 - y0) / (x1 - x0) * (x - x0) + y0
    xp0, xpn = getitem(xp, 0), getitem(xp, -1)
    inner = where(x == xpn, last, inner)
    out = where(x < xp0, left, where(x > xpn, right, inner))
    return numpy_scalar(astype(out, out_dtype, copy=False))


# --- histogram ------------------------------------------------------------------------------
def _outer_edges_impl(lo, hi, dtype):
    """numpy's `_get_outer_edges` for an autodetected range: a.min() and a.max() in
    `dtype` (the bins' dtype), widened by 0.5 when equal, numpy's ValueError (when the
    graph runs) when not finite."""
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise ValueError(f"autodetected range of [{lo}, {hi}] is not finite")
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    return dtype.type(lo), dtype.type(hi)


_outer_edges = register(Op(
    "histogram_range", _outer_edges_impl,
    lambda lo, hi, dtype: (Aval((), dtype), Aval((), dtype)),
    multiple_results=True, differentiable=False))


def _linspace(start, stop, num: int, dtype):
    """numpy.linspace(start, stop, num) for traced endpoints of `dtype`, as numpy computes
    it (in that dtype, the last value exactly `stop`)."""
    step = (stop - start) / (num - 1)
    y = astype(arange(0, num), dtype) * step + start
    return concatenate((getitem(y, slice(0, num - 1)), reshape(stop, (1,))))


@dispatches(np.histogram)
def histogram(a, bins=10, range=None, density=None, weights=None):  # noqa: A002
    """`numpy.histogram` (see the module doc); returns (hist, bin_edges)."""
    flat = ravel(a)
    if isinstance(bins, str):
        raise NotImplementedError(f"numpy.histogram(..., bins={bins!r}) is not supported on "
                                  "traced values; pass a number of bins or the edges.")
    if isinstance(bins, (int, np.integer)):
        count = operator.index(bins)
        if count < 1:
            raise ValueError("`bins` must be positive, when an integer")
        edge_dtype = np.result_type(dtype_of(flat), 0.0) if dtype_of(flat).kind in "fc" \
            else np.dtype(np.float64)
        if range is not None:
            lo, hi = float(range[0]), float(range[1])
            if lo > hi:
                raise ValueError("max must be larger than min in range parameter.")
            if lo == hi:
                lo, hi = lo - 0.5, hi + 0.5
            edges = np.linspace(lo, hi, count + 1, dtype=edge_dtype)
        else:
            lo, hi = apply(_outer_edges, min_(flat), max_(flat), dtype=edge_dtype)
            edges = _linspace(lo, hi, count + 1, edge_dtype)
    else:
        edges = bins if isinstance(bins, Tracer) else np.asarray(bins)
        if len(shape_of(edges)) != 1:
            raise ValueError("`bins` must be 1d, when an array")
        if not isinstance(edges, Tracer) and np.any(edges[:-1] > edges[1:]):
            raise ValueError("`bins` must increase monotonically, when an array")
        count = shape_of(edges)[0] - 1
    # bin k holds edges[k] <= v < edges[k + 1]; the last bin also holds its right edge
    index = searchsorted(edges, flat, side="right") - 1
    index = where(flat == getitem(edges, -1), count - 1, index)
    inside = logical_and(flat >= getitem(edges, 0), flat <= getitem(edges, -1))
    hits = logical_and(expand_dims(index, -1) == arange(count), expand_dims(inside, -1))
    if weights is None:
        hist = sum_(astype(hits, np.intp), axis=0)
    else:
        if shape_of(weights) != shape_of(a):
            raise ValueError("weights should have the same shape as a.")
        w = ravel(weights)
        hist = sum_(where(hits, expand_dims(w, -1), 0), axis=0)
    if density:
        widths = getitem(edges, slice(1, None)) - getitem(edges, slice(0, -1))
        hist = hist / widths / sum_(hist)
    if not isinstance(edges, Tracer):  # constant edges, returned as a value of the graph
        edges = zeros_like(sum_(flat), dtype=dtype_of(edges)) + edges
    return hist, edges
