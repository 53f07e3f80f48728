"""The graph IR: `Var` (a typed SSA value), `Node` (one op application), `Graph`.

A graph is a list of nodes in topological order over SSA values. Node inputs are either
`Var`s or constants (Python scalars keep numpy's "weak" promotion; numpy arrays and
scalars are strong). Control-flow nodes (`cond`, `while_loop`) carry sub-graphs in their
params; a sub-graph's inputs are bound to the node's inputs by position.

The text form lives here too (torch.fx's `graph.py` does the same): `str(graph)` needs
it, and a separate printer module would import the IR back.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from autotrace.graph.names import NameAllocator

_uids = itertools.count()

Shape = tuple  # tuple[int | None, ...]; None is a dimension unknown until run time


@dataclass(frozen=True)
class Origin:
    """Where a node came from in the user's source."""

    filename: str
    lineno: int
    source: str = ""
    function: str = ""

    def short(self) -> str:
        """`file.py:3  c = a + b`, the form used in graph text."""
        base = self.filename.rsplit("/", 1)[-1]
        text = f"{base}:{self.lineno}"
        return f"{text}  {self.source}" if self.source else text

    def __str__(self) -> str:
        where = f'File "{self.filename}", line {self.lineno}'
        if self.function:
            where += f", in {self.function}"
        return f"{where}\n    {self.source}" if self.source else where


class Var:
    """An SSA value: static shape (`None` for unknown dims), numpy dtype, optional name.

    `weak` is a Python scalar type (int, float, ...) for values that are Python scalars at
    run time (a Python counter carried through a graph loop): they keep numpy's weak
    promotion, so `float32_array * i` stays float32 as it does in plain Python.
    """

    __slots__ = ("shape", "dtype", "name", "node", "uid", "weak", "__weakref__")

    def __init__(self, shape: Shape, dtype: Any, name: str | None = None, node=None,
                 weak: type | None = None):
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self.name = name
        self.node = node
        self.uid = next(_uids)
        self.weak = weak

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def type_str(self) -> str:
        if self.weak is not None:
            return self.weak.__name__
        return type_str(self.shape, self.dtype)

    def __repr__(self) -> str:
        return f"Var({self.name or '%' + str(self.uid)}: {self.type_str()})"


class Node:
    """One application of a registered op."""

    __slots__ = ("op", "inputs", "params", "outputs", "origin", "uid")

    def __init__(self, op, inputs: tuple, params: dict, outputs: tuple, origin: Origin | None):
        self.op = op
        self.inputs = tuple(inputs)
        self.params = params
        self.outputs = tuple(outputs)
        self.origin = origin
        self.uid = next(_uids)

    def subgraphs(self) -> list[Graph]:
        """The graphs in the params: values, or in `(key, graph)` pairs of a tuple (the
        handlers of a `try` node)."""
        out = []
        for v in self.params.values():
            if isinstance(v, Graph):
                out.append(v)
            elif type(v) is tuple:
                out += [g for item in v if type(item) is tuple for g in item
                        if isinstance(g, Graph)]
        return out

    def __repr__(self) -> str:
        return f"Node({self.op.name}, uid={self.uid})"


