"""VJPs of the `try` and `errstate` ops (ops/trying.py).

* `try`: the node outputs the path taken (0: the body, k + 1: handler k); the VJP is a
  `cond` over the path whose branch replays that path's parts (body, `else` or handler k,
  then `finally`) under a tape, without their effects. A handler path on which the body
  had already changed a float variable when it raised (`partial`) would need the gradient
  of the part of the body that ran: that branch raises `UnsupportedError` when run.
* `errstate`: the region's VJP by replay (the settings do not apply to the backward ops).

JVPs come from the VJPs (both are linear in the cotangents).
"""

from __future__ import annotations

import numpy as np

from autotrace import context
from autotrace.autodiff.backprop import is_float
from autotrace.autodiff.inline import graph_vjp, inline, replay_vjp
from autotrace.errors import UnsupportedError
from autotrace.graph.ir import Var
from autotrace.ops import trying
from autotrace.ops.elementwise import equal
from autotrace.ops.shape import astype
from autotrace.runtime.graph_cond import graph_cond
from autotrace.runtime.raising import raise_
from autotrace.tensor import is_tensor


def _floats(values) -> list[int]:
    return [i for i, x in enumerate(values) if is_float(x) and is_tensor(x)]


def _path_grads(parts, inputs, n, cts, wanted, final, hold) -> list:
    def replay(args):
        state, captured = args[:n], args[n:]
        for kind, graph in parts:
            if kind == "handler":  # the body raised before changing a float variable
                state = [_as(state[h[1]], h[2]) if h[0] == "in" else
                         _unread(graph.inputs[2 + k]) if h[0] == "unbound" else h[1]
                         for k, h in enumerate(hold)]
            head = [_absent()] * (2 if kind == "handler" else 1)
            state = inline(graph, [*head, *state, *captured], replay="quiet")
        if final is not None:
            state = inline(final, [*state, *captured], replay="quiet")
        return state

    return replay_vjp(replay, inputs, cts, wanted)


_PARTIAL = ("The gradient of this function takes the `except` path of a `try` whose body "
            "had already changed a float variable when the exception was raised: autotrace "
            "cannot differentiate the part of the body that ran. Compute the values the "
            "handler needs before the `try`.")


def _absent():
    """The try state (and the exception) in a replay: no `TryRun`, so its `try_save`s,
    in nested branches and loops too, write nothing; an `obj[]` value, as their inputs."""
    builder = context.current_builder()
    if builder is None:
        return None
    var = Var((), np.dtype(object), "try_state")
    builder.add_node(trying.unbound, (), {"name": "try_state",
                                          "spec": ((), np.dtype(object), None)}, (var,))
    return builder.tensor(var)


def _unread(var):
    """A stand-in for a variable unbound on this path (the forward pass raises Python's
    `UnboundLocalError` where it is read, so its value never counts)."""
    if var.weak is not None:
        return var.weak(0)
    return np.zeros(tuple(d or 0 for d in var.shape), var.dtype)


def _as(value, spec):
    """`value` as the type `spec` (shape, dtype, weak) a handler reads it as."""
    _, dtype, weak = spec
    if is_tensor(value) and weak is None and (value.symbol.weak is not None or
                                              value.dtype != dtype):
        return astype(value, dtype)
    return value


def try_vjp(cts, *rest, n, body, handlers, orelse, final, hold, escape, types,
            escaping=None):
    inputs, outputs = rest[:-1], rest[-1]
    wanted = _floats(inputs)
    if not wanted:
        return (None,) * len(inputs)
    m = len(types)
    path, partial = outputs[m], outputs[m + 1]
    out_cts = list(cts[:m])

    def normal():
        parts = [("body", body)] + ([("else", orelse)] if orelse is not None else [])
        return tuple(_path_grads(parts, inputs, n, out_cts, wanted, final, hold))

    def handler(k):
        def grads():
            return tuple(_path_grads([("handler", handlers[k][1])], inputs, n, out_cts,
                                     wanted, final, hold))

        def refuse():
            raise_(UnsupportedError(_PARTIAL))

        return lambda: graph_cond(partial, refuse, grads, (), "if")

    def chain(k):
        if k == len(handlers) - 1:
            return handler(k)
        return lambda: graph_cond(equal(path, k + 1), handler(k), chain(k + 1), (), "if")

    if handlers:
        grads = graph_cond(equal(path, 0), normal, chain(0), (), "if")
    else:
        grads = normal()
    out = [None] * len(inputs)
    for i, g in zip(wanted, grads):
        out[i] = g
    return tuple(out)


trying.try_op.vjp = try_vjp


def errstate_vjp(cts, *rest, region, settings):
    inputs = rest[:-1]
    wanted = _floats(inputs)
    if not wanted:
        return (None,) * len(inputs)
    grads = graph_vjp(region, inputs, list(cts), wanted)
    out = [None] * len(inputs)
    for i, g in zip(wanted, grads):
        out[i] = g
    return tuple(out)


trying.errstate.vjp = errstate_vjp
