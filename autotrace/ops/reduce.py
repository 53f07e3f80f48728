"""Reductions with `axis` / `keepdims`: sum, mean, prod, max, min, argmax, argmin, any, all,
var, std.

Params are normalized before they reach the graph: `axis` is a sorted tuple of
non-negative axes (argmax/argmin: one axis or None), `keepdims` a bool. Bad axes raise what
numpy raises (`numpy.exceptions.AxisError`, TypeError, ValueError for duplicates). Output
dtypes follow numpy: sum/prod promote small integers and bool to the 64-bit int, mean/var/std
of integers are float64, var/std of complex are real.
"""

from __future__ import annotations

import numpy as np

from autotrace.ops import rules
from autotrace.ops.registry import Aval, Op, apply, dispatches, register
from autotrace.ops.shapes import (
    normalize_axes,
    normalize_axis,
    reduced_shape,
    shape_of,
    size_of,
)


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


def _same(dtype: np.dtype) -> np.dtype:
    return dtype


def _bool(dtype: np.dtype) -> np.dtype:
    return np.dtype(bool)


def _reduction_abstract(dtype_rule):
    def abstract(x: Aval, axis=(), keepdims=False, **_) -> Aval:
        return Aval(reduced_shape(x.shape, axis, keepdims), dtype_rule(x.dtype))

    return abstract


def expand_reduced(g, axis: tuple, keepdims: bool):
    """Re-insert reduced axes (size 1) so `g` broadcasts against the reduction's input."""
    return g if keepdims or not axis else expand_dims(g, axis)


def _count(x, out):
    """Number of elements reduced into each output element (static when known)."""

    n_in, n_out = size_of(shape_of(x)), size_of(shape_of(out))
    if n_in is not None and n_out:
        return n_in // n_out
    return size(x) // maximum(size(out), 1)


def _sum_vjp(g, x, out, axis, keepdims):
    return (broadcast_like(expand_reduced(g, axis, keepdims), x),)


def _mean_vjp(g, x, out, axis, keepdims):
    return (broadcast_like(expand_reduced(g, axis, keepdims), x) / _count(x, out),)


def _extremum_vjp(g, x, out, axis, keepdims):
    # Ties share the gradient evenly; the weights take g's dtype (float32 stays float32).
    hit = astype(equal(x, expand_reduced(out, axis, keepdims)), g.dtype)
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


def _reduction(name, np_fns, dtype_rule, vjp=None, extra=None, ufunc=False):
    """Register reduction `name` (impl `np_fns[0]`) and route `np_fns` to its front end.

    `extra`: further params with defaults (`ddof`). `ufunc`: numpy computes it with a ufunc
    `reduce`, which accepts a scalar axis 0 / -1 on a 0-d array.
    """
    extra = extra or {}
    np_fn = np_fns[0]

    def impl(x, axis=(), keepdims=False, **kw):
        return np_fn(x, axis=axis, keepdims=keepdims, **kw)

    impl.__name__ = name
    op = register(Op(name, impl, _reduction_abstract(dtype_rule), vjp=vjp,
                     differentiable=vjp is not None))

    def frontend(a, axis=None, *, dtype=None, out=None, keepdims=False, where=None, **kwargs):
        unsupported = {k: kwargs.pop(k) for k in _UNSUPPORTED if k in kwargs}
        _reject(name, dtype=dtype, out=out, where=where, **unsupported)
        params = {k: kwargs.pop(k, default) for k, default in extra.items()}
        if kwargs:
            raise TypeError(f"{name}() got unexpected arguments {sorted(kwargs)}")
        axes = _reduction_axes(axis, len(shape_of(a)), ufunc)
        return apply(op, a, axis=axes, keepdims=bool(keepdims), **params)

    frontend.__name__ = name
    frontend.__doc__ = f"`numpy.{name}` as a graph op (axis, keepdims)."
    frontend.op = op
    return dispatches(*np_fns)(frontend)


