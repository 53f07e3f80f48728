"""Joining and splitting: concatenate, stack, hstack, vstack, split, and `take_range` (a
slice with traced bounds along one axis, used when sizes are unknown statically).

`concatenate` and `split` are each other's VJPs.
"""

from __future__ import annotations

import builtins

import numpy as np

from autotrace.ops import rules
from autotrace.ops.batch_rules import axis_batch
from autotrace.ops.registry import Aval, Op, apply, dispatches, register
from autotrace.ops.shapes import normalize_axis, shape_of


def _concat_abstract(*xs: Aval, axis=0) -> Aval:
    ndim = xs[0].ndim
    if ndim == 0:
        raise ValueError("zero-dimensional arrays cannot be concatenated")
    for k, x in enumerate(xs):
        if x.ndim != ndim:
            raise ValueError(
                "all the input arrays must have same number of dimensions, but the array at "
                f"index 0 has {ndim} dimension(s) and the array at index {k} has {x.ndim} "
                "dimension(s)")
    shape = [_joined_dim(xs, i, i == axis) for i in range(ndim)]
    return Aval(tuple(shape), np.result_type(*(x.dtype for x in xs)))


def _joined_dim(xs, i: int, along: bool):
    dims = [x.shape[i] for x in xs]
    if along:
        return None if None in dims else builtins.sum(dims)
    known = {d for d in dims if d is not None}
    if len(known) > 1:
        raise ValueError("all the input array dimensions except for the concatenation axis "
                         f"must match exactly, but along dimension {i} the arrays have sizes "
                         f"{dims}")
    return known.pop() if known else None


def _concat_vjp(g, *xs_and_out, axis):
    xs = xs_and_out[:-1]
    sizes = [dim_of(x, axis) for x in xs]
    if builtins.all(isinstance(s, int) for s in sizes):
        bounds = np.cumsum(sizes)[:-1]
        return tuple(split(g, [int(b) for b in bounds], axis=axis))
    parts = []
    start = 0
    for s in sizes:
        parts.append(take_range(g, start, start + s, axis))
        start = start + s
    return tuple(parts)


_concatenate = register(Op("concatenate", lambda *xs, axis: np.concatenate(xs, axis=axis),
                           _concat_abstract, vjp=_concat_vjp))
rules.linear(_concatenate)


@dispatches(np.concatenate)
def concatenate(arrays, axis=0, out=None, dtype=None, casting=None):
    """`numpy.concatenate` (axis=None joins the flattened inputs)."""
    if out is not None or dtype is not None:
        raise NotImplementedError("concatenate(out=/dtype=) is not supported on traced values")
    arrays = list(arrays)
    if axis is None:
        arrays, axis = [ravel(a) for a in arrays], 0
    ndim = len(shape_of(arrays[0]))
    if ndim == 0:
        raise ValueError("zero-dimensional arrays cannot be concatenated")
    return apply(_concatenate, *arrays, axis=normalize_axis(axis, ndim))


@dispatches(np.stack)
def stack(arrays, axis=0, out=None, dtype=None, casting=None):
    """`numpy.stack`: join along a new axis; static shapes must agree."""
    arrays = list(arrays)
    shapes = {shape_of(a) for a in arrays}
    if len(shapes) > 1 and not any(None in s for s in shapes):
        raise ValueError("all input arrays must have the same shape")
    axis = normalize_axis(axis, len(shape_of(arrays[0])) + 1)
    return concatenate([expand_dims(a, axis) for a in arrays], axis=axis, out=out, dtype=dtype)


@dispatches(np.hstack)
def hstack(tup, dtype=None, casting=None):
    """`numpy.hstack`: concatenate along axis 1, or 0 for 1-D inputs."""
    arrays = [atleast_1d(a) for a in tup]
    return concatenate(arrays, axis=0 if len(shape_of(arrays[0])) == 1 else 1, dtype=dtype)


@dispatches(np.vstack)
def vstack(tup, dtype=None, casting=None):
    """`numpy.vstack`: concatenate along axis 0 after making inputs at least 2-D."""
    return concatenate([atleast_2d(a) for a in tup], axis=0, dtype=dtype)


def _split_abstract(x: Aval, indices=(), axis=0):
    n = x.shape[axis]
    bounds = [0, *indices, None]
    out = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        shape = list(x.shape)
        shape[axis] = None if n is None else len(range(*slice(lo, hi).indices(n)))
        out.append(Aval(tuple(shape), x.dtype))
    return tuple(out)


def _split_vjp(gs, x, outs, indices, axis):
    return (concatenate([g if g is not None else zeros_like(o) for g, o in zip(gs, outs)],
                        axis=axis),)


_split = register(Op("split", lambda x, indices, axis: tuple(np.split(x, indices, axis=axis)),
                     _split_abstract, vjp=_split_vjp, multiple_results=True,
                     batch=axis_batch("axis")))
rules.linear(_split)


@dispatches(np.split)
def split(ary, indices_or_sections, axis=0) -> list:
    """`numpy.split` into equal sections (static size along `axis`) or at static indices;
    returns a list, as numpy does."""
    shape = shape_of(ary)
    axis = normalize_axis(axis, len(shape))
    if isinstance(indices_or_sections, (int, np.integer)):
        n, sections = shape[axis], int(indices_or_sections)
        if n is None:
            raise ValueError("split into sections needs a known size along the axis; pass "
                             "split indices instead")
        if sections <= 0:
            raise ValueError("number sections must be larger than 0.")
        if n % sections:
            raise ValueError("array split does not result in an equal division")
        indices = tuple(range(n // sections, n, n // sections)) if n else (0,) * (sections - 1)
    else:
        indices = tuple(int(i) for i in indices_or_sections)
    return list(apply(_split, ary, indices=indices, axis=axis))


def _range_abstract(x: Aval, start: Aval, stop: Aval, axis) -> Aval:
    return Aval(tuple(None if i == axis else d for i, d in enumerate(x.shape)), x.dtype)


def _place_range_impl(g, like, start, stop, axis):
    out = np.zeros(np.shape(like), dtype=np.result_type(g))
    out[(slice(None),) * axis + (slice(start, stop),)] = g
    return out


_take_range = register(Op(
    "take_range", lambda x, start, stop, axis: np.take(x, np.arange(start, stop), axis=axis),
    _range_abstract,
    vjp=lambda g, x, start, stop, out, axis: (apply(_place_range, g, x, start, stop, axis=axis),
                                              None, None),
    batch=axis_batch("axis", shared=(1, 2)),  # per-example bounds: per-example lengths
))
rules.linear(_take_range)
_place_range = register(Op(
    "place_range", _place_range_impl,
    lambda g, like, start, stop, axis: Aval(like.shape, g.dtype),
    vjp=lambda gg, g, like, start, stop, out, axis: (take_range(gg, start, stop, axis), None,
                                                     None, None),
    batch=axis_batch("axis", shared=(2, 3)),
))
rules.linear(_place_range)


def take_range(x, start, stop, axis):
    """`x[..., start:stop, ...]` along `axis` with traced bounds."""
    return apply(_take_range, x, start, stop, axis=axis)


from autotrace.ops.creation import zeros_like  # noqa: E402
from autotrace.ops.shape import dim_of, expand_dims, ravel  # noqa: E402
from autotrace.ops.tiling import atleast_1d, atleast_2d  # noqa: E402
