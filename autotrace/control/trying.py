"""The `try` and `errstate` ops: nodes owning sub-graphs that run inside a Python `try` /
`with np.errstate(...)` when the compiled function runs, so run-time errors of the ops in
them (`FloatingPointError`, `LinAlgError`, `ZeroDivisionError`, a `raise` node) are caught
exactly as the plain function catches them; their impls, generated code and VJPs.

    y, path, partial = try body(state, y, x) handlers=((LinAlgError, handler),) ...

`try` node inputs are `(*state, *captured)`: the statement's variables before it, then the
outer values the sub-graphs read. Sub-graph inputs bind by position:

* `body(run, *state, *captured)`; `orelse(run, *body's results, *captured)`;
* each handler `(run, exception, *run.values, *captured)`;
* `final(*results, *captured)`;

and each outputs the variables after it (the types of each part's variables are its
own: see runtime/graph_try.py). `hold` says how `run.values` starts (from an input, cast,
or a constant). `run` is the statement's run-time `TryRun` (ops/trying.py): the
`try_save` nodes the converter puts after each statement of the body write the variables
there, so a handler (and `finally`, when an exception escapes: `escape` says where its
inputs are) sees the values they had when the exception was raised, as in Python. The
node outputs the final state, the path taken (`path`: 0 for the body, k + 1 for handler
k) and `partial` (whether the body had changed a float variable before the exception).

`errstate(*captured, region, settings)` runs `region` under `np.errstate(**settings)`.

The tracing of both (`try_stmt`, `errstate_stmt`: Python's own statement where nothing is
traced, one node otherwise) is `runtime/graph_try.py`, which imports this module; the
effect ops inside their sub-graphs (`try_save`, `reraise`, `raise_from`, `seterr`) and
`TryRun` are `ops/trying.py`, below the runtime.

* VJP of `try`: the node outputs the path taken (0: the body, k + 1: handler k); the VJP
  is a `cond` over the path whose branch replays that path's parts (body, `else` or
  handler k, then `finally`) under a tape, without their effects. A handler path on which
  the body had already changed a float variable when it raised (`partial`) would need the
  gradient of the part of the body that ran: that branch raises `UnsupportedError` when
  run.
* VJP of `errstate`: the region's VJP by replay (the settings do not apply to the
  backward ops).
* JVPs come from the VJPs (both are linear in the cotangents); batching loops over the
  examples.
"""

from __future__ import annotations

import numpy as np

from autotrace.autodiff.backprop import is_float
from autotrace.autodiff.inline import graph_vjp, inline, replay_vjp
from autotrace.control.common import run_graph
from autotrace.control.cond import graph_cond
from autotrace.errors import UnsupportedError
from autotrace.ops.elementwise import equal
from autotrace.ops.registry import Aval, Op, register
from autotrace.ops.shape import astype
from autotrace.ops.trying import TryRun, cast
from autotrace.runtime.raising import raise_
from autotrace.tensor import is_tensor


# -- try: impl and code --------------------------------------------------------------------
def _try_impl(*inputs, n, body, handlers, orelse, final, hold, escape, types):
    given, captured = inputs[:n], inputs[n:]
    run = TryRun([cast(given[h[1]], h[2]) if h[0] == "in" else h[1] for h in hold])
    path, partial = 0, False
    try:
        out = run_graph(body, run, *given, *captured)
    except BaseException as e:
        for k, (kinds, handler) in enumerate(handlers):
            if isinstance(e, kinds):
                path, partial = k + 1, run.touched
                with _finally_on_escape(final, run, escape, captured):
                    out = run_graph(handler, run, e, *run.values, *captured)
                break
        else:
            _escape(final, run, escape, captured)
            raise
    else:
        if orelse is not None:
            with _finally_on_escape(final, run, escape, captured):
                out = run_graph(orelse, run, *out, *captured)
    if final is not None:
        out = run_graph(final, *out, *captured)
    return (*out, np.int64(path), np.bool_(partial))


class _finally_on_escape:
    """Context: `finally` runs before an exception escapes the block."""

    __slots__ = ("args",)

    def __init__(self, *args):
        self.args = args

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if kind is not None:
            _escape(*self.args)
        return False


def _escape(final, run, escape, captured) -> None:
    """Run `finally` as an exception escapes: the variables as they were last saved."""
    if final is not None:
        values = [run.values[v] if how == "run" else v for how, v in escape]
        run_graph(final, *values, *captured)


