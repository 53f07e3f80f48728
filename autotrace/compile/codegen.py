"""Graph -> straight-line Python over numpy, compiled once per concrete function.

One line per node (`c = _add(a, b)`), control flow as Python `if`/`while` blocks, constants
and op implementations bound in the function's namespace, intermediates deleted after
their last use. With checking on (`AUTOTRACE_CHECK=1`, on in the test suite) every value is
compared against its node's static shape and dtype, which validates the shape rules.
"""

from __future__ import annotations

import builtins
import keyword
import linecache
import math
import os
import re

import numpy as np

from autotrace.graph.ir import Graph, Node, Var

CHECK = os.environ.get("AUTOTRACE_CHECK", "") not in ("", "0")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_RESERVED = set(keyword.kwlist) | set(dir(builtins)) | {"np"}
_counter = iter(range(1, 1 << 62))


class Emitter:
    """Allocates Python names and namespace entries while writing code for a graph."""

    def __init__(self, check: bool = CHECK):
        self.namespace: dict = {"np": np}
        self.lines: list[str] = []
        self.line_nodes: dict[int, Node] = {}
        self.check = check
        self._names: dict[int, str] = {}
        self._used: set[str] = set(_RESERVED)
        self._consts: dict[int, str] = {}

    # -- names --------------------------------------------------------------------------
    def name(self, var: Var) -> str:
        name = self._names.get(var.uid)
        if name is None:
            base = var.name if var.name and _IDENT.match(var.name) else "v"
            name = base if base != "v" else f"v{len(self._names)}"
            k = 0
            while name in self._used or name.startswith("_"):
                k += 1
                name = f"{base}_{k}"
            self._used.add(name)
            self._names[var.uid] = name
        return name

    def alias(self, var: Var, expr: str) -> None:
        """Make `var` refer to an existing name (sub-graph inputs bound to node inputs)."""
        self._names[var.uid] = expr

    def value(self, x) -> str:
        """Expression for a node input: a variable name or a constant."""
        if isinstance(x, Var):
            return self.name(x)
        return self.constant(x)

    def constant(self, x) -> str:
        if x is None or isinstance(x, (bool, str)):
            return repr(x)
        if isinstance(x, int) or (isinstance(x, float) and math.isfinite(x)):
            return repr(x)
        if isinstance(x, tuple) and all(isinstance(i, (int, type(None))) for i in x):
            return repr(x)
        return self.bind(x, "c")

    def bind(self, obj, prefix: str) -> str:
        """Put `obj` in the namespace under a fresh `_prefixN` name."""
        key = id(obj)
        name = self._consts.get(key)
        if name is None:
            name = f"_{prefix}{next(_counter)}"
            self.namespace[name] = obj
            self._consts[key] = name
        return name

    # -- code ---------------------------------------------------------------------------
    def emit(self, line: str, indent: str, node: Node | None = None) -> None:
        self.lines.append(indent + line)
        if node is not None:
            self.line_nodes[len(self.lines)] = node

    def emit_graph(self, graph: Graph, indent: str, release: bool = False) -> None:
        """Code for every node of `graph` (inputs must already have names)."""
        last_use = _last_uses(graph) if release else {}
        keep = {o.uid for o in graph.outputs if isinstance(o, Var)}
        for i, node in enumerate(graph.nodes):
            emit_node = node.op.emit or emit_call
            emit_node(node, self, indent)
            if self.check:
                for v in node.outputs:
                    self.emit(f"_check({self.name(v)}, {self.bind(v, 'var')})", indent, node)
            dead = [v for v in last_use.get(i, ()) if v.uid not in keep]
            if dead:
                self.emit("del " + ", ".join(self.name(v) for v in dead), indent)


def emit_call(node: Node, em: Emitter, indent: str) -> None:
    """Default emission: `out = _op(args, key=param, ...)`."""
    fn = em.bind(node.op.impl, node.op.name)
    args = [em.value(x) for x in node.inputs]
    args += [f"{k}={em.constant(v)}" for k, v in node.params.items()]
    targets = ", ".join(em.name(v) for v in node.outputs)
    if node.op.multiple_results and len(node.outputs) == 1:
        targets += ","
    em.emit(f"{targets or '_'} = {fn}({', '.join(args)})", indent, node)


def _last_uses(graph: Graph) -> dict[int, list[Var]]:
    last: dict[int, tuple[int, Var]] = {}
    for i, node in enumerate(graph.nodes):
        for x in node.inputs:
            if isinstance(x, Var) and x.node is not None:
                last[x.uid] = (i, x)
        for v in node.outputs:
            last.setdefault(v.uid, (i, v))
    by_node: dict[int, list[Var]] = {}
    for i, v in last.values():
        by_node.setdefault(i, []).append(v)
    return by_node


def compile_graph(graph: Graph, check: bool | None = None):
    """Compile `graph` into a Python function `run(*inputs) -> tuple(outputs)`.

    The returned function has `.source` (the generated text) and `.line_nodes` (generated
    line number -> node, used to point run-time errors at the user's line).
    """
    em = Emitter(CHECK if check is None else check)
    em.namespace["_check"] = check_value
    params = [em.name(v) for v in graph.inputs]
    fname = _IDENT.match(graph.name) and graph.name or "graph_fn"
    em.emit(f"def {fname}({', '.join(params)}):", "")
    em.emit_graph(graph, "    ", release=True)
    outs = [em.value(o) for o in graph.outputs]
    em.emit(f"return ({', '.join(outs)}{',' if len(outs) == 1 else ''})", "    ")
    source = "\n".join(em.lines) + "\n"
    filename = f"<autotrace {graph.name} #{next(_counter)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), em.namespace)
    fn = em.namespace[fname]
    fn.source = source
    fn.filename = filename
    fn.line_nodes = em.line_nodes
    return fn


def check_value(value, var: Var) -> None:
    """Checking mode: the run-time value must match the node's static type."""
    shape = np.shape(value)
    dtype = np.asarray(value).dtype if not hasattr(value, "dtype") else value.dtype
    ok_shape = len(shape) == len(var.shape) and all(
        s is None or s == d for s, d in zip(var.shape, shape)
    )
    if not ok_shape or np.dtype(dtype) != var.dtype:
        where = f" ({var.node.op.name} at {var.node.origin.short()})" if var.node and \
            var.node.origin else f" ({var.node.op.name})" if var.node else ""
        raise AssertionError(
            f"shape rule mismatch{where}: static {var.type_str()}, "
            f"run time {np.dtype(dtype)}{list(shape)}"
        )
