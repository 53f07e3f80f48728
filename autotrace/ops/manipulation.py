"""Array manipulation composed from registry ops: roll, take, diff, ediff1d, append,
insert, delete, resize, rot90, fliplr, flipud, column_stack, dstack, array_split
(`pad` is an op of its own, in `autotrace/ops/padding.py`).

No new ops: each function is numpy's own definition written with slices, gathers
(`x[..., idx]` with a static index array), concatenation and flips, so gradients, JVPs
and batching come from those ops. Positions are computed by numpy itself on index arrays
(`np.delete(np.arange(n), ...)`, `np.insert(...)`), so every mode and
argument form numpy accepts picks the same elements here. Sizes along the axes that
change must be known statically (a `ValueError` says so otherwise).
"""

from __future__ import annotations

import warnings

import numpy as np

from autotrace.core import Tracer
from autotrace.ops.elementwise import clip, not_equal, remainder, subtract
from autotrace.ops.index import getitem
from autotrace.ops.join import concatenate, split, take_range
from autotrace.ops.padding import pad
from autotrace.ops.registry import dispatches
from autotrace.ops.shape import (
    astype,
    broadcast_like,
    broadcast_to,
    dim_of,
    dtype_of,
    flip,
    moveaxis,
    ravel,
    reshape,
    reshape_like,
    transpose,
)
from autotrace.ops.shapes import normalize_axis, shape_of, size_of
from autotrace.ops.tiling import atleast_3d


def along(x, axis: int, item):
    """`x[:, ..., item]` with `item` applied to `axis`."""
    return getitem(x, (slice(None),) * axis + (item,))


def static_dim(x, axis: int, what: str) -> int:
    """`x.shape[axis]`, which `what` needs to know while tracing."""
    n = shape_of(x)[axis]
    if n is None:
        raise ValueError(f"{what} needs the size of axis {axis} while tracing, and it is "
                         "unknown; trace with a fixed size for that dimension")
    return n


def _gather(x, axis: int, idx: np.ndarray):
    """`x` at positions `idx` along `axis`; a slice when `idx` is a plain range."""
    n = shape_of(x)[axis]
    if n is not None and len(idx) == n and np.array_equal(idx, np.arange(n)):
        return x
    if len(idx) and np.array_equal(idx, np.arange(idx[0], idx[0] + len(idx))):
        return along(x, axis, slice(int(idx[0]), int(idx[0]) + len(idx)))
    return along(x, axis, idx.astype(np.intp))


def _assigned(value, shape: tuple, dtype: np.dtype):
    """`value` as numpy's `out[...] = value` stores it into `shape` / `dtype` (same casts,
    same overflow errors); a traced value is cast and broadcast."""
    if isinstance(value, Tracer):
        return broadcast_to(astype(value, dtype), shape)
    out = np.empty(shape, dtype)
    out[...] = value
    return out


# --- roll / take --------------------------------------------------------------------------
@dispatches(np.roll)
def roll(a, shift, axis=None):
    """`numpy.roll`: static shifts (slices) or a traced shift (traced slice bounds)."""
    if axis is None and len(shape_of(a)) == 1:
        axis = 0
    if axis is None:
        return reshape_like(roll(ravel(a), shift, 0), a)
    ndim = len(shape_of(a))
    if isinstance(shift, Tracer):
        if shape_of(shift) or not isinstance(axis, (int, np.integer)):
            raise NotImplementedError("a traced shift of numpy.roll must be one scalar, with "
                                      "one axis")
        return _roll_traced(a, shift, normalize_axis(axis, ndim))
    totals: dict = {}
    for s, ax in np.broadcast(shift, axis):
        ax = normalize_axis(int(ax), ndim)
        totals[ax] = totals.get(ax, 0) + int(s)
    out = a
    for ax, s in totals.items():
        n = static_dim(a, ax, "numpy.roll")
        if n and s % n:
            k = n - s % n
            out = concatenate([along(out, ax, slice(k, None)), along(out, ax, slice(None, k))],
                              axis=ax)
    return out


