"""`if_stmt`, `if_exp`, `while_stmt`, `for_stmt`: Python control flow, or graph control flow
when the condition is a traced tensor.

Generated code passes the statement's parts as functions:

    def if_true(y):            # takes the variables the statement may change
        y = at__.mul(y, 2)
        return y               # returns their new values
    y = at__.if_stmt(at__.gt(x, 0), if_true, None, (y,))

With a Python condition the runtime simply runs Python (one branch, or the loop unrolled
at trace time). With a tensor condition it traces each function into a sub-graph and adds
one `cond` / `while_loop` node (`control/cond.py`, `control/loop_trace.py`), so a graph
reused on new inputs takes the right path. A Python loop whose condition (or `break` flag) becomes a
tensor part-way switches to a graph loop for the remaining iterations.

Graph control flow refuses what it cannot express, naming the statement: rebinding
global/nonlocal names, changing Python containers of the enclosing function
(`containers.py`), and running inside a `try` statement (`try_line`: the `try`'s line).
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any, Callable, Sequence

import numpy as np

from autotrace import context, mutation
from autotrace.control.common import as_state, state_result
from autotrace.control.cond import graph_cond
from autotrace.control.while_loop import graph_for, graph_while
from autotrace.errors import ConversionError, TracingError, user_frame
from autotrace.runtime import merge
from autotrace.runtime.branch_arrays import isolated
from autotrace.runtime.containers import Snapshot, mutation_error
from autotrace.runtime.inplace import live
from autotrace.runtime.iterables import graph_sequence_of, rest_as_graph_sequence
from autotrace.runtime.raising import BranchRaises
from autotrace.runtime.stacked import StackedList
from autotrace.runtime.stacked import flatten as stacked_flatten
from autotrace.runtime.undefined import Undefined
from autotrace.runtime.values import is_traced, truth
from autotrace.runtime.where import graph_statement, here, param_names
from autotrace.signature import flatten, unflatten

__all__ = ["cond", "for_stmt", "graph_cond", "graph_for", "graph_while", "if_exp",
           "if_return", "if_stmt", "is_traced", "return_value", "truth", "while_loop",
           "while_stmt"]


# -- if ------------------------------------------------------------------------------------
def if_stmt(pred, true_fn, false_fn, state: tuple, names: tuple | None = None,
            outer: tuple = (), try_line: int | None = None, aliased: tuple = ()):
    """`if pred:` with branches as functions of `state`; returns what the branch returns.

    `names` are the variables the branches return (default: the branches' parameters,
    which is the case when every output is also read first). `false_fn=None` means "no
    else": the state is returned unchanged. `outer`: global/nonlocal names the branches
    assign; `try_line`: the line of the `try` statement the `if` is in; `aliased`: other
    references to the lists the branches grow (`refuse_aliased`).
    """
    if not is_traced(pred):
        fn = true_fn if truth(pred) else false_fn
        return _run_branch(fn, state)
    refuse_aliased(aliased, param_names(true_fn or false_fn), state, "if")
    names = param_names(true_fn or false_fn) if names is None else names
    return _guarded("if", (true_fn, false_fn), outer, try_line, graph_cond, pred,
                    lambda: _branch(true_fn, state, names),
                    lambda: _branch(false_fn, state, names), names, "if")


def if_return(pred, true_fn, false_fn, state: tuple, try_line: int | None = None):
    """An `if` whose every path returns: the branches return the function's value."""
    if not is_traced(pred):
        return _run_branch(true_fn if truth(pred) else false_fn, state)
    return _guarded("if", (true_fn, false_fn), (), try_line, graph_cond, pred,
                    lambda: _branch(true_fn, state),
                    lambda: _branch(false_fn, state), (), "if")


def if_exp(pred, true_fn, false_fn):
    """`a if pred else b` with lazy branches."""
    if not is_traced(pred):
        return true_fn() if truth(pred) else false_fn()
    return _guarded("conditional expression", (true_fn, false_fn), (), None, graph_cond,
                    pred, lambda: isolated(lambda _: true_fn(), true_fn, ()),
                    lambda: isolated(lambda _: false_fn(), false_fn, ()), (),
                    "conditional expression")


