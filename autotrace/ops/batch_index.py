"""Batching keys of the index ops (`getitem`, `scatter_add`, `setitem`) under `at.vmap`
when the key's integer arrays differ per example: `arange(B)` indexes the batch axis,
and each batched index array is reshaped so that its per-example axes line up with
numpy's broadcast of the key's arrays. One gather or scatter for the batch, exact (numpy
indexes every example as it would alone)."""

from __future__ import annotations

import numpy as np

from autotrace.ops.index import IN
from autotrace.ops.shape import dtype_of, reshape, transpose
from autotrace.ops.shapes import shape_of


def example_key(size: int, index, inputs, in_dims):
    """(index, inputs, rank, before) of the batched key that gives every example its own
    entries of a key with integer arrays that differ per example: `arange(B)` first, each
    batched index array reshaped so that its per-example axes line up with numpy's
    broadcast of the key's arrays (`rank` axes); None where this does not hold: masks,
    `None`, `...`, batched slice bounds, arrays of a length known only at run time, or
    arrays not in one adjacent run (with ints).
    `before`: the number of static slices before that run; numpy puts the broadcast axes
    first then, so those slices' axes come after them (`slices_first`)."""
    if Ellipsis in index or None in index:
        return None
    inputs, advanced, arrays = list(inputs), [], {}
    for k, item in enumerate(index):
        if isinstance(item, slice):
            if any(isinstance(b, tuple) and in_dims[b[1]] is not None
                   for b in (item.start, item.stop, item.step)):
                return None
            continue
        if isinstance(item, tuple):
            if dtype_of(inputs[item[1]]).kind not in "iu" or None in shape_of(inputs[item[1]]):
                return None  # a mask, or a length known only at run time
            arrays[item[1]] = len(shape_of(inputs[item[1]])) - (in_dims[item[1]] is not None)
        advanced.append(k)
    if advanced != list(range(advanced[0], advanced[-1] + 1)):
        return None
    rank = max(arrays.values(), default=0)
    for j, r in arrays.items():
        if in_dims[j] is not None:  # (B, *s) -> (B, 1, ..., *s): s aligned on the right
            shape = shape_of(inputs[j])
            inputs[j] = reshape(inputs[j], (size,) + (1,) * (rank - r) + shape[1:])
    inputs.append(np.arange(size).reshape((size,) + (1,) * rank))
    return ((IN, len(inputs) - 1),) + tuple(index), inputs, rank, advanced[0]


def slices_first(out, rank: int, before: int, inverse: bool = False):
    """A gather's result `(B, *broadcast, *sliced before, ...)` in the per-example order
    `(B, *sliced before, *broadcast, ...)` (`inverse`: the other way, for a scatter's
    updates)."""
    if not before:
        return out
    axes = list(range(len(shape_of(out))))
    order = [0] + axes[1 + rank:1 + rank + before] + axes[1:1 + rank] + axes[1 + rank + before:]
    if inverse:
        order = [int(k) for k in np.argsort(order)]
    return transpose(out, tuple(order))
