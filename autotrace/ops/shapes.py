"""Static shape arithmetic with unknown (`None`) dimensions, as numpy would do it."""

from __future__ import annotations

from typing import Iterable


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


def normalize_axis(axis: int, ndim: int, what: str = "axis") -> int:
    if not -ndim <= axis < max(ndim, 1) or (ndim == 0 and axis not in (0, -1)):
        raise ValueError(f"{what} {axis} is out of bounds for array of dimension {ndim}")
    return axis % ndim if ndim else 0


def normalize_axes(axis, ndim: int) -> tuple:
    """`axis` argument of a reduction -> sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, Iterable):
        axes = tuple(normalize_axis(int(a), ndim) for a in axis)
    else:
        axes = (normalize_axis(int(axis), ndim),)
    if len(set(axes)) != len(axes):
        raise ValueError("duplicate value in 'axis'")
    return tuple(sorted(axes))


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


def same_shape(a: tuple, b: tuple) -> bool:
    """Shapes known to be equal (unknown dims never count as equal)."""
    return len(a) == len(b) and all(x is not None and x == y for x, y in zip(a, b))


def join_shapes(a: tuple, b: tuple) -> tuple | None:
    """The most specific shape both fit, dims that differ become None; None if ranks differ."""
    if len(a) != len(b):
        return None
    return tuple(x if x == y else None for x, y in zip(a, b))
