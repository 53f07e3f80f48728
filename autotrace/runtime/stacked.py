"""Python lists that grow inside graph control flow, kept as stacked arrays (the idea of
TensorFlow's TensorArray).

`hs.append(h)` in a graph loop (or in one branch of a graph `if`) gives a list whose length
is known only when the graph runs. The converter makes such a list a loop variable or a
branch output (`convert.analysis.grown`); when a graph loop or `cond` sees it change length,
`graph_while` / `graph_cond` retrace with it as a `StackedList`: for each leaf of one element
(an array, a Python number, or the parts of a tuple), a buffer of shape
`(count, *element shape)`. `append` concatenates one row, so the loop carries the buffer like
any array whose first dim is unknown, and gradients flow through it (`concatenate` and
`getitem` are differentiable).

After the statement it behaves as the list does: `len` (a traced int when unknown), indexing
(also by a traced int) and slicing, iteration (a graph loop), `np.stack` / `np.array` /
`np.concatenate` / `np.vstack` / `np.hstack`, `sum`, numpy reductions such as `np.sum`, and a
function returning it returns a Python list of arrays (`Unstacked` at the output).

The rule: every element has one structure, shape and dtype (a Python number: one type);
anything else is a `TracingError` naming the list, both types and the line.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field

import numpy as np

from autotrace.errors import TracingError
from autotrace.graph.ir import type_str
from autotrace.graph.unstacked import Unstacked
from autotrace.ops.elementwise import equal
from autotrace.ops.index import getitem
from autotrace.ops.join import concatenate, stack
from autotrace.ops.shape import astype, dim_of, expand_dims, moveaxis, python_scalar, reshape
from autotrace.ops.shapes import shape_of
from autotrace.runtime import merge
from autotrace.runtime.iterables import GraphSequence
from autotrace.runtime.undefined import Undefined
from autotrace.runtime.values import is_traced
from autotrace.runtime.where import here
from autotrace.signature import LEAF, TreeDef, unflatten
from autotrace.signature import flatten as flatten_tree

STACKED = "stacked list"  # the TreeDef kind of a StackedList in a flattened state


@dataclass(frozen=True)
class Element:
    """The type of every element of a `StackedList`: its structure and, per leaf,
    (shape, dtype, Python number type or None). Calling it on buffers makes the list (so
    `signature.unflatten` rebuilds a flattened `StackedList`)."""

    tree: TreeDef
    types: tuple
    name: str = field(default="the list", compare=False)

    def __call__(self, *buffers) -> StackedList:
        return StackedList(self, list(buffers))

    def describe(self) -> str:
        return _describe(self.tree, self.types)


def _describe(tree: TreeDef, types: tuple) -> str:
    parts = [f"a Python {weak.__name__}" if weak else type_str(shape, dtype)
             for shape, dtype, weak in types]
    return parts[0] if tree.kind == "leaf" else f"{tree.kind} of ({', '.join(parts)})"


def element_of(value, name: str, where: str) -> Element:
    """The `Element` type of one list item; numbers and arrays only."""
    leaves, tree = flatten_tree(value)
    types = []
    for leaf in leaves:
        t = merge.classify(leaf)
        if not t.is_value:
            raise TracingError(
                f"`{name}` grows inside graph control flow ({where}) but holds "
                f"{t.describe()}: a list whose length is known only at run time can hold "
                "arrays, numbers and tuples of them.")
        types.append((tuple(t.shape), np.dtype(t.dtype), t.weak))
    if not types:
        raise TracingError(f"`{name}` grows inside graph control flow ({where}) but its items "
                           f"hold no arrays ({value!r})")
    return Element(tree, tuple(types), name)


def _mismatch(element: Element, other: Element, where: str) -> TracingError:
    return TracingError(
        f"`{element.name}` holds {element.describe()} elements, but {other.describe()} is "
        f"added to it ({where}). A list that grows inside graph control flow is one stacked "
        "array, so every element needs the same shape and dtype: cast or reshape the value "
        "(or start the list with an element of the final shape)."
    )


def _row(leaf, dtype):
    """One element leaf as the buffer's dtype (a Python number becomes an array value)."""
    if is_traced(leaf):
        return leaf if leaf.dtype == dtype and leaf.symbol.weak is None else astype(leaf, dtype)
    return np.asarray(getattr(leaf, "numpy", lambda: leaf)(), dtype)


