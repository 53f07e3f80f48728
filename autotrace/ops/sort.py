"""Sorting and gathering along an axis: `sort`, `argsort`, `take_along_axis`.

`sort`'s VJP gathers the cotangent through the inverse permutation (the argsort of the
argsort), so it is a graph of registry ops. `take_along_axis` and `add_along_axis` (its
adjoint: a scatter-add that handles repeated indices) are each other's VJPs. `sort`
ignores `kind` / `stable` (every kind gives the same values); `argsort` keeps them.
"""

from __future__ import annotations

import numpy as np

from autotrace.ops import rules
from autotrace.ops.batch_rules import axis_batch
from autotrace.ops.registry import Aval, Op, apply, dispatches, register
from autotrace.ops.shape import ravel
from autotrace.ops.shapes import broadcast_shapes, normalize_axis, shape_of


def _along(a, axis):
    """(value, axis): numpy's `axis=None` scans the flattened value."""
    if axis is None:
        return ravel(a), 0
    return a, normalize_axis(axis, len(shape_of(a)))


def _reject_order(name, order):
    if order is not None:
        raise NotImplementedError(f"{name}(order=...) (structured arrays) is not supported on "
                                  "traced values")


# --- sort / argsort -----------------------------------------------------------------------
def _sort_vjp(g, x, out, axis):
    inverse = argsort(argsort(x, axis=axis), axis=axis)  # where each x element went in out
    return (take_along_axis(g, inverse, axis=axis),)


_sort = register(Op("sort", lambda x, axis: np.sort(x, axis=axis),
                    lambda x, axis: Aval(x.shape, x.dtype), vjp=_sort_vjp))
_argsort = register(Op(
    "argsort", lambda x, axis, kind=None: np.argsort(x, axis=axis, kind=kind),
    lambda x, axis, kind=None: Aval(x.shape, np.dtype(np.intp)), differentiable=False,
))


@dispatches(np.sort)
def sort(a, axis=-1, kind=None, order=None, *, stable=None):
    """`numpy.sort`: a sorted copy (`x.sort()` on a traced value writes it into `x`)."""
    _reject_order("sort", order)
    a, axis = _along(a, axis)
    return apply(_sort, a, axis=axis)


@dispatches(np.argsort)
def argsort(a, axis=-1, kind=None, order=None, *, stable=None):
    """`numpy.argsort`: indices that sort `a` along `axis` (a 0-d value counts as 1-d).
    `kind` / `stable` matter here: they decide the order of the indices of equal values."""
    _reject_order("argsort", order)
    if not shape_of(a):
        a = ravel(a)
    a, axis = _along(a, axis)
    kind = "stable" if stable else kind
    return apply(_argsort, a, axis=axis, **({"kind": kind} if kind else {}))


# --- take_along_axis and its adjoint ------------------------------------------------------
def _take_along_abstract(x: Aval, idx: Aval, axis=0) -> Aval:
    if idx.dtype.kind not in "iu":
        raise IndexError("`indices` must be an integer array")
    if idx.ndim != x.ndim:
        raise ValueError("`indices` and `arr` must have the same number of dimensions")
    rest = broadcast_shapes(_drop(x.shape, axis), _drop(idx.shape, axis))
    return Aval(rest[:axis] + (idx.shape[axis],) + rest[axis + 1:], x.dtype)


def _drop(shape: tuple, axis: int) -> tuple:
    return shape[:axis] + (1,) + shape[axis + 1:]


def _full_index(shape_out: tuple, shape_x: tuple, idx, axis: int) -> tuple:
    """A fancy index into x selecting, for each output position, `idx` along `axis`."""
    key = []
    for d, (n_out, n_x) in enumerate(zip(shape_out, shape_x)):
        along = [1] * len(shape_out)
        along[d] = n_out
        key.append(np.zeros(along, np.intp) if n_x == 1 else np.arange(n_out).reshape(along))
    key[axis] = np.broadcast_to(idx, shape_out)
    return tuple(key)


def _add_along_impl(g, like, idx, axis):
    out = np.zeros(np.shape(like), dtype=np.result_type(g))
    np.add.at(out, _full_index(np.shape(g), np.shape(like), idx, axis), g)
    return out


_take_along = register(Op(
    "take_along_axis", lambda x, idx, axis: np.take_along_axis(x, idx, axis=axis),
    _take_along_abstract,
    vjp=lambda g, x, idx, out, axis: (apply(_add_along, g, x, idx, axis=axis), None),
))
rules.linear(_take_along)
_add_along = register(Op(
    "add_along_axis", _add_along_impl, lambda g, like, idx, axis: Aval(like.shape, g.dtype),
    vjp=lambda gg, g, like, idx, out, axis: (take_along_axis(gg, idx, axis=axis), None, None),
    batch=axis_batch("axis"),
))
rules.linear(_add_along)


@dispatches(np.take_along_axis)
def take_along_axis(arr, indices, axis=-1):
    """`numpy.take_along_axis`: `out[..., i, ...] = arr[..., indices[..., i, ...], ...]`."""
    if axis is None:
        return apply(_take_along, ravel(arr), indices, axis=0)
    return apply(_take_along, arr, indices, axis=normalize_axis(axis, len(shape_of(arr))))
