"""The `cond` op: a node owning two sub-graphs, its tracing, impl, code, VJP, JVP and
batching rule.

    y: f64[3] = cond p x
      then(x_1: f64[3]):
        ...
      else(x_2: f64[3]):
        ...

The node's inputs are `(pred, *operands)`; both branches take `operands` (their inputs
bind to them by position). The executor emits a Python `if` block over numpy, inline in
the compiled function.

* Tracing (`graph_cond`): each branch is traced in a child builder; the values the
  branches give are joined per variable by the rules of `runtime.merge` (weak Python
  scalars, unknown dims, one dtype), and the captured outer values are aligned so both
  sub-graphs take the same inputs.
* VJP: a `cond` over the branches' VJPs (each branch replays its forward part under a
  tape, so residuals come from the taken branch only).
* JVP: a `cond` over the branches' JVPs (nothing stored).
* Batching: with a batched predicate both branches run on every example and the results
  are selected per example (`where`); when a branch has effects (print, assert, raise) it
  loops over the examples instead. With a shared predicate it stays one `cond` over
  batched branches.
"""

from __future__ import annotations

from autotrace import context, mutation
from autotrace.autodiff.backprop import is_float
from autotrace.autodiff.inline import batch_graph, graph_vjp, inline
from autotrace.autodiff.jvp_trace import jvp_graph
from autotrace.control.common import (
    align_captures,
    batched_outputs,
    bind_inputs,
    check_scalar_condition,
    float_positions,
    materialized,
    no_abstract,
    run_graph,
    select,
    spread,
)
from autotrace.errors import TracingError
from autotrace.graph.ir import Var
from autotrace.ops.join import stack
from autotrace.ops.registry import Op, register
from autotrace.runtime import merge, stacked
from autotrace.runtime.merge import branch_output
from autotrace.runtime.raising import BranchRaises
from autotrace.runtime.stacked import flatten
from autotrace.runtime.undefined import Undefined
from autotrace.runtime.variables import assigned_in, variable_label
from autotrace.runtime.where import here
from autotrace.signature import leaf_paths, unflatten
from autotrace.tensor import Tensor


# -- the op: impl and code ---------------------------------------------------------------------
def _cond_impl(pred, *operands, then, orelse):
    return run_graph(then if pred else orelse, *operands)


def _emit_cond(node, em, indent: str) -> None:
    operands = node.inputs[1:]
    outs = [em.name(v) for v in node.outputs]
    em.emit(f"if {em.value(node.inputs[0])}:", indent, node)
    for key in ("then", "orelse"):
        if key == "orelse":
            em.emit("else:", indent)
        branch = node.params[key]
        bind_inputs(em, branch, operands)
        em.emit_graph(branch, indent + "    ")
        results = [em.value(o) for o in branch.outputs]
        em.emit(f"{', '.join(outs)} = {', '.join(results)}" if outs else "pass", indent + "    ")


