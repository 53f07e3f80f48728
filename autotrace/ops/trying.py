"""`try` and `errstate` regions: ops owning sub-graphs that run inside a Python `try` /
`with np.errstate(...)` when the compiled function runs, so run-time errors of the ops in
them (`FloatingPointError`, `LinAlgError`, `ZeroDivisionError`, a `raise` node) are caught
exactly as the plain function catches them.

    y, path, partial = try body(state, y, x) handlers=((LinAlgError, handler),) ...

`try` node inputs are `(*state, *captured)`: the statement's variables before it, then the
outer values the sub-graphs read. Sub-graph inputs bind by position:

* `body(run, *state, *captured)`; `orelse(run, *body's results, *captured)`;
* each handler `(run, exception, *run.values, *captured)`;
* `final(*results, *captured)`;

and each outputs the variables after it (the types of each part's variables are its
own: see runtime/graph_try.py). `hold` says how `run.values` starts (from an input,
cast, or a constant). `run` is the statement's run-time `TryRun`: the `try_save` nodes
the converter puts after each statement of the body write the variables there, so a
handler (and `finally`, when an exception escapes: `escape` says where its inputs are)
sees the values they had when the exception was raised, as in Python. A handler's (or
`else`'s) `try_save`s write `run.final`, the variables as `finally` gets them when an
exception escapes that part; `escaping` (None: `final`) is `finally` as it runs then,
traced on the variables' types there. The node outputs the final state, the path taken
(`path`: 0 for the body, k + 1 for handler k) and `partial` (whether the body had
changed a float variable before the exception): the VJP follows the path
(autodiff/trying.py).

A variable unbound before the statement holds `Unbound(name)` at run time until a part
binds it (`hold` entry `("unbound", name)`, an `unbound` node where a part leaves it
unassigned): any use of it (an op, a print, a graph output: `check_bound`) raises
Python's `UnboundLocalError` there, as the plain function raises at that read.

`errstate(*captured, region, settings)` runs `region` under `np.errstate(**settings)`.
Both are built by `autotrace.runtime.graph_try`.
"""

from __future__ import annotations

import numpy as np

from autotrace.ops.control import run_graph
from autotrace.ops.registry import Aval, Op, apply, register
from autotrace.ops.rules import linear
from autotrace.ops.unbound import Unbound


class TryRun:
    """The run-time state of one execution of a `try` statement (the current value of
    each of its variables), written by `try_save` nodes: `values` as a handler reads them
    (the body's saves), `final` as `finally` gets them when an exception escapes a
    handler or `else` (their saves; None until one starts)."""

    __slots__ = ("values", "touched", "final")

    def __init__(self, values):
        self.values, self.touched, self.final = list(values), False, None

    def __repr__(self) -> str:
        return f"<try state {len(self.values)} values>"


def held(entry, given):
    """A `hold` entry's value: an input cast to the handlers' type, a constant, or the
    `Unbound` value of a variable no part has bound yet."""
    if entry[0] == "in":
        return cast(given[entry[1]], entry[2])
    if entry[0] == "unbound":
        return Unbound(entry[1])
    return entry[1]


def escaped(run, escape) -> list:
    """The variables as `finally` gets them when an exception escapes the body."""
    return [run.values[v] if how == "run" else Unbound(v) if how == "unbound" else v
            for how, v in escape]


def _try_impl(*inputs, n, body, handlers, orelse, final, hold, escape, types, escaping=None):
    given, captured = inputs[:n], inputs[n:]
    escaping = final if escaping is None else escaping
    run = TryRun([held(h, given) for h in hold])
    path, partial = 0, False
    try:
        out = run_graph(body, run, *given, *captured)
    except BaseException as e:
        for k, (kinds, handler) in enumerate(handlers):
            if isinstance(e, kinds):
                path, partial = k + 1, run.touched
                if final is not None:
                    run.final = escaped(run, escape)
                with _finally_on_escape(escaping, run, captured):
                    out = run_graph(handler, run, e, *run.values, *captured)
                break
        else:
            _escape(escaping, escaped(run, escape), captured)
            raise
    else:
        if orelse is not None:
            if final is not None:
                run.final = escaped(run, escape)
            with _finally_on_escape(escaping, run, captured):
                out = run_graph(orelse, run, *out, *captured)
    if final is not None:
        out = run_graph(final, *out, *captured)
    return (*out, np.int64(path), np.bool_(partial))


class _finally_on_escape:
    """Context: `finally` runs before an exception escapes a handler or `else`, on the
    variables as that part last saved them (`run.final`)."""

    __slots__ = ("final", "run", "captured")

    def __init__(self, final, run, captured):
        self.final, self.run, self.captured = final, run, captured

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if kind is not None:
            _escape(self.final, self.run.final, self.captured)
        return False


def _escape(final, values, captured) -> None:
    """Run `finally` as an exception escapes, on `values`."""
    if final is not None:
        run_graph(final, *values, *captured)


def cast(value, spec):
    """`value` as a value of type `spec` (shape, dtype, weak) at run time (an `Unbound`
    value stays unbound)."""
    if spec is None or type(value) is Unbound:
        return value
    _, dtype, weak = spec
    if weak is not None:
        return weak(value)
    if getattr(value, "dtype", None) == dtype and isinstance(value, (np.ndarray, np.generic)):
        return value
    return np.asarray(value, dtype=dtype)


