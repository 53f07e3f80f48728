"""Control-flow and call ops: `while_loop` (a node owning sub-graphs) and `call`.

A sub-graph's inputs bind to the node's inputs by position: for `while_loop` they are
`(*init, *captured)` and `cond`/`body` take `(*loop_vars, *captured)`. The executor emits
it as a Python `while` block over numpy, inline in the compiled function.
Nodes are built by `autotrace.runtime.control_flow`, which traces the sub-graphs.
"""

from __future__ import annotations

from autotrace.compile.buffers import IN_PLACE, loop_owned_writes
from autotrace.control.common import bind_inputs, no_abstract, run_graph
from autotrace.ops.registry import Aval, Op, apply, register
from autotrace.ops.state import writes_variables


# --- while_loop -----------------------------------------------------------------------------
def _while_impl(*inputs, cond, body):
    n = len(body.outputs)
    state, captured = list(inputs[:n]), inputs[n:]
    while run_graph(cond, *state, *captured)[0]:
        state = list(run_graph(body, *state, *captured))
    return tuple(state)


def _emit_while(node, em, indent: str) -> None:
    cond_g, body = node.params["cond"], node.params["body"]
    n = len(node.outputs)
    names = [em.name(v) for v in node.outputs]
    captured = node.inputs[n:]
    if names:
        em.emit(f"{', '.join(names)} = {', '.join(em.value(x) for x in node.inputs[:n])}",
                indent, node)
    owned = loop_owned_writes(body, n) if em.reuses_buffers else {}
    for k, chain in owned.items():  # the loop's own buffer, written in place on every trip
        em.emit(f"{names[k]} = {names[k]}.copy()", indent, node)
        em.inplace.update({id(w): IN_PLACE[w.op] for w in chain})
    em.emit("while True:", indent, node)
    inner = indent + "    "
    em.trip_start(names, inner)
    bind_inputs(em, cond_g, [*node.outputs, *captured])
    em.emit_graph(cond_g, inner)
    em.emit(f"if not {em.value(cond_g.outputs[0])}:", inner, node)
    em.emit("break", inner + "    ")
    bind_inputs(em, body, [*node.outputs, *captured])
    em.emit_graph(body, inner)
    if names:
        em.emit(f"{', '.join(names)} = {', '.join(em.value(o) for o in body.outputs)}", inner)


while_loop = register(Op("while_loop", _while_impl, no_abstract, multiple_results=True,
                         emit=_emit_while))


# --- call -----------------------------------------------------------------------------------
def _call_abstract(*avals, fn, snapshot=None):
    return tuple(Aval(v.shape, v.dtype) for v in fn.graph.outputs)


def _call_impl(*inputs, fn, snapshot=None):
    # The op's inputs end with the function's captured Variables (so tapes see them);
    # `_run_raw` reads their current values itself.
    return fn._run_raw(inputs[: len(inputs) - len(fn.variables)])


call = register(Op("call", _call_impl, _call_abstract, multiple_results=True))


def call_concrete(fn, inputs) -> tuple:
    """Run a compiled graph function on `inputs` (then its captured `Variable`s) as one
    op, so tapes record it and can differentiate through it (autodiff/control.py).

    A function that assigns its Variables records their values before the call
    (`snapshot`): its gradient is taken at those values, not at the ones it wrote."""
    extra = {}
    if fn.variables and writes_variables(fn.graph):
        extra["snapshot"] = tuple(v.numpy() for v in fn.variables)
    return apply(call, *inputs, *fn.variables, fn=fn, **extra)