class Graph:
    """Inputs, nodes in topological order, and outputs (`Var`s or constants)."""

    __slots__ = ("name", "inputs", "nodes", "outputs", "__weakref__")

    def __init__(self, name: str = "f", inputs=(), nodes=(), outputs=()):
        self.name = name
        self.inputs = list(inputs)
        self.nodes = list(nodes)
        self.outputs = list(outputs)

    def __str__(self) -> str:
        return format_graph(self)

    def __repr__(self) -> str:
        return f"<Graph {self.name}: {len(self.inputs)} inputs, {len(self.nodes)} nodes>"

    def to_dot(self, inputs=None, **options) -> Any:
        """DOT text of this graph; with `inputs`, values/gradients can be shown on it (see
        `autotrace.viz.graph_to_dot`)."""
        # lazy import: start-up cost; viz (the display layer, on top) loads on first display
        from autotrace.viz import graph_to_dot

        return graph_to_dot(self, inputs, **options)

    def render(self, path, inputs=None, format: str | None = None, **options):
        """Write the picture to `path` (.svg/.png/.pdf/.dot); see `autotrace.viz.render`."""
        # lazy import: start-up cost; viz (the display layer, on top) loads on first display
        from autotrace.viz import graph_to_dot, render

        return render(graph_to_dot(self, inputs, **options), path, format)

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        # lazy import: start-up cost; viz (the display layer, on top) loads on first display
        from autotrace.viz import graph_mimebundle

        return graph_mimebundle(self)

    def _repr_html_(self) -> str:
        # lazy import: start-up cost; viz (the display layer, on top) loads on first display
        from autotrace.viz import graph_html

        return graph_html(self)

    def _repr_svg_(self) -> str | None:
        # lazy import: start-up cost; viz (the display layer, on top) loads on first display
        from autotrace.viz import graph_svg

        return graph_svg(self)

    def walk(self):
        """Every node of this graph and, recursively, of its sub-graphs."""
        for node in self.nodes:
            yield node
            for sub in node.subgraphs():
                yield from sub.walk()


_DTYPE_ABBREV = {"b": "bool", "f": "f", "i": "i", "u": "u", "c": "c", "O": "obj"}


def dtype_str(dtype: np.dtype) -> str:
    """`f64`, `i32`, `bool`, ... (short dtype names for graph text)."""
    kind = _DTYPE_ABBREV.get(dtype.kind)
    if kind is None:
        return str(dtype)
    if kind in ("bool", "obj"):
        return kind
    return f"{kind}{dtype.itemsize * 8}"


def type_str(shape: Shape, dtype: np.dtype) -> str:
    dims = ",".join("?" if d is None else str(d) for d in shape)
    return f"{dtype_str(np.dtype(dtype))}[{dims}]"


# -- text form ------------------------------------------------------------------------------
# Readable text form of a graph: one line per node, the user's names, origins as comments.
#
#     graph f(a: f64[1], b: f64[1]) -> f64[1]
#       c: f64[1] = add a b                  # intro.py:3  c = a + b
#       d: f64[1] = add b 1                  # intro.py:4  d = b + 1
#       e: f64[1] = mul c d                  # intro.py:5  return c * d
#       return e
#
# A node's origin comment is printed once for consecutive nodes of the same line. Params
# print as `key=value` in Python/numpy spelling: `axis=(1,)`, `dtype=float32`, and indexing
# keys as numpy subscripts, `index=[1:, ::2]`, with traced parts named in place
# (`index=[:n]`). Sub-graphs (branches, loop bodies) print as indented blocks under their
# node.

COMMENT_COLUMN = 44
_INLINE_ARRAY_MAX = 6


class Namer:
    """Unique, deterministic display names: user names first (`c`, `c_1`), `%0`, `%1`, ...
    otherwise (`graph.names.NameAllocator`, which the code generator uses too)."""

    def __init__(self):
        self._names: dict[int, str] = {}
        self._allocator = NameAllocator(anonymous="%")

    def __call__(self, var: Var) -> str:
        name = self._names.get(var.uid)
        if name is None:
            name = self._allocator.fresh(var.name)
            self._names[var.uid] = name
        return name


def format_value(x, namer: Namer) -> str:
    """A node input: a name for a Var, a literal for a constant (`[1.,2.]:f32`, `0.5`,
    `const<f64[3,3]>(0.0)`); always one token, without spaces."""
    if isinstance(x, Var):
        return namer(x)
    if isinstance(x, np.ndarray):
        return _format_array(x)
    if isinstance(x, np.generic):
        return f"{x.item()!r}:{dtype_str(x.dtype)}"
    return repr(x)


def _format_array(x: np.ndarray) -> str:
    """Small arrays inline, `[1.,2.]:f32`; others by type, `const<f64[3,3]>`, with their
    one value when they hold only one, `const<f64[3,3]>(0.0)`."""
    if x.size <= _INLINE_ARRAY_MAX and x.ndim <= 2:
        text = np.array2string(x, separator=",", threshold=_INLINE_ARRAY_MAX)
        return "".join(text.split()) + ":" + dtype_str(x.dtype)
    text = f"const<{type_str(x.shape, x.dtype)}>"
    if x.size and x.dtype.kind in "biufc" and np.all(x == x.flat[0]):
        text += f"({x.flat[0].item()!r})"
    return text