def _branch(fn, state: tuple, names: tuple | None = None):
    """One graph `if` branch, traced on `_fresh` state; the numpy arrays it writes in
    place are restored for the other branch and given back written (`branch_arrays`)."""
    return isolated(lambda fresh: _run_branch(fn, fresh, names), fn, _fresh(state))


def _fresh(state: tuple) -> tuple:
    """`state` with new lists/dicts, and stand-ins for its arrays: what one graph branch
    changes in place (`d[k] = v`, `x[i] = v`) the other branch must not see. A grown list
    (`StackedList`) is rebuilt around stand-ins of its buffers."""
    leaves, tree = stacked_flatten(state)
    builder = context.current_builder()
    return unflatten(tree, [mutation.proxy(builder, x) for x in leaves])


def _run_branch(fn, state: tuple, names: tuple | None = None):
    """What a branch gives: its results, or the state unchanged for a missing `else`;
    nothing when the statement has no results (`names == ()`)."""
    if fn is None:
        result = state[0] if len(state) == 1 else tuple(state)
    else:
        result = fn(*state)
    return () if names == () else result


def return_value(returned, value):
    """What a function with early returns gives at the end of its body: `value` when a
    `return` ran, None when it fell off the end. With a traced `returned` the path is only
    known at run time, and a graph cannot give None on one path and a value on another."""
    if not is_traced(returned):
        return value if truth(returned) else None
    leaves, tree = flatten(value)
    if all(leaf is None or isinstance(leaf, Undefined) for leaf in leaves):
        return None
    what = merge.classify(value).describe() if tree.kind == "leaf" else f"a {tree.kind}"
    name = user_frame(1).f_code.co_name
    raise TracingError(
        f"`{name}` returns {what} on some paths but reaches the end of its body without a "
        f"`return` (so returns None) on others, and which one depends on a tensor "
        f"(the function at {here()}). A graph gives one type on every path: end `{name}` "
        "with a `return` of the value it should give."
    )


# -- while / for ---------------------------------------------------------------------------
def while_stmt(cond_fn, body_fn, state: tuple, outer: tuple = (), try_line: int | None = None,
               aliased: tuple = ()):
    """`while cond: body` over loop variables `state`; returns their final values."""
    state = tuple(state)
    builder = context.current_builder()
    with _unrolled(builder, "while"):
        while True:
            mark = len(builder.graph.nodes) if builder is not None else 0
            test = cond_fn(*state)
            if is_traced(test):
                del builder.graph.nodes[mark:]
                refuse_aliased(aliased, param_names(body_fn), state, "while")
                return _guarded("while", (cond_fn, body_fn), outer, try_line, graph_while,
                                cond_fn, body_fn, state, param_names(body_fn), "while")
            if not truth(test):
                return state_result(state)
            state = as_state(body_fn(*state), len(state))


def for_stmt(iterable, body_fn, state: tuple, extra_test=None, outer: tuple = (),
             try_line: int | None = None, aliased: tuple = ()):
    """`for target in iterable: body` over loop variables `state`.

    `body_fn(item, *state)` returns the new state; `extra_test(*state)` (from `break`)
    must hold before each iteration. Python iterables run in Python; traced tensors,
    `at__.range` with traced bounds, and `enumerate`/`zip` over tensors run as a graph loop.
    """

    state = tuple(state)
    fns = (body_fn, extra_test)
    sequence = graph_sequence_of(iterable)
    if sequence is not None:
        refuse_aliased(aliased, param_names(body_fn)[1:], state, "for")
        return _guarded("for", fns, outer, try_line, graph_for, sequence, body_fn, state,
                        extra_test)
    items = iter(iterable)
    with _unrolled(context.current_builder(), "for"):
        for item in items:
            if extra_test is not None:
                test = extra_test(*state)
                if is_traced(test):
                    rest = rest_as_graph_sequence(iterable, item, items, here())
                    refuse_aliased(aliased, param_names(body_fn)[1:], state, "for")
                    return _guarded("for", fns, outer, try_line, graph_for, rest, body_fn,
                                    state, extra_test)
                if not truth(test):
                    break
            if type(item) is np.ndarray:  # a captured one: its graph input (`live`)
                item = live(item)
            state = as_state(body_fn(item, *state), len(state))
    return state_result(state)


