"""Control-flow and call ops: `cond`, `while_loop` (nodes owning sub-graphs) and `call`.

    y: f64[3] = cond p x
      then(x_1: f64[3]):
        ...
      else(x_2: f64[3]):
        ...

A sub-graph's inputs bind to the node's inputs by position: for `cond` the node inputs
are `(pred, *operands)` and both branches take `operands`; for `while_loop` they are
`(*init, *captured)` and `cond`/`body` take `(*loop_vars, *captured)`. The executor emits
them as Python `if` / `while` blocks over numpy, inline in the compiled function.
Nodes are built by `autotrace.runtime.control_flow`, which traces the sub-graphs.
"""

from __future__ import annotations

import weakref

from autotrace.compile.buffers import IN_PLACE, loop_owned_writes
from autotrace.compile.codegen import compile_graph, hoist_loop_bounds
from autotrace.ops.registry import Aval, Op, apply, register
from autotrace.ops.state import writes_variables

_compiled: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def run_graph(graph, *inputs) -> tuple:
    """Run a (sub-)graph on concrete inputs (compiled once per graph)."""

    fn = _compiled.get(graph)
    if fn is None:
        fn = _compiled[graph] = compile_graph(graph)
    return fn(*inputs)


def _no_abstract(*avals, **params):
    raise AssertionError("control-flow nodes are built by autotrace.runtime.control_flow")


# --- cond -----------------------------------------------------------------------------------
def _cond_impl(pred, *operands, then, orelse):
    return run_graph(then if pred else orelse, *operands)


def _emit_cond(node, em, indent: str) -> None:
    operands = node.inputs[1:]
    outs = [em.name(v) for v in node.outputs]
    em.emit(f"if {em.value(node.inputs[0])}:", indent, node)
    for key in ("then", "orelse"):
        if key == "orelse":
            em.emit("else:", indent)
        branch = node.params[key]
        _bind_inputs(em, branch, operands)
        em.emit_graph(branch, indent + "    ")
        results = [em.value(o) for o in branch.outputs]
        em.emit(f"{', '.join(outs)} = {', '.join(results)}" if outs else "pass", indent + "    ")


def _bind_inputs(em, graph, values) -> None:
    for inner, outer in zip(graph.inputs, values):
        em.alias(inner, em.value(outer))


cond = register(Op("cond", _cond_impl, _no_abstract, multiple_results=True, emit=_emit_cond))


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
    _bind_inputs(em, cond_g, [*node.outputs, *captured])
    hoist_loop_bounds(em, cond_g, n, indent)
    em.emit("while True:", indent, node)
    inner = indent + "    "
    em.trip_start(names, inner)
    em.emit_graph(cond_g, inner)
    em.emit(f"if not {em.value(cond_g.outputs[0])}:", inner, node)
    em.emit("break", inner + "    ")
    _bind_inputs(em, body, [*node.outputs, *captured])
    em.emit_loop_body(body, inner)
    em.emit_next_state(names, body, inner)


while_loop = register(Op("while_loop", _while_impl, _no_abstract, multiple_results=True,
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
