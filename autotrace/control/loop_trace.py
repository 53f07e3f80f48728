"""`graph_while` / `graph_for`: trace a loop's condition and body into one `while_loop` node
(the tracing of the op in `control/while_loop.py`, in its own module because the loop
history of reverse mode, `autodiff/history.py`, traces reverse loops with it and sits
below the op, whose VJP records the loop with it).

Loop-variable types come from the values before the loop and are relaxed until one
iteration keeps them (dims that change become unknown, Python scalars adopt the dtype
numpy gives them against arrays); Python values that stay the same are not carried.
"""

from __future__ import annotations

import numpy as np

from autotrace import context, mutation
from autotrace.control.common import (
    align_captures,
    as_state,
    check_scalar_condition,
    state_result,
)
from autotrace.errors import TracingError
from autotrace.graph.ir import Var
from autotrace.ops.elementwise import add, less, logical_and
from autotrace.ops.registry import OPS
from autotrace.runtime import merge, stacked
from autotrace.runtime.inplace import live_numpy_target
from autotrace.runtime.merge import branch_output
from autotrace.runtime.raising import BranchRaises
from autotrace.runtime.stacked import flatten
from autotrace.runtime.undefined import Undefined
from autotrace.runtime.values import is_traced, truth
from autotrace.runtime.variables import variable_label
from autotrace.runtime.where import here, param_names
from autotrace.signature import leaf_paths, unflatten
from autotrace.tensor import Tensor

MAX_RELAXATIONS = 4


def graph_while(cond_fn, body_fn, state: tuple, names, kind: str, where: str | None = None):
    """Trace `cond_fn`/`body_fn` over loop variables `state` into one `while_loop` node.

    `Variable`s assigned in the loop are carried as extra loop variables (found by a first
    trace, then traced again), so each iteration reads the value the previous one wrote.
    """
    builder = context.current_builder()
    where = where or here(2)
    state = tuple(state)
    n = len(state)
    variables: list = []
    while True:
        mark, nodes = len(builder.assign_log), len(builder.graph.nodes)
        result = _graph_while(*_carrying(builder, cond_fn, body_fn, state, names, variables),
                              kind, where)
        new = []
        for v in builder.assign_log[mark:]:
            if all(v is not w for w in variables + new):
                new.append(v)
        if not new:
            break
        del builder.graph.nodes[nodes:]  # traced again, carrying them
        variables += new
    if not variables:
        return result
    full = as_state(result, n + len(variables))
    for v, value in zip(variables, full[n:]):
        builder.set_variable_value(v, value)
    return state_result(full[:n])


def _carrying(builder, cond_fn, body_fn, state, names, variables):
    """(cond, body, state, names) with `variables`' values as extra loop variables."""
    if not variables:
        return cond_fn, body_fn, state, names
    n = len(state)

    def bind(values):
        child = context.current_builder()
        for v, value in zip(variables, values):
            child.variable_values[id(v)] = (v, value)

    def cond(*s):
        bind(s[n:])
        return cond_fn(*s[:n])

    def body(*s):
        bind(s[n:])
        out = as_state(body_fn(*s[:n]), n)
        child = context.current_builder()
        return state_result((*out, *(child.current_value(v) for v in variables)))

    init = tuple(builder.current_value(v) for v in variables)
    labels = tuple(f"Variable {variable_label(v, k)}" for k, v in enumerate(variables))
    return cond, body, state + init, tuple(names) + labels if len(names) == n else names


def _graph_while(cond_fn, body_fn, state: tuple, names, kind: str, where: str):
    """`graph_while` for the loop variables `state`.

    Loop-variable types come from the values before the loop; dims that change in the
    body become unknown and Python scalars adopt the array dtype numpy would give, then
    the body is traced again (at most `MAX_RELAXATIONS` times). A Python list that one
    iteration gives another length (`hs.append(h)`) is carried as a `StackedList`.
    """
    builder = context.current_builder()
    state = tuple(state)
    leaves, tree, leaf_names, types = _initial_types(state, names)
    for _ in range(MAX_RELAXATIONS + 1 + len(state)):
        cond_child, body_child, result, test, body_inputs = _trace_loop(
            builder, cond_fn, body_fn, tree, types, leaf_names, where, leaves)
        aligned, result = merge.align_placeholders(state, result)
        if flatten(aligned)[1] != tree:  # an unset `retval` takes the returned structure
            state = aligned
            leaves, tree, leaf_names, types = _initial_types(state, names)
            continue
        grown = stacked.grown(state, result, _names(names, state), where)
        if grown is not None:  # lists that grow: carried as stacked arrays
            state = grown
            leaves, tree, leaf_names, types = _initial_types(state, names)
            continue
        body_leaves = _same_structure(result, tree, names, where)
        new_types = [_relax(n, t, merge.classify(out), where)
                     for n, t, out in zip(leaf_names, types, body_leaves)]
        if new_types == types:
            break
        types = new_types
    else:  # pragma: no cover - relaxation reaches a fixpoint in two rounds
        raise TracingError(f"loop variable types did not settle for the loop at {where}")
    carried = [i for i, t in enumerate(types) if t.kind == "tensor"]
    with cond_child:
        cond_child.graph.outputs = [_loop_test(cond_child, test, where)]
    with body_child:  # casts of body values belong to the body
        body_child.graph.outputs = [branch_output(body_child, body_leaves[i], types[i])
                                    for i in carried]
    leaves = _live_numpy_state(leaves, body_inputs, body_leaves)
    captured = align_captures(builder, [cond_child, body_child])
    init_inputs = [builder.to_input(merge.to_value(leaves[i], types[i])) for i in carried]
    outputs = tuple(Var(types[i].shape, types[i].dtype, leaf_names[i], weak=types[i].weak)
                    for i in carried)
    builder.add_node(OPS["while_loop"], (*init_inputs, *captured),
                     {"cond": cond_child.graph, "body": body_child.graph}, outputs)
    results = _loop_results(builder, types, outputs, leaf_names, kind, where)
    _write_in_place(leaves, body_inputs, body_leaves, results, leaf_names, where)
    return state_result(unflatten(tree, results))