def _emit_try(node, em, indent: str) -> None:
    """Inline Python, as `_try_impl` runs it: the parts' code inside a real `try`."""
    p = node.params
    given, captured = node.inputs[:p["n"]], list(node.inputs[p["n"]:])
    outs = [em.name(v) for v in node.outputs]
    path, partial = outs[-2], outs[-1]
    run = em.fresh("try_state")
    fix = em.bind(cast, "cast")
    held = [f"{fix}({em.value(given[h[1]])}, {em.constant(h[2], 'spec')})" if h[0] == "in"
            else em.constant(Unbound(h[1]), "unbound") if h[0] == "unbound"
            else em.constant(h[1]) for h in p["hold"]]
    em.emit(f"{run} = {em.bind(TryRun, 'TryRun')}([{', '.join(held)}])", indent, node)
    em.emit(f"{path}, {partial} = 0, False", indent)
    held_values = [f"{run}.values[{k}]" for k in range(len(p["hold"]))]
    results = [em.fresh("try_value")
               for _ in (p["orelse"] if p["orelse"] is not None else p["body"]).outputs]
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
    _emit_escape(em, p, run, captured, deeper if p["handlers"] else inner, False)
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
    """`emit_part` (a handler or `else`) inside `try:`, with `finally` run before an
    exception escapes, on the variables as the part last saved them (`run.final`)."""
    if p["final"] is None:
        emit_part(indent)
        return
    em.emit(f"{run}.final = [{', '.join(_escaped(em, p, run))}]", indent)
    em.emit("try:", indent)
    emit_part(indent + "    ")
    em.emit("except BaseException:", indent)
    _emit_escape(em, p, run, captured, indent + "    ", True)
    em.emit("raise", indent + "    ")


def _escaped(em, p, run) -> list:
    """`escaped(run, escape)` as expressions."""
    return [f"{run}.values[{v}]" if how == "run" else
            em.constant(Unbound(v), "unbound") if how == "unbound" else em.constant(v)
            for how, v in p["escape"]]


def _emit_escape(em, p, run, captured, indent, saved: bool) -> None:
    """`finally` as an exception escapes: the body's saves, or (`saved`) the handler's or
    `else`'s."""
    if p["final"] is None:
        return
    values = [f"{run}.final[{k}]" for k in range(len(p["escape"]))] if saved else \
        _escaped(em, p, run)
    escaping = p.get("escaping") or p["final"]
    _emit_part(em, escaping, values, captured, [], indent)


def _try_abstract(*avals, n, body, handlers, orelse, final, hold, escape, types,
                  escaping=None):
    return (*(Aval(shape, dtype, weak) for shape, dtype, weak in types),
            Aval((), np.dtype(np.int64)), Aval((), np.dtype(np.bool_)))


# An effect: the exceptions it catches (and lets escape) are observable, so it is never
# removed or merged even when its results are unused.
try_op = register(Op("try", _try_impl, _try_abstract, multiple_results=True, effect=True,
                     emit=_emit_try))


def _save_impl(run, *values, slots, casts, floats=False, final=False):
    """`final`: a handler's or `else`'s save (into `run.final`, what `finally` gets if an
    exception escapes that part); else the body's (into `run.values`)."""
    if type(run) is TryRun:  # else a replay for a derivative (nothing to catch there)
        into = run.final if final else run.values
        if into is None:  # pragma: no cover - `run.final` is set before such a part runs
            return ()
        for k, spec, v in zip(slots, casts, values):
            if k is not None:
                into[k] = cast(v, spec)
        run.touched = run.touched or floats
    return ()


try_save = register(Op("try_save", _save_impl, lambda *avals, **params: (),
                       multiple_results=True, differentiable=False, effect=True))


def _reraise_impl(exception):
    raise exception


reraise = register(Op("reraise", _reraise_impl, lambda *avals, **params: (),
                      multiple_results=True, differentiable=False, effect=True))


def _raise_from_impl(cause, exception):
    raise type(exception)(*exception.args) from cause


raise_from = register(Op("raise_from", _raise_from_impl, lambda *avals, **params: (),
                         multiple_results=True, differentiable=False, effect=True))


def _seterr_impl(settings):
    np.seterr(**dict(settings))
    return ()


seterr = register(Op("seterr", _seterr_impl, lambda **params: (), multiple_results=True,
                     differentiable=False, effect=True))


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


errstate = register(Op("errstate", _errstate_impl, _errstate_abstract,
                       multiple_results=True, emit=_emit_errstate))


# -- variables a `try` path leaves unbound ----------------------------------------------------
def _unbound_impl(*, name, spec):
    return Unbound(name)


def _emit_unbound(node, em, indent: str) -> None:
    em.emit(f"{em.name(node.outputs[0])} = {em.constant(Unbound(node.params['name']), 'unbound')}",
            indent, node)


# `name`'s value on a path of a `try` statement that does not bind it; typed as the value
# the other paths give (`spec`: shape, dtype, weak), so the graph stays typed. An effect:
# never folded into a constant (its value is not one).
unbound = register(Op("unbound", _unbound_impl,
                      lambda *, name, spec: Aval(spec[0], spec[1], spec[2]),
                      differentiable=False, effect=True, emit=_emit_unbound))


def check_bound(value):
    """`value` itself; `UnboundLocalError` (Python's) if it is a variable a `try` statement
    left unbound (a graph output read after the statement)."""
    if type(value) is Unbound:
        value.fail()
    return value


def _emit_check_bound(node, em, indent: str) -> None:
    x, out = em.value(node.inputs[0]), em.name(node.outputs[0])
    em.emit(f"if type({x}) is {em.bind(Unbound, 'Unbound')}:", indent, node)
    em.emit(f"    {x}.fail()", indent, node)
    em.emit(f"{out} = {x}", indent)


# An identity for values and derivatives; an effect, so it is never removed.
bound_check = linear(register(Op(
    "check_bound", check_bound, lambda a: Aval(a.shape, a.dtype, a.weak),
    vjp=lambda ct, x, out: (ct,), effect=True, emit=_emit_check_bound,
    batch=lambda trace, op, values, dims, params: (apply(op, values[0]), dims[0]))))
