"""Indexing: `x[key]` with ints, slices (negative steps, traced bounds), None, Ellipsis,
integer arrays and boolean masks (traced or constant), with numpy's result shapes.

A key is normalized into a static `index` param in which every array-valued or traced
part is replaced by `("in", k)`, the k-th extra input of the node. The VJP scatters the
cotangent into zeros (`np.add.at` when advanced indices may repeat).
"""

from __future__ import annotations

import numpy as np

from autotrace.ops.registry import Aval, Op, apply, register
from autotrace.ops.shapes import broadcast_shapes

_IN = "in"


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
                    parts.append((_IN, len(inputs)))
                    inputs.append(bound)
            index.append(slice(*parts))
        elif isinstance(item, (bool, np.bool_)):
            raise NotImplementedError("indexing with a Python bool is not supported on traced "
                                      "values")
        elif isinstance(item, (int, np.integer)):
            index.append(int(item))
        else:
            if isinstance(item, (list, tuple)):
                item = np.asarray(item)
            index.append((_IN, len(inputs)))
            inputs.append(item)
    return tuple(index), inputs


def build_key(index: tuple, inputs) -> tuple:
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


def _is_advanced(item, avals) -> bool:
    return isinstance(item, tuple) and avals[item[1]].ndim > 0


def _slice_length(s: slice, n: int | None):
    if n is None or any(isinstance(b, tuple) for b in (s.start, s.stop, s.step)):
        return None
    return len(range(*s.indices(n)))


def _getitem_abstract(x: Aval, *avals: Aval, index=()) -> Aval:
    consumed = sum(avals[i[1]].ndim if _is_bool(i, avals) else 1
                   for i in index if i is not None and i is not Ellipsis)
    if consumed > x.ndim:
        raise IndexError(f"too many indices for array: array is {x.ndim}-dimensional, but "
                         f"{consumed} were indexed")
    if index.count(Ellipsis) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if Ellipsis in index:
        at = index.index(Ellipsis)
        index = index[:at] + (slice(None),) * (x.ndim - consumed) + index[at + 1:]
    else:
        index = index + (slice(None),) * (x.ndim - consumed)
    for i in index:
        if isinstance(i, tuple) and avals[i[1]].dtype.kind not in "biu":
            raise IndexError("arrays used as indices must be of integer (or boolean) type")
    advanced = [k for k, i in enumerate(index) if _is_advanced(i, avals)]
    parts, adv_shapes, axis = [], [], 0
    adv_pos = None
    for k, item in enumerate(index):
        if item is None:
            parts.append((1,))
        elif _is_advanced(item, avals) or (advanced and _is_int(item, avals)):
            aval = avals[item[1]] if isinstance(item, tuple) else Aval((), np.dtype(int))
            adv_pos = len(parts) if adv_pos is None else adv_pos
            if _is_bool(item, avals):
                _check_mask(aval, x.shape[axis:axis + aval.ndim])
                adv_shapes.append((None,))
                axis += aval.ndim
            else:
                adv_shapes.append(aval.shape)
                axis += 1
            parts.append("adv")
        elif isinstance(item, slice):
            parts.append((_slice_length(item, x.shape[axis]),))
            axis += 1
        else:  # an int or a 0-d traced int: removes the axis
            _check_bound(item, x.shape[axis], axis)
            axis += 1
    adjacent = advanced == list(range(advanced[0], advanced[-1] + 1)) if advanced else True
    adv = broadcast_shapes(*adv_shapes) if adv_shapes else ()
    shape: list = []
    placed = False
    for part in parts:
        if part == "adv":
            if not placed and adjacent:
                shape.extend(adv)
            placed = True
        else:
            shape.extend(part)
    if adv_shapes and not adjacent:
        shape = list(adv) + shape
    return Aval(tuple(shape), x.dtype)


def _is_bool(item, avals) -> bool:
    return isinstance(item, tuple) and avals[item[1]].dtype.kind == "b"


def _is_int(item, avals) -> bool:
    return isinstance(item, int) or (isinstance(item, tuple) and avals[item[1]].ndim == 0)


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
_scatter = register(Op(
    "scatter_add", _scatter_impl, lambda g, x, *avals, index: Aval(x.shape, g.dtype),
    vjp=lambda gg, g, x, *rest, index: (apply(_getitem, gg, *rest[:-1], index=index), None)
    + (None,) * len(rest[:-1]),
))


def getitem(x, key):
    """`x[key]` as a graph op."""
    index, inputs = normalize_key(key)
    return apply(_getitem, x, *inputs, index=index)


def index_add_into(g, x, inputs, index):
    """zeros shaped like `x`, with `g` added at `x[index]` (the adjoint of getitem)."""
    return apply(_scatter, g, x, *inputs, index=index)