# -- tracing ---------------------------------------------------------------------------------
def graph_cond(pred, true_fn, false_fn, names, kind: str):
    """Trace both branches into sub-graphs and add one `cond` node.

    A branch that ends in `raise` (see `runtime.raising`) contributes a `raise` node and
    no values; the node then takes its types from the other branch.
    """
    builder = context.current_builder()
    where = here(2)
    check_scalar_condition(pred, kind, where)
    branches = [_trace_branch(builder, fn, label) for fn, label in
                ((true_fn, "then"), (false_fn, "orelse"))]
    # Variables assigned in a branch: their values after the `cond` are results too.
    variables = assigned_in([b.child for b in branches])
    for b in branches:
        if variables and b.raised is None:
            with b.child:
                b.set_result((b.result, tuple(b.child.current_value(v) for v in variables)))
    live = [b for b in branches if b.raised is None]
    if len(live) == 2:
        _align(*live)
    if not live:
        _add_cond(builder, pred, branches, ())
        raise BranchRaises(branches[0].raised)
    if len(live) == 2 and live[0].tree != live[1].tree:
        _stack_grown(live, names, where)
    tree = live[0].tree
    if any(b.tree != tree for b in live):
        raise TracingError(
            f"The branches of the `{kind}` at {where} give different structures "
            f"({live[0].tree} vs {live[1].tree}). With a tensor condition both branches must "
            "give the same variables with the same nesting."
        )
    if variables:
        leaf_names = _leaf_names(names, tree.children[0]) + [
            f"Variable {variable_label(v, k)}" for k, v in enumerate(variables)]
    else:
        leaf_names = _leaf_names(names, tree)
    n = len(leaf_names)
    written = mutation.written_outer([b.child for b in branches])
    for b in live:  # a value written in place is one more output (joined like the rest)
        b.leaves = b.leaves + [mutation.branch_stand_in(b.child, o) for o in written]
    leaf_names = leaf_names + [o.symbol.name or "written array" for o in written]
    joined = _join_branches(branches, leaf_names, where, kind)
    for b in branches:
        leaves = b.leaves if b.raised is None else [_PLACEHOLDER] * len(joined)
        with b.child:  # casts of branch values belong to the branch
            b.child.graph.outputs = [branch_output(b.child, leaf, j) for leaf, j in
                                     zip(leaves, joined) if j.kind == "tensor"]
    outputs = tuple(Var(j.shape, j.dtype, weak=j.weak) for j in joined if j.kind == "tensor")
    _add_cond(builder, pred, branches, outputs)
    results = _results(builder, joined, outputs, leaf_names, kind, where)
    for o, value in zip(written, results[n:]):
        mutation.check_writable(o, "an in-place write")
        mutation.write(o, value)
    result = unflatten(tree, _same_objects(live, results[:n]))
    if variables:  # assigned Variables' values after the `cond`
        result, values = result
        for v, value in zip(variables, values):
            builder.set_variable_value(v, value)
    return result


def _outer_of(branch: _Branch, leaf):
    """The outer array `leaf` stands for in `branch` (a stand-in or a shown view)."""
    shown = branch.shown.get(id(leaf))
    if shown is not None:
        return shown
    if id(leaf) in branch.child.proxies:
        return branch.child.proxies[id(leaf)][1]
    return leaf if isinstance(leaf, Tensor) and leaf.builder is not branch.child else None


def _same_objects(live, results: list) -> list:
    """A result that every branch gives as the stand-in of one outer array is that array
    itself (written in place, or not at all): `x` stays the caller's object."""
    out = []
    for k, r in enumerate(results):
        outers = {id(o): o for o in (_outer_of(b, b.leaves[k]) for b in live)}
        o = next(iter(outers.values())) if len(outers) == 1 else None
        out.append(o if o is not None else r)
    return out


class _Branch:
    __slots__ = ("child", "result", "leaves", "tree", "raised", "shown")

    def __init__(self, child, result, raised, shown=None):
        self.child, self.raised, self.shown = child, raised, shown or {}
        self.set_result(result)

    def set_result(self, result) -> None:
        self.result = result
        self.leaves, self.tree = flatten(result) if self.raised is None else (None, None)


def _align(a: _Branch, b: _Branch) -> None:
    """Give a branch's unset `retval` the structure the other branch returns."""
    ra, rb = merge.align_placeholders(a.result, b.result)
    a.set_result(ra)
    b.set_result(rb)


_PLACEHOLDER = Undefined("branch value", placeholder=True)


def _stack_grown(branches: list, names, where: str) -> None:
    """Python lists that the two branches give with different lengths (`if t: xs.append(v)`)
    become `StackedList`s, stacked inside each branch, so the `cond` gives one stacked array."""
    one = len(names) <= 1
    parts = [(b.result,) if one else b.result for b in branches]
    if not all(type(p) is tuple for p in parts) or len(parts[0]) != len(parts[1]):
        return
    shown = tuple(names) if len(names) == len(parts[0]) else ()
    for branch, mine, other in ((branches[0], *parts), (branches[1], *reversed(parts))):
        with branch.child:
            new = stacked.grown(mine, other, shown, where)
        if new is not None:
            branch.set_result(new[0] if one else new)


def _trace_branch(builder, fn, label) -> _Branch:
    child = builder.child(label)
    child.in_branch = child.cond_branch = True
    try:
        with child:
            result = fn()
    except BranchRaises as raised:
        mutation.restore_views(child)
        return _Branch(child, None, raised.exception)
    leaves, tree = flatten(result)
    shown: dict = {}
    result = unflatten(tree, [mutation.snapshot(x, child, shown) for x in leaves])
    mutation.restore_views(child)
    return _Branch(child, result, None, shown)


