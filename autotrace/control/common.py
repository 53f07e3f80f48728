"""What the control-flow ops share: running a sub-graph, binding sub-graph inputs in
generated code, aligning the captures of sibling sub-graphs, loop-state shapes, and the
small helpers of their JVP and batching rules.

This module sits low (below `autodiff.inline`, the traces and `concrete`): every layer
that runs or replays sub-graphs may import it, while the op modules `control/cond.py`,
`control/while_loop.py` and `control/call.py` sit above the transforms whose rules they
hold. A lower layer that needs one of those ops looks it up in the registry (`OPS`).
"""

from __future__ import annotations

import weakref

from autotrace.autodiff.backprop import is_float
from autotrace.compile.codegen import compile_graph
from autotrace.graph.ir import Var
from autotrace.ops.creation import zeros_like
from autotrace.ops.elementwise import where
from autotrace.ops.shape import expand_dims
from autotrace.ops.shapes import shape_of
from autotrace.tensor import Tensor, is_tensor

_compiled: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def run_graph(graph, *inputs) -> tuple:
    """Run a (sub-)graph on concrete inputs (compiled once per graph)."""

    fn = _compiled.get(graph)
    if fn is None:
        fn = _compiled[graph] = compile_graph(graph)
    return fn(*inputs)


def no_abstract(*avals, **params):
    raise AssertionError("control-flow nodes are built by autotrace.runtime.control_flow")


def bind_inputs(em, graph, values) -> None:
    """Generated code: `graph`'s inputs are the emitter's names of `values`."""
    for inner, outer in zip(graph.inputs, values):
        em.alias(inner, em.value(outer))


# -- tracing ---------------------------------------------------------------------------------
def check_scalar_condition(pred: Tensor, kind: str, where: str) -> None:
    """Refuse a condition with more than one element, as Python's `bool(array)` does."""
    shape = pred.symbol.shape
    if any(d is not None and d != 1 for d in shape):
        raise ValueError(
            f"The truth value of an array with more than one element is ambiguous: the "
            f"condition of the `{kind}` at {where} has shape {pred.symbol.type_str()}. "
            "Use a.any() or a.all(), or np.where(...) for elementwise selection."
        )


def align_captures(builder, children) -> list:
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
            mine.get(id(o)) or Var(getattr(o, "shape", ()), getattr(o, "dtype", float),
                                   weak=getattr(o, "weak", None))
            for o in order
        ]
    return order


def as_state(result, n: int) -> tuple:
    """What a loop body returned, as the tuple of its `n` loop variables."""
    if n == 0:
        return ()
    return (result,) if n == 1 else tuple(result)


def state_result(state: tuple):
    """Loop variables as generated code unpacks them: one value alone, several as a tuple."""
    return state[0] if len(state) == 1 else state


# -- derivative rules ------------------------------------------------------------------------
def float_positions(values) -> list[int]:
    """Positions of the float tensors among `values` (those a VJP gives cotangents for)."""
    return [i for i, x in enumerate(values) if is_float(x) and is_tensor(x)]


def materialized(values, tangents, floats) -> list:
    """The tangents of the float values, zeros for None (a loop or branch carries them)."""
    return [zeros_like(x) if t is None else t
            for x, t, f in zip(values, tangents, floats) if f]


def spread(float_tangents, floats) -> tuple:
    """Tangents of the float values back at their positions among all values."""
    it = iter(float_tangents)
    return tuple(next(it) if f else None for f in floats)


# -- batching rules --------------------------------------------------------------------------
def select(pred, t, f):
    """Per example: `t` where `pred` (shape (B,)) holds, else `f` (both batched, of one
    static shape: broadcasting them would silently give wrong values)."""
    if shape_of(t) != shape_of(f) or None in shape_of(t):
        raise ValueError(
            "vmap: a batched `if` or `while` gives a value whose shape differs per example "
            f"({_per_example(t)} vs {_per_example(f)}); a batch holds one shape per value. "
            "Give the branches (or loop iterations) values of one shape.")
    rank = len(shape_of(t)) - 1
    return where(expand_dims(pred, tuple(range(1, 1 + rank))) if rank else pred, t, f)


def _per_example(x) -> str:
    return "(" + ", ".join("?" if d is None else str(d) for d in shape_of(x)[1:]) + ")"


def batched_outputs(trace, outs, dims) -> list:
    """`outs` (with batch dims `dims`) each with a batch axis."""
    return [trace.batched(o, d) for o, d in zip(outs, dims)]
