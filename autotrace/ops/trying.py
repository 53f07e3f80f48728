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
own: see runtime/graph_try.py). `hold` says how `run.values` starts (from an input, cast,
or a constant). `run` is the statement's run-time `TryRun`: the
`try_save` nodes the converter puts after each statement of the body write the variables
there, so a handler (and `finally`, when an exception escapes: `escape` says where its
inputs are) sees the values they had when the exception was raised, as in Python. The
node outputs the final state, the path taken (`path`: 0 for the body, k + 1 for handler
k) and `partial` (whether the body had changed a float variable before the exception):
the VJP follows the path (autodiff/trying.py).

`errstate(*captured, region, settings)` runs `region` under `np.errstate(**settings)`.
Both are built by `autotrace.runtime.graph_try`.
"""

from __future__ import annotations

import numpy as np

from autotrace.ops.control import run_graph
from autotrace.ops.registry import Aval, Op, register


class TryRun:
    """The run-time state of one execution of a `try` statement (the current value of
    each of its variables), written by `try_save` nodes."""

    __slots__ = ("values", "touched")

    def __init__(self, values):
        self.values, self.touched = list(values), False

    def __repr__(self) -> str:
        return f"<try state {len(self.values)} values>"


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


def _try_abstract(*avals, n, body, handlers, orelse, final, hold, escape, types):
    return (*(Aval(shape, dtype, weak) for shape, dtype, weak in types),
            Aval((), np.dtype(np.int64)), Aval((), np.dtype(np.bool_)))


# An effect: the exceptions it catches (and lets escape) are observable, so it is never
# removed or merged even when its results are unused.
try_op = register(Op("try", _try_impl, _try_abstract, multiple_results=True, effect=True))


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


def _errstate_impl(*inputs, region, settings):
    with np.errstate(**dict(settings)):
        return tuple(run_graph(region, *inputs))


def _errstate_abstract(*avals, region, settings):
    return tuple(Aval(v.shape, v.dtype, v.weak) for v in region.outputs)


errstate = register(Op("errstate", _errstate_impl, _errstate_abstract,
                       multiple_results=True))