def _join_branches(branches, names, where, kind: str) -> list:
    labels = ("in the `if` branch", "in the `else` branch") if kind == "if" else \
        ("when the condition holds", "when it does not")
    if all(b.raised is None for b in branches):
        t, f = branches
        return [merge.join(n, merge.classify(a), merge.classify(b), labels, where)
                for n, a, b in zip(names, t.leaves, f.leaves)]
    (live,) = [b for b in branches if b.raised is None]
    return [merge.single(merge.classify(leaf)) for leaf in live.leaves]


def _add_cond(builder, pred, branches, outputs) -> None:
    operands = align_captures(builder, [b.child for b in branches])
    params = {"then": branches[0].child.graph, "orelse": branches[1].child.graph}
    builder.add_node(cond, (builder.to_input(pred), *operands), params, outputs)


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


def _results(builder, joined, outputs, names, kind, where) -> list:
    tensors = iter(outputs)
    out = []
    for name, j in zip(names, joined):
        if j.kind == "tensor":
            var = next(tensors)
            if var.name is None and not name.startswith("the "):
                var.name = name
            out.append(builder.tensor(var))
        elif j.kind == "undefined" and getattr(j.value, "placeholder", False):
            out.append(j.value)
        elif j.kind == "undefined":
            out.append(Undefined(name, f"it is not assigned on every path of the `{kind}` "
                                       f"at {where}"))
        else:
            out.append(j.value)
    return out


# -- VJP and JVP -----------------------------------------------------------------------------
def cond_vjp(cts, pred, *rest, then, orelse):

    operands = rest[:-1]
    wanted = float_positions(operands)
    if not wanted:
        return (None,) * (len(operands) + 1)

    def branch(graph):
        return lambda: tuple(graph_vjp(graph, operands, cts, wanted))

    grads = graph_cond(pred, branch(then), branch(orelse), (), "if")
    out = [None] * len(operands)
    for i, g in zip(wanted, grads):
        out[i] = g
    return (None, *out)


def cond_jvp(primals, tangents, then, orelse):
    pred, operands, t_operands = primals[0], primals[1:], tangents[1:]
    floats = [is_float(v) for v in then.outputs]

    def branch(graph):
        def run():
            outs, touts = jvp_graph(graph, operands, t_operands)
            return (*outs, *materialized(outs, touts, floats))

        return run

    results = graph_cond(pred, branch(then), branch(orelse), (), "if")
    n = len(floats)
    return tuple(results[:n]), spread(results[n:], floats)


# -- batching --------------------------------------------------------------------------------
def _has_effects(graph) -> bool:
    return any(node.op.effect for node in graph.walk())


def _cond_rule(trace, op, values, dims, params):
    then, orelse = params["then"], params["orelse"]
    pred, operands, odims = values[0], values[1:], dims[1:]
    if dims[0] is not None:
        if _has_effects(then) or _has_effects(orelse):
            return _cond_per_example(trace, values, dims, then, orelse)
        t = batched_outputs(trace, *batch_graph(then, operands, odims, trace.size))
        f = batched_outputs(trace, *batch_graph(orelse, operands, odims, trace.size))
        return tuple(select(pred, a, b) for a, b in zip(t, f)), (0,) * len(t)

    def branch(graph):
        return lambda: tuple(batched_outputs(
            trace, *batch_graph(graph, operands, odims, trace.size)))

    results = graph_cond(pred, branch(then), branch(orelse), (), "if")
    return tuple(results), (0,) * len(results)


def _cond_per_example(trace, values, dims, then, orelse):
    """One `cond` per example (a branch has effects, so it must run only where taken)."""
    results = []
    for b in range(trace.size):
        pred, *operands = [x[b] if d is not None else x for x, d in zip(values, dims)]
        results.append(graph_cond(pred, lambda g=then, o=operands: tuple(inline(g, o)),
                                  lambda g=orelse, o=operands: tuple(inline(g, o)), (), "if"))
    n = len(results[0])
    return tuple(stack([r[k] for r in results]) for k in range(n)), (0,) * n


cond = register(Op("cond", _cond_impl, no_abstract, vjp=cond_vjp, multiple_results=True,
                   emit=_emit_cond, jvp=cond_jvp, batch=_cond_rule))