def _roll_traced(a, shift, axis: int):
    n = dim_of(a, axis)
    k = n - shift % n  # in [1, n]: the first part is empty for a whole turn
    return concatenate([take_range(a, k, n, axis), take_range(a, 0, k, axis)], axis=axis)


@dispatches(np.take)
def take(a, indices, axis=None, out=None, mode="raise"):
    """`numpy.take` (modes raise, wrap, clip); `indices` may be traced."""
    if out is not None:
        raise NotImplementedError("numpy.take(out=...) is not supported on traced values")
    if axis is None:
        a, axis = ravel(a), 0
    axis = normalize_axis(axis, len(shape_of(a)))
    if not isinstance(indices, (Tracer, np.ndarray, np.generic)) or \
            isinstance(indices, (int, float)):
        indices = np.asarray(indices, dtype=np.intp)  # Python values convert as numpy's do
    if dtype_of(indices).kind not in "iu":  # arrays: bool casts to 0 / 1, floats do not
        if not np.can_cast(dtype_of(indices), np.intp, casting="same_kind"):
            raise TypeError(f"Cannot cast array data from {dtype_of(indices)!r} to "
                            f"{np.dtype(np.intp)!r} according to the rule 'same_kind'")
        indices = astype(indices, np.intp)
    if mode != "raise":
        n = dim_of(a, axis)
        if mode == "wrap":
            indices = remainder(indices, n)
        elif mode == "clip":
            indices = clip(indices, 0, n - 1)
        else:
            raise ValueError(f"clipmode must be one of 'clip', 'raise', or 'wrap' (got "
                             f"{mode!r})")
    return along(a, axis, indices)


# --- diff / ediff1d ------------------------------------------------------------------------
@dispatches(np.diff)
def diff(a, n=1, axis=-1, prepend=np._NoValue, append=np._NoValue):
    """`numpy.diff`: n-th differences along `axis` (`not_equal` for bool), with `prepend`
    / `append` joined first (scalars broadcast to one slice)."""
    if n == 0:
        return a
    if n < 0:
        raise ValueError("order must be non-negative but got " + repr(n))
    ndim = len(shape_of(a))
    if ndim == 0:
        raise ValueError("diff requires input that is at least one dimensional")
    axis = normalize_axis(axis, ndim)
    parts = [_edge_part(p, a, axis) for p in (prepend,) if p is not np._NoValue]
    parts.append(a)
    parts += [_edge_part(p, a, axis) for p in (append,) if p is not np._NoValue]
    if len(parts) > 1:
        a = concatenate(parts, axis=axis)
    op = not_equal if dtype_of(a) == np.bool_ else subtract
    for _ in range(n):
        a = op(along(a, axis, slice(1, None)), along(a, axis, slice(None, -1)))
    return a


def _edge_part(value, a, axis: int):
    if not isinstance(value, Tracer):
        value = np.asanyarray(value)
    if shape_of(value):
        return value
    shape = list(shape_of(a))
    shape[axis] = 1
    if None in shape:
        return broadcast_like(value, along(a, axis, slice(0, 1)))
    return broadcast_to(value, tuple(shape))


@dispatches(np.ediff1d)
def ediff1d(ary, to_end=None, to_begin=None):
    """`numpy.ediff1d`: differences of the flattened values, in `ary`'s dtype."""
    ary = ravel(ary)
    dtype = dtype_of(ary)
    parts = []
    for name, extra in (("to_begin", to_begin), ("to_end", to_end)):
        if extra is None:
            parts.append(None)
            continue
        if not np.can_cast(dtype_of(extra), dtype, casting="same_kind"):
            raise TypeError(f"dtype of `{name}` must be compatible with input `ary` under "
                            "the `same_kind` rule.")
        parts.append(astype(ravel(extra), dtype, copy=False))
    body = subtract(along(ary, 0, slice(1, None)), along(ary, 0, slice(None, -1)))
    body = astype(body, dtype, copy=False)
    joined = [p for p in (parts[0], body, parts[1]) if p is not None]
    return concatenate(joined) if len(joined) > 1 else body