def _stack(rows: list):
    return stack(rows) if any(is_traced(r) for r in rows) else np.stack(rows)


class StackedList(GraphSequence):
    """A list of equally typed elements whose length may be known only at run time."""

    __slots__ = ("element", "buffers")

    def __init__(self, element: Element, buffers: list):
        self.element, self.buffers = element, buffers

    @classmethod
    def of(cls, items: list, element: Element, where: str) -> StackedList:
        """The list `items` (of `element` type) as a `StackedList`."""
        for item in items:
            t = element_of(item, element.name, where)
            if t != element:
                raise _mismatch(element, t, where)
        if items:
            columns = zip(*(flatten_tree(item)[0] for item in items))
            return cls(element, [_stack([_row(x, dtype) for x in column])
                                 for column, (_, dtype, _) in zip(columns, element.types)])
        if any(d is None for shape, _, _ in element.types for d in shape):
            raise TracingError(
                f"`{element.name}` starts empty and grows inside graph control flow "
                f"({where}) with elements of unknown shape ({element.describe()}): start it "
                "with its first element before the statement (`hs = [h]`).")
        return cls(element, [np.zeros((0, *shape), dtype) for shape, dtype, _ in element.types])

    # -- the list ---------------------------------------------------------------------------
    @property
    def length(self):
        """The number of elements: an int when known, else a traced Python int."""
        n = dim_of(self.buffers[0], 0)
        return n if isinstance(n, int) else python_scalar(n)

    def append(self, value) -> None:
        """`list.append`: one more row in every buffer."""
        where = here()
        t = element_of(value, self.element.name, where)
        if t != self.element:
            raise _mismatch(self.element, t, where)
        self.buffers = [concatenate([b, expand_dims(_row(x, dtype), 0)]) for b, x, (_, dtype, _)
                        in zip(self.buffers, flatten_tree(value)[0], self.element.types)]

    def extend(self, items) -> None:
        """`list.extend` by a list, tuple or `StackedList` of the same element type."""
        other = self._other(items, here())
        self.buffers = [concatenate([a, b]) for a, b in zip(self.buffers, other.buffers)]

    def copy(self) -> StackedList:
        return StackedList(self.element, list(self.buffers))

    def __iadd__(self, items):
        self.extend(items)
        return self

    def __add__(self, items):
        other = self._other(items, here())
        return StackedList(self.element, [concatenate([a, b]) for a, b in
                                          zip(self.buffers, other.buffers)])

    def __radd__(self, items):
        return self._other(items, here()) + self

    def _other(self, items, where: str) -> StackedList:
        if isinstance(items, StackedList):
            if items.element != self.element:
                raise _mismatch(self.element, items.element, where)
            return items
        if type(items) not in (list, tuple):
            raise TypeError(f"can only concatenate list (not \"{type(items).__name__}\") to "
                            "list")
        return StackedList.of(list(items), self.element, where)

    def __len__(self) -> int:
        n = self.length
        if isinstance(n, int):
            return n
        raise TracingError(
            f"The length of `{self.element.name}` is known only when the graph runs (it grew "
            f"in graph control flow), so it is not a Python int ({here()}). Compare "
            f"`len({self.element.name})` with a number instead of testing the list itself.")

    def item(self, i):
        leaves = [getitem(b, i) for b in self.buffers]
        leaves = [python_scalar(x) if weak else x
                  for x, (_, _, weak) in zip(leaves, self.element.types)]
        return unflatten(self.element.tree, leaves)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return StackedList(self.element, [getitem(b, i) for b in self.buffers])
        if isinstance(i, (bool, float)) or not (isinstance(i, (int, np.integer)) or
                                               (is_traced(i) and i.dtype.kind in "iu")):
            raise TypeError(f"list indices must be integers or slices, not {type(i).__name__}")
        return self.item(i)

    def __iter__(self):
        n = self.length
        if not isinstance(n, int):
            raise TracingError(
                f"`{self.element.name}` grew in graph control flow, so its length is known "
                f"only when the graph runs and it cannot be iterated in Python ({here()}). "
                f"Iterate it with a `for` statement (a graph loop); numpy functions take it "
                f"from a variable (`{self.element.name} = ...; np.stack({self.element.name})`)"
                ".")
        return (self.item(i) for i in builtins.range(n))

    def __eq__(self, other):
        """`hs == other`: for another list, refused (a graph cannot give a Python bool from
        run-time elements); a tuple or another type is never equal to a list."""
        if other is self:
            return True
        if isinstance(other, (list, StackedList)):
            raise TracingError(
                f"`{self.element.name}` grew in graph control flow, so its elements are known "
                f"only when the graph runs and `==` with a list cannot give a Python bool "
                f"({here()}). Compare its length (`len({self.element.name}) == 0`) or its "
                f"array (`np.array_equal(np.stack({self.element.name}), ...)`).")
        return False if isinstance(other, tuple) else NotImplemented

    def __ne__(self, other):
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = object.__hash__  # internal bookkeeping may hash it (a list would refuse)

    def __repr__(self) -> str:
        n = shape_of(self.buffers[0])[0]
        count = "?" if n is None else n
        return f"<list `{self.element.name}`: {count} x {self.element.describe()}>"

    # -- as arrays --------------------------------------------------------------------------
    def __array_function__(self, func, types, args, kwargs):
        """numpy functions taking the list as an array (`np.sum(hs)`): its stacked array."""
        return call(func, args, kwargs)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method != "__call__":
            return NotImplemented
        use = f"np.{ufunc.__name__}({self.element.name})"
        return ufunc(*(a.as_array(use=use) if isinstance(a, StackedList) else a
                       for a in inputs), **kwargs)

    def as_array(self, dtype=None, use: str | None = None):
        """`np.array(self, dtype)`: the buffer (for tuples, the parts along axis 1).

        `use` (`np.sum(hs)`: what takes the list as an array) asks for numpy's meaning when
        the list is empty: `np.array([])` has shape `(0,)` and dtype float64, which the
        buffer has only for float64 scalar elements (or a given `dtype`). For other elements
        one graph cannot give both, so an empty list raises a `ValueError` at run time
        (`empty_array_message`); an empty list known while tracing gives numpy's array."""
        n = self.length
        if use is not None and isinstance(n, int) and n == 0:
            return np.array([], dtype)
        if self.element.tree.kind == "leaf":
            out = self.buffers[0]
        else:
            shapes = {shape for shape, _, _ in self.element.types}
            nested = any(c.kind != "leaf" for c in self.element.tree.children)
            if len(shapes) > 1 or nested:
                raise ValueError(
                    f"setting an array element with a sequence: the elements of "
                    f"`{self.element.name}` are {self.element.describe()}, which numpy "
                    "cannot make one array of")
            common = np.result_type(*(dtype for _, dtype, _ in self.element.types))
            out = stack([_row(b, common) for b in self.buffers], axis=1)
        out = out if dtype is None or np.dtype(dtype) == out.dtype else astype(out, dtype)
        exact = shape_of(out) == (None,) and (dtype is not None or out.dtype == np.float64)
        if use is not None and not exact and not isinstance(n, int):
            self.nonempty(self.empty_array_message(use, out))
        return out

    def empty_array_message(self, use: str, out) -> str:
        name, shape = self.element.name, shape_of(out)[1:]
        example = shape if None not in shape else ("...",)
        zeros = f"np.zeros((0, {', '.join(map(str, example))}))"
        typed = type_str((0, *shape), out.dtype)
        return (
            f"{use}: `{name}` is empty here, at run time ({here()}). numpy makes an empty "
            f"list the array of shape (0,) and dtype float64, but this graph's array of "
            f"`{name}` (a list that grew in graph control flow) is {typed}, and one graph "
            f"cannot give both. Write `np.stack({name})` (it raises for an empty list, as "
            f"numpy does), or, to get the empty {typed} array, carry an array instead of "
            f"the list: `{name} = {zeros}` before the loop and `{name} = np.concatenate("
            f"[{name}, h[None]])` in it.")

    def nonempty(self, message: str) -> None:
        """Raise `ValueError(message)` when the list is empty (at run time, if the length is
        known only then), as numpy's sequence functions do for an empty list."""
        n = self.length
        if isinstance(n, int):
            if n == 0:
                raise ValueError(message)
            return
        # lazy import: control/cond.py carries StackedLists, so it imports this module
        from autotrace.control.cond import graph_cond
        from autotrace.runtime.raising import raise_

        graph_cond(equal(n, 0), lambda: raise_(ValueError(message)), lambda: None, (), "cond")

    def stacked(self, axis=0, dtype=None, empty="need at least one array to stack"):
        """`np.stack(self, axis)`; `empty`: the error for an empty list."""
        self.nonempty(empty)
        out = self.as_array(dtype)
        return out if axis == 0 else moveaxis(out, 0, axis)

    def concatenated(self, axis=0, dtype=None):
        """`np.concatenate(self, axis)`: the buffer with axis 0 merged into `axis`."""
        self.nonempty("need at least one array to concatenate")
        out = self.as_array(dtype)
        shape = shape_of(out)
        if len(shape) < 2:
            raise ValueError("zero-dimensional arrays cannot be concatenated")
        axis = axis + len(shape) - 1 if axis < 0 else axis
        rest = shape[1:]
        if any(d is None for k, d in enumerate(rest) if k != axis):
            raise TracingError(
                f"np.concatenate of `{self.element.name}`, whose elements have unknown dims "
                f"({self.element.describe()}), is not supported: use np.stack and reshape.")
        moved = out if axis == 0 else moveaxis(out, 0, axis)
        return reshape(moved, tuple(-1 if k == axis else d for k, d in enumerate(rest)))

    def total(self, start=0):
        """`sum(self, start)`: Python adds the elements to `start` in order, and gives `start`
        itself for an empty list. The graph's sum has one type; where that is not `start`'s
        (`sum(hs)` of arrays: Python's empty sum is the int 0), an empty list raises a
        `ValueError` at run time saying what to write; an empty list known while tracing
        gives `start`."""
        if self.element.tree.kind != "leaf":
            raise TypeError(f"unsupported operand type(s) for +: 'int' and "
                            f"'{self.element.tree.kind}'")
        n = self.length
        if isinstance(n, int) and n == 0:
            return start
        buffer, (_, dtype, weak) = self.buffers[0], self.element.types[0]
        out = np.sum(buffer, axis=0)
        if weak:
            result = start + python_scalar(out)
        else:
            one = np.zeros((), dtype)
            kept = (one + one + start).dtype if isinstance(start, (int, float)) else out.dtype
            result = start + (out if kept == out.dtype else astype(out, kept))
        got, given = merge.classify(result), merge.classify(start)
        if not isinstance(n, int) and (got.shape, got.dtype, got.weak) != \
                (given.shape, given.dtype, given.weak):
            name = self.element.name
            shown = f"the Python {type(start).__name__} `{start!r}`" if \
                isinstance(start, (bool, int, float, complex)) else given.describe()
            zeros = repr(got.weak(0)) if got.weak else \
                f"np.zeros({tuple(got.shape)!r}, np.{got.dtype})" if None not in got.shape \
                else "..."
            self.nonempty(
                f"sum({name}): `{name}` is empty here, at run time ({here()}). Python's sum "
                f"of an empty list is its start, {shown}, but this graph's sum of "
                f"`{name}` (a list that grew in graph control flow) is {got.describe()}, and "
                f"one graph cannot give both. Give a start of that type, "
                f"`sum({name}, {zeros})`, or use `np.sum(np.stack({name}), axis=0)`.")
        return result


