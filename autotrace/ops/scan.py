"""Scans along one axis: `cumsum`, `cumprod`.

Params are normalized like numpy: `axis=None` (and any axis on a 0-d value) scans the
flattened input; `dtype` is resolved statically (small ints and bool widen to 64 bits,
as numpy's accumulations do). The VJP of `cumsum` is a reverse cumsum; `cumprod`'s is
`reverse_cumsum(g * out) / x`, exact unless `x` has zeros (as for `prod`).
"""

from __future__ import annotations

import numpy as np

from autotrace.ops import rules
from autotrace.ops.reduce import _accumulate_dtype
from autotrace.ops.registry import Aval, Op, apply, dispatches, register
from autotrace.ops.shape import astype, dtype_of, flip, ravel
from autotrace.ops.shapes import normalize_axis, shape_of


def _scan_abstract(x: Aval, axis=0, dtype=None) -> Aval:
    return Aval(x.shape, dtype)


def _float_dtype(x):
    """dtype of `x` if it can carry a gradient, else None."""
    dtype = dtype_of(x)
    return dtype if dtype.kind in "fc" else None


def _reverse_cumsum(g, axis):
    return flip(cumsum(flip(g, axis), axis=axis), axis)


def _cumsum_vjp(g, x, out, axis, dtype):
    x_dtype = _float_dtype(x)
    return (None,) if x_dtype is None else (astype(_reverse_cumsum(g, axis), x_dtype),)


def _cumprod_vjp(g, x, out, axis, dtype):
    x_dtype = _float_dtype(x)
    if x_dtype is None:
        return (None,)
    return (astype(_reverse_cumsum(g * out, axis) / x, x_dtype),)


_cumsum = register(Op("cumsum", lambda x, axis, dtype: np.cumsum(x, axis=axis, dtype=dtype),
                      _scan_abstract, vjp=_cumsum_vjp))
rules.linear(_cumsum)
_cumprod = register(Op("cumprod", lambda x, axis, dtype: np.cumprod(x, axis=axis, dtype=dtype),
                       _scan_abstract, vjp=_cumprod_vjp))


def _scan(op, a, axis, dtype, out):
    if out is not None:
        raise NotImplementedError(f"{op.name}(out=...) is not supported on traced values")
    if axis is None or not shape_of(a):
        a = ravel(a)
    axis = normalize_axis(0 if axis is None else axis, len(shape_of(a)))
    dtype = _accumulate_dtype(dtype_of(a)) if dtype is None else np.dtype(dtype)
    return apply(op, a, axis=axis, dtype=dtype)


@dispatches(np.cumsum)
def cumsum(a, axis=None, dtype=None, out=None):
    """`numpy.cumsum`: running sums along `axis` (flattened input when None)."""
    return _scan(_cumsum, a, axis, dtype, out)


@dispatches(np.cumprod)
def cumprod(a, axis=None, dtype=None, out=None):
    """`numpy.cumprod`: running products along `axis` (flattened input when None)."""
    return _scan(_cumprod, a, axis, dtype, out)
