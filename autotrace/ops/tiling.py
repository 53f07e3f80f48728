"""Tiling: `repeat` and `tile` with static counts, and `atleast_1d/2d/3d`.

The VJP of `repeat` / `tile` sums the cotangent over the copies (`repeat_sum` /
`tile_sum`, whose run-time shapes come from a `like` input, so unknown dims work); each
pair is the other's VJP.
"""

from __future__ import annotations

import numpy as np

from autotrace.ops import rules
from autotrace.ops.batch_rules import axis_batch, batched_all
from autotrace.ops.registry import Aval, Op, apply, dispatches, register
from autotrace.ops.shape import expand_dims, ravel, reshape, squeeze
from autotrace.ops.shapes import normalize_axis, shape_of


def _static_counts(value, what: str):
    """An int or a tuple of ints from a static `repeats` / `reps` argument."""
    if isinstance(value, (int, np.integer)):
        return int(value)
    try:
        counts = np.asarray(value)
    except Exception as e:  # a traced value: it has no data while tracing
        raise TypeError(f"{what} must be static (Python ints or a constant array) on traced "
                        "values") from e
    if counts.size == 0 and counts.ndim == 1:
        return ()
    if counts.dtype.kind not in "iub" or counts.ndim > 1:
        raise TypeError(f"{what} must be an integer or a sequence of integers")
    return int(counts) if counts.ndim == 0 else tuple(int(c) for c in counts)


# --- repeat -------------------------------------------------------------------------------
def _repeat_abstract(x: Aval, repeats=1, axis=0) -> Aval:
    n = x.shape[axis]
    if isinstance(repeats, int):
        new = None if n is None else n * repeats
    else:
        if n is not None and len(repeats) != n:
            raise ValueError(f"operands could not be broadcast together with shape ({n},) "
                             f"({len(repeats)},)")
        new = sum(repeats)
    return Aval(x.shape[:axis] + (new,) + x.shape[axis + 1:], x.dtype)


def _repeat_sum_impl(g, like, repeats, axis):
    """Sum each run of repeated copies along `axis` back into one element."""
    n = np.shape(like)[axis]
    if isinstance(repeats, int):
        shape = np.shape(g)
        return np.sum(np.reshape(g, shape[:axis] + (n, repeats) + shape[axis + 1:]),
                      axis=axis + 1, dtype=np.result_type(g))
    moved = np.moveaxis(g, axis, 0)
    out = np.zeros((n,) + moved.shape[1:], dtype=moved.dtype)
    np.add.at(out, np.repeat(np.arange(n), repeats), moved)
    return np.moveaxis(out, 0, axis)


_repeat = register(Op(
    "repeat", lambda x, repeats, axis: np.repeat(x, repeats, axis=axis), _repeat_abstract,
    vjp=lambda g, x, out, repeats, axis: (apply(_repeat_sum, g, x, repeats=repeats,
                                                axis=axis),),
    batch=axis_batch("axis"),
))
rules.linear(_repeat)
_repeat_sum = register(Op(
    "repeat_sum", _repeat_sum_impl,
    lambda g, like, repeats, axis: Aval(like.shape, g.dtype),
    vjp=lambda gg, g, like, out, repeats, axis: (apply(_repeat, gg, repeats=repeats,
                                                       axis=axis), None),
    batch=axis_batch("axis"),
))
rules.linear(_repeat_sum)


@dispatches(np.repeat)
def repeat(a, repeats, axis=None):
    """`numpy.repeat` with static `repeats` (an int, or one count per element)."""
    repeats = _static_counts(repeats, "repeats")
    if axis is None:
        a, axis = ravel(a), 0
    axis = normalize_axis(axis, len(shape_of(a)))
    if not isinstance(repeats, int) and len(repeats) == 1:
        repeats = repeats[0]
    if min(np.atleast_1d(repeats), default=0) < 0:
        raise ValueError("negative dimensions are not allowed")
    return apply(_repeat, a, repeats=repeats, axis=axis)


# --- tile ---------------------------------------------------------------------------------
def _aligned(shape: tuple, reps: tuple) -> tuple[tuple, tuple]:
    """numpy's tile alignment: pad the shorter of shape / reps with leading 1s."""
    d = max(len(shape), len(reps))
    return (1,) * (d - len(shape)) + tuple(shape), (1,) * (d - len(reps)) + tuple(reps)


