"""VJPs and JVPs of `cond`, `while_loop` and `call`.

* `cond`: a `cond` over the branches' VJPs (each branch replays its forward part under a
  tape, so residuals come from the taken branch only).
* `while_loop`: the loop runs again as a `loop_history` node that records every
  iteration's input state (memory: trip count x size of the loop state); then a reverse
  `while_loop` walks the record from the last iteration to the first, applying the body's
  VJP (see `autodiff/history.py`). The trip count may depend on the data: the reverse loop
  runs exactly as many iterations as the forward one did (JAX refuses this case). The
  record is a float array with its own VJP, so higher derivatives work too.
* `call` (a concrete function run as one op under an eager tape): the VJP calls the
  function's backward graph, traced once and cached on the function.

JVPs store nothing: `cond` becomes a `cond` over the branches' JVPs, `while_loop` a
`while_loop` whose state is the loop variables and their tangents (trip counts may depend
on the data), `call` the function's graph replayed in forward mode.
"""

from __future__ import annotations

from autotrace.autodiff.backprop import is_float
from autotrace.autodiff.forward import jvp_graph
from autotrace.autodiff.history import record_loop
from autotrace.autodiff.inline import graph_vjp
from autotrace.autodiff.loop_jvp import _materialized, _spread, while_jvp
from autotrace.ops import control
from autotrace.ops.creation import zeros_like
from autotrace.ops.state import without_writes
from autotrace.runtime.control_flow import graph_cond
from autotrace.tensor import is_tensor


def _floats(values) -> list[int]:
    return [i for i, x in enumerate(values) if is_float(x) and is_tensor(x)]


# -- cond ------------------------------------------------------------------------------------
def cond_vjp(cts, pred, *rest, then, orelse):

    operands = rest[:-1]
    wanted = _floats(operands)
    if not wanted:
        return (None,) * (len(operands) + 1)

    def branch(graph):
        return lambda: tuple(graph_vjp(graph, operands, cts, wanted))

    grads = graph_cond(pred, branch(then), branch(orelse), (), "if")
    out = [None] * len(operands)
    for i, g in zip(wanted, grads):
        out[i] = g
    return (None, *out)


control.cond.vjp = cond_vjp


def cond_jvp(primals, tangents, then, orelse):
    pred, operands, t_operands = primals[0], primals[1:], tangents[1:]
    floats = [is_float(v) for v in then.outputs]

    def branch(graph):
        def run():
            outs, touts = jvp_graph(graph, operands, t_operands)
            return (*outs, *_materialized(outs, touts, floats))

        return run

    results = graph_cond(pred, branch(then), branch(orelse), (), "if")
    n = len(floats)
    return tuple(results[:n]), _spread(results[n:], floats)


control.cond.jvp = cond_jvp


# -- while_loop ------------------------------------------------------------------------------
def while_vjp(cts, *rest, cond, body):
    """Record the loop's iterations (`loop_history`), then sweep them in reverse."""
    inputs, outputs = rest[:-1], rest[-1]
    n = len(body.outputs)
    if not _floats(outputs) and not _floats(inputs[n:]):
        return (None,) * len(inputs)
    # The record runs the loop again: without its Variable writes (the loop ran them).
    record = record_loop(inputs, without_writes(cond), without_writes(body),
                         [getattr(o.symbol, "name", None) for o in outputs])
    return record.reverse_sweep(list(cts))


control.while_loop.vjp = while_vjp


control.while_loop.jvp = while_jvp


# -- call ------------------------------------------------------------------------------------
def call_vjp(cts, *rest, fn, snapshot=None):
    """Run the function's backward graph (built once, cached on it) as another `call`."""

    inputs, outputs = rest[:-1], rest[-1]
    if snapshot is not None:  # the Variables' values when the function ran
        inputs = (*inputs[: len(inputs) - len(snapshot)], *snapshot)
    backward = fn.backward()
    out_cts = [cts[i] if cts[i] is not None else zeros_like(outputs[i])
               for i in backward.float_outputs]
    grads = control.call_concrete(backward, [*inputs, *out_cts])
    out = [None] * len(inputs)
    for i, g in zip(backward.float_inputs, grads):
        out[i] = g
    return tuple(out)


control.call.vjp = call_vjp


def call_jvp(primals, tangents, fn, snapshot=None):
    outs, touts = jvp_graph(fn.graph, primals, tangents)
    return tuple(outs), tuple(touts)


control.call.jvp = call_jvp
