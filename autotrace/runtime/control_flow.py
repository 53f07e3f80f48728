"""`if_stmt`, `if_exp`, `while_stmt`, `for_stmt`: Python control flow, or graph control flow
when the condition is a traced tensor.

Generated code passes the statement's parts as functions:

    def if_true(y):            # takes the variables the statement may change
        y = at__.mul(y, 2)
        return y               # returns their new values (a prefix of its parameters)
    y = at__.if_stmt(at__.gt(x, 0), if_true, None, (y,))

With a Python condition the runtime simply runs Python (one branch, or the loop unrolled
at trace time). With a tensor condition it traces each function into a sub-graph and adds
one `cond` / `while_loop` node, so a graph reused on new inputs takes the right path. A
Python loop whose condition (or `break` flag) becomes a tensor part-way switches to a
graph loop for the remaining iterations.
"""

from __future__ import annotations

import numpy as np

from autotrace import context
from autotrace.errors import ConversionError, TracingError
from autotrace.graph.ir import Var
from autotrace.ops import control
from autotrace.runtime import merge
from autotrace.runtime.undefined import Undefined
from autotrace.runtime.raising import BranchRaises
from autotrace.runtime.where import here, param_names
from autotrace.signature import flatten, leaf_paths, unflatten
from autotrace.tensor import EagerTensor, Tensor

MAX_RELAXATIONS = 4


def is_traced(x) -> bool:
    return isinstance(x, Tensor)


def truth(x) -> bool:
    """Python truthiness (numpy's errors for ambiguous arrays included)."""
    return bool(x.numpy() if isinstance(x, EagerTensor) else x)


# -- if ------------------------------------------------------------------------------------
def if_stmt(pred, true_fn, false_fn, state: tuple, names: tuple | None = None,
            outer: tuple = ()):
    """`if pred:` with branches as functions of `state`; returns what the branch returns.

    `names` are the variables the branches return (default: the branches' parameters,
    which is the case when every output is also read first). `false_fn=None` means "no
    else": the state is returned unchanged.
    """
    if not is_traced(pred):
        fn = true_fn if truth(pred) else false_fn
        return _run_branch(fn, state)
    if outer:
        raise ConversionError(
            f"{here()}: {', '.join(outer)} {'is' if len(outer) == 1 else 'are'} declared "
            "global/nonlocal and assigned inside an `if` whose condition is a tensor. A graph "
            "branch cannot rebind variables outside the function; return the value instead."
        )
    names = param_names(true_fn or false_fn) if names is None else names
    return graph_cond(pred, lambda: _run_branch(true_fn, state),
                      lambda: _run_branch(false_fn, state), names, "if")


def if_return(pred, true_fn, false_fn, state: tuple):
    """An `if` whose every path returns: the branches return the function's value."""
    if not is_traced(pred):
        return _run_branch(true_fn if truth(pred) else false_fn, state)
    return graph_cond(pred, lambda: _run_branch(true_fn, state),
                      lambda: _run_branch(false_fn, state), (), "if")


def if_exp(pred, true_fn, false_fn):
    """`a if pred else b` with lazy branches."""
    if not is_traced(pred):
        return true_fn() if truth(pred) else false_fn()
    return graph_cond(pred, true_fn, false_fn, (), "conditional expression")


def _run_branch(fn, state: tuple):
    if fn is None:
        return state[0] if len(state) == 1 else tuple(state)
    return fn(*state)


def graph_cond(pred, true_fn, false_fn, names, kind: str):
    """Trace both branches into sub-graphs and add one `cond` node.

    A branch that ends in `raise` (see `runtime.raising`) contributes a `raise` node and
    no values; the node then takes its types from the other branch.
    """
    builder = context.current_builder()
    where = here(2)
    _check_scalar_condition(pred, kind, where)
    branches = [_trace_branch(builder, fn, label) for fn, label in
                ((true_fn, "then"), (false_fn, "orelse"))]
    live = [b for b in branches if b.raised is None]
    if not live:
        _add_cond(builder, pred, branches, ())
        raise BranchRaises(branches[0].raised)
    tree = live[0].tree
    if any(b.tree != tree for b in live):
        raise TracingError(
            f"The branches of the `{kind}` at {where} give different structures "
            f"({live[0].tree} vs {live[1].tree}). With a tensor condition both branches must "
            "give the same variables with the same nesting."
        )
    leaf_names = _leaf_names(names, tree)
    joined = _join_branches(branches, leaf_names, where)
    for b in branches:
        leaves = b.leaves if b.raised is None else [_PLACEHOLDER] * len(joined)
        b.child.graph.outputs = [_output(b.child, leaf, j) for leaf, j in zip(leaves, joined)
                                 if j.kind == "tensor"]
    outputs = tuple(Var(j.shape, j.dtype, weak=j.weak) for j in joined if j.kind == "tensor")
    _add_cond(builder, pred, branches, outputs)
    return unflatten(tree, _results(builder, joined, outputs, leaf_names, kind, where))


