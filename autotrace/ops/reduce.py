"""Reductions with `axis` / `keepdims`: sum, mean, prod, max, min, argmax, argmin, any, all,
var, std.

Params are normalized before they reach the graph: `axis` is a sorted tuple of
non-negative axes, `keepdims` a bool. Output dtypes follow numpy: sum/prod promote small
integers and bool to the default int, mean/var/std of integers are float64.
"""

from __future__ import annotations

import numpy as np

from autotrace.ops.registry import Aval, Op, apply, dispatches, register
from autotrace.ops.shapes import normalize_axes, normalize_axis, reduced_shape, size_of


def _accumulate_dtype(dtype: np.dtype) -> np.dtype:
    """dtype numpy's sum/prod/cumsum give (small ints and bool widen to 64 bits)."""
    if dtype.kind == "b" or (dtype.kind == "i" and dtype.itemsize < 8):
        return np.dtype(np.int64)
    if dtype.kind == "u" and dtype.itemsize < 8:
        return np.dtype(np.uint64)
    return dtype


def _mean_dtype(dtype: np.dtype) -> np.dtype:
    return np.dtype(np.float64) if dtype.kind in "biu" else dtype


def _var_dtype(dtype: np.dtype) -> np.dtype:
    if dtype.kind == "c":
        return np.finfo(dtype).dtype
    return _mean_dtype(dtype)


def _reduction_abstract(dtype_rule):
    def abstract(x: Aval, axis=(), keepdims=False, **_) -> Aval:
        return Aval(reduced_shape(x.shape, axis, keepdims), dtype_rule(x.dtype))

    return abstract


def expand_reduced(g, axis: tuple, keepdims: bool):
    """Re-insert reduced axes (size 1) so `g` broadcasts against the reduction's input."""
    return g if keepdims or not axis else expand_dims(g, axis)


def _count(x, out):
    """Number of elements reduced into each output element (static when known)."""
    from autotrace.ops.shape import size

    n_in, n_out = size_of(_shape(x)), size_of(_shape(out))
    if n_in is not None and n_out:
        return n_in // n_out
    return size(x) // maximum_(size(out), 1)


def _shape(x) -> tuple:
    return tuple(x.var.shape) if hasattr(x, "var") else np.shape(x)


def _sum_vjp(g, x, out, axis, keepdims):
    return (broadcast_like(expand_reduced(g, axis, keepdims), x),)


def _mean_vjp(g, x, out, axis, keepdims):
    return (broadcast_like(expand_reduced(g, axis, keepdims), x) / _count(x, out),)


def _extremum_vjp(g, x, out, axis, keepdims):
    hit = equal(x, expand_reduced(out, axis, keepdims))
    ties = sum(hit, axis=axis, keepdims=True)
    return (expand_reduced(g, axis, keepdims) * hit / ties,)


def _prod_vjp(g, x, out, axis, keepdims):
    # d prod / d x_i = prod / x_i; exact unless x has zeros (documented limitation).
    return (expand_reduced(g * out, axis, keepdims) / x,)


def _var_vjp(g, x, out, axis, keepdims, ddof):
    centered = x - mean(x, axis=axis, keepdims=True)
    scale = 2.0 / (_count(x, out) - ddof)
    return (expand_reduced(g, axis, keepdims) * centered * scale,)


def _std_vjp(g, x, out, axis, keepdims, ddof):
    (gv,) = _var_vjp(g, x, out, axis, keepdims, ddof)
    return (gv / (expand_reduced(out, axis, keepdims) * 2.0),)


def _reduction(name, np_fn, dtype_rule, vjp=None, extra=None):
    extra = extra or {}

    def impl(x, axis=(), keepdims=False, **kw):
        return np_fn(x, axis=axis, keepdims=keepdims, **kw)

    impl.__name__ = name
    op = register(Op(name, impl, _reduction_abstract(dtype_rule), vjp=vjp,
                     differentiable=vjp is not None))

    def frontend(a, axis=None, *, dtype=None, out=None, keepdims=False, where=None, **kwargs):
        _reject(name, dtype=dtype, out=out, where=where)
        params = {k: kwargs.pop(k, default) for k, default in extra.items()}
        if kwargs:
            raise TypeError(f"{name}() got unexpected arguments {sorted(kwargs)}")
        ndim = _ndim(a)
        return apply(op, a, axis=normalize_axes(axis, ndim), keepdims=bool(keepdims), **params)

    frontend.__name__ = name
    frontend.__doc__ = f"`numpy.{name}` as a graph op (axis, keepdims)."
    frontend.op = op
    return frontend


def _ndim(a) -> int:
    return len(_shape(a)) if hasattr(a, "var") else np.ndim(a)


def _reject(name, **kwargs):
    given = [k for k, v in kwargs.items() if v is not None]
    if given:
        raise NotImplementedError(
            f"numpy.{name}(..., {', '.join(given)}=...) is not supported on traced values"
        )


sum = dispatches(np.sum)(_reduction("sum", np.sum, _accumulate_dtype, _sum_vjp))  # noqa: A001
mean = dispatches(np.mean)(_reduction("mean", np.mean, _mean_dtype, _mean_vjp))
prod = dispatches(np.prod)(_reduction("prod", np.prod, _accumulate_dtype, _prod_vjp))
max = dispatches(np.max, np.amax)(_reduction("max", np.max, lambda d: d, _extremum_vjp))  # noqa: A001
min = dispatches(np.min, np.amin)(_reduction("min", np.min, lambda d: d, _extremum_vjp))  # noqa: A001
any = dispatches(np.any)(_reduction("any", np.any, lambda d: np.dtype(bool)))  # noqa: A001
all = dispatches(np.all)(_reduction("all", np.all, lambda d: np.dtype(bool)))  # noqa: A001
var = dispatches(np.var)(_reduction("var", np.var, _var_dtype, _var_vjp, extra={"ddof": 0}))
std = dispatches(np.std)(_reduction("std", np.std, _var_dtype, _std_vjp, extra={"ddof": 0}))


def _arg_abstract(x: Aval, axis=None, keepdims=False) -> Aval:
    if axis is None:
        shape = (1,) * x.ndim if keepdims else ()
    else:
        shape = reduced_shape(x.shape, (axis,), keepdims)
    return Aval(shape, np.dtype(np.intp))


def _arg_reduction(name, np_fn):
    op = register(Op(name, np_fn, _arg_abstract, differentiable=False))

    def frontend(a, axis=None, *, out=None, keepdims=False):
        _reject(name, out=out)
        ax = None if axis is None else normalize_axis(int(axis), _ndim(a))
        return apply(op, a, axis=ax, keepdims=bool(keepdims))

    frontend.__name__ = name
    frontend.op = op
    return dispatches(np_fn)(frontend)


argmax = _arg_reduction("argmax", np.argmax)
argmin = _arg_reduction("argmin", np.argmin)

# Names used by the VJPs above, bound late to avoid an import cycle between families.
from autotrace.ops.elementwise import equal, maximum as maximum_  # noqa: E402
from autotrace.ops.shape import broadcast_like, expand_dims  # noqa: E402
