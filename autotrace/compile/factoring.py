"""A common factor taken out of a gradient's sum of products: `g*a + g*b` -> `g*(a + b)`.

The reverse pass spells the chain rule out term by term. For `x * 0.9 + np.sin(x) * 0.1`
the cotangent of `x` is the sum of what its two uses send back,

    dx_1 = dx * 0.1 * cos(x) + dx * 0.9      # five full-size ops

where a person writes `dx * (cos(x) * 0.1 + 0.9)` (four): with the common factor `dx`
taken out, the rest is multiplied once and the constants fold. Run by `simplify` on
every graph, after its other rules; the products it takes apart die (dead code).

Only sums the reverse pass made are rewritten: the cotangents of one value added up
(`backprop` marks them, `mark`), never the user's own arithmetic, whose rounding is
numpy's. A gradient has no bit-exact oracle, and the factored form rounds differently in
the last bits (a few ulps of the terms; in the extreme, terms that overflow where their
factored sum would not). The rule fires only when it cannot change a type: every factor
is a value of the sum's exact static shape and dtype (no broadcasting, no promotion) or a
scalar constant of that dtype or a Python number, and every product it takes apart is
read by nothing else (so an op is saved, never added).
"""

from __future__ import annotations

import weakref

import numpy as np

from autotrace.graph.builder import aval_of
from autotrace.graph.ir import Graph, Node, Var
from autotrace.ops.registry import OPS

ENABLED = True  # switched off to compare results with and without it (tests)
_SUMS: weakref.WeakSet = weakref.WeakSet()
_ADD, _SUB, _MUL = OPS["add"], OPS["sub"], OPS["mul"]
_SUM_OPS = (_ADD, _SUB)


def mark(var: Var) -> None:
    """`var` is a sum of cotangents (the reverse pass's own arithmetic, free to factor)."""
    _SUMS.add(var)


def factor_sums(graph: Graph) -> bool:
    """Rewrite the marked sums of `graph` (not its sub-graphs) in place; True if any
    changed (the caller then drops the products they no longer read)."""
    if not ENABLED or not _SUMS:
        return False
    uses: dict[int, int] = {}
    for node in graph.nodes:
        for x in node.inputs:
            if isinstance(x, Var):
                uses[x.uid] = uses.get(x.uid, 0) + 1
    for x in graph.outputs:
        if isinstance(x, Var):
            uses[x.uid] = uses.get(x.uid, 0) + 1
    producers = {v.uid: n for n in graph.nodes for v in n.outputs}
    nodes, changed = [], False
    for node in graph.nodes:
        if node.op in _SUM_OPS and len(node.outputs) == 1 and node.outputs[0] in _SUMS:
            before = _factor(node, uses, producers)
            if before is not None:
                nodes += before
                changed = True
        nodes.append(node)
    graph.nodes = nodes
    return changed


def _factor(node: Node, uses: dict, producers: dict) -> list[Node] | None:
    """Rewrite `s = g*A ± g*B` into `s = g * (A ± B)`; returns the new nodes computing
    `A ± B` (to go before `node`), or None where the rule does not apply."""
    out = node.outputs[0]
    if out.weak is not None or out.dtype.kind not in "fc" or not out.shape or \
            None in out.shape or node.params or len(node.inputs) != 2:
        return None
    terms = [_factors(x, out, uses, producers) for x in node.inputs]
    if any(t is None or len(t) < 2 for t in terms):
        return None
    common = next((f for f in terms[0] if isinstance(f, Var) and
                   any(f is h for h in terms[1])), None)
    if common is None:
        return None
    new: list[Node] = []
    rests = [_product(_without(t, common), out, node, new) for t in terms]
    if any(r is None for r in rests):
        return None
    if all(not isinstance(r, Var) for r in rests):  # two constants: folded
        total = rests[0] + rests[1] if node.op is _ADD else rests[0] - rests[1]
    else:
        total = _apply(node.op, rests, out, node, new)
    if total is None or not _fits(_MUL, (common, total), out):
        return None
    node.op, node.inputs = _MUL, (common, total)
    return new


def _factors(x, out: Var, uses: dict, producers: dict) -> list | None:
    """The factors of `x` as a product tree of `mul`s that only this tree reads; None if
    a factor could change the type of a product it moved into."""
    producer = producers.get(x.uid) if isinstance(x, Var) else None
    if producer is not None and producer.op is _MUL and not producer.params and \
            uses.get(x.uid) == 1 and x.dtype == out.dtype and x.shape == out.shape and \
            x.weak is None:
        parts = [_factors(y, out, uses, producers) for y in producer.inputs]
        return None if any(p is None for p in parts) else [f for p in parts for f in p]
    if isinstance(x, Var):
        same = x.weak is None and x.dtype == out.dtype and x.shape == out.shape
    else:
        same = (type(x) in (int, float) or (isinstance(x, np.generic) and
                                            x.dtype == out.dtype)) and type(x) is not bool
    return [x] if same else None


def _without(factors: list, common: Var) -> list:
    k = next(i for i, f in enumerate(factors) if f is common)
    return factors[:k] + factors[k + 1:]


def _product(factors: list, out: Var, node: Node, new: list):
    """The product of `factors`: the values multiplied in order, then the constants
    folded into one factor; a constant when there are no values."""
    values = [f for f in factors if isinstance(f, Var)]
    constant = 1
    for f in factors:
        if not isinstance(f, Var):
            constant = constant * f
    if not values:
        return constant
    result = values[0]
    for v in values[1:]:
        result = _apply(_MUL, [result, v], out, node, new)
    if constant != 1:
        result = _apply(_MUL, [result, constant], out, node, new)
    return result


def _apply(op, inputs: list, out: Var, node: Node, new: list):
    """A new node `op(*inputs)` of `out`'s type, appended to `new` (None if the op's
    abstract rule gives another type)."""
    if any(x is None for x in inputs) or not _fits(op, inputs, out):
        return None
    var = Var(out.shape, out.dtype)
    new.append(Node(op, tuple(inputs), {}, (var,), node.origin))
    var.node = new[-1]
    return var


def _fits(op, inputs, out: Var) -> bool:
    try:
        aval = op.abstract(*map(aval_of, inputs))
    except (TypeError, ValueError):
        return False
    return aval.shape == out.shape and aval.dtype == out.dtype and aval.weak is None