# -- as numpy and builtins see it -----------------------------------------------------------
def _stack_call(hs, axis=0, out=None, dtype=None, casting=None):
    _no_out(out)
    return hs.stacked(axis, dtype)


def _concatenate_call(hs, axis=0, out=None, dtype=None, casting=None):
    _no_out(out)
    return hs.concatenated(axis, dtype)


def _vstack_call(hs, dtype=None, casting=None):
    ndim = len(shape_of(hs.buffers[0])) - 1
    if ndim > 1:
        return hs.concatenated(0, dtype)
    out = hs.stacked(0, dtype, "need at least one array to concatenate")
    return reshape(out, (-1, 1)) if ndim == 0 else out  # numpy makes a 0-d element 1 x 1


def _hstack_call(hs, dtype=None, casting=None):
    ndim = len(shape_of(hs.buffers[0])) - 1
    if ndim == 0:
        hs.nonempty("need at least one array to concatenate")
        return hs.as_array(dtype)
    return hs.concatenated(0 if ndim == 1 else 1, dtype)


def _array_call(name: str):
    def array(hs, dtype=None, **kwargs):
        return hs.as_array(dtype, use=f"np.{name}({hs.element.name})")
    return array


def _no_out(out):
    if out is not None:
        raise NotImplementedError("out= is not supported for a list that grew in graph "
                                  "control flow")


