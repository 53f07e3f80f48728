"""`try` and `errstate` regions: ops owning sub-graphs that run inside a Python `try` /
`with np.errstate(...)` when the compiled function runs, so run-time errors of the ops in
them (`FloatingPointError`, `LinAlgError`, `ZeroDivisionError`, a `raise` node) are caught
exactly as the plain function catches them.

    y, path, partial = try body(state, y, x) handlers=((LinAlgError, handler),) ...

`try` node inputs are `(*state, *captured)`: the statement's variables before it, then the
outer values the sub-graphs read. Sub-graph inputs bind by position:

* `body(run, *state, *captured)`, `orelse(run, *state, *captured)`;
* each handler `(run, exception, *state, *captured)`;
* `final(*state, *captured)`;

and each outputs the state after it. `run` is the statement's run-time `TryRun`: the
`try_save` nodes the converter puts after each statement write the variables there, so a
handler (and `finally`) sees the values they had when the exception was raised, as in
Python. The node outputs the final state, the path taken (`path`: 0 for the body, k + 1
for handler k) and `partial` (whether the body had changed a float variable before the
exception): the VJP follows the path (autodiff/trying.py).

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


def _try_impl(*inputs, n, body, handlers, orelse, final, results, types):
    run = TryRun(inputs[:n])
    captured = inputs[n:]
    path, partial = 0, False
    try:
        run.values = list(run_graph(body, run, *run.values, *captured))
    except BaseException as e:
        for k, (kinds, handler) in enumerate(handlers):
            if isinstance(e, kinds):
                path, partial = k + 1, run.touched
                run.values = list(run_graph(handler, run, e, *run.values, *captured))
                break
        else:
            raise
    else:
        if orelse is not None:
            run.values = list(run_graph(orelse, run, *run.values, *captured))
    finally:
        out = [run.values[k] for k in results]
        if final is not None:
            out = list(run_graph(final, *out, *captured))
    return (*out, np.int64(path), np.bool_(partial))


def _try_abstract(*avals, n, body, handlers, orelse, final, results, types):
    return (*(Aval(shape, dtype, weak) for shape, dtype, weak in types),
            Aval((), np.dtype(np.int64)), Aval((), np.dtype(np.bool_)))


# An effect: the exceptions it catches (and lets escape) are observable, so it is never
# removed or merged even when its results are unused.
try_op = register(Op("try", _try_impl, _try_abstract, multiple_results=True, effect=True))


def _save_impl(run, *values, slots, floats=False):
    if run is not None:  # None: a replay for a derivative (nothing to catch there)
        for k, v in zip(slots, values):
            run.values[k] = v
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
