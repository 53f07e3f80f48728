"""The graph IR: `Var` (a typed SSA value), `Node` (one op application), `Graph`.

A graph is a list of nodes in topological order over SSA values. Node inputs are either
`Var`s or constants (Python scalars keep numpy's "weak" promotion; numpy arrays and
scalars are strong). Control-flow nodes (`cond`, `while_loop`) carry sub-graphs in their
params; a sub-graph's inputs are bound to the node's inputs by position.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

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
        return [v for v in self.params.values() if isinstance(v, Graph)]

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
        from autotrace.graph.printer import format_graph

        return format_graph(self)

    def __repr__(self) -> str:
        return f"<Graph {self.name}: {len(self.inputs)} inputs, {len(self.nodes)} nodes>"

    def to_dot(self, inputs=None, **options) -> Any:
        """DOT text of this graph; with `inputs`, values/gradients can be shown on it (see
        `autotrace.viz.graph_to_dot`)."""
        from autotrace.viz import graph_to_dot

        return graph_to_dot(self, inputs, **options)

    def render(self, path, inputs=None, format: str | None = None, **options):
        """Write the picture to `path` (.svg/.png/.pdf/.dot); see `autotrace.viz.render`."""
        from autotrace.viz import graph_to_dot, render

        return render(graph_to_dot(self, inputs, **options), path, format)

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        from autotrace.viz import graph_mimebundle

        return graph_mimebundle(self)

    def _repr_html_(self) -> str:
        from autotrace.viz import graph_html

        return graph_html(self)

    def _repr_svg_(self) -> str | None:
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
