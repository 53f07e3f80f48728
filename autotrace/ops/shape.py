"""Shape ops: reshape, transpose, expand_dims, squeeze, broadcast, casts, flip, and run-time
shape queries (`dim`, `size`, `np.shape`) for unknown dimensions.

`broadcast_like` / `unbroadcast` take a second tensor whose run-time shape is the target,
so gradients are exact even when static shapes have unknown dims.
"""

from __future__ import annotations

import numpy as np

from autotrace.core import Tracer
from autotrace.ops import rules
from autotrace.ops.batch_rules import per_example
from autotrace.ops.registry import PY_TYPE_OF_KIND, Aval, Op, apply, dispatches, register
from autotrace.ops.shapes import (
    broadcast_shapes,
    normalize_axes,
    normalize_axis,
    shape_of,
    size_of,
)


# --- run-time shape queries ---------------------------------------------------------------
def _dim_batch(trace, op, values, dims, params):
    """Every example has the same shape: the dim past the batch axis, shared."""
    axis = params["axis"]
    return apply(op, values[0], axis=axis + 1 if axis >= 0 else axis), None


def _size_batch(trace, op, values, dims, params):
    """Every example has the same size: the batch's size over the batch size, shared."""
    if not trace.size:
        return per_example(trace, op, values, dims, params)
    return apply(op, values[0]) // np.int64(trace.size), None


dim = register(Op("dim", lambda x, axis: np.int64(np.shape(x)[axis]),
                  lambda x, axis: Aval((), np.dtype(np.int64)), differentiable=False,
                  batch=_dim_batch))
_size = register(Op("size", lambda x: np.int64(np.size(x)),
                    lambda x: Aval((), np.dtype(np.int64)), differentiable=False,
                    batch=_size_batch))


def size(x):
    """Number of elements (`x.size`), as an int64 scalar."""
    return apply(_size, x)


def dim_of(x, axis: int):
    """`x.shape[axis]`: a Python int when known statically, else a traced int64 scalar."""
    d = shape_of(x)[axis]
    return apply(dim, x, axis=axis) if d is None else d


def dtype_of(x) -> np.dtype:
    """dtype of a tensor, array, numpy scalar or Python value (as numpy would convert it)."""
    return np.dtype(x.dtype) if hasattr(x, "dtype") else np.asarray(x).dtype


@dispatches(np.shape)
def _np_shape(a):
    """`np.shape(x)` of a tensor: its `.shape` (traced int64 scalars for unknown dims)."""
    return a.shape


@dispatches(np.ndim)
def _np_ndim(a) -> int:
    return a.ndim


@dispatches(np.size)
def _np_size(a, axis=None):
    """`np.size(x, axis)`: an int when known statically, else a traced int64 scalar."""
    if axis is None:
        return a.size
    # The installed numpy decides which axes it accepts (a tuple only from numpy 2.4 on).
    np.size(np.empty((0,) * len(shape_of(a))), axis)
    total = 1
    for ax in normalize_axes(axis, len(shape_of(a))):
        total = total * dim_of(a, ax)
    return total


# --- reshape ------------------------------------------------------------------------------
def _reshape_abstract(x: Aval, *dims: Aval, shape=()) -> Aval:
    out = [d if isinstance(d, int) else None for d in shape]
    if out.count(-1) > 1:
        raise ValueError("can only specify one unknown dimension")
    if -1 in out:
        total, rest = size_of(x.shape), size_of(tuple(d for d in out if d != -1))
        out[out.index(-1)] = None if total is None or not rest else total // rest
    total, new = size_of(x.shape), size_of(tuple(out))
    if total is not None and new is not None and total != new:
        raise ValueError(f"cannot reshape array of size {total} into shape {tuple(shape)}")
    return Aval(tuple(out), x.dtype)


def _reshape_impl(x, *dims, shape=()):
    it = iter(dims)
    return np.reshape(x, tuple(d if isinstance(d, int) else int(next(it)) for d in shape))


_reshape = register(Op("reshape", _reshape_impl, _reshape_abstract,
                       vjp=lambda g, x, *rest, shape: (reshape_like(g, x),) + (None,) * (
                           len(rest) - 1)))
rules.linear(_reshape)


@dispatches(np.reshape)
def reshape(a, *shape, order="C", newshape=None, copy=None):
    """`numpy.reshape` / `x.reshape(...)`; dims may be traced scalars."""
    if order != "C":
        raise NotImplementedError("reshape(order=...) other than 'C' is not supported")
    if newshape is not None:
        shape = (newshape,)
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    static = tuple(d if isinstance(d, (int, np.integer)) else "?" for d in shape)
    dynamic = [d for d in shape if not isinstance(d, (int, np.integer))]
    return apply(_reshape, a, *dynamic, shape=tuple(int(d) if d != "?" else d for d in static))


