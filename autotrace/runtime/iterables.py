"""`range`, `enumerate`, `zip`, `len` for generated code, and sequences a graph loop can walk.

With Python arguments they are Python's builtins. With traced arguments they return
*graph sequences*: a length (an int or a traced scalar) and `item(i)` for a traced index,
which `for_stmt` turns into one `while_loop` node instead of unrolling.
"""

from __future__ import annotations

import builtins

import numpy as np

from autotrace.errors import TracingError
from autotrace.ops.elementwise import floor_divide, maximum, minimum, where
from autotrace.ops.index import getitem
from autotrace.ops.join import stack
from autotrace.ops.shape import astype, dim_of
from autotrace.runtime.inplace import live_iter
from autotrace.tensor import EagerTensor, Tensor


class GraphSequence:
    """Something a graph loop iterates: `length` and `item(index)`."""

    length = None

    def item(self, i):
        raise NotImplementedError


class TensorSequence(GraphSequence):
    """The first axis of an array (traced or constant)."""

    def __init__(self, x):

        if not np.ndim(x) and not (isinstance(x, Tensor) and x.symbol.shape):
            raise TypeError("iteration over a 0-d array")
        self.x = x
        self.length = dim_of(x, 0)

    def item(self, i):

        return getitem(self.x, i)


class RangeSequence(GraphSequence):
    """`range(start, stop, step)` with traced bounds."""

    def __init__(self, start, stop, step):

        if isinstance(step, int) and step == 0:
            raise ValueError("range() arg 3 must not be zero")
        self.start, self.stop, self.step = start, stop, step
        if builtins.all(type(a) is int for a in (start, stop, step)):
            self.length = builtins.len(builtins.range(start, stop, step))
            return
        start, stop, step = (_wide(v) for v in (start, stop, step))
        if step == 1 and _integers(start, stop):  # `range(n)`: max(n - start, 0)
            count = stop if type(start) is int and start == 0 else stop - start
        elif isinstance(step, int):
            span = stop - start + step - 1 if step > 0 else start - stop - step - 1
            count = floor_divide(span, abs(step))
        else:
            up = floor_divide(stop - start + step - 1, step)
            down = floor_divide(start - stop - step - 1, -step)
            count = where(step > 0, up, down)
        self.length = maximum(count, 0)

    def item(self, i):
        return self.start + i * self.step


def _wide(v):
    """An integer bound of a narrower (or unsigned) dtype as int64, so that the trip count
    arithmetic does not wrap (`range(6, uint8(2))` is empty, `uint8(2) - 6` is 252)."""
    dtype = getattr(v, "dtype", None)
    if type(v) is int or dtype is None or np.dtype(dtype).kind not in "iu" or \
            np.dtype(dtype) == np.int64:
        return v
    return astype(v, np.int64)


def _integers(*values) -> bool:
    """All are Python ints or integer arrays: then `(stop - start + 1 - 1) // 1` is
    `stop - start`, the same value and dtype (a float bound would be floored)."""
    for v in values:
        dtype = getattr(v, "dtype", None)
        if type(v) is not int and (dtype is None or np.dtype(dtype).kind not in "iu"):
            return False
    return True


class EnumerateSequence(GraphSequence):
    def __init__(self, inner: GraphSequence, start):
        self.inner, self.start, self.length = inner, start, inner.length

    def item(self, i):
        return (i + self.start, self.inner.item(i))


class ZipSequence(GraphSequence):
    def __init__(self, parts: list):

        self.parts = parts
        length = parts[0].length
        for p in parts[1:]:
            length = minimum(length, p.length)
        self.length = length

    def item(self, i):
        return tuple(p.item(i) for p in self.parts)


def graph_sequence_of(x) -> GraphSequence | None:
    """The graph sequence behind `x`, or None if `x` is iterated in Python."""
    if isinstance(x, GraphSequence):
        return x
    if isinstance(x, Tensor):
        return TensorSequence(x)
    return None


def rest_as_graph_sequence(iterable, item, items, where: str) -> GraphSequence:
    """The items of a Python loop from `item` on (`items`: the iterator after it), when the
    loop must continue as a graph loop."""
    if isinstance(iterable, builtins.range):
        return RangeSequence(item, iterable.stop, iterable.step)
    return as_graph_sequence([item, *items], where)


def as_graph_sequence(items: list, where: str) -> GraphSequence:
    """Items of a Python loop that must continue as a graph loop. Python ints counting up
    or down by a fixed step stay Python ints (a range); other items are stacked."""
    if _is_progression(items):
        step = items[1] - items[0] if builtins.len(items) > 1 else 1
        return RangeSequence(items[0], items[-1] + step, step)
    if items and builtins.all(isinstance(i, tuple) for i in items):
        columns = builtins.zip(*items)
        return ZipSequence([as_graph_sequence(list(c), where) for c in columns])
    try:

        values = [i.numpy() if isinstance(i, EagerTensor) else i for i in items]
        if builtins.any(isinstance(v, Tensor) for v in values):
            return TensorSequence(stack(values))
        return TensorSequence(np.asarray(values))
    except (TypeError, ValueError) as e:
        raise TracingError(
            f"The loop at {where} iterates over Python values and its `break` depends on a "
            f"tensor, so the rest of the loop must run as a graph loop; but its items cannot "
            f"be stacked into one array ({e}). Iterate over an array or a range instead."
        ) from None


def _is_progression(items: list) -> bool:
    if not items or not builtins.all(type(i) is int for i in items):
        return False
    if builtins.len(items) == 1:
        return True
    step = items[1] - items[0]
    return step != 0 and builtins.all(b - a == step for a, b in builtins.zip(items, items[1:]))


def range(*args):  # noqa: A001 - the builtin's name, on purpose
    """`range(...)`; with traced bounds, a graph sequence."""
    if not builtins.any(isinstance(a, Tensor) for a in args):
        return builtins.range(*args)
    for a in args:  # numpy's own refusal, as the plain function raises it
        if isinstance(a, Tensor) and a.dtype.kind in "fc":
            raise TypeError("only integer scalar arrays can be converted to a scalar index")
    start, stop, step = (0, args[0], 1) if len(args) == 1 else (*args, 1)[:3]
    return RangeSequence(start, stop, step)


def enumerate(iterable, start=0):  # noqa: A001
    inner = graph_sequence_of(iterable)
    if inner is None:
        return builtins.enumerate(live_iter(iterable), start)
    return EnumerateSequence(inner, start)


def zip(*iterables, strict=False):  # noqa: A001
    parts = [graph_sequence_of(x) for x in iterables]
    if builtins.all(p is None for p in parts):
        iterables = [live_iter(x) for x in iterables]
        return builtins.zip(*iterables, strict=strict) if strict else builtins.zip(*iterables)
    return ZipSequence([p or as_graph_sequence(list(x), "zip()") for p, x in
                        builtins.zip(parts, iterables)])


def len(x):  # noqa: A001
    """`len(x)`: a Python int when known, a traced int64 scalar for an unknown first dim."""
    if isinstance(x, GraphSequence):
        return x.length
    if isinstance(x, Tensor) and x.symbol.shape and x.symbol.shape[0] is None:

        return dim_of(x, 0)
    return builtins.len(x)