# numpy arguments without an implementation here: NotImplementedError, not TypeError
_UNSUPPORTED = ("initial", "correction", "mean")


def _reduction_axes(axis, ndim: int, ufunc: bool) -> tuple:
    if isinstance(axis, list):  # numpy reductions take one int or a tuple
        raise TypeError("'list' object cannot be interpreted as an integer")
    return normalize_axes(axis, ndim, scalar_on_0d=ufunc)


def _reject(name, **kwargs):
    given = [k for k, v in kwargs.items() if v is not None]
    if given:
        raise NotImplementedError(
            f"numpy.{name}(..., {', '.join(given)}=...) is not supported on traced values; "
            "call it without those arguments."
        )


sum = _reduction("sum", (np.sum,), _accumulate_dtype, _sum_vjp, ufunc=True)  # noqa: A001
rules.linear(sum.op)
mean = _reduction("mean", (np.mean,), _mean_dtype, _mean_vjp)
rules.linear(mean.op)
prod = _reduction("prod", (np.prod,), _accumulate_dtype, _prod_vjp, ufunc=True)
max = _reduction("max", (np.max, np.amax), _same, _extremum_vjp, ufunc=True)  # noqa: A001
min = _reduction("min", (np.min, np.amin), _same, _extremum_vjp, ufunc=True)  # noqa: A001
any = _reduction("any", (np.any,), _bool, ufunc=True)  # noqa: A001
all = _reduction("all", (np.all,), _bool, ufunc=True)  # noqa: A001
var = _reduction("var", (np.var,), _var_dtype, _var_vjp, extra={"ddof": 0})
std = _reduction("std", (np.std,), _var_dtype, _std_vjp, extra={"ddof": 0})


def _arg_abstract(x: Aval, axis=None, keepdims=False) -> Aval:
    if axis is None:
        shape = (1,) * x.ndim if keepdims else ()
    else:
        shape = reduced_shape(x.shape, (axis,), keepdims)
    return Aval(shape, np.dtype(np.intp))


def arg_batch(trace, op, values, dims, params):
    """Batching rule of argmax / argmin and their nan forms: one axis moves past the batch
    axis; axis=None (the flat index) reduces each example flattened to one axis."""
    x, axis, keepdims = values[0], params["axis"], params["keepdims"]
    if axis is not None:
        return apply(op, x, axis=axis + 1, keepdims=keepdims), 0
    rank = len(shape_of(x)) - 1
    out = apply(op, reshape(x, (trace.size, -1)), axis=1, keepdims=False)
    return (expand_dims(out, tuple(range(1, 1 + rank))) if keepdims and rank else out), 0


def _arg_reduction(name, np_fn):
    op = register(Op(name, np_fn, _arg_abstract, differentiable=False, batch=arg_batch))

    def frontend(a, axis=None, out=None, *, keepdims=False):
        _reject(name, out=out)
        return apply(op, a, axis=_arg_axis(axis, len(shape_of(a))), keepdims=bool(keepdims))

    frontend.__name__ = name
    frontend.__doc__ = f"`numpy.{name}` as a graph op (one axis or None, keepdims)."
    frontend.op = op
    return dispatches(np_fn)(frontend)


def _arg_axis(axis, ndim: int) -> int | None:
    """One axis or None; numpy treats a 0-d array as 1-d here (axis 0 / -1 allowed)."""
    if axis is None:
        return None
    axis = normalize_axis(axis, ndim or 1)
    return axis if ndim else None


argmax = _arg_reduction("argmax", np.argmax)
argmin = _arg_reduction("argmin", np.argmin)

# Names used by the VJPs above, bound late to avoid an import cycle between families.
from autotrace.ops.elementwise import equal, maximum  # noqa: E402
from autotrace.ops.shape import (  # noqa: E402
    astype,
    broadcast_like,
    expand_dims,
    reshape,
    size,
)
