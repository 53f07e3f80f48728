"""Buffer reuse for generated numpy code: elementwise results written into dead temporaries.

`v4 = v3 * x` where `v3` dies at that line and has `v4`'s shape and dtype becomes
`v4 = _mul(v3, x, out=v3)`: numpy writes into the existing buffer instead of allocating
one (in-place accumulation, `g = g + t` as `g += t`, is the same rule). Results are the
same bit for bit: the ufunc, its inputs and its output dtype do not change.

A buffer is reused only when nothing else can see it, which this pass proves by
construction rather than by alias analysis:

* it was made by an elementwise ufunc (`ufunc(...)` without `out=` returns a fresh array,
  never a view of an input), and every node that reads it is such a ufunc too (so no
  view, reshape, slice, sub-graph or Python-level structure ever holds it);
* it is not a graph input or output, and this node is its last use;
* its static shape is fully known, not 0-d (a ufunc of 0-d arrays returns a numpy scalar,
  which has no buffer), and equals the result's, with the same dtype (no casting);
* it is big (`MIN_BYTES`): small arrays are cheaper to allocate than to reuse;
* it is not a Python scalar at run time (`Var.weak`).

Only code whose intermediates are released (`Emitter.emit_graph(..., release=True)`: a
function's straight-line code, a loop's body) uses it; branches keep fresh results.

`loop_owned_writes` is the same idea for in-place writes in loops: a loop variable that
the body reads only to write into (`out[i] = v`, `setitem` nodes in a chain ending in that
variable's next value) is written in place, into a copy the loop makes once before it
starts, instead of copied on every trip (which makes the buffer pattern quadratic).
"""

from __future__ import annotations

import numpy as np

from autotrace.graph.ir import Graph, Node, Var
from autotrace.ops.registry import OPS
from autotrace.ops.setitem import setitem_into

IN_PLACE = {OPS["setitem"]: setitem_into}  # op -> the impl that writes into its input 0

ENABLED = True  # switched off to compare results with and without the pass (tests)
# Below this size a fresh array is cheaper than the `out=` keyword call (numpy caches small
# allocations); above it allocation means mmap and page faults: 2x faster at 1e6 float64.
MIN_BYTES = 1 << 17


def reusable_buffers(graph: Graph, last_use: dict[int, list[Var]],
                     keep: set[int]) -> dict[int, Var]:
    """Node index -> the dead input whose buffer that node's result may be written into.

    Args:
        last_use: node index -> the values whose last use is that node (`_last_uses`).
        keep: uids of values that must stay alive (the graph's outputs).
    """
    if not ENABLED:
        return {}
    readers_ok = _readers_elementwise(graph)
    plan: dict[int, Var] = {}
    for i, node in enumerate(graph.nodes):
        if not _elementwise(node):
            continue
        (out,) = node.outputs
        if not _has_buffer(out):
            continue
        dead = {v.uid for v in last_use.get(i, ())}
        for x in node.inputs:
            if (isinstance(x, Var) and x.uid in dead and x.uid not in keep
                    and readers_ok.get(x.uid, False) and x.node is not None
                    and _elementwise(x.node) and _has_buffer(x)
                    and x.shape == out.shape and x.dtype == out.dtype):
                plan[i] = x
                break
    return plan


def _readers_elementwise(graph: Graph) -> dict[int, bool]:
    """uid -> whether every node reading that value is an elementwise ufunc."""
    ok: dict[int, bool] = {}
    for node in graph.nodes:
        elementwise = _elementwise(node)
        for x in node.inputs:
            if isinstance(x, Var):
                ok[x.uid] = ok.get(x.uid, True) and elementwise
    return ok


def _elementwise(node: Node) -> bool:
    """A single-result ufunc applied without parameters (so `out=` can be added)."""
    impl = node.op.impl
    return (isinstance(impl, np.ufunc) and impl.nout == 1 and node.op.emit is None
            and not node.params and not node.op.multiple_results
            and len(node.outputs) == 1)


def _has_buffer(var: Var) -> bool:
    """A run-time ndarray of a statically known, non-empty-rank shape."""
    return var.weak is None and len(var.shape) > 0 and None not in var.shape \
        and int(np.prod(var.shape)) * var.dtype.itemsize >= MIN_BYTES


def emit_into(node: Node, em, indent: str, buffer: Var) -> None:
    """`out = _op(a, b, out=buffer)` (`em` is the code generator's `Emitter`)."""
    fn = em.bind(node.op.impl, node.op.name)
    args = ", ".join(em.value(x) for x in node.inputs)
    em.emit(f"{em.name(node.outputs[0])} = {fn}({args}, out={em.name(buffer)})", indent, node)


def loop_owned_writes(body: Graph, n: int) -> dict[int, list[Node]]:
    """Loop variable index -> the nodes of `body` that may write into its buffer in place.

    The variable's value must be read by one node only, an `IN_PLACE` op taking it as its
    first input (and nowhere else); that node's result likewise, until the last one's
    result is the variable's next value and nothing else: then no other value of the
    loop ever sees the buffer (no view, no history record, no other loop variable).
    """
    if not ENABLED:
        return {}
    readers: dict[int, list[tuple[Node, int]]] = {}
    for node in body.nodes:
        for pos, x in enumerate(node.inputs):
            if isinstance(x, Var):
                readers.setdefault(x.uid, []).append((node, pos))
    outputs = [o.uid for o in body.outputs if isinstance(o, Var)]
    plan: dict[int, list[Node]] = {}
    for k in range(n):
        value, chain = body.inputs[k], []
        if value.weak is not None or not value.shape or value.uid in outputs:
            continue
        while len(readers.get(value.uid, ())) == 1:
            node, pos = readers[value.uid][0]
            if node.op not in IN_PLACE or pos != 0 or len(readers[value.uid]) != 1:
                break
            chain.append(node)
            value = node.outputs[0]
            if value.uid in outputs:
                break
        if chain and value is chain[-1].outputs[0] and value.uid not in readers \
                and outputs.count(value.uid) == 1 and body.outputs[k] is value:
            plan[k] = chain
    return plan
