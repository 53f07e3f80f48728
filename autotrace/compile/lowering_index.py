"""Indexing on array backends: `getitem`, its adjoint `scatter_add`, `setitem` and the
range ops, over `backend.xp`, with the refusals of index forms a library cannot run.

Libraries whose slices cannot step backwards (torch: `Backend.negative_steps` False) run
`x[a:b:-k]` as the mirrored forward slice of a flipped array (`_forward_steps`).
"""

from __future__ import annotations

import numpy as np

from autotrace.graph.ir import Var


def _getitem(b, x, *inputs, index):
    from autotrace.ops.index import build_key

    key = build_key(index, inputs)
    if b.negative_steps:
        return x[key]
    flips, key = _forward_steps(key, tuple(x.shape))
    return (b.xp.flip(x, axis=flips) if flips else x)[key]


def _scatter_add(b, g, x, *inputs, index):
    from autotrace.ops.index import build_key

    out = b.xp.zeros(tuple(x.shape), dtype=g.dtype, device=b.device)
    key = build_key(index, inputs)
    flips = ()
    if not b.negative_steps:
        flips, key = _forward_steps(key, tuple(x.shape))
    if any(k is None for k in key):  # new axes (size 1) are not assignable everywhere: drop them
        key = tuple(k for k in key if k is not None)
        g = b.xp.reshape(g, tuple(out[key].shape))
    out[key] = g
    return b.xp.flip(out, axis=flips) if flips else out


def _forward_steps(key: tuple, shape: tuple) -> tuple[tuple, tuple]:
    """(axes to flip, key) selecting the same elements in the same order with forward steps
    only, for libraries whose slices cannot step backwards (torch): `x[a:b:-k]` is the
    mirrored forward slice of `flip(x)`."""
    def axes_of(item) -> int:
        if item is None:
            return 0
        return item.ndim if getattr(item, "dtype", None) is not None and \
            str(item.dtype).endswith("bool") else 1

    if not any(isinstance(k, slice) and k.step is not None and int(k.step) < 0 for k in key):
        return (), key
    fill = len(shape) - sum(axes_of(k) for k in key if k is not Ellipsis)
    flips, out, axis = [], [], 0
    for item in key:
        if item is Ellipsis:
            out.append(item)
            axis += fill
            continue
        if isinstance(item, slice) and item.step is not None and int(item.step) < 0:
            n = shape[axis]
            picked = range(*slice(*(None if v is None else int(v) for v in
                                     (item.start, item.stop, item.step))).indices(n))
            if len(picked):
                flips.append(axis)
                item = slice(n - 1 - picked[0], n - picked[-1], -picked.step)
            else:
                item = slice(0, 0)
        out.append(item)
        axis += axes_of(item)
    return tuple(flips), tuple(out)


def _ranged(axis, start, stop) -> tuple:
    return (slice(None),) * axis + (slice(start, stop),)


def _place_range(b, g, like, start, stop, axis):
    out = b.xp.zeros(tuple(like.shape), dtype=g.dtype, device=b.device)
    out[_ranged(axis, start, stop)] = g
    return out


def _setitem(b, x, v, *inputs, index):
    from autotrace.ops.index import build_key

    out = b.xp.asarray(x, copy=True)
    key = build_key(index, inputs)
    flips = ()
    if not b.negative_steps:  # write through the mirrored forward slice of the flipped copy
        flips, key = _forward_steps(key, tuple(out.shape))
        out = b.xp.flip(out, axis=flips) if flips else out
    target = tuple(out[key].shape)
    v = b.xp.asarray(v)
    if v.ndim > len(target):  # numpy drops leading size-1 dims of the value
        v = b.xp.reshape(v, tuple(v.shape)[v.ndim - len(target):])
    if any(k is None for k in key):  # new axes are not assignable everywhere: drop them
        key = tuple(k for k in key if k is not None)
        v = b.xp.reshape(b.xp.broadcast_to(v, target), tuple(out[key].shape))
    out[key] = v
    return b.xp.flip(out, axis=flips) if flips else out


def _setitem_refuse(node, backend) -> str | None:
    """An array index or mask may name a position twice; backends differ on which write
    wins (a traced scalar index names one)."""
    arrays = [node.inputs[2 + i[1]] for i in node.params["index"] if isinstance(i, tuple)]
    if any(isinstance(a, Var) and a.shape or np.ndim(a) for a in arrays):
        return "with an array index or mask (backends differ on which repeated write wins)"
    steps = [i.step for i in node.params["index"] if isinstance(i, slice)]
    if backend.name == "dask" and any(not isinstance(s, int) or s < 0 for s in steps
                                      if s is not None):
        return "with a negative or traced slice step (Dask cannot assign through it)"
    return None


def _advanced_scatter(node, backend) -> str | None:
    from autotrace.ops.index import _has_advanced

    if _has_advanced(node.params["index"]):
        return "with an array index (a scatter-add)"
    return None


def _mask_on_dask(first: int):
    """Dask arrays indexed by a boolean mask have unknown shapes, which later ops need;
    `first`: where the index inputs start."""
    def refuse(node, backend) -> str | None:
        if backend.name != "dask":
            return None
        masks = [x for x in node.inputs[first:] if isinstance(x, Var) and x.dtype.kind == "b"]
        return "with a boolean mask (the result's shape is unknown to Dask)" if masks else None

    return refuse


def _scatter(node, backend) -> str | None:
    return _advanced_scatter(node, backend) or _mask_on_dask(2)(node, backend)