_reshape_like = register(Op("reshape_like", lambda x, like: np.reshape(x, np.shape(like)),
                            lambda x, like: Aval(like.shape, x.dtype),
                            vjp=lambda g, x, like, out: (reshape_like(g, x), None)))
rules.linear(_reshape_like)


def reshape_like(x, like):
    """Reshape `x` to `like`'s run-time shape (identity when shapes are known equal)."""
    if shape_of(x) == shape_of(like) and None not in shape_of(x):
        return x
    return apply(_reshape_like, x, like)


def ravel(a, order="C"):
    """`numpy.ravel` / `x.ravel()` / `x.flatten()`: the values as one axis."""
    return reshape(a, -1, order=order)


flatten = ravel
dispatches(np.ravel)(ravel)


# --- transpose / axes ---------------------------------------------------------------------
def _transpose_abstract(x: Aval, axes=()) -> Aval:
    return Aval(tuple(x.shape[a] for a in axes), x.dtype)


_transpose = register(Op("transpose", lambda x, axes: np.transpose(x, axes), _transpose_abstract,
                         vjp=lambda g, x, out, axes: (transpose(g, tuple(np.argsort(axes))),)))
rules.linear(_transpose)


@dispatches(np.transpose)
def transpose(a, *axes):
    """`numpy.transpose` / `x.T` / `x.transpose(...)`."""
    ndim = len(shape_of(a))
    if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
        axes = axes[0]
    if not axes:
        axes = tuple(reversed(range(ndim)))
    axes = tuple(normalize_axis(int(a_), ndim) for a_ in axes)
    if sorted(axes) != list(range(ndim)):
        raise ValueError("axes don't match array")
    return apply(_transpose, a, axes=tuple(int(i) for i in axes))


@dispatches(np.swapaxes)
def swapaxes(a, axis1, axis2):
    """`numpy.swapaxes` (a transpose)."""
    ndim = len(shape_of(a))
    axes = list(range(ndim))
    i, j = normalize_axis(axis1, ndim), normalize_axis(axis2, ndim)
    axes[i], axes[j] = axes[j], axes[i]
    return transpose(a, tuple(axes))


@dispatches(np.moveaxis)
def moveaxis(a, source, destination):
    """`numpy.moveaxis` with one axis or sequences of axes (a transpose)."""
    ndim = len(shape_of(a))
    src = [normalize_axis(s, ndim) for s in np.atleast_1d(source)]
    dst = [normalize_axis(d, ndim) for d in np.atleast_1d(destination)]
    order = [n for n in range(ndim) if n not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return transpose(a, tuple(order))


def _expand_abstract(x: Aval, axis=()) -> Aval:
    shape = list(x.shape)
    for a in axis:
        shape.insert(a, 1)
    return Aval(tuple(shape), x.dtype)


_expand_dims = register(Op("expand_dims", lambda x, axis: np.expand_dims(x, axis),
                           _expand_abstract,
                           vjp=lambda g, x, out, axis: (squeeze(g, axis),)))
rules.linear(_expand_dims)


@dispatches(np.expand_dims)
def expand_dims(a, axis):
    """`numpy.expand_dims`: new size-1 axes at `axis` (an int or a tuple, negatives ok)."""
    ndim = len(shape_of(a)) + (len(axis) if isinstance(axis, (tuple, list)) else 1)
    return apply(_expand_dims, a, axis=normalize_axes(axis, ndim))


def _squeeze_abstract(x: Aval, axis=()) -> Aval:
    for a in axis:
        if x.shape[a] not in (1, None):
            raise ValueError("cannot select an axis to squeeze out which has size not equal "
                             "to one")
    return Aval(tuple(d for i, d in enumerate(x.shape) if i not in axis), x.dtype)


_squeeze = register(Op("squeeze", lambda x, axis: np.squeeze(x, axis), _squeeze_abstract,
                       vjp=lambda g, x, out, axis: (reshape_like(g, x),)))
rules.linear(_squeeze)


@dispatches(np.squeeze)
def squeeze(a, axis=None):
    """`numpy.squeeze`; without `axis` every dim must be known statically."""
    shape = shape_of(a)
    if axis is None:
        if None in shape:
            raise ValueError("squeeze() without axis on a value with unknown dims is ambiguous; "
                             "pass axis=")
        axis = tuple(i for i, d in enumerate(shape) if d == 1)
    return apply(_squeeze, a, axis=normalize_axes(axis, len(shape), scalar_on_0d=True))


# --- broadcasting -------------------------------------------------------------------------
def _broadcast_to_abstract(x: Aval, shape=()) -> Aval:
    if broadcast_shapes(x.shape, shape) != tuple(shape):
        raise ValueError(f"cannot broadcast a value of shape {x.shape} to shape {shape}")
    return Aval(tuple(shape), x.dtype)


_broadcast_to = register(Op(
    "broadcast_to", lambda x, shape: np.broadcast_to(x, shape), _broadcast_to_abstract,
    vjp=lambda g, x, out, shape: (unbroadcast(g, x),),
))
rules.linear(_broadcast_to)


@dispatches(np.broadcast_to)
def broadcast_to(array, shape, subok=False):
    """`numpy.broadcast_to` a static shape."""
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return apply(_broadcast_to, array, shape=tuple(int(d) for d in shape))


_broadcast_like = register(Op(
    "broadcast_like", lambda x, like: np.broadcast_to(x, np.shape(like)),
    lambda x, like: Aval(broadcast_shapes(x.shape, like.shape), x.dtype),
    vjp=lambda g, x, like, out: (unbroadcast(g, x), None),
))
rules.linear(_broadcast_like)


def broadcast_like(x, like):
    """Broadcast `x` to `like`'s run-time shape (identity when already equal)."""
    if shape_of(x) == shape_of(like) and None not in shape_of(x):
        return x
    return apply(_broadcast_like, x, like)


def _unbroadcast_impl(g, like):
    shape = np.shape(like)
    lead = np.ndim(g) - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, d in enumerate(shape) if d == 1 and np.shape(g)[lead + i] != 1
    )
    out = np.sum(g, axis=axes, keepdims=True) if axes else g
    return np.reshape(out, shape)