def format_graph(graph: Graph, namer: Namer | None = None, indent: str = "") -> str:
    """The text form of `graph` (what `str(graph)` returns)."""
    namer = namer or Namer()
    params = ", ".join(f"{namer(v)}: {v.type_str()}" for v in graph.inputs)
    results = ", ".join(_type_of(o) for o in graph.outputs)
    if len(graph.outputs) != 1:
        results = f"({results})"
    lines = [f"{indent}graph {graph.name}({params}) -> {results}"]
    lines += _body_lines(graph, namer, indent + "  ")
    return "\n".join(lines)


def _body_lines(graph: Graph, namer: Namer, indent: str) -> list[str]:
    lines = []
    previous = None
    for node in graph.nodes:
        lines.append(_node_line(node, namer, indent, show_origin=node.origin != previous))
        previous = node.origin
        for key, sub in node.params.items():
            if isinstance(sub, Graph):
                sig = ", ".join(f"{namer(v)}: {v.type_str()}" for v in sub.inputs)
                lines.append(f"{indent}  {key}({sig}):")
                lines += _body_lines(sub, namer, indent + "    ")
                previous = None
    outs = ", ".join(format_value(o, namer) for o in graph.outputs)
    lines.append(f"{indent}return {outs}")
    return lines


def _node_line(node, namer: Namer, indent: str, show_origin: bool = True) -> str:
    targets = ", ".join(f"{namer(v)}: {v.type_str()}" for v in node.outputs)
    inputs = list(node.inputs)
    params = []
    for key, value in node.params.items():
        if isinstance(value, Graph):
            continue
        if key == "index":
            value, inputs = format_index(value, inputs, namer)
        else:
            value = format_param(value)
        params.append(f"{key}={value}")
    args = [format_value(x, namer) for x in inputs] + params
    text = f"{indent}{targets} = {node.op.name} {' '.join(args)}".rstrip()
    if node.origin is not None and show_origin:
        text = f"{text.ljust(COMMENT_COLUMN)}  # {node.origin.short()}"
    return text


def format_param(value) -> str:
    """A param value in Python/numpy spelling (`float32`, `(0, 1)`, `True`)."""
    if isinstance(value, np.dtype):
        return value.name
    if isinstance(value, type):
        return value.__name__
    if isinstance(value, (np.ndarray, np.generic)):
        return format_value(value, Namer())
    if callable(value) and hasattr(value, "__name__"):
        return value.__name__
    return repr(value)


def format_index(index, inputs: list, namer: Namer) -> tuple[str, list]:
    """Numpy subscript text of an indexing param; returns (text, inputs not folded in).

    Parts of the key that are traced or array-valued are `("in", k)` in the param: the
    k-th of the node's trailing extra inputs, printed by name in place.
    """
    if not isinstance(index, tuple):
        return repr(index), inputs
    refs = [p for p in _index_parts(index) if _is_input_ref(p)]
    n_extra = max((p[1] for p in refs), default=-1) + 1
    extra = inputs[len(inputs) - n_extra:] if n_extra else []

    def part(p) -> str:
        if _is_input_ref(p):
            return format_value(extra[p[1]], namer)
        return "" if p is None else repr(p)

    def item(i) -> str:
        if isinstance(i, slice):
            text = f"{part(i.start)}:{part(i.stop)}"
            return text + (f":{part(i.step)}" if i.step is not None else "")
        if i is Ellipsis:
            return "..."
        return "None" if i is None else part(i)

    text = "[" + ", ".join(item(i) for i in index) + "]"
    return text, inputs[:len(inputs) - n_extra]


def _index_parts(index: tuple):
    for i in index:
        if isinstance(i, slice):
            yield from (i.start, i.stop, i.step)
        else:
            yield i


def _is_input_ref(p) -> bool:
    return isinstance(p, tuple) and len(p) == 2 and p[0] == "in" and isinstance(p[1], int)


def _type_of(x) -> str:
    if isinstance(x, Var):
        return x.type_str()
    return type(x).__name__
