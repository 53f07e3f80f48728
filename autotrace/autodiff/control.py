"""VJPs of `cond`, `while_loop` and `call`.

* `cond`: a `cond` over the branches' VJPs (each branch replays its forward part under a
  tape, so residuals come from the taken branch only).
* `while_loop`: the forward loop is replayed once more by a `loop_history` node that
  keeps every iteration's input state (memory: trip count x size of the loop state);
  then a reverse `while_loop` walks the history from the last iteration to the first,
  applying the body's VJP. The trip count may depend on the data: the reverse loop runs
  exactly as many iterations as the forward one did (JAX refuses this case).
* `call` (a concrete function run as one op under an eager tape): the VJP calls the
  function's backward graph, traced once and cached on the function.
"""

from __future__ import annotations

import numpy as np

from autotrace import context
from autotrace.autodiff.backprop import is_float
from autotrace.autodiff.inline import inline
from autotrace.ops import control
from autotrace.ops.registry import Aval, Op, apply, register


def _floats(values) -> list[int]:
    return [i for i, x in enumerate(values) if is_float(x) and _is_tensor(x)]


def _is_tensor(x) -> bool:
    from autotrace.tensor import TensorBase

    return isinstance(x, TensorBase)


def graph_vjp(graph, inputs, cts, wanted: list[int]) -> list:
    """Cotangents of `graph`'s inputs `wanted`, replaying it on `inputs` under a tape."""
    from autotrace.autodiff.tape import GradientTape

    builder = context.current_builder()
    watched = [builder.tensor(builder.to_input(inputs[i])) for i in wanted]
    args = list(inputs)
    for i, w in zip(wanted, watched):
        args[i] = w
    with GradientTape(persistent=True) as tape:
        tape.watch(watched)
        outputs = inline(graph, args)
    pairs = [(o, c) for o, c in zip(outputs, cts) if c is not None and _is_tensor(o)]
    if not pairs:
        from autotrace.ops.creation import zeros_like

        return [zeros_like(w) for w in watched]
    return tape.gradient([o for o, _ in pairs], watched,
                         output_gradients=[c for _, c in pairs], unconnected_gradients="zero")


# -- cond ------------------------------------------------------------------------------------
def cond_vjp(cts, pred, *rest, then, orelse):
    from autotrace.runtime.control_flow import graph_cond

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


# -- while_loop ------------------------------------------------------------------------------
def _history_impl(*inputs, cond, body):
    n = len(body.outputs)
    state, captured = list(inputs[:n]), inputs[n:]
    history = []
    while control.run_graph(cond, *state, *captured)[0]:
        history.append(tuple(state))
        state = list(control.run_graph(body, *state, *captured))
    return np.int64(len(history)), _History(history)


class _History:
    """Per-iteration loop states (an opaque graph value of dtype object)."""

    __slots__ = ("states",)

    def __init__(self, states: list):
        self.states = states

    def __repr__(self) -> str:
        return f"<loop history: {len(self.states)} iterations>"


loop_history = register(Op(
    "loop_history", _history_impl,
    lambda *avals, cond, body: (Aval((), np.dtype(np.int64)), Aval((), np.dtype(object))),
    multiple_results=True, differentiable=False,
))


def _history_get_abstract(history, index, types):
    return tuple(Aval(shape, dtype, weak) for shape, dtype, weak in types)


history_get = register(Op(
    "history_get", lambda history, index, types: history.states[int(index)],
    _history_get_abstract, multiple_results=True, differentiable=False,
))


def while_vjp(cts, *rest, cond, body):
    from autotrace.ops.creation import zeros_like
    from autotrace.runtime.control_flow import graph_while

    inputs, outputs = rest[:-1], rest[-1]
    n = len(body.outputs)
    init, captured = inputs[:n], inputs[n:]
    state_wanted = _floats(outputs)
    captured_wanted = [n + i for i in _floats(captured)]
    if not state_wanted and not captured_wanted:
        return (None,) * len(inputs)
    count, history = apply(loop_history, *inputs, cond=cond, body=body)
    types = tuple((v.shape, v.dtype, v.weak) for v in body.inputs[:n])
    ct_state = [cts[i] if cts[i] is not None else zeros_like(outputs[i]) for i in state_wanted]
    ct_captured = [zeros_like(inputs[i]) for i in captured_wanted]
    wanted = state_wanted + captured_wanted

    def reverse_cond(i, *_):
        return i >= 0

    def reverse_body(i, *carry):
        state = apply(history_get, history, i, types=types)
        ct_out = [None] * n
        for k, c in zip(state_wanted, carry[:len(state_wanted)]):
            ct_out[k] = c
        grads = graph_vjp(body, [*state, *captured], ct_out, wanted)
        new_state = grads[:len(state_wanted)]
        new_captured = [a + g for a, g in zip(carry[len(state_wanted):],
                                              grads[len(state_wanted):])]
        return (i - 1, *new_state, *new_captured)

    names = ("iteration",) + tuple(f"d{k}" for k in range(len(wanted)))
    final = graph_while(reverse_cond, reverse_body, (count - 1, *ct_state, *ct_captured), names,
                        "while")
    out = [None] * len(inputs)
    for k, g in zip(wanted, final[1:]):
        out[k] = g
    return tuple(out)


control.while_loop.vjp = while_vjp


# -- call ------------------------------------------------------------------------------------
def call_vjp(cts, *rest, fn):
    inputs, outputs = rest[:-1], rest[-1]
    backward = fn.backward()
    float_out = backward.float_outputs
    grads = control.call_concrete(backward, [*inputs, *[
        cts[i] if cts[i] is not None else np.zeros_like(np.asarray(outputs[i]))
        for i in float_out]])
    out = [None] * len(inputs)
    for i, g in zip(backward.float_inputs, grads):
        out[i] = g
    return tuple(out)


control.call.vjp = call_vjp