# --- append / insert / delete / resize -----------------------------------------------------
@dispatches(np.append)
def append(arr, values, axis=None):
    """`numpy.append`: concatenation (of the flattened values when `axis` is None)."""
    if axis is None:
        arr = arr if len(shape_of(arr)) == 1 else ravel(arr)
        values, axis = ravel(values), len(shape_of(arr)) - 1
    return concatenate((arr, values), axis=axis)


def _axis_and_flat(arr, axis):
    if axis is None:
        arr = arr if len(shape_of(arr)) == 1 else ravel(arr)
        return arr, 0
    return arr, normalize_axis(axis, len(shape_of(arr)))


def _static_obj(obj, what: str):
    if isinstance(obj, Tracer) or (isinstance(obj, (list, tuple)) and
                                   any(isinstance(o, Tracer) for o in obj)):
        raise NotImplementedError(f"numpy.{what} with traced indices is not supported; the "
                                  "positions must be static")
    return obj


@dispatches(np.delete)
def delete(arr, obj, axis=None):
    """`numpy.delete` at static positions (an int, slice, sequence or boolean mask)."""
    arr, axis = _axis_and_flat(arr, axis)
    n = static_dim(arr, axis, "numpy.delete")
    probe = np.arange(n).reshape([n if i == axis else 1 for i in range(len(shape_of(arr)))])
    keep = np.delete(probe, _static_obj(obj, "delete"), axis).ravel()
    return _gather(arr, axis, keep)


@dispatches(np.insert)
def insert(arr, obj, values, axis=None):
    """`numpy.insert` at static positions; `values` (cast to `arr`'s dtype, broadcast as
    numpy does) may be traced."""
    arr, axis = _axis_and_flat(arr, axis)
    shape, dtype = shape_of(arr), dtype_of(arr)
    if None in shape:
        raise ValueError("numpy.insert needs every dim known while tracing")
    n = shape[axis]
    obj = _static_obj(obj, "insert")
    indices = np.arange(*obj.indices(n)) if isinstance(obj, slice) else np.array(obj)
    if indices.dtype == bool and not _INSERT_TAKES_MASKS:
        warnings.warn("in the future insert will treat boolean arrays and array-likes as a "
                      "boolean index instead of casting it to integer", FutureWarning,
                      stacklevel=2)
        indices = indices.astype(np.intp)
    elif indices.dtype == bool:
        if indices.ndim != 1:
            raise ValueError("boolean array argument obj to insert must be one dimensional")
        indices = np.flatnonzero(indices)
    elif indices.ndim > 1:
        raise ValueError("index array argument obj to insert must be one dimensional or "
                         "scalar")
    if indices.size == 1:
        return _insert_one(arr, indices, obj, values, axis, shape, dtype)
    if indices.size == 0 and not isinstance(obj, np.ndarray):
        indices = indices.astype(np.intp)
    numnew = len(indices)
    positions = np.insert(np.arange(n), indices, np.arange(n, n + numnew))
    block = _assigned(values, shape[:axis] + (numnew,) + shape[axis + 1:], dtype)
    return _gather(concatenate([arr, block], axis=axis), axis, positions)


# numpy >= 2.2 reads a boolean `obj` as a mask, before as the integers 0 and 1
with warnings.catch_warnings():
    warnings.simplefilter("ignore", FutureWarning)
    _INSERT_TAKES_MASKS = len(np.insert(np.zeros(2), np.array([True, False]), 0)) == 3


def _insert_one(arr, indices, obj, values, axis, shape, dtype):
    n, index = shape[axis], int(indices.item())
    if index < -n or index > n:
        raise IndexError(f"index {obj} is out of bounds for axis {axis} with size {n}")
    index += n if index < 0 else 0
    if isinstance(values, Tracer):
        lead = len(shape) - len(shape_of(values))
        values = astype(reshape(values, (1,) * lead + shape_of(values)), dtype) \
            if lead > 0 else astype(values, dtype)
    else:
        values = np.array(values, copy=None, ndmin=len(shape), dtype=dtype)
    if indices.ndim == 0:
        values = moveaxis(values, 0, axis)
    numnew = shape_of(values)[axis]
    block = _assigned(values, shape[:axis] + (numnew,) + shape[axis + 1:], dtype)
    return concatenate([along(arr, axis, slice(None, index)), block,
                        along(arr, axis, slice(index, None))], axis=axis)