SEQUENCE_CALLS = {np.stack: _stack_call, np.concatenate: _concatenate_call,
                  np.vstack: _vstack_call, np.hstack: _hstack_call, np.array: _array_call("array"),
                  np.asarray: _array_call("asarray"), np.asanyarray: _array_call("asanyarray"),
                  builtins.sum: lambda hs, start=0: hs.total(start)}


def call(f, args: tuple, kwargs: dict):
    """`f(*args, **kwargs)` where an argument is a `StackedList`: its array for numpy (any
    argument), the list's meaning for the sequence functions and `sum` (the first)."""
    special = SEQUENCE_CALLS.get(f)
    if special is not None and isinstance(args[0] if args else None, StackedList):
        return special(*args, **kwargs)
    grown = next(a for a in (*args, *kwargs.values()) if isinstance(a, StackedList))
    name = grown.element.name
    if f in _SEQUENCE_REFUSED:
        raise TracingError(
            f"np.{f.__name__} of `{name}`, a list that grew in graph control "
            f"flow, is not supported ({here(2)}): use np.stack or np.concatenate of it.")
    use = f"np.{getattr(f, '__name__', 'function')}({name})"

    def array(a):
        return a.as_array(use=use) if isinstance(a, StackedList) else a

    return f(*map(array, args), **{k: array(v) for k, v in kwargs.items()})