class _Branch:
    __slots__ = ("child", "leaves", "tree", "raised")

    def __init__(self, child, leaves, tree, raised):
        self.child, self.leaves, self.tree, self.raised = child, leaves, tree, raised


_PLACEHOLDER = Undefined("branch value", placeholder=True)


def _trace_branch(builder, fn, label) -> _Branch:
    child = builder.child(label)
    child.in_branch = True
    try:
        with child:
            result = fn()
    except BranchRaises as raised:
        return _Branch(child, None, None, raised.exception)
    leaves, tree = flatten(result)
    return _Branch(child, leaves, tree, None)


def _join_branches(branches, names, where) -> list:
    labels = ("in the `if` branch", "in the `else` branch")
    if all(b.raised is None for b in branches):
        t, f = branches
        return [merge.join(n, merge.classify(a), merge.classify(b), labels, where)
                for n, a, b in zip(names, t.leaves, f.leaves)]
    (live,) = [b for b in branches if b.raised is None]
    return [merge.single(merge.classify(leaf)) for leaf in live.leaves]


def _add_cond(builder, pred, branches, outputs) -> None:
    operands = _align_captures(builder, [b.child for b in branches])
    params = {"then": branches[0].child.graph, "orelse": branches[1].child.graph}
    builder.add_node(control.cond, (builder.to_input(pred), *operands), params, outputs)


def _check_scalar_condition(pred: Tensor, kind: str, where: str) -> None:
    shape = pred.symbol.shape
    if any(d is not None and d != 1 for d in shape):
        raise ValueError(
            f"The truth value of an array with more than one element is ambiguous: the "
            f"condition of the `{kind}` at {where} has shape {pred.symbol.type_str()}. "
            "Use a.any() or a.all(), or np.where(...) for elementwise selection."
        )


def _leaf_names(names, tree) -> list[str]:
    if not names:
        return leaf_paths(tree, "the result")
    if len(names) == 1:
        return leaf_paths(tree, names[0])
    if tree.kind == "tuple" and len(tree.children) <= len(names):
        out = []
        for name, child in zip(names, tree.children):
            out += leaf_paths(child, name)
        return out
    return leaf_paths(tree, "the result")


def _output(child, leaf, joined: merge.Joined):
    value = merge.to_value(leaf, joined)
    return child.to_input(value) if isinstance(value, Tensor) else value


def _align_captures(builder, children) -> list:
    """Union of the children's captured outer values; every child graph takes all of them,
    in the same order, as its inputs (after any explicit inputs it already has)."""
    order, seen = [], {}
    for child in children:
        for outer, _ in child.captures:
            if id(outer) not in seen:
                seen[id(outer)] = len(order)
                order.append(outer)
    for child in children:
        explicit = child.graph.inputs[: len(child.graph.inputs) - len(child.captures)]
        mine = {id(outer): inner for outer, inner in child.captures}
        child.graph.inputs = explicit + [
            mine.get(id(o)) or Var(getattr(o, "shape", ()), getattr(o, "dtype", float))
            for o in order
        ]
    return order


def _results(builder, joined, outputs, names, kind, where) -> list:
    tensors = iter(outputs)
    out = []
    for name, j in zip(names, joined):
        if j.kind == "tensor":
            var = next(tensors)
            if var.name is None and not name.startswith("the "):
                var.name = name
            out.append(builder.tensor(var))
        elif j.kind == "undefined":
            out.append(Undefined(name, f"it is not assigned on every path of the `{kind}` "
                                       f"at {where}"))
        else:
            out.append(j.value)
    return out


# -- while ---------------------------------------------------------------------------------
def while_stmt(cond_fn, body_fn, state: tuple, outer: tuple = ()):
    """`while cond: body` over loop variables `state`; returns their final values."""
    state = tuple(state)
    builder = context.current_builder()
    while True:
        mark = len(builder.graph.nodes) if builder is not None else 0
        test = cond_fn(*state)
        if is_traced(test):
            del builder.graph.nodes[mark:]
            _refuse_outer(outer, "while")
            return graph_while(cond_fn, body_fn, state, param_names(body_fn), "while")
        if not truth(test):
            return _state_result(state)
        state = _as_state(body_fn(*state), len(state))


def _as_state(result, n: int) -> tuple:
    if n == 0:
        return ()
    return (result,) if n == 1 else tuple(result)


