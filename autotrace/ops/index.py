"""Indexing: `x[key]` with ints, slices (negative steps, traced bounds), None, Ellipsis,
integer arrays and boolean masks (traced or constant), with numpy's result shapes.

A key is normalized into a static `index` param in which every array-valued or traced
part is replaced by `("in", k)`, the k-th extra input of the node. The VJP scatters the
cotangent into zeros (`np.add.at` when advanced indices may repeat).
"""

from __future__ import annotations

import numpy as np

from autotrace.ops import rules
from autotrace.ops.registry import Aval, Op, apply, register
from autotrace.ops.shapes import broadcast_shapes

IN = "in"  # an `index` entry ("in", k): the node's k-th extra input


def normalize_key(key) -> tuple[tuple, list]:
    """(static index param, dynamic inputs) for a user's indexing key."""
    items = key if isinstance(key, tuple) else (key,)
    index, inputs = [], []
    for item in items:
        if item is None or item is Ellipsis:
            index.append(item)
        elif isinstance(item, slice):
            parts = []
            for bound in (item.start, item.stop, item.step):
                if bound is None or isinstance(bound, (int, np.integer)):
                    parts.append(None if bound is None else int(bound))
                else:
                    parts.append((IN, len(inputs)))
                    inputs.append(bound)
            index.append(slice(*parts))
        elif isinstance(item, (int, np.integer)) and not isinstance(item, (bool, np.bool_)):
            index.append(int(item))
        else:  # arrays, masks, traced scalars; a bool is a 0-d mask
            if isinstance(item, (list, tuple, bool, np.bool_)):
                item = np.asarray(item)
            index.append((IN, len(inputs)))
            inputs.append(item)
    return tuple(index), inputs


def build_key(index: tuple, inputs) -> tuple:
    """The numpy key for an `index` param, with the node's extra inputs put back."""
    def resolve(p):
        return inputs[p[1]] if isinstance(p, tuple) else p

    key = []
    for item in index:
        if isinstance(item, slice):
            key.append(slice(resolve(item.start), resolve(item.stop), resolve(item.step)))
        elif isinstance(item, tuple):
            key.append(inputs[item[1]])
        else:
            key.append(item)
    return tuple(key)


def _slice_length(s: slice, n: int | None):
    if n is None or any(isinstance(b, tuple) for b in (s.start, s.stop, s.step)):
        return None
    return len(range(*s.indices(n)))


def _kind(item, avals) -> str:
    """new (None), slice, int (also a 0-d integer input), array, or mask (boolean)."""
    if item is None:
        return "new"
    if isinstance(item, slice):
        return "slice"
    if isinstance(item, int):
        return "int"
    aval = avals[item[1]]
    if aval.dtype.kind == "b":
        return "mask"
    if aval.dtype.kind not in "iu":
        raise IndexError("arrays used as indices must be of integer (or boolean) type")
    return "array" if aval.ndim else "int"


def _expanded(index: tuple, avals, ndim: int) -> tuple[tuple, list]:
    """(index with `...` replaced and trailing `:` added, kind of each entry)."""
    if index.count(Ellipsis) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    kinds = [_kind(i, avals) for i in index if i is not Ellipsis]
    consumed = sum(avals[i[1]].ndim if k == "mask" else k != "new"
                   for i, k in zip((i for i in index if i is not Ellipsis), kinds))
    if consumed > ndim:
        raise IndexError(f"too many indices for array: array is {ndim}-dimensional, but "
                         f"{consumed} were indexed")
    at = index.index(Ellipsis) if Ellipsis in index else len(index)
    fill = (slice(None),) * (ndim - consumed)
    index = index[:at] + fill + index[at + 1:]
    return index, kinds[:at] + ["slice"] * len(fill) + kinds[at:]


def _getitem_abstract(x: Aval, *avals: Aval, index=()) -> Aval:
    index, kinds = _expanded(index, avals, x.ndim)
    if "array" in kinds or "mask" in kinds:  # then ints are advanced indices too
        kinds = ["int_array" if k == "int" else k for k in kinds]
    shape: list = []
    adv_shapes, adv_entries, adv_at, axis = [], [], None, 0
    for k, (item, kind) in enumerate(zip(index, kinds)):
        if kind == "new":
            shape.append(1)
        elif kind == "slice":
            shape.append(_slice_length(item, x.shape[axis]))
            axis += 1
        elif kind == "int":
            _check_bound(item, x.shape[axis], axis)
            axis += 1
        else:
            adv_at = len(shape) if adv_at is None else adv_at
            adv_entries.append(k)
            dims, used = _advanced_dims(item, kind, avals, x.shape, axis)
            adv_shapes.append(dims)
            axis += used
    if adv_shapes:  # numpy: in place when the advanced entries are adjacent, else in front
        adjacent = adv_entries == list(range(adv_entries[0], adv_entries[-1] + 1))
        at = adv_at if adjacent else 0
        shape[at:at] = broadcast_shapes(*adv_shapes)
    return Aval(tuple(shape), x.dtype)


def _advanced_dims(item, kind: str, avals, shape: tuple, axis: int) -> tuple[tuple, int]:
    """(shape this advanced entry broadcasts with, number of axes of x it consumes)."""
    if kind == "mask":
        mask = avals[item[1]]
        _check_mask(mask, shape[axis:axis + mask.ndim])
        return (None,), mask.ndim
    if kind == "int_array":
        _check_bound(item, shape[axis], axis)
        return (), 1
    return avals[item[1]].shape, 1


def _check_mask(mask: Aval, dims: tuple) -> None:
    for m, d in zip(mask.shape, dims):
        if m is not None and d is not None and m != d:
            raise IndexError(f"boolean index did not match indexed array; dimension is {d} but "
                             f"corresponding boolean dimension is {m}")


def _check_bound(item, n, axis) -> None:
    if isinstance(item, int) and n is not None and not -n <= item < n:
        raise IndexError(f"index {item} is out of bounds for axis {axis} with size {n}")


def _getitem_impl(x, *inputs, index):
    return x[build_key(index, inputs)]


def _has_advanced(index) -> bool:
    return any(isinstance(i, tuple) for i in index)


def _scatter_impl(g, x, *inputs, index):
    out = np.zeros(np.shape(x), dtype=np.result_type(g))
    key = build_key(index, inputs)
    if _has_advanced(index):
        np.add.at(out, key, g)
    else:
        out[key] = g
    return out


def _getitem_vjp(g, x, *rest, index):
    inputs = rest[:-1]
    return (index_add_into(g, x, inputs, index),) + (None,) * len(inputs)


_getitem = register(Op("getitem", _getitem_impl, _getitem_abstract, vjp=_getitem_vjp))
rules.linear(_getitem)
_scatter = register(Op(
    "scatter_add", _scatter_impl, lambda g, x, *avals, index: Aval(x.shape, g.dtype),
    vjp=lambda gg, g, x, *rest, index: (apply(_getitem, gg, *rest[:-1], index=index), None)
    + (None,) * len(rest[:-1]),
))
rules.linear(_scatter)


def getitem(x, key):
    """`x[key]` as a graph op."""
    index, inputs = normalize_key(key)
    return apply(_getitem, x, *inputs, index=index)


def index_add_into(g, x, inputs, index):
    """zeros shaped like `x`, with `g` added at `x[index]` (the adjoint of getitem)."""
    return apply(_scatter, g, x, *inputs, index=index)
