"""The JVP of `while_loop`: the loop variables' tangents ride along as extra loop variables
(nothing is stored; the trip count may depend on the data). Shared by `while_loop` itself
(autodiff/control.py) and by forward mode over a loop's gradient (`loop_history`,
autodiff/history.py), which records the augmented loop.
"""

from __future__ import annotations

from autotrace.autodiff.backprop import is_float
from autotrace.autodiff.inline import inline
from autotrace.autodiff.jvp_trace import jvp_graph
from autotrace.control.common import materialized as _materialized
from autotrace.control.common import spread as _spread
from autotrace.control.common import state_result
from autotrace.runtime.graph_loop import graph_while


def while_jvp(primals, tangents, cond, body):
    """The tangents of the loop variables ride along as extra loop variables."""
    n = len(body.outputs)
    init, captured, t_captured = primals[:n], primals[n:], tangents[n:]
    floats = [is_float(v) for v in body.inputs[:n]]

    def cond_fn(*state):
        return inline(cond, [*state[:n], *captured])[0]

    def body_fn(*state):
        outs, touts = jvp_graph(body, [*state[:n], *captured],
                                [*_spread(state[n:], floats), *t_captured])
        return state_result((*outs, *_materialized(outs, touts, floats)))

    names = [v.name or f"v{k}" for k, v in enumerate(body.inputs[:n])]
    names += [f"d{name}" for name, f in zip(names, floats) if f]
    state = (*init, *_materialized(init, tangents[:n], floats))
    results = graph_while(cond_fn, body_fn, state, tuple(names), "while")
    results = results if isinstance(results, tuple) else (results,)
    return tuple(results[:n]), _spread(results[n:], floats)
