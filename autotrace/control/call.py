"""The `call` op: a compiled graph function (a concrete function) run as one op, its impl,
VJP, JVP and batching rule.

Eager code and tapes see a concrete function called on tensors as one `call` node
(`call_concrete`), and `checkpoint(f)` makes `f` one inside a trace.

* VJP: the function's backward graph (`GraphFunction.backward`, traced once and cached on
  the function), run as another `call`.
* JVP: the function's graph replayed in forward mode (nothing stored).
* Batching: the function's graph replayed under the batch trace.
"""

from __future__ import annotations

from autotrace.autodiff.inline import batch_graph
from autotrace.autodiff.jvp_trace import jvp_graph
from autotrace.ops.creation import zeros_like
from autotrace.ops.registry import Aval, Op, apply, register
from autotrace.ops.state import writes_variables


# -- the op: impl ----------------------------------------------------------------------------
def _call_abstract(*avals, fn, snapshot=None):
    return tuple(Aval(v.shape, v.dtype) for v in fn.graph.outputs)


def _call_impl(*inputs, fn, snapshot=None):
    # The op's inputs end with the function's captured Variables (so tapes see them);
    # `_run_raw` reads their current values itself.
    return fn._run_raw(inputs[: len(inputs) - len(fn.variables)])


def call_concrete(fn, inputs) -> tuple:
    """Run a compiled graph function on `inputs` (then its captured `Variable`s) as one
    op, so tapes record it and can differentiate through it (its VJP below).

    A function that assigns its Variables records their values before the call
    (`snapshot`): its gradient is taken at those values, not at the ones it wrote."""
    extra = {}
    if fn.variables and writes_variables(fn.graph):
        extra["snapshot"] = tuple(v.numpy() for v in fn.variables)
    return apply(call, *inputs, *fn.variables, fn=fn, **extra)


# -- VJP and JVP -----------------------------------------------------------------------------
def call_vjp(cts, *rest, fn, snapshot=None):
    """Run the function's backward graph (built once, cached on it) as another `call`."""

    inputs, outputs = rest[:-1], rest[-1]
    if snapshot is not None:  # the Variables' values when the function ran
        inputs = (*inputs[: len(inputs) - len(snapshot)], *snapshot)
    backward = fn.backward()
    out_cts = [cts[i] if cts[i] is not None else zeros_like(outputs[i])
               for i in backward.float_outputs]
    grads = call_concrete(backward, [*inputs, *out_cts])
    out = [None] * len(inputs)
    for i, g in zip(backward.float_inputs, grads):
        out[i] = g
    return tuple(out)


def call_jvp(primals, tangents, fn, snapshot=None):
    outs, touts = jvp_graph(fn.graph, primals, tangents)
    return tuple(outs), tuple(touts)


# -- batching --------------------------------------------------------------------------------
def _call_rule(trace, op, values, dims, params):
    outs, out_dims = batch_graph(params["fn"].graph, values, dims, trace.size)
    return tuple(outs), tuple(out_dims)


call = register(Op("call", _call_impl, _call_abstract, vjp=call_vjp, multiple_results=True,
                   jvp=call_jvp, batch=_call_rule))
