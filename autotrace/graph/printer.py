"""Readable text form of a graph: one line per node, the user's names, origins as comments.

    graph f(a: f64[1], b: f64[1]) -> f64[1]
      c: f64[1] = add a b                  # intro.py:3  c = a + b
      d: f64[1] = add b 1                  # intro.py:4  d = b + 1
      e: f64[1] = mul c d                  # intro.py:5  return c * d
      return e

Sub-graphs (branches, loop bodies) print as indented blocks under their node.
"""

from __future__ import annotations

import numpy as np

from autotrace.graph.ir import Graph, Var, dtype_str

COMMENT_COLUMN = 44
_INLINE_ARRAY_MAX = 6


class Namer:
    """Unique, deterministic display names: user names first, `%0`, `%1`, ... otherwise."""

    def __init__(self):
        self._names: dict[int, str] = {}
        self._used: set[str] = set()
        self._anonymous = 0

    def __call__(self, var: Var) -> str:
        name = self._names.get(var.uid)
        if name is None:
            name = self._fresh(var.name)
            self._names[var.uid] = name
        return name

    def _fresh(self, base: str | None) -> str:
        if base is None:
            name = f"%{self._anonymous}"
            self._anonymous += 1
            return name
        name, k = base, 0
        while name in self._used:
            k += 1
            name = f"{base}_{k}"
        self._used.add(name)
        return name


def format_value(x, namer: Namer) -> str:
    """A node input: a name for a Var, a literal for a constant."""
    if isinstance(x, Var):
        return namer(x)
    if isinstance(x, np.ndarray):
        if x.size <= _INLINE_ARRAY_MAX and x.ndim <= 1:
            return np.array2string(x, separator=",").replace(" ", "") + ":" + dtype_str(x.dtype)
        dims = ",".join(str(d) for d in x.shape)
        return f"const {dtype_str(x.dtype)}[{dims}]"
    if isinstance(x, np.generic):
        return f"{x.item()!r}:{dtype_str(x.dtype)}"
    return repr(x)


def format_graph(graph: Graph, namer: Namer | None = None, indent: str = "") -> str:
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
    for node in graph.nodes:
        lines.append(_node_line(node, namer, indent))
        for key, sub in node.params.items():
            if isinstance(sub, Graph):
                sig = ", ".join(f"{namer(v)}: {v.type_str()}" for v in sub.inputs)
                lines.append(f"{indent}  {key}({sig}):")
                lines += _body_lines(sub, namer, indent + "    ")
    outs = ", ".join(format_value(o, namer) for o in graph.outputs)
    lines.append(f"{indent}return {outs}")
    return lines


def _node_line(node, namer: Namer, indent: str) -> str:
    targets = ", ".join(f"{namer(v)}: {v.type_str()}" for v in node.outputs)
    args = [format_value(x, namer) for x in node.inputs]
    args += [f"{k}={_param(v)}" for k, v in node.params.items() if not isinstance(v, Graph)]
    text = f"{indent}{targets} = {node.op.name} {' '.join(args)}".rstrip()
    if node.origin is not None:
        text = f"{text.ljust(COMMENT_COLUMN)}  # {node.origin.short()}"
    return text


def _param(value) -> str:
    if isinstance(value, np.dtype):
        return str(value)
    if isinstance(value, type):
        return value.__name__
    if callable(value) and hasattr(value, "__name__"):
        return value.__name__
    return repr(value)


def _type_of(x) -> str:
    if isinstance(x, Var):
        return x.type_str()
    return type(x).__name__