def _tile_abstract(x: Aval, reps=()) -> Aval:
    shape, reps = _aligned(x.shape, reps)
    return Aval(tuple(None if s is None else s * r for s, r in zip(shape, reps)), x.dtype)


def _tile_sum_impl(g, like, reps):
    """Sum the tiled copies of `g` back into `like`'s shape."""
    shape, reps = _aligned(np.shape(like), reps)
    split = [v for r, s in zip(reps, shape) for v in (r, s)]
    summed = np.sum(np.reshape(g, split), axis=tuple(range(0, len(split), 2)),
                    dtype=np.result_type(g))
    return np.reshape(summed, np.shape(like))


def _leading_ones(x, rank: int, reps: tuple) -> tuple:
    """(`x` batched with per-example `rank`, given numpy's leading 1s up to `len(reps)`;
    the number of axes added; the reps of the batched value, 1 along the batch)."""
    pad = max(len(reps) - rank, 0)
    _, aligned = _aligned((0,) * rank, reps)
    return (expand_dims(x, tuple(range(1, 1 + pad))) if pad else x), pad, (1, *aligned)


def _tile_batch(trace, op, values, dims, params):
    """Tile each example: its numpy alignment (leading 1s) made explicit, reps 1 on the
    batch axis."""
    x, pad, reps = _leading_ones(values[0], len(shape_of(values[0])) - 1, params["reps"])
    return apply(op, x, reps=reps), 0


def _tile_sum_batch(trace, op, values, dims, params):
    g, like = batched_all(trace, values, dims)
    like, pad, reps = _leading_ones(like, len(shape_of(like)) - 1, params["reps"])
    out = apply(op, g, like, reps=reps)
    return (squeeze(out, tuple(range(1, 1 + pad))) if pad else out), 0


_tile = register(Op(
    "tile", lambda x, reps: np.tile(x, reps), _tile_abstract,
    vjp=lambda g, x, out, reps: (apply(_tile_sum, g, x, reps=reps),), batch=_tile_batch,
))
rules.linear(_tile)
_tile_sum = register(Op(
    "tile_sum", _tile_sum_impl, lambda g, like, reps: Aval(like.shape, g.dtype),
    vjp=lambda gg, g, like, out, reps: (tile(gg, reps), None), batch=_tile_sum_batch,
))
rules.linear(_tile_sum)


@dispatches(np.tile)
def tile(A, reps):
    """`numpy.tile` with static `reps` (an int or a tuple of ints)."""
    reps = _static_counts(reps, "reps")
    reps = (reps,) if isinstance(reps, int) else reps
    if min(reps, default=0) < 0:
        raise ValueError("negative dimensions are not allowed")
    return apply(_tile, A, reps=reps)


# --- atleast_nd ---------------------------------------------------------------------------
def _at_least(arys, promote):
    arys = [a if hasattr(a, "_static_shape") else np.asanyarray(a) for a in arys]
    out = [promote(a, len(shape_of(a))) for a in arys]
    return out[0] if len(out) == 1 else tuple(out)


def _promote_1d(a, ndim):
    return reshape(a, (1,)) if ndim == 0 else a


def _promote_2d(a, ndim):
    return reshape(a, (1, 1)) if ndim == 0 else expand_dims(a, 0) if ndim == 1 else a


def _promote_3d(a, ndim):
    new_axes = {0: (0, 1, 2), 1: (0, 2), 2: (2,)}.get(ndim, ())
    return expand_dims(a, new_axes) if new_axes else a


@dispatches(np.atleast_1d)
def atleast_1d(*arys):
    """`numpy.atleast_1d`: one value in, one out; several in, a tuple out."""
    return _at_least(arys, _promote_1d)


@dispatches(np.atleast_2d)
def atleast_2d(*arys):
    """`numpy.atleast_2d`: 0-d -> (1, 1), (n,) -> (1, n)."""
    return _at_least(arys, _promote_2d)


@dispatches(np.atleast_3d)
def atleast_3d(*arys):
    """`numpy.atleast_3d`: (n,) -> (1, n, 1), (m, n) -> (m, n, 1)."""
    return _at_least(arys, _promote_3d)
