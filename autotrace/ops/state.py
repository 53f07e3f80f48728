"""`assign_variable`: `Variable.assign` (and `assign_add` / `assign_sub`) inside a traced
function, an effect node that writes the new value into the `Variable` when it runs, in
program order, on the path taken (graph branches and loop iterations included).

While tracing, reads of the variable after the assign see `variable_read(new, before)`:
the assigned value, whose gradient goes to the variable as it was before (TensorFlow's
and the eager tape's contract: every read of a Variable is a read of the one Variable,
and an assign does not pass gradients to what was assigned). The builder keeps it as the
variable's current value, and graph control flow carries it like a loop variable, so
derivatives replay the computation without the writes:
`without_writes(graph)` is a graph with every `assign_variable` node removed, which
replays (VJPs, recorded loops) run instead of the forward graph.
"""

from __future__ import annotations

import weakref

import numpy as np

from autotrace.graph.ir import Graph, Node
from autotrace.ops.registry import Aval, Op, register


def _assign_impl(value, variable):
    variable._value = np.array(value, dtype=variable._value.dtype, copy=True)
    return ()


assign_variable = register(Op("assign_variable", _assign_impl, lambda *avals, **params: (),
                              multiple_results=True, differentiable=False, effect=True))

def _read_jvp(primals, tangents):
    return primals[0], tangents[1]


variable_read = register(Op(
    "variable_read", lambda value, before: value,
    lambda value, before: Aval(value.shape, value.dtype),
    vjp=lambda ct, value, before, out: (None, ct), jvp=_read_jvp,
))

_stripped: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def writes_variables(graph: Graph) -> bool:
    """Whether running `graph` assigns a `Variable` (in it or in a sub-graph)."""
    return any(node.op is assign_variable for node in graph.walk())


def without_writes(graph: Graph) -> Graph:
    """`graph` without its `assign_variable` nodes (recursively); `graph` itself when it
    has none. The copy shares the values (`Var`s) of the original."""
    if not writes_variables(graph):
        return graph
    known = _stripped.get(graph)
    if known is None:
        nodes = []
        for node in graph.nodes:
            if node.op is assign_variable:
                continue
            if node.subgraphs():
                params = {k: without_writes(v) if isinstance(v, Graph) else v
                          for k, v in node.params.items()}
                if "handlers" in params:  # a `try` node: (types, graph) pairs
                    params["handlers"] = tuple((kinds, without_writes(g))
                                               for kinds, g in params["handlers"])
                node = _copy(node, params)
            nodes.append(node)
        known = _stripped[graph] = Graph(graph.name, graph.inputs, nodes, graph.outputs)
    return known


def _copy(node: Node, params: dict) -> Node:
    new = Node(node.op, node.inputs, params, (), node.origin)
    new.outputs = node.outputs  # shared values: `Var.node` keeps the original
    return new
