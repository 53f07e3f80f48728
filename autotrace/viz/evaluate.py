"""Values and derivatives for pictures, computed by autotrace itself.

`evaluate` traces a *probe*: an ordinary traced function that replays a graph's top-level
nodes (`autodiff.inline`) under a `GradientTape` and returns

* every top-level value (graph inputs and node outputs),
* the total derivative d(target)/d(value) of every float value (`tape.gradient`; the
  target's elements are summed when it is not a scalar, as `tape.gradient` does),
* for each edge x -> y of a single-result node, the local partial ∂y/∂x: y's node replayed
  alone under a fresh tape and differentiated with a ones cotangent. That is the full
  derivative when y has one element, and the Jacobian's diagonal for an elementwise ufunc
  whose operand has y's shape; for other edges it would be neither, so it is not computed.

So the numbers in a picture come from autotrace's own compiled graph and VJP rules, never
from a second implementation of the ops.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass, field

import numpy as np

from autotrace.autodiff.inline import inline
from autotrace.autodiff.tape import GradientTape
from autotrace.function import TracedFunction
from autotrace.graph.ir import Graph, Node, Var


@dataclass
class Evaluation:
    """What `evaluate` found, keyed by `Var.uid` (and `(node uid, var uid)` for edges)."""

    values: dict = field(default_factory=dict)
    totals: dict = field(default_factory=dict)
    partials: dict = field(default_factory=dict)
    target: Var | None = None


def evaluate(graph: Graph, inputs, gradients: bool = False, output: int | None = None):
    """Run `graph` on `inputs` (one value per graph input) and collect what pictures show.

    Args:
        graph: a top-level graph (e.g. `cf.graph`).
        inputs: values for `graph.inputs`, in order.
        gradients: also compute totals (w.r.t. output number `output`) and local partials.
        output: index into `graph.outputs` of the target; default the first float output.

    Raises:
        ValueError: wrong number of inputs, or no float output to differentiate.
    """
    inputs = [_plain(x) for x in inputs]
    if len(inputs) != len(graph.inputs):
        names = ", ".join(v.name or "?" for v in graph.inputs)
        raise ValueError(f"graph {graph.name} takes {len(graph.inputs)} inputs ({names}), "
                         f"got {len(inputs)}")
    nodes = [n for n in graph.nodes if not n.op.effect]
    values = [*graph.inputs, *(v for n in nodes for v in n.outputs)]
    target = target_of(graph, output) if gradients else None
    edges = _edges(nodes) if gradients else []
    probe = _probe(Graph(graph.name, graph.inputs, nodes, values), target, edges)
    with contextlib.redirect_stdout(io.StringIO()):  # print nodes stay quiet here
        found, totals, partials = probe(*inputs)
    result = Evaluation(target=target)
    result.values = {v.uid: x for v, x in zip(values, found)}
    result.totals = {v.uid: g for v, g in zip(_float(values), totals) if g is not None}
    result.partials = {(n.uid, x.uid): p for (n, x), p in zip(edges, partials)
                       if p is not None}
    return result


def target_of(graph: Graph, output: int | None) -> Var:
    """The output whose derivatives a picture shows (a float `Var`)."""
    if output is None:
        for out in graph.outputs:
            if isinstance(out, Var) and _is_float(out):
                return out
        raise ValueError(f"graph {graph.name} has no float output to differentiate")
    if not -len(graph.outputs) <= output < len(graph.outputs):
        raise ValueError(f"output={output} is out of range: graph {graph.name} has "
                         f"{len(graph.outputs)} outputs")
    out = graph.outputs[output]
    if not (isinstance(out, Var) and _is_float(out)):
        raise ValueError(f"output {output} of graph {graph.name} is not a float value, so "
                         "it has no derivatives; pick another with output=...")
    return out


def _probe(wide: Graph, target: Var | None, edges: list):
    """The traced probe function for `evaluate` (see the module docstring)."""

    floats = _float(wide.outputs)

    def probe(*inputs):
        if target is None:
            return inline(wide, inputs), [], []
        with GradientTape() as tape:
            tape.watch([x for x, v in zip(inputs, wide.inputs) if _is_float(v)])
            found = inline(wide, inputs)
        env = {v.uid: x for v, x in zip(wide.outputs, found)}
        totals = tape.gradient(env[target.uid], [env[v.uid] for v in floats])
        return found, totals, [_local_partial(node, x, env) for node, x in edges]

    probe.__name__ = probe.__qualname__ = f"{wide.name}_probe"
    return TracedFunction(probe, autograph=False)


def _local_partial(node: Node, x: Var, env: dict):
    """∂y/∂x for y = node's result, replaying the node alone (None if not shown)."""

    operands = list(dict.fromkeys(i for i in node.inputs if isinstance(i, Var)))
    args = [env[v.uid] for v in operands]
    with GradientTape() as tape:
        tape.watch(args[operands.index(x)])
        y = inline(Graph("local", operands, [node], node.outputs), args)[0]
    if not shows_partial(node, x, y.symbol.shape, args[operands.index(x)].symbol.shape):
        return None
    return tape.gradient(y, args[operands.index(x)])


def shows_partial(node: Node, x: Var, y_shape: tuple, x_shape: tuple) -> bool:
    """A ones-cotangent VJP is ∂y/∂x itself: y has one element, or the op is an
    elementwise ufunc and x has y's shape (the Jacobian is diagonal)."""
    if None in y_shape or None in x_shape:
        return False
    if int(np.prod(y_shape, dtype=np.int64)) == 1:
        return True
    impl = node.op.impl
    return isinstance(impl, np.ufunc) and impl.signature is None and y_shape == x_shape


def _edges(nodes: list) -> list[tuple[Node, Var]]:
    """(node, float input) pairs whose local partial may be shown."""
    return [(n, x) for n in nodes if has_partials(n)
            for x in dict.fromkeys(i for i in n.inputs if isinstance(i, Var) and _is_float(i))]


def has_partials(node: Node) -> bool:
    """Single float result and a VJP rule (control flow and effects have none shown)."""
    return (len(node.outputs) == 1 and node.op.vjp is not None and not node.subgraphs()
            and _is_float(node.outputs[0]))


def _float(variables) -> list[Var]:
    return [v for v in variables if isinstance(v, Var) and _is_float(v)]


def _is_float(v: Var) -> bool:
    return v.dtype.kind in "fc"


def _plain(x):
    """Eager tensors and Variables as numpy values (the probe takes plain values)."""
    numpy = getattr(x, "numpy", None)
    return numpy() if callable(numpy) else x
