"""`np.seterr(...)` and `with np.errstate(...)` in traced code: the settings take effect
when the graph runs, at that point of the program and on the path taken."""

from __future__ import annotations

import numpy as np

from autotrace import context
from autotrace.control.common import align_captures, as_state, state_result
from autotrace.control.trying import errstate
from autotrace.errors import TracingError, at_user_line
from autotrace.graph.ir import Var
from autotrace.ops.trying import seterr
from autotrace.runtime import merge
from autotrace.runtime.calls import EFFECT_OVERLOADS
from autotrace.runtime.merge import branch_output
from autotrace.runtime.try_types import no_assigns, norm, region_inputs
from autotrace.runtime.values import is_traced
from autotrace.runtime.where import here, param_names
from autotrace.signature import flatten, leaf_paths, unflatten


def graph_seterr(all=None, divide=None, over=None, under=None, invalid=None):
    """`np.seterr(...)` in a traced function: a `seterr` node that sets the settings when
    the graph runs (at that point of the program, on the path taken). Returns the
    settings in force while tracing (what the plain call would return when the settings
    were not changed since)."""
    settings = {k: v for k, v in (("all", all), ("divide", divide), ("over", over),
                                  ("under", under), ("invalid", invalid)) if v is not None}
    if any(is_traced(v) for v in settings.values()):
        raise TracingError(at_user_line("np.seterr(...) needs Python values (strings) for "
                                        "its settings, not traced values."))
    old = np.geterr()
    np.seterr(**settings)  # validates them now, as numpy would
    np.seterr(**old)
    builder = context.current_builder()
    builder.add_node(seterr, (), {"settings": tuple(sorted(settings.items()))}, ())
    return old


EFFECT_OVERLOADS[np.seterr] = graph_seterr


def errstate_stmt(settings: dict, body, state: tuple):
    """`with np.errstate(**settings):` around `body(*state)`; inside a graph the settings
    take effect when the ops of `body` run (an `errstate` node over its sub-graph)."""
    state = tuple(state)
    builder = context.current_builder()
    if builder is None or any(is_traced(v) for v in settings.values()):
        with np.errstate(**settings):
            return state_result(as_state(body(*state), len(state)))
    names = param_names(body)
    leaves, tree = flatten(state)
    leaf_names = [n for name, c in zip(names, tree.children) for n in leaf_paths(c, name)]
    types = [merge.single(merge.classify(x)) for x in leaves]
    child = builder.child("errstate")
    where = here(1)
    with child:
        inputs = region_inputs(child, types, leaf_names)
        mark = len(child.assign_log)
        with np.errstate(**settings):  # numpy run while tracing (constants) as Python runs it
            result = as_state(body(*unflatten(tree, inputs)), len(state))
        no_assigns(child, mark, "`with np.errstate(...)`", where)
        out_leaves, out_tree = flatten(result)
        if out_tree != tree:
            raise TracingError(f"the variables of the `with np.errstate(...)` at {here(1)} "
                               "change structure inside it")
        outs = [norm(merge.classify(x)) for x in out_leaves]
        child.graph.outputs = [branch_output(child, x, t) for x, t in zip(out_leaves, outs)
                               if t.kind == "tensor"]
    captured = align_captures(builder, [child])
    init = [builder.to_input(merge.to_value(x, t)) for x, t in zip(leaves, types)
            if t.kind == "tensor"]
    outputs = tuple(Var(t.shape, t.dtype, n, weak=t.weak)
                    for t, n in zip(outs, leaf_names) if t.kind == "tensor")
    builder.add_node(errstate, (*init, *captured),
                     {"region": child.graph, "settings": tuple(sorted(settings.items()))},
                     outputs)
    it = iter(outputs)
    results = [builder.tensor(next(it)) if t.kind == "tensor" else x
               for x, t in zip(out_leaves, outs)]
    return state_result(unflatten(tree, results))
