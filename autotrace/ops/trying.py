"""The effect ops inside the sub-graphs of a `try` statement (`control/trying.py`),
and `TryRun`, the statement's run-time state.

* `try_save(run, *values, slots, casts, floats)`: after each statement of a `try` body,
  the variables' current values, written into `run` so that a handler (and `finally`)
  sees the values they had when an exception was raised, as in Python;
* `reraise(exception)`: a handler's bare `raise`;
* `raise_from(cause, exception)`: `raise exception from cause`;
* `seterr(settings)`: `np.seterr(...)` at run time;
* `unbound(name, spec)`: a variable a `try` path leaves unbound (`Unbound(name)` at run
  time), and `check_bound(value)`: Python's `UnboundLocalError` where a graph output is
  such a value.

They sit below the runtime (`runtime/raising.py` builds `raise_from` nodes), while the
`try` and `errstate` ops themselves sit above the traces their VJPs use."""

from __future__ import annotations

import numpy as np

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
