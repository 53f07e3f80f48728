"""The IR verifier: the invariants every graph pass must keep, checked on demand.

`verify(graph)` raises `IRError` naming the graph, the node and the broken rule:

* **SSA**: every value is defined once, by a node of this graph (its `node` points back to
  it) or as one of its inputs, before any node reads it; the graph's outputs are defined.
* **Closed sub-graphs**: a branch or loop body reads only its own inputs (what it needs
  from outside is passed in as operands), and is itself verified.
* **Sub-graph types**: a `cond`'s branches take its operands and a `while_loop`'s cond
  and body its inputs, one input per operand, each of the operand's dtype and rank with
  the same known sizes (a sub-graph input may leave a size unknown); the body gives back
  one value per loop variable of the variable's type, and the node's outputs have the
  types its sub-graphs give.

Checking mode (`AUTOTRACE_CHECK=1`, on in the tests) runs it after simplification, so every
test that builds a graph checks the passes.
"""

from __future__ import annotations

import functools

import numpy as np

from autotrace.graph.ir import Graph, Node, Var
from autotrace.ops.registry import OPS


class IRError(AssertionError):
    """A graph breaks an IR invariant (a bug in a pass or a rule, never a user error)."""


def verify(graph: Graph) -> Graph:
    """Check `graph` and its sub-graphs; returns it. Raises `IRError`."""
    _Checker(graph).run()
    return graph


class _Checker:
    def __init__(self, graph: Graph):
        self.graph = graph
        self.defined: set[int] = set()

    def fail(self, what: str, node: Node | None = None) -> None:
        where = f", node {node.op.name} (uid {node.uid})" if node is not None else ""
        raise IRError(f"graph {self.graph.name!r}{where}: {what}")

    def define(self, var: Var, node: Node | None) -> None:
        if var.uid in self.defined:
            self.fail(f"value {var!r} is defined twice", node)
        if node is not None and var.node is not node:
            self.fail(f"output {var!r} does not point back to its node", node)
        self.defined.add(var.uid)

    def run(self) -> None:
        for var in self.graph.inputs:
            self.define(var, None)
        for node in self.graph.nodes:
            for x in node.inputs:
                if isinstance(x, Var) and x.uid not in self.defined:
                    self.fail(f"reads {x!r} before it is defined here", node)
            for sub in node.subgraphs():
                verify(sub)
            _subgraph_rules().get(node.op, _no_rule)(self, node)
            for var in node.outputs:
                self.define(var, node)
        for x in self.graph.outputs:
            if isinstance(x, Var) and x.uid not in self.defined:
                self.fail(f"output {x!r} is not defined in the graph")


def _type(x) -> tuple:
    """(dtype, shape or None for a constant's Python scalar) of a value."""
    if isinstance(x, Var):
        return x.dtype, x.shape
    return np.result_type(x), np.shape(x)


def _fits(value, inner: Var) -> bool:
    """Whether `value` may bind to sub-graph input/output `inner`."""
    dtype, shape = _type(value)
    if isinstance(value, Var) or isinstance(value, np.ndarray):
        if dtype != inner.dtype or getattr(value, "weak", None) != inner.weak:
            return False
    elif np.dtype(dtype).kind != inner.dtype.kind and not (
            np.dtype(dtype).kind in "biu" and inner.dtype.kind in "iu"):
        return False  # a Python/numpy scalar constant: its kind must agree
    return len(shape) == len(inner.shape) and all(
        a is None or b is None or a == b for a, b in zip(shape, inner.shape))


def _check_binding(c: _Checker, node: Node, values, inner, what: str) -> None:
    values, inner = list(values), list(inner)
    if len(values) != len(inner):
        c.fail(f"{what}: {len(inner)} values for {len(values)}", node)
    for k, (value, var) in enumerate(zip(values, inner)):
        if not _fits(value, var):
            c.fail(f"{what} #{k}: {_describe(value)} does not fit {var.type_str()}", node)


def _describe(x) -> str:
    return x.type_str() if isinstance(x, Var) else f"constant {x!r}"


def _cond_rule(c: _Checker, node: Node) -> None:
    operands = node.inputs[1:]
    for key in ("then", "orelse"):
        branch = node.params[key]
        _check_binding(c, node, operands, branch.inputs, f"{key} inputs")
        _check_binding(c, node, branch.outputs, node.outputs, f"{key} outputs")


def _while_rule(c: _Checker, node: Node) -> None:
    cond, body = node.params["cond"], node.params["body"]
    n = len(body.outputs)
    _check_binding(c, node, node.inputs, body.inputs, "body inputs")
    _check_binding(c, node, node.inputs, cond.inputs, "cond inputs")
    _check_binding(c, node, body.outputs, body.inputs[:n], "body outputs (loop variables)")
    _check_binding(c, node, body.outputs, node.outputs, "loop outputs")


def _no_rule(c: _Checker, node: Node) -> None:
    return None


@functools.cache
def _subgraph_rules() -> dict:
    """Op -> the check of its sub-graphs' bindings. The control-flow ops are registered
    above this layer (`autotrace/control/`), so they are looked up on first use."""
    return {OPS["cond"]: _cond_rule, OPS["while_loop"]: _while_rule}
