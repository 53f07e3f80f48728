"""VJPs and JVPs of `while_loop` and `call`.

* `while_loop`: the loop runs again as a `loop_history` node that records every
  iteration's input state (memory: trip count x size of the loop state); then a reverse
  `while_loop` walks the record from the last iteration to the first, applying the body's
  VJP (see `autodiff/history.py`). The trip count may depend on the data: the reverse loop
  runs exactly as many iterations as the forward one did (JAX refuses this case). The
  record is a float array with its own VJP, so higher derivatives work too.
* `call` (a concrete function run as one op under an eager tape): the VJP calls the
  function's backward graph, traced once and cached on the function.

JVPs store nothing: `while_loop` becomes a `while_loop` whose state is the loop variables
and their tangents (trip counts may depend on the data), `call` the function's graph
replayed in forward mode.
"""

from __future__ import annotations

from autotrace.autodiff.jvp_trace import jvp_graph
from autotrace.ops import control
from autotrace.ops.creation import zeros_like


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