_SEQUENCE_REFUSED = frozenset(
    getattr(np, n) for n in ("dstack", "column_stack", "block", "select", "broadcast_arrays",
                             "meshgrid", "einsum", "choose", "lexsort", "piecewise"))


# -- in the state of graph control flow -----------------------------------------------------
def flatten(obj):
    """`signature.flatten`, with each `StackedList` one node of its buffers (rebuilt by
    `signature.unflatten` through its `Element`)."""
    leaves, tree = flatten_tree(obj)
    if not any(isinstance(x, StackedList) for x in leaves):
        return leaves, tree
    out: list = []
    return out, _expand(tree, iter(leaves), out)


def _expand(tree: TreeDef, leaves, out: list) -> TreeDef:
    if tree.kind == "leaf":
        x = next(leaves)
        if isinstance(x, StackedList):
            out.extend(x.buffers)
            return TreeDef(STACKED, x.element, (LEAF,) * len(x.buffers))
        out.append(x)
        return tree
    return TreeDef(tree.kind, tree.meta, tuple(_expand(c, leaves, out) for c in tree.children))


def grown(before: tuple, after: tuple, names, where: str) -> tuple | None:
    """`before` (values of the variables of a graph loop or `if`) with each Python list that
    `after` (what one iteration or branch gives) holds with another length, or as a
    `StackedList`, made a `StackedList`; None when there is none."""
    new, changed = list(before), False
    for k, (a, b) in enumerate(zip(before, after)):
        if type(a) is not list:
            continue
        name = names[k] if k < len(names) else "the list"
        if a and all(_placeholder(x) for x in a):
            a = []  # `retval` before the loop: its value is never read (`undefined.py`)
        if isinstance(b, StackedList):
            element = Element(b.element.tree, b.element.types, name)
        elif type(b) is list and len(b) != len(a) and not _placeholder((a or b)[0]):
            element = element_of((a or b)[0], name, where)
        else:
            continue
        new[k], changed = StackedList.of(a, element, where), True
    return tuple(new) if changed else None


def _placeholder(x) -> bool:
    return isinstance(x, Undefined) and x.placeholder


def unstacked(x: StackedList, output) -> Unstacked:
    """The result leaf of a function that returns `x`: graph outputs (via `output`, per
    buffer) rebuilt into a Python list when the graph runs."""
    weak = tuple(w is not None for _, _, w in x.element.types)
    tree = x.element.tree
    flat = tree.kind == "leaf" or (tree.kind == "tuple" and
                                   all(c.kind == "leaf" for c in tree.children))
    rebuild = None if tree.kind == "leaf" else (lambda parts: unflatten(tree, parts))
    return Unstacked([output(b) for b in x.buffers], weak, flat, rebuild)
