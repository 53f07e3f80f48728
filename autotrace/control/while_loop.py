"""The `while_loop` op: a node owning a condition and a body sub-graph, its impl, code,
VJP, JVP and batching rule. Its tracing (`graph_while`, `graph_for`) is
`control/loop_trace.py`, and the loop history its VJP records is `autodiff/history.py`:
both are large, and the history's reverse sweep traces loops itself, so they sit below
this module, which imports them.

The node's inputs are `(*init, *captured)`; `cond` and `body` take `(*loop_vars,
*captured)` (their inputs bind to them by position). The executor emits a Python `while`
block over numpy, inline in the compiled function.

* VJP: the loop runs again as a `loop_history` node that records every iteration's input
  state (memory: trip count x size of the loop state); then a reverse `while_loop` walks
  the record from the last iteration to the first, applying the body's VJP (see
  `autodiff/history.py`). The trip count may depend on the data: the reverse loop runs
  exactly as many iterations as the forward one did (JAX refuses this case). The record
  is a float array with its own VJP, so higher derivatives work too.
* JVP: a `while_loop` whose state is the loop variables and their tangents (nothing
  stored; trip counts may depend on the data). Forward mode over a loop's gradient
  (`loop_history`'s JVP) uses it through the registry.
* Batching: a masked loop. It runs while any example's condition holds, and an example
  whose condition is false keeps its state (`where`), so trip counts may differ per
  example.
"""

from __future__ import annotations

from autotrace.autodiff.backprop import is_float
from autotrace.autodiff.history import record_loop
from autotrace.autodiff.inline import batch_graph, inline
from autotrace.autodiff.jvp_trace import jvp_graph
from autotrace.compile.buffers import IN_PLACE, loop_owned_writes
from autotrace.compile.codegen import hoist_loop_bounds
from autotrace.control.common import (
    batched_outputs,
    bind_inputs,
    float_positions,
    materialized,
    no_abstract,
    run_graph,
    select,
    spread,
    state_result,
)
from autotrace.control.loop_trace import graph_for, graph_while  # noqa: F401 - its tracing
from autotrace.ops.reduce import any as reduce_any
from autotrace.ops.registry import Op, register
from autotrace.ops.shape import broadcast_to
from autotrace.ops.state import without_writes


# -- the op: impl and code ---------------------------------------------------------------------
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
    bind_inputs(em, cond_g, [*node.outputs, *captured])
    hoist_loop_bounds(em, cond_g, n, indent)
    em.emit("while True:", indent, node)
    inner = indent + "    "
    em.trip_start(names, inner)
    em.emit_graph(cond_g, inner)
    em.emit(f"if not {em.value(cond_g.outputs[0])}:", inner, node)
    em.emit("break", inner + "    ")
    bind_inputs(em, body, [*node.outputs, *captured])
    em.emit_loop_body(body, inner)
    em.emit_next_state(names, body, inner)


# -- VJP and JVP -----------------------------------------------------------------------------
def while_vjp(cts, *rest, cond, body):
    """Record the loop's iterations (`loop_history`), then sweep them in reverse."""
    inputs, outputs = rest[:-1], rest[-1]
    n = len(body.outputs)
    if not float_positions(outputs) and not float_positions(inputs[n:]):
        return (None,) * len(inputs)
    # The record runs the loop again: without its Variable writes (the loop ran them).
    record = record_loop(inputs, without_writes(cond), without_writes(body),
                         [getattr(o.symbol, "name", None) for o in outputs])
    return record.reverse_sweep(list(cts))


def while_jvp(primals, tangents, cond, body):
    """The tangents of the loop variables ride along as extra loop variables."""
    n = len(body.outputs)
    init, captured, t_captured = primals[:n], primals[n:], tangents[n:]
    floats = [is_float(v) for v in body.inputs[:n]]

    def cond_fn(*state):
        return inline(cond, [*state[:n], *captured])[0]

    def body_fn(*state):
        outs, touts = jvp_graph(body, [*state[:n], *captured],
                                [*spread(state[n:], floats), *t_captured])
        return state_result((*outs, *materialized(outs, touts, floats)))

    names = [v.name or f"v{k}" for k, v in enumerate(body.inputs[:n])]
    names += [f"d{name}" for name, f in zip(names, floats) if f]
    state = (*init, *materialized(init, tangents[:n], floats))
    results = graph_while(cond_fn, body_fn, state, tuple(names), "while")
    results = results if isinstance(results, tuple) else (results,)
    return tuple(results[:n]), spread(results[n:], floats)


# -- batching --------------------------------------------------------------------------------
def _while_rule(trace, op, values, dims, params):
    """A masked loop over batched state: runs while any example's condition holds."""
    cond, body = params["cond"], params["body"]
    n = len(body.outputs)
    captured, cdims = values[n:], dims[n:]
    size = trace.size

    def pred_of(state):
        p, pd = batch_graph(cond, [*state, *captured], [0] * n + list(cdims), size)
        return p[0] if pd[0] is not None else broadcast_to(p[0], (size,))

    def cond_fn(*state):
        return reduce_any(pred_of(state))

    def body_fn(*state):
        pred = pred_of(state)
        new, nd = batch_graph(body, [*state, *captured], [0] * n + list(cdims), size)
        new = batched_outputs(trace, new, nd)
        return state_result(tuple(select(pred, a, b) for a, b in zip(new, state)))

    init = [trace.batched(x, d) for x, d in zip(values[:n], dims[:n])]
    names = tuple(v.name or f"v{k}" for k, v in enumerate(body.inputs[:n]))
    results = graph_while(cond_fn, body_fn, tuple(init), names, "while")
    results = results if isinstance(results, tuple) else (results,)
    return results, (0,) * n


while_loop = register(Op("while_loop", _while_impl, no_abstract, vjp=while_vjp,
                         multiple_results=True, emit=_emit_while, jvp=while_jvp,
                         batch=_while_rule))
