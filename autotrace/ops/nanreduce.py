"""NaN-ignoring reductions: `nansum`, `nanprod`, `nanmean`, `nanvar`, `nanstd`, `nanmax`,
`nanmin`, `nancumsum`, `nancumprod` (front ends that replace NaNs and reduce, the way
numpy's own Python code does, so values and dtypes are numpy's and gradients flow to the
non-NaN entries only), and `nanargmax` / `nanargmin` (ops with numpy's impl, so an all-NaN
slice raises numpy's ValueError when the graph runs). Integer and bool inputs hold no NaN:
the plain reduction.
"""

from __future__ import annotations

import numpy as np

from autotrace.ops import reduce as R
from autotrace.ops.complex import real
from autotrace.ops.elementwise import isnan, logical_not, sqrt
from autotrace.ops.elementwise import where as select  # `where` is numpy's keyword here
from autotrace.ops.mathfns import numpy_scalar
from autotrace.ops.reduce import _arg_abstract, _arg_axis, _reject, arg_batch
from autotrace.ops.registry import Op, apply, dispatches, register
from autotrace.ops.scan import cumprod, cumsum
from autotrace.ops.shape import astype, conj, dtype_of
from autotrace.ops.shapes import shape_of


def _inexact(a) -> bool:
    return dtype_of(a).kind in "fc"


def _check(name, dtype=None, out=None, where_=None, **unsupported):
    _reject(name, dtype=dtype, out=out, where=where_,
            **{k: v for k, v in unsupported.items() if v is not None})


@dispatches(np.nansum)
def nansum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    """`numpy.nansum`: NaNs count as 0."""
    _check("nansum", dtype, out, where, initial=initial)
    a = where_nan(a, 0)
    return R.sum(a, axis=axis, keepdims=keepdims)


@dispatches(np.nanprod)
def nanprod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    """`numpy.nanprod`: NaNs count as 1."""
    _check("nanprod", dtype, out, where, initial=initial)
    return R.prod(where_nan(a, 1), axis=axis, keepdims=keepdims)


def where_nan(a, value):
    """`a` with NaNs replaced by `value` (`a` itself when it cannot hold a NaN)."""
    return select(isnan(a), value, a) if _inexact(a) else a


def _count(a, axis, keepdims):
    return R.sum(logical_not(isnan(a)), axis=axis, keepdims=keepdims)


def _divide(total, count):
    """numpy's `_divide_by_count`: the quotient in the dtype of `total`."""
    return astype(total / count, dtype_of(total), copy=False)


@dispatches(np.nanmean)
def nanmean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=None):
    """`numpy.nanmean`: the mean of the non-NaN values (NaN for an all-NaN slice)."""
    _check("nanmean", dtype, out, where)
    if not _inexact(a):
        return R.mean(a, axis=axis, keepdims=keepdims)
    total = R.sum(where_nan(a, 0), axis=axis, keepdims=keepdims)
    return numpy_scalar(_divide(total, _count(a, axis, keepdims)))


@dispatches(np.nanvar)
def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None,
           mean=None, correction=None):
    """`numpy.nanvar`: the variance of the non-NaN values (NaN where count - ddof <= 0)."""
    _check("nanvar", dtype, out, where, mean=mean, correction=correction)
    if not _inexact(a):
        return R.var(a, axis=axis, keepdims=keepdims, ddof=ddof)
    mask = isnan(a)
    arr = select(mask, 0, a)
    count = _count(a, axis, True)
    avg = _divide(R.sum(arr, axis=axis, keepdims=True), count)
    centered = select(mask, 0, arr - avg)
    square = real(centered * conj(centered)) if dtype_of(a).kind == "c" else centered * centered
    var = R.sum(square, axis=axis, keepdims=keepdims)
    dof = _count(a, axis, keepdims) - ddof
    return numpy_scalar(select(dof <= 0, np.nan, _divide(var, dof)))


@dispatches(np.nanstd)
def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None,
           mean=None, correction=None):
    """`numpy.nanstd`: sqrt(nanvar)."""
    _check("nanstd", dtype, out, where, mean=mean, correction=correction)
    if not _inexact(a):
        return R.std(a, axis=axis, keepdims=keepdims, ddof=ddof)
    return sqrt(nanvar(a, axis, ddof=ddof, keepdims=keepdims))


def _nan_extremum(name, reduce, fill):
    def frontend(a, axis=None, out=None, keepdims=False, initial=None, where=None):
        _check(name, None, out, where, initial=initial)
        if not _inexact(a):
            return reduce(a, axis=axis, keepdims=keepdims)
        mask = isnan(a)
        best = reduce(select(mask, fill, a), axis=axis, keepdims=keepdims)
        return numpy_scalar(select(R.all(mask, axis=axis, keepdims=keepdims), np.nan, best))

    frontend.__name__ = name
    frontend.__doc__ = (f"`numpy.{name}`: NaNs ignored, NaN for an all-NaN slice (numpy "
                        "also warns there; autotrace does not).")
    return frontend


nanmax = dispatches(np.nanmax)(_nan_extremum("nanmax", R.max, -np.inf))
nanmin = dispatches(np.nanmin)(_nan_extremum("nanmin", R.min, np.inf))


@dispatches(np.nancumsum)
def nancumsum(a, axis=None, dtype=None, out=None):
    """`numpy.nancumsum`: NaNs count as 0."""
    return cumsum(where_nan(a, 0), axis, dtype, out)


@dispatches(np.nancumprod)
def nancumprod(a, axis=None, dtype=None, out=None):
    """`numpy.nancumprod`: NaNs count as 1."""
    return cumprod(where_nan(a, 1), axis, dtype, out)


def _nan_arg(name, np_fn):
    op = register(Op(name, np_fn, _arg_abstract, differentiable=False, batch=arg_batch))

    def frontend(a, axis=None, out=None, *, keepdims=False):
        _reject(name, out=out)
        return apply(op, a, axis=_arg_axis(axis, len(shape_of(a))), keepdims=bool(keepdims))

    frontend.__name__ = name
    frontend.__doc__ = (f"`numpy.{name}` as a graph op: an all-NaN slice raises numpy's "
                        "ValueError when the graph runs.")
    frontend.op = op
    return dispatches(np_fn)(frontend)


nanargmax = _nan_arg("nanargmax", np.nanargmax)
nanargmin = _nan_arg("nanargmin", np.nanargmin)
