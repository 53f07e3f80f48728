"""Numpy arrays a trace embeds as constants, held as snapshots.

A graph node keeps its constant inputs. A local numpy array the function made (`buf =
np.zeros(3)`) can be written after the trace used it (`y = buf * x; buf[0] = 1.0`): Python
computed `y` from the old contents, so the graph must hold those, not the array object,
which the write changes. Each array a trace embeds is therefore copied once, and the copy
is embedded; a later use of the same array embeds the same copy while the array still
holds those contents (bit for bit), or a fresh copy once anything wrote it (a subscript
write, `fill`, `np.copyto`, `out=`, code the converter did not see: the comparison does
not depend on how it was written).

An array the trace did not write is held by reference once the trace ends (`restore`):
it may be state the trace reached by a path that captures do not follow (a view of a
captured array, `getattr(obj, name)`), whose writes between calls the graph must see, as
Python would; the function's own arrays are gone with its frame.

Arrays that cannot change need no copy: read-only arrays whose memory belongs to a
read-only array (the bases autotrace marks, `np.broadcast_to` of one). A broadcast view
(zero strides) is copied at its stored size and broadcast again, not materialised.
"""

from __future__ import annotations

import numpy as np


class ConstantSnapshots:
    """The snapshots one trace embeds (kept on its root builder, dropped with it)."""

    __slots__ = ("_by_id", "_written")

    def __init__(self):
        self._by_id: dict[int, tuple] = {}  # id(array) -> (array, its latest snapshot)
        self._written: set = set()  # ids of the arrays copied more than once

    def of(self, x: np.ndarray) -> np.ndarray:
        """What the graph embeds for numpy array `x`: `x` itself when it cannot change,
        else a copy of its contents now."""
        if _immutable(x):
            return x
        entry = self._by_id.get(id(x))
        if entry is not None and entry[0] is x:
            if same_bits(entry[1], x):
                return entry[1]
            self._written.add(id(x))
        snapshot = _copy(x)
        self._by_id[id(x)] = (x, snapshot)
        return snapshot

    def restore(self, graph) -> None:
        """In `graph` (and its sub-graphs), put back each array the trace never wrote
        (one snapshot, still holding its contents) in place of its snapshot; then forget
        them all."""
        back = {id(snap): x for key, (x, snap) in self._by_id.items()
                if key not in self._written and same_bits(snap, x)}
        self._by_id.clear()
        self._written.clear()
        if back:
            _replace(graph, back)


def _replace(graph, back: dict) -> None:
    def swap(values):
        return tuple(back.get(id(v), v) if type(v) is np.ndarray else v for v in values)

    for node in graph.nodes:
        if any(type(v) is np.ndarray and id(v) in back for v in node.inputs):
            node.inputs = swap(node.inputs)
        for sub in node.subgraphs():
            _replace(sub, back)
    if any(type(v) is np.ndarray and id(v) in back for v in graph.outputs):
        graph.outputs = swap(graph.outputs)


def _immutable(x: np.ndarray) -> bool:
    """Nothing can write `x`'s memory: it and the array owning that memory are read-only
    (a non-array owner, e.g. `bytes` or a memory map, may still change: not immutable)."""
    if x.flags.writeable:
        return False
    base = x
    while isinstance(base.base, np.ndarray):
        base = base.base
        if base.flags.writeable:
            return False
    return base.base is None


def _copy(x: np.ndarray) -> np.ndarray:
    stored = _stored_part(x)
    if stored is x:
        return x.copy()
    return np.broadcast_to(stored.copy(), x.shape)


def _stored_part(x: np.ndarray) -> np.ndarray:
    """`x` without its broadcast axes (zero strides over more than one element), which
    `np.broadcast_to(part, x.shape)` gives back."""
    if not any(s == 0 and n > 1 for s, n in zip(x.strides, x.shape)):
        return x
    return x[tuple(slice(0, 1) if s == 0 and n > 1 else slice(None)
                   for s, n in zip(x.strides, x.shape))]


def same_bits(snapshot: np.ndarray, x: np.ndarray) -> bool:
    """`x` holds exactly `snapshot`'s contents (NaN equal to NaN, -0.0 unequal to 0.0;
    object items: the same objects)."""
    if snapshot.shape != x.shape or snapshot.dtype != x.dtype:
        return False
    a, b = _stored_part(snapshot), _stored_part(x)
    if a.shape != b.shape:
        return False
    kind = x.dtype.kind
    if kind == "O":
        return all(p is q for p, q in zip(a.flat, b.flat))
    if kind == "c":
        return _same_floats(a.real, b.real) and _same_floats(a.imag, b.imag)
    if kind == "f":
        return _same_floats(a, b)
    return bool(np.array_equal(a, b))


def _same_floats(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.array_equal(a, b, equal_nan=True)
                and np.array_equal(np.signbit(a), np.signbit(b)))