def _state_result(state: tuple):
    return state[0] if len(state) == 1 else state


def _refuse_outer(outer, kind):
    if outer:
        raise ConversionError(
            f"{here(3)}: {', '.join(outer)} declared global/nonlocal and assigned inside a "
            f"`{kind}` loop whose condition is a tensor; a graph loop cannot rebind variables "
            "outside the function. Return the value instead."
        )


def graph_while(cond_fn, body_fn, state: tuple, names, kind: str, where: str | None = None):
    """Trace `cond_fn`/`body_fn` over loop variables `state` into one `while_loop` node.

    Loop-variable types come from the values before the loop; dims that change in the
    body become unknown and Python scalars adopt the array dtype numpy would give, then
    the body is traced again (at most `MAX_RELAXATIONS` times).
    """
    builder = context.current_builder()
    where = where or here(2)
    leaves, tree = flatten(tuple(state))
    leaf_names = _leaf_names(names, tree) if len(names) == len(state) else \
        leaf_paths(tree, "loop variable")
    init = [merge.classify(x) for x in leaves]
    types = [merge.single(leaf) for leaf in init]
    for _ in range(MAX_RELAXATIONS):
        cond_child, body_child, body_leaves, test = _trace_loop(
            builder, cond_fn, body_fn, tree, types, leaf_names, where)
        new_types = [_relax(n, t, merge.classify(out), where)
                     for n, t, out in zip(leaf_names, types, body_leaves)]
        if new_types == types:
            break
        types = new_types
    else:  # pragma: no cover - relaxation reaches a fixpoint in two rounds
        raise TracingError(f"loop variable types did not settle for the loop at {where}")
    carried = [i for i, t in enumerate(types) if t.kind == "tensor"]
    cond_child.graph.outputs = [_loop_test(cond_child, test, where)]
    body_child.graph.outputs = [_output(body_child, body_leaves[i], types[i]) for i in carried]
    captured = _align_captures(builder, [cond_child, body_child])
    init_inputs = [builder.to_input(merge.to_value(leaves[i], types[i])) for i in carried]
    outputs = tuple(Var(types[i].shape, types[i].dtype, leaf_names[i], weak=types[i].weak)
                    for i in carried)
    builder.add_node(control.while_loop, (*init_inputs, *captured),
                     {"cond": cond_child.graph, "body": body_child.graph}, outputs)
    results = _loop_results(builder, leaves, types, outputs, leaf_names, kind, where)
    return _state_result(unflatten(tree, results))


def _trace_loop(builder, cond_fn, body_fn, tree, types, names, where):
    cond_child, body_child = builder.child("cond"), builder.child("body")
    with cond_child:
        test = cond_fn(*unflatten(tree, _loop_inputs(cond_child, types, names)))
    with body_child:
        result = body_fn(*unflatten(tree, _loop_inputs(body_child, types, names)))
    out_leaves, out_tree = flatten(tuple(_as_state(result, len(tree.children))))
    if out_tree != tree:
        raise TracingError(
            f"The body of the loop at {where} changes the structure of its variables "
            f"({tree} before, {out_tree} after one iteration); a graph loop needs the same "
            "nesting on every iteration."
        )
    return cond_child, body_child, out_leaves, test


def _loop_inputs(child, types, names) -> list:
    values = []
    for t, name in zip(types, names):
        if t.kind == "tensor":
            values.append(child.add_input(t.shape, t.dtype, name, weak=t.weak))
        elif t.kind == "undefined":
            values.append(Undefined(name, "it is first assigned inside the loop body"))
        else:
            values.append(t.value)
    return values


