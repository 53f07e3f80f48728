"""Static shape arithmetic with unknown (`None`) dimensions, as numpy would do it."""

from __future__ import annotations

import operator

import numpy as np


def broadcast_shapes(*shapes: tuple) -> tuple:
    """numpy broadcasting over shapes whose dims may be None (unknown).

    An unknown dim against 1 stays unknown; against a known n > 1 it becomes n (a run-time
    mismatch is numpy's error then).
    """
    ndim = max((len(s) for s in shapes), default=0)
    out = []
    for axis in range(ndim):
        dims = [s[axis - ndim + len(s)] for s in shapes if axis - ndim + len(s) >= 0]
        out.append(_broadcast_dim(dims, shapes))
    return tuple(out)


def _broadcast_dim(dims: list, shapes) -> int | None:
    known = {d for d in dims if d is not None and d != 1}
    if len(known) > 1:
        listed = " ".join(str(tuple("?" if d is None else d for d in s)) for s in shapes)
        raise ValueError(f"operands could not be broadcast together with shapes {listed}")
    if known:
        return known.pop()
    if any(d is None for d in dims):
        return None
    return 1


def normalize_axis(axis, ndim: int, what: str = "axis") -> int:
    """`axis` as an int in `[0, ndim)`, with numpy's errors.

    Raises:
        TypeError: `axis` is not an integer (floats and bools included, as in numpy).
        numpy.exceptions.AxisError: out of bounds (a `ValueError` and an `IndexError`).
    """
    if isinstance(axis, (bool, np.bool_)):
        raise TypeError(f"an integer is required for the {what}")
    axis = operator.index(axis)
    if not -ndim <= axis < ndim:
        raise np.exceptions.AxisError(axis, ndim, None if what == "axis" else what)
    return axis % ndim


def normalize_axes(axis, ndim: int, scalar_on_0d: bool = False) -> tuple:
    """`axis` argument of a reduction -> sorted tuple of non-negative axes.

    `None` means every axis; a tuple or list names axes (duplicates are a `ValueError`);
    anything else must be one integer. `scalar_on_0d`: numpy's ufunc reductions (`sum`, `max`, ...)
    and `squeeze` accept a single axis 0 or -1 on a 0-d array and reduce nothing.
    """
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        axes = tuple(normalize_axis(a, ndim) for a in axis)
    elif scalar_on_0d and ndim == 0 and normalize_axis(axis, 1) == 0:
        return ()
    else:
        axes = (normalize_axis(axis, ndim),)
    if len(set(axes)) != len(axes):
        raise ValueError("duplicate value in 'axis'")
    return tuple(sorted(axes))


def shape_of(x) -> tuple:
    """Static shape of a symbolic tensor (dims may be None), eager tensor, array or scalar."""
    static = getattr(x, "_static_shape", None)
    return tuple(static) if static is not None else tuple(np.shape(x))


def reduced_shape(shape: tuple, axes: tuple, keepdims: bool) -> tuple:
    if keepdims:
        return tuple(1 if i in axes else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in axes)


def size_of(shape: tuple) -> int | None:
    """Number of elements, None if any dim is unknown (unless another is 0)."""
    if 0 in shape:
        return 0
    total = 1
    for d in shape:
        if d is None:
            return None
        total *= d
    return total