_unbroadcast = register(Op(
    "unbroadcast", _unbroadcast_impl, lambda g, like: Aval(like.shape, g.dtype),
    vjp=lambda g, x, like, out: (broadcast_like(g, x), None),
))
rules.linear(_unbroadcast)


def unbroadcast(g, like):
    """Sum `g` down to `like`'s shape: the adjoint of broadcasting (used by every VJP)."""
    gshape, shape = shape_of(g), shape_of(like)
    if gshape == shape and None not in shape:
        return g
    return apply(_unbroadcast, g, like)


# --- casts --------------------------------------------------------------------------------
def _cast_vjp(g, x, out, dtype):
    x_dtype = x.dtype if hasattr(x, "dtype") else np.result_type(x)
    if np.dtype(x_dtype).kind not in "fc":
        return (None,)
    return (astype(g, x_dtype),)


def _cast_impl(x, dtype):
    if np.iscomplexobj(x) and dtype.kind != "c":
        x = np.real(x)  # a complex cotangent of a real value: its real part, no ComplexWarning
    return x.astype(dtype) if isinstance(x, (np.ndarray, np.generic)) else dtype.type(x)


_cast = register(Op("cast", _cast_impl, lambda x, dtype: Aval(x.shape, dtype), vjp=_cast_vjp))
rules.linear(_cast)


def astype(x, dtype, copy=True):
    """`x.astype(dtype)`."""
    dtype = np.dtype(dtype)
    if hasattr(x, "dtype") and x.dtype == dtype and not copy:
        return x
    return apply(_cast, x, dtype=dtype)


def copy(a, order="K"):
    """Graph values are immutable, so a copy is the same value; a traced value gets a new
    Python object, so an in-place write to the copy leaves the original alone."""
    new_object = getattr(a, "new_object", None)
    return new_object() if new_object is not None else a


dispatches(np.copy)(copy)

# A fresh array equal to its input: the simplifier puts it where an output would
# otherwise become the caller's own input array (numpy ops always return new arrays).
fresh_copy = register(Op("copy", np.copy, lambda x: x, vjp=lambda g, x, out: (g,)))
rules.linear(fresh_copy)


# A 0-d value as a Python scalar at run time (a weak value, see `Var.weak`): the results
# plain Python gives as Python numbers (the gradient of a Python float argument).
_python_scalar = register(Op(
    "python_scalar", np.asarray,
    lambda x: Aval((), x.dtype, PY_TYPE_OF_KIND[x.dtype.kind]), vjp=lambda g, x, out: (g,)))
rules.linear(_python_scalar)
# A batch of Python scalars is an array: batched, the op is the identity.
_python_scalar.batch = lambda trace, op, values, dims, params: (values[0], dims[0])


def python_scalar(x):
    """0-d `x` as a Python scalar (`x.item()`) that stays a graph value when traced."""
    return apply(_python_scalar, x) if isinstance(x, Tracer) else np.asarray(x).item()


def conj(a):
    """`numpy.conj`; the value itself unless complex."""
    return a if np.dtype(getattr(a, "dtype", np.float64)).kind != "c" else apply(_conj, a)


_conj = register(Op("conj", np.conj, lambda x: x, vjp=lambda g, x, out: (conj(g),)))
rules.linear(_conj)


_flip = register(Op("flip", lambda x, axis: np.flip(x, axis), lambda x, axis: x,
                    vjp=lambda g, x, out, axis: (flip(g, axis),)))
rules.linear(_flip)


@dispatches(np.flip)
def flip(m, axis=None):
    """`numpy.flip` (all axes when `axis` is None)."""
    return apply(_flip, m, axis=normalize_axes(axis, len(shape_of(m))))
