"""The effect ops inside the sub-graphs of a `try` statement (`control/trying.py`),
and `TryRun`, the statement's run-time state.

* `try_save(run, *values, slots, casts, floats)`: after each statement of a `try` body,
  the variables' current values, written into `run` so that a handler (and `finally`)
  sees the values they had when an exception was raised, as in Python;
* `reraise(exception)`: a handler's bare `raise`;
* `raise_from(cause, exception)`: `raise exception from cause`;
* `seterr(settings)`: `np.seterr(...)` at run time.

They sit below the runtime (`runtime/raising.py` builds `raise_from` nodes), while the
`try` and `errstate` ops themselves sit above the traces their VJPs use."""

from __future__ import annotations

import numpy as np

from autotrace.ops.registry import Op, register


class TryRun:
    """The run-time state of one execution of a `try` statement (the current value of
    each of its variables), written by `try_save` nodes."""

    __slots__ = ("values", "touched")

    def __init__(self, values):
        self.values, self.touched = list(values), False

    def __repr__(self) -> str:
        return f"<try state {len(self.values)} values>"


def cast(value, spec):
    """`value` as a value of type `spec` (shape, dtype, weak) at run time."""
    if spec is None:
        return value
    _, dtype, weak = spec
    if weak is not None:
        return weak(value)
    if getattr(value, "dtype", None) == dtype and isinstance(value, (np.ndarray, np.generic)):
        return value
    return np.asarray(value, dtype=dtype)


def _save_impl(run, *values, slots, casts, floats=False):
    if run is not None:  # None: a replay for a derivative (nothing to catch there)
        for k, spec, v in zip(slots, casts, values):
            if k is not None:
                run.values[k] = cast(v, spec)
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