def _relax(name: str, t: merge.Joined, out: merge.Leaf, where: str) -> merge.Joined:
    """The loop type after seeing what one iteration gives (see `graph_while`)."""
    if t.kind == "undefined":
        if t.value.placeholder and out.is_value:
            return merge.Joined("tensor", None, out.shape, out.dtype, out.weak)
        return t
    if t.kind == "const":
        if out.kind == "const" and merge.same_constant(t.value, out.value):
            return t
        raise TracingError(
            f"`{name}` is {merge.classify(t.value).describe()} before the loop at {where} and "
            f"{out.describe()} after an iteration. A graph loop can only carry arrays and "
            "numbers; Python objects such as lists must not change inside it."
        )
    labels = ("before the loop", "after one iteration")
    before = merge.Leaf("tensor", None, t.shape, t.dtype, t.weak)
    if out.kind == "undefined":
        raise TracingError(f"`{name}` is deleted inside the loop body at {where}")
    if not out.is_value:
        raise merge._mismatch(name, before, out, labels, where, "")
    if len(out.shape) != len(t.shape):
        start = f"`{name} = np.zeros_like(...)`" if not t.shape else f"`{name}` with that rank"
        raise TracingError(
            f"`{name}` is {before.describe()} before the loop at {where} but "
            f"{out.describe()} after one iteration. A graph loop keeps one rank per variable "
            f"(a loop that runs zero times must still give `{name}` a value of that shape): "
            f"start it as an array of the final shape, e.g. {start}."
        )
    if t.weak is None and out.weak is None and t.dtype != out.dtype:
        raise TracingError(
            f"`{name}` changes dtype from {t.dtype} to {out.dtype} inside the loop at "
            f"{where}. A graph loop keeps one dtype per variable: cast it before the loop "
            f"(e.g. `{name} = {name}.astype(np.{out.dtype})`) or inside the body."
        )
    j = merge.join(name, before, out, labels, where)
    if t.weak is not None and j.weak is None:  # a Python scalar adopting the array dtype
        return merge.Joined("tensor", None, j.shape, j.dtype, None)
    return merge.Joined("tensor", None, j.shape, j.dtype, j.weak)


def _loop_test(child, test, where):
    if isinstance(test, Tensor):
        _check_scalar_condition(test, "while", where)
        return child.to_input(test)
    return bool(truth(test))


def _loop_results(builder, leaves, types, outputs, names, kind, where) -> list:
    tensors = iter(outputs)
    results = []
    for leaf, t, name in zip(leaves, types, names):
        if t.kind == "tensor":
            results.append(builder.tensor(next(tensors)))
        elif t.kind == "undefined":
            results.append(Undefined(name, f"it is first assigned inside the `{kind}` loop at "
                                           f"{where}, which may run zero times; give it a "
                                           "value before the loop"))
        else:
            results.append(t.value)
    return results


# -- for -----------------------------------------------------------------------------------
def for_stmt(iterable, body_fn, state: tuple, extra_test=None, outer: tuple = ()):
    """`for target in iterable: body` over loop variables `state`.

    `body_fn(item, *state)` returns the new state; `extra_test(*state)` (from `break`)
    must hold before each iteration. Python iterables run in Python; traced tensors,
    `at__.range` with traced bounds, and `enumerate`/`zip` over tensors run as a graph loop.
    """
    from autotrace.runtime.iterables import as_graph_sequence, graph_sequence_of

    state = tuple(state)
    sequence = graph_sequence_of(iterable)
    if sequence is not None:
        _refuse_outer(outer, "for")
        return graph_for(sequence, body_fn, state, extra_test)
    items = iter(iterable)
    for item in items:
        if extra_test is not None:
            test = extra_test(*state)
            if is_traced(test):
                _refuse_outer(outer, "for")
                rest = as_graph_sequence([item, *items], here())
                return graph_for(rest, body_fn, state, extra_test)
            if not truth(test):
                break
        state = _as_state(body_fn(item, *state), len(state))
    return _state_result(state)


def graph_for(sequence, body_fn, state: tuple, extra_test=None):
    """A graph loop over `sequence` (length and item access by a traced index)."""
    from autotrace.ops.elementwise import add, less, logical_and

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
        new = _as_state(body_fn(sequence.item(i), *s), len(s))
        return (add(i, 1), *new)

    result = graph_while(cond_fn, body_fn2, (0, *state), names, "for", where)
    result = _as_state(result, len(state) + 1)
    return _state_result(result[1:])


def cond(pred, true_fn, false_fn):
    """`true_fn()` if `pred` else `false_fn()`; a graph `cond` when `pred` is traced.

    Example:
        >>> cond(x > 0, lambda: x, lambda: -x)
    """
    if not is_traced(pred):
        return true_fn() if truth(pred) else false_fn()
    return graph_cond(pred, true_fn, false_fn, (), "cond")


def while_loop(cond_fn, body_fn, loop_vars):
    """`while cond_fn(*v): v = body_fn(*v)` over the sequence `loop_vars`; returns the final
    values in the same kind of sequence. A graph `while_loop` once the test is traced.

    Example:
        >>> i, s = while_loop(lambda i, s: i < n, lambda i, s: (i + 1, s + x), (0, 0.0))
    """
    state = tuple(loop_vars)
    result = _as_state(while_stmt(cond_fn, lambda *s: tuple(body_fn(*s)) if len(s) != 1
                                  else _single(body_fn(*s)), state), len(state))
    return type(loop_vars)(result) if isinstance(loop_vars, list) else result


def _single(result):
    return result[0] if isinstance(result, (tuple, list)) and len(result) == 1 else result