def _emit_try(node, em, indent: str) -> None:
    """Inline Python, as `_try_impl` runs it: the parts' code inside a real `try`."""
    p = node.params
    given, captured = node.inputs[:p["n"]], list(node.inputs[p["n"]:])
    outs = [em.name(v) for v in node.outputs]
    path, partial = outs[-2], outs[-1]
    run = em.fresh("try_state")
    fix = em.bind(cast, "cast")
    held = [f"{fix}({em.value(given[h[1]])}, {em.constant(h[2], 'spec')})" if h[0] == "in"
            else em.constant(h[1]) for h in p["hold"]]
    em.emit(f"{run} = {em.bind(TryRun, 'TryRun')}([{', '.join(held)}])", indent, node)
    em.emit(f"{path}, {partial} = 0, False", indent)
    held_values = [f"{run}.values[{k}]" for k in range(len(p["hold"]))]
    results = [em.fresh("try_value") for _ in p["escape"]]
    inner, deeper = indent + "    ", indent + "        "
    em.emit("try:", indent)
    body_out = results if p["orelse"] is None else [em.fresh("try_value") for _ in
                                                    p["body"].outputs]
    _emit_part(em, p["body"], [run, *map(em.value, given)], captured, body_out, inner)
    exc = em.fresh("exception")
    em.emit(f"except BaseException as {exc}:", indent)
    for k, (kinds, handler) in enumerate(p["handlers"]):
        em.emit(f"{'if' if k == 0 else 'elif'} isinstance({exc}, "
                f"{em.bind(kinds, 'kinds')}):", inner)
        em.emit(f"{path}, {partial} = {k + 1}, {run}.touched", deeper)
        _emit_guarded(em, p, run, captured, deeper, lambda at, h=handler: _emit_part(
            em, h, [run, exc, *held_values], captured, results, at))
    if p["handlers"]:
        em.emit("else:", inner)
    _emit_escape(em, p, run, captured, deeper if p["handlers"] else inner)
    em.emit("raise", deeper if p["handlers"] else inner)
    if p["orelse"] is not None:
        em.emit("else:", indent)
        _emit_guarded(em, p, run, captured, inner, lambda at: _emit_part(
            em, p["orelse"], [run, *body_out], captured, results, at))
    values = results
    if p["final"] is not None:
        values = [em.fresh("try_value") for _ in p["final"].outputs]
        _emit_part(em, p["final"], results, captured, values, indent)
    if values:
        em.emit(f"{', '.join(outs[:-2])} = {', '.join(values)}", indent)


def _emit_part(em, graph, leading: list, captured: list, targets: list, indent: str):
    """A sub-graph inline: inputs `leading` (expressions) then `captured` (node inputs);
    its outputs assigned to the names `targets`."""
    for var, expr in zip(graph.inputs, leading):
        em.alias(var, expr)
    for var, x in zip(graph.inputs[len(leading):], captured):
        em.alias(var, em.value(x))
    em.emit_graph(graph, indent)
    if targets:
        em.emit(f"{', '.join(targets)} = {', '.join(em.value(o) for o in graph.outputs)}",
                indent)
    else:
        em.emit("pass", indent)


def _emit_guarded(em, p, run, captured, indent, emit_part) -> None:
    """`emit_part` inside `try:`, with `finally` run before an exception escapes."""
    em.emit("try:", indent)
    emit_part(indent + "    ")
    em.emit("except BaseException:", indent)
    _emit_escape(em, p, run, captured, indent + "    ")
    em.emit("raise", indent + "    ")


def _emit_escape(em, p, run, captured, indent) -> None:
    if p["final"] is None:
        return
    values = [f"{run}.values[{v}]" if how == "run" else em.constant(v)
              for how, v in p["escape"]]
    _emit_part(em, p["final"], values, captured, [], indent)


def _try_abstract(*avals, n, body, handlers, orelse, final, hold, escape, types):
    return (*(Aval(shape, dtype, weak) for shape, dtype, weak in types),
            Aval((), np.dtype(np.int64)), Aval((), np.dtype(np.bool_)))


# -- try: VJP -------------------------------------------------------------------------------
def _floats(values) -> list[int]:
    return [i for i, x in enumerate(values) if is_float(x) and is_tensor(x)]


def _path_grads(parts, inputs, n, cts, wanted, final, hold) -> list:
    def replay(args):
        state, captured = args[:n], args[n:]
        for kind, graph in parts:
            if kind == "handler":  # the body raised before changing a float variable
                state = [_as(state[h[1]], h[2]) if h[0] == "in" else h[1] for h in hold]
            head = [None, None] if kind == "handler" else [None]
            state = inline(graph, [*head, *state, *captured], replay="quiet")
        if final is not None:
            state = inline(final, [*state, *captured], replay="quiet")
        return state

    return replay_vjp(replay, inputs, cts, wanted)


_PARTIAL = ("The gradient of this function takes the `except` path of a `try` whose body "
            "had already changed a float variable when the exception was raised: autotrace "
            "cannot differentiate the part of the body that ran. Compute the values the "
            "handler needs before the `try`.")


def _as(value, spec):
    """`value` as the type `spec` (shape, dtype, weak) a handler reads it as."""
    _, dtype, weak = spec
    if is_tensor(value) and weak is None and (value.symbol.weak is not None or
                                              value.dtype != dtype):
        return astype(value, dtype)
    return value


def try_vjp(cts, *rest, n, body, handlers, orelse, final, hold, escape, types):
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


# An effect: the exceptions it catches (and lets escape) are observable, so it is never
# removed or merged even when its results are unused.
try_op = register(Op("try", _try_impl, _try_abstract, vjp=try_vjp, multiple_results=True,
                     effect=True, emit=_emit_try))


# -- errstate --------------------------------------------------------------------------------
def _errstate_impl(*inputs, region, settings):
    with np.errstate(**dict(settings)):
        return tuple(run_graph(region, *inputs))


def _emit_errstate(node, em, indent: str) -> None:
    settings = ", ".join(f"{k}={v!r}" for k, v in node.params["settings"])
    region = node.params["region"]
    em.emit(f"with np.errstate({settings}):", indent, node)
    targets = [em.name(v) for v in node.outputs]
    _emit_part(em, region, [], list(node.inputs), targets, indent + "    ")


def _errstate_abstract(*avals, region, settings):
    return tuple(Aval(v.shape, v.dtype, v.weak) for v in region.outputs)


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


errstate = register(Op("errstate", _errstate_impl, _errstate_abstract, vjp=errstate_vjp,
                       multiple_results=True, emit=_emit_errstate))