def _live_numpy_state(before: list, inputs, after) -> list:
    """Loop variables holding a numpy array that the body writes in place start from the
    array's live value when a global holds it (`w = W` before the loop; the call writes
    the final value back), as `at__.setitem` does outside loops."""
    out = list(before)
    for k, (outer, (inner, symbol), new) in enumerate(zip(before, inputs, after)):
        if type(outer) is np.ndarray and new is inner and inner.symbol is not symbol:
            out[k] = live_numpy_target(outer)
    return out


def _write_in_place(before, inputs, after, results, names, where) -> None:
    """Loop variables the body writes in place (its result is the very object it got)
    write their final value into the array they named before the loop, which stays the
    value of the name: an alias or the caller's array sees the writes, as in numpy."""
    for k, (outer, (inner, symbol), out) in enumerate(zip(before, inputs, after)):
        if not isinstance(inner, Tensor):
            continue
        written = inner.symbol is not symbol
        if written and out is not inner:
            raise TracingError(
                f"`{names[k]}` is written in place and then rebound in the body of the loop "
                f"at {where}: in Python the first iteration writes into the array given "
                "before the loop and later ones into new arrays, which one graph loop cannot "
                f"express. Copy before the loop (`{names[k]} = {names[k]}.copy()`), or write "
                "without rebinding.")
        if out is not inner or not isinstance(outer, Tensor) or not outer.symbol.shape:
            continue
        if sum(o is outer for o in before) > 1 and written:
            raise TracingError(
                f"`{names[k]}` is written in place in the loop at {where}, and another loop "
                "variable names the same array: a graph loop carries them separately. "
                f"Write through one name only, or take a copy (`{names[k]}.copy()`).")
        if written and outer.view is not None:
            raise TracingError(
                f"`{names[k]}` is a view of another array (`{names[k]} = x[...]`) and is "
                f"written in place in the loop at {where}: the loop carries it apart from "
                "that array, which would not see the writes inside the loop. Write into the "
                f"array itself, or take a copy (`{names[k]} = x[...].copy()`).")
        if written:
            mutation.check_writable(outer, "an in-place write")
            mutation.write(outer, results[k])
        results[k] = outer


def _initial_types(state: tuple, names):
    """Leaves, structure, leaf names and initial loop types of the loop variables."""
    leaves, tree = flatten(state)
    if len(names) == len(state):
        leaf_names = [n for name, child in zip(names, tree.children)
                      for n in leaf_paths(child, name)]
    else:
        leaf_names = leaf_paths(tree, "loop variable")
    types = [merge.single(merge.classify(x)) for x in leaves]
    return leaves, tree, leaf_names, types


def _names(names, state: tuple) -> tuple:
    return tuple(names) if len(names) == len(state) else ()