def _unrolled(builder, kind: str):
    """Context of a Python loop run while tracing: the node budget watches it."""
    return builder.budget.unrolling(kind) if builder is not None else nullcontext()


# -- what graph control flow refuses -------------------------------------------------------
def refuse_aliased(aliased: tuple, names: tuple, state: tuple, kind: str) -> None:
    """Refuse graph control flow that grows a list another reference also holds: the
    statement gives a new stacked list bound to the one name (`runtime.stacked`), so the
    other reference would not see the appends. `aliased`: (name, line, text) of each such
    reference the converter found (`convert.aliases`)."""
    if not aliased:
        return
    values = dict(zip(names, state))
    for name, line, text in aliased:
        value = values.get(name)
        if type(value) not in (list, dict) and not isinstance(value, StackedList):
            continue
        site = f"line {line} (`{text}`)" if text else f"line {line}"
        grows, what = ("grows", "appends") if type(value) is not dict else \
            ("is changed", "changes")
        raise TracingError(
            f"`{name}` {grows} inside {graph_statement(kind)} ({here()}), and {site} gives "
            f"the same {type(value).__name__ if type(value) is dict else 'list'} another "
            "reference (another name, a container, an attribute, or a function that may keep "
            f"it). The graph `{kind}` gives `{name}` as a new object and rebinds only "
            f"`{name}`, so that reference would not see the {what} Python makes. Use the one "
            f"name `{name}` until the `{kind}` is done (take the other reference after it), "
            f"or give the other reference a copy (`{_copy(value, name)}`).")


def _copy(value, name: str) -> str:
    return f"dict({name})" if type(value) is dict else f"list({name})"


def _guarded(kind: str, fns: tuple, outer: tuple, try_line: int | None, build, *args):
    """`build(*args)` (which adds a graph `cond`/`while_loop`), after refusing what such a
    node cannot express; checks that `fns` left the enclosing function's containers alone."""
    where = here(2)
    what = graph_statement(kind)
    if try_line is not None:
        raise ConversionError(
            f"{where}: {what} is not supported inside a `try` statement (the one at line "
            f"{try_line}): the graph runs the `{kind}` when the compiled function is called, "
            "outside the `try`, so its `except` and `finally` clauses would not see the "
            f"errors raised there. Move the `{kind}` out of the `try`, or make its condition "
            "a Python value."
        )
    if outer:
        is_are = "is" if len(outer) == 1 else "are"
        raise ConversionError(
            f"{where}: {', '.join(outer)} {is_are} declared global/nonlocal and assigned "
            f"inside {what}. A graph `{kind}` cannot rebind variables outside the function; "
            "return the value instead."
        )
    snapshot = Snapshot(*fns)
    try:
        result = build(*args)
    except BranchRaises:
        raise
    except Exception as e:
        changed = snapshot.changed()
        if changed:
            raise mutation_error(*changed[0], kind, where) from e
        raise
    snapshot.check(kind, where)
    return result


# -- explicit forms ------------------------------------------------------------------------
def cond(pred: Any, true_fn: Callable[[], Any], false_fn: Callable[[], Any]) -> Any:
    """`true_fn()` if `pred` else `false_fn()`; a graph `cond` when `pred` is traced.

    Example:
        >>> cond(x > 0, lambda: x, lambda: -x)
    """
    if not is_traced(pred):
        return true_fn() if truth(pred) else false_fn()
    return graph_cond(pred, true_fn, false_fn, (), "cond")


def while_loop(cond_fn: Callable[..., Any], body_fn: Callable[..., Any],
               loop_vars: Sequence) -> Sequence:
    """`while cond_fn(*v): v = body_fn(*v)` over the sequence `loop_vars`; returns the final
    values in the same kind of sequence. A graph `while_loop` once the test is traced.

    Example:
        >>> i, s = while_loop(lambda i, s: i < n, lambda i, s: (i + 1, s + x), (0, 0.0))
    """
    state = tuple(loop_vars)
    result = as_state(while_stmt(cond_fn, lambda *s: tuple(body_fn(*s)) if len(s) != 1
                                  else _single(body_fn(*s)), state), len(state))
    return type(loop_vars)(result) if isinstance(loop_vars, list) else result


def _single(result):
    return result[0] if isinstance(result, (tuple, list)) and len(result) == 1 else result