@dispatches(np.resize)
def resize(a, new_shape):
    """`numpy.resize`: the flattened values repeated cyclically into `new_shape`."""
    new_shape = (new_shape,) if isinstance(new_shape, (int, np.integer)) else tuple(new_shape)
    if any(d < 0 for d in new_shape):
        raise ValueError("all elements of `new_shape` must be non-negative")
    flat = ravel(a)
    size, new_size = size_of(shape_of(a)), size_of(new_shape)
    if size is None:
        raise ValueError("numpy.resize needs the size of its input known while tracing")
    if size == 0 or new_size == 0:  # zeros, still a value of the graph (or eager trace)
        return reshape(pad(along(flat, 0, slice(0, 0)), (0, new_size)), new_shape)
    repeats = -(-new_size // size)
    joined = concatenate([flat] * repeats) if repeats > 1 else flat
    return reshape(along(joined, 0, slice(None, new_size)), new_shape)


# --- flips, rotations, stacking, splitting -------------------------------------------------
@dispatches(np.rot90)
def rot90(m, k=1, axes=(0, 1)):
    """`numpy.rot90`: flips and a transpose, as numpy writes it."""
    axes = tuple(axes)
    ndim = len(shape_of(m))
    if len(axes) != 2:
        raise ValueError("len(axes) must be 2.")
    if axes[0] == axes[1] or abs(axes[0] - axes[1]) == ndim:
        raise ValueError("Axes must be different.")
    if not all(-ndim <= ax < ndim for ax in axes):
        raise ValueError(f"Axes={axes} out of range for array of ndim={ndim}.")
    k %= 4
    if k == 0:
        return m
    if k == 2:
        return flip(flip(m, axes[0]), axes[1])
    order = list(range(ndim))
    order[axes[0]], order[axes[1]] = order[axes[1]], order[axes[0]]
    if k == 1:
        return transpose(flip(m, axes[1]), tuple(order))
    return flip(transpose(m, tuple(order)), axes[1])


@dispatches(np.fliplr)
def fliplr(m):
    """`numpy.fliplr`: reverse axis 1."""
    if len(shape_of(m)) < 2:
        raise ValueError("Input must be >= 2-d.")
    return flip(m, 1)


@dispatches(np.flipud)
def flipud(m):
    """`numpy.flipud`: reverse axis 0."""
    if len(shape_of(m)) < 1:
        raise ValueError("Input must be >= 1-d.")
    return flip(m, 0)


@dispatches(np.column_stack)
def column_stack(tup):
    """`numpy.column_stack`: 0-d and 1-d inputs become columns, then axis-1 concatenation."""
    arrays = []
    for v in tup:
        ndim = len(shape_of(v))
        arrays.append(reshape(v, (1, 1)) if ndim == 0 else
                      reshape(v, (-1, 1)) if ndim == 1 else v)
    return concatenate(arrays, axis=1)


@dispatches(np.dstack)
def dstack(tup):
    """`numpy.dstack`: concatenation along axis 2 after `atleast_3d`."""
    arrays = atleast_3d(*tup)
    return concatenate(arrays if isinstance(arrays, tuple) else (arrays,), axis=2)


@dispatches(np.array_split)
def array_split(ary, indices_or_sections, axis=0) -> list:
    """`numpy.array_split`: sections that may differ in size by one, or split indices."""
    if isinstance(indices_or_sections, (int, np.integer)):
        sections = int(indices_or_sections)
        if sections <= 0:
            raise ValueError("number sections must be larger than 0.")
        n = static_dim(ary, normalize_axis(axis, len(shape_of(ary))), "numpy.array_split")
        each, extras = divmod(n, sections)
        sizes = [0] + extras * [each + 1] + (sections - extras) * [each]
        indices_or_sections = [int(i) for i in np.cumsum(sizes)[1:-1]]
    return split(ary, indices_or_sections, axis=axis)
