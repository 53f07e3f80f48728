"""`trapezoid`, `cumulative_sum` / `cumulative_prod` (numpy >= 2.1), `sort_complex` and
`histogram_bin_edges`: front ends written as numpy's own Python code writes them, over
registry ops (so their gradients, JVPs and batching come from those ops).
"""

from __future__ import annotations

import numpy as np

from autotrace.ops import reduce as R
from autotrace.ops.creation import full_like
from autotrace.ops.histogram import histogram
from autotrace.ops.index import getitem
from autotrace.ops.join import concatenate
from autotrace.ops.registry import dispatches
from autotrace.ops.scan import cumprod, cumsum
from autotrace.ops.shape import astype, dtype_of, reshape
from autotrace.ops.shapes import normalize_axis, shape_of
from autotrace.ops.sort import sort


def _along(ndim: int, axis: int, item) -> tuple:
    key = [slice(None)] * ndim
    key[axis] = item
    return tuple(key)


@dispatches(np.trapezoid)
def trapezoid(y, x=None, dx=1.0, axis=-1):
    """`numpy.trapezoid`: sum(d * (y[1:] + y[:-1]) / 2) along `axis`, d = diff(x) or dx."""
    ndim = len(shape_of(y))
    axis = normalize_axis(axis, ndim)
    if x is None:
        d = dx
    else:
        x_ndim = len(shape_of(x))
        x_axis = 0 if x_ndim == 1 else axis
        d = (getitem(x, _along(x_ndim, x_axis, slice(1, None))) -
             getitem(x, _along(x_ndim, x_axis, slice(None, -1))))
        if x_ndim == 1:
            d = reshape(d, tuple(-1 if i == axis else 1 for i in range(ndim)))
    upper = getitem(y, _along(ndim, axis, slice(1, None)))
    lower = getitem(y, _along(ndim, axis, slice(None, -1)))
    return R.sum(d * (upper + lower) / 2.0, axis=axis)


def _cumulative(name, scan, identity):
    def frontend(x, /, *, axis=None, dtype=None, out=None, include_initial=False):
        if out is not None:
            raise NotImplementedError(f"numpy.{name}(..., out=...) is not supported on "
                                      "traced values; use the returned value.")
        ndim = len(shape_of(x))
        if axis is None:
            if ndim > 1:
                raise ValueError("For arrays which have more than one dimension ``axis`` "
                                 "argument is required.")
            axis = 0
        if ndim == 0:
            raise ValueError(f"numpy.{name} does not support zero-dimensional arrays")
        axis = normalize_axis(axis, ndim)
        out = scan(x, axis, dtype)
        if not include_initial:
            return out
        first = full_like(getitem(out, _along(ndim, axis, slice(0, 1))), identity)
        return concatenate((first, out), axis=axis)

    frontend.__name__ = name
    frontend.__doc__ = (f"`numpy.{name}` (numpy >= 2.1): the running {name[11:]} along "
                        "`axis`, optionally starting with the identity.")
    return frontend


cumulative_sum = _cumulative("cumulative_sum", cumsum, 0)
cumulative_prod = _cumulative("cumulative_prod", cumprod, 1)
for _fn in (cumulative_sum, cumulative_prod):
    if hasattr(np, _fn.__name__):
        dispatches(getattr(np, _fn.__name__))(_fn)


@dispatches(np.sort_complex)
def sort_complex(a):
    """`numpy.sort_complex`: sorted along the last axis, as complex (numpy's dtypes:
    complex64 for 8- and 16-bit integers, complex128 otherwise)."""
    b = sort(a)
    dtype = dtype_of(b)
    if dtype.kind == "c":
        return b
    if dtype.char in "bhBH":
        return astype(b, np.complex64)
    return astype(b, np.clongdouble if dtype.char == "g" else np.complex128)


@dispatches(np.histogram_bin_edges)
def histogram_bin_edges(a, bins=10, range=None, weights=None):  # noqa: A002
    """`numpy.histogram_bin_edges`: the edges `histogram` would use."""
    return histogram(a, bins=bins, range=range)[1]