def _trace_loop(builder, cond_fn, body_fn, tree, types, names, where, outer: list):
    """Trace the condition and one iteration; returns the children, the new state, the
    test and the body's inputs (with their Vars). Inside both, the views of the arrays the
    loop carries (`outer`, the values before the loop) show the carried values."""
    cond_child, body_child = builder.child("cond"), builder.child("body")
    with cond_child:
        inputs = _loop_inputs(cond_child, types, names)
        for inner, before in zip(inputs, outer):
            mutation.link(cond_child, inner, before)
        test = cond_fn(*unflatten(tree, inputs))
    mutation.restore_views(cond_child)
    body_child.in_branch = True  # a `raise` in the body raises when an iteration runs
    with body_child:
        leaves = _loop_inputs(body_child, types, names)
        for inner, before in zip(leaves, outer):
            mutation.link(body_child, inner, before)
        inputs = unflatten(tree, leaves)
        body_inputs = [(x, x.symbol if isinstance(x, Tensor) else None) for x in leaves]
        try:
            result = body_fn(*inputs)
        except BranchRaises:  # every iteration raises: the loop variables stay as they are
            result = state_result(inputs)
        out_leaves, out_tree = flatten(tuple(as_state(result, len(tree.children))))
        shown: dict = {}
        result = unflatten(out_tree, [mutation.snapshot(x, body_child, shown)
                                      for x in out_leaves])
    mutation.restore_views(body_child)
    return cond_child, body_child, result, test, body_inputs


def _same_structure(result: tuple, tree, names, where: str) -> list:
    """The leaves of the state after one iteration, which must nest like before it."""
    out_leaves, out_tree = flatten(result)
    if out_tree == tree:
        return out_leaves
    changed = [(n, a, b) for n, a, b in zip(names, tree.children, out_tree.children) if a != b]
    name, before, after = changed[0] if changed and len(names) == len(tree.children) else \
        ("the loop variables", tree, out_tree)
    raise TracingError(
        f"The body of the loop at {where} changes the structure of `{name}` ({before} before, "
        f"{after} after one iteration): a graph loop needs the same nesting on every "
        "iteration. Give it its final keys/length before the loop."
    )


def _loop_inputs(child, types, names) -> list:
    values = []
    for t, name in zip(types, names):
        if t.kind == "tensor":
            values.append(child.add_input(t.shape, t.dtype, name, weak=t.weak))
        elif t.kind == "undefined":
            values.append(t.value if t.value.placeholder else
                          Undefined(name, "it is first assigned inside the loop body"))
        else:
            values.append(t.value)
    return values


def _relax(name: str, t: merge.Leaf, out: merge.Leaf, where: str) -> merge.Leaf:
    """The loop type after seeing what one iteration gives (see `graph_while`)."""
    if t.kind == "undefined":  # an unset `retval` takes what a `return` gives it
        return merge.single(out) if t.value.placeholder and out.kind != "undefined" else t
    if t.kind == "const":
        if out.kind == "const" and merge.same_constant(t.value, out.value):
            return t
        raise TracingError(
            f"`{name}` is {merge.classify(t.value).describe()} before the loop at {where} and "
            f"{out.describe()} after an iteration. A graph loop can only carry arrays and "
            "numbers; Python objects such as lists must not change inside it."
        )
    if out.kind == "undefined":
        raise TracingError(f"`{name}` is deleted inside the loop body at {where}")
    if not out.is_value:
        raise merge._mismatch(name, t, out, merge.LOOP, where, "")
    if len(out.shape) != len(t.shape):
        start = f"`{name} = np.zeros_like(...)`" if not t.shape else f"`{name}` with that rank"
        raise TracingError(
            f"`{name}` is {t.describe()} before the loop at {where} but "
            f"{out.describe()} after one iteration. A graph loop keeps one rank per variable "
            f"(a loop that runs zero times must still give `{name}` a value of that shape): "
            f"start it as an array of the final shape, e.g. {start}."
        )
    return merge.join(name, t, out, merge.LOOP, where)


def _loop_test(child, test, where):
    if isinstance(test, Tensor):
        check_scalar_condition(test, "while", where)
        return child.to_input(test)
    return bool(truth(test))


def _loop_results(builder, types, outputs, names, kind, where) -> list:
    tensors = iter(outputs)
    results = []
    for t, name in zip(types, names):
        if t.kind == "tensor":
            results.append(builder.tensor(next(tensors)))
        elif t.kind == "undefined" and t.value.placeholder:
            results.append(t.value)
        elif t.kind == "undefined":
            results.append(Undefined(name, f"it is first assigned inside the `{kind}` loop at "
                                           f"{where}, which may run zero times; give it a "
                                           "value before the loop"))
        else:
            results.append(t.value)
    return results


def graph_for(sequence, body_fn, state: tuple, extra_test=None):
    """A graph loop over `sequence` (length and item access by a traced index)."""

    names = ("index",) + tuple(param_names(body_fn)[1:])
    where = here(2)

    def cond_fn(i, *s):
        inside = less(i, sequence.length)
        if extra_test is None:
            return inside
        test = extra_test(*s)
        if is_traced(test):
            return logical_and(inside, test)
        return inside if truth(test) else False

    def body_fn2(i, *s):
        new = as_state(body_fn(sequence.item(i), *s), len(s))
        return state_result((add(i, 1), *new))

    result = graph_while(cond_fn, body_fn2, (0, *state), names, "for", where)
    result = as_state(result, len(state) + 1)
    return state_result(result[1:])
