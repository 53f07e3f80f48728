"""Replay a graph's nodes into the graph being traced (so tapes record them), the VJP of
a graph by replay (`graph_vjp`), and a graph replayed under a batch trace (`batch_graph`).

Used to differentiate sub-graphs (branches, loop bodies) and whole concrete functions:
their VJPs replay the forward computation under a tape and ask it for gradients.
"""

from __future__ import annotations

from autotrace import context
from autotrace.autodiff.batch_trace import BatchTrace
from autotrace.autodiff.tape import GradientTape
from autotrace.control.common import run_graph
from autotrace.core import bind, find_top_trace
from autotrace.graph.ir import Graph, Var
from autotrace.ops.creation import zeros_like
from autotrace.ops.random import refuse_replay
from autotrace.ops.state import without_writes
from autotrace.tensor import is_tensor


def inline(graph: Graph, inputs, replay: bool | str = False) -> list:
    """Apply `graph`'s nodes to `inputs` in the current trace; returns its outputs.

    `replay`: the forward computation again, for a derivative (the forward pass runs
    too): without its `Variable` writes; `replay="quiet"` also leaves out its effect nodes
    that have no results (prints, `try_save`s)."""
    if replay:
        graph = without_writes(graph)
    builder = context.current_builder()
    if builder is None:
        return list(run_graph(graph, *inputs))
    env = {v.uid: x for v, x in zip(graph.inputs, inputs)}
    for node in graph.nodes:
        if replay == "quiet" and node.op.effect and not node.outputs:
            continue
        args = [env[x.uid] if isinstance(x, Var) else x for x in node.inputs]
        with builder.override_origin(node.origin):
            results = _replay(builder, node, args)
        for v, r in zip(node.outputs, results):
            env[v.uid] = r
            new = getattr(r, "symbol", None)
            if isinstance(new, Var) and new.name is None:
                new.name = v.name
    return [env[o.uid] if isinstance(o, Var) else o for o in graph.outputs]


def _replay(builder, node, args) -> tuple:
    top = find_top_trace(args)
    if top.level > builder.level and not top.builds_graph:
        # A transform's tracers (forward mode, batching): the transform's rule applies.
        result = bind(node.op, *args, **node.params)
        return result if node.op.multiple_results else (result,)
    if node.op.emit is not None or node.op.effect:
        # Control flow and effects carry their own types: add the node as it is.
        inputs = tuple(builder.to_input(a) for a in args)
        outputs = tuple(Var(v.shape, v.dtype, v.name, weak=v.weak) for v in node.outputs)
        new = builder.add_node(node.op, inputs, dict(node.params), outputs)
        return tuple(builder.tensor(v) for v in new.outputs)
    result = builder.apply(node.op, args, dict(node.params))
    return result if node.op.multiple_results else (result,)


def graph_vjp(graph, inputs, cts, wanted: list[int]) -> list:
    """Cotangents of `graph`'s inputs `wanted`, replaying it on `inputs` under a tape
    (`UnsupportedError` if it draws random numbers: the replay would draw new ones)."""

    refuse_replay(graph)
    return replay_vjp(lambda args: inline(graph, args, replay=True), inputs, cts, wanted)


def replay_vjp(replay, inputs, cts, wanted: list[int]) -> list:
    """Cotangents of `inputs[i]` for `i` in `wanted`: `replay(args)` recomputes outputs
    from `args` (`inputs` with the wanted ones watched) under a tape, and `cts` (None:
    zero) are pulled back through it."""
    builder = context.current_builder()
    watched = [builder.tensor(builder.to_input(inputs[i])) for i in wanted]
    args = list(inputs)
    for i, w in zip(wanted, watched):
        args[i] = w
    with GradientTape(persistent=True) as tape:
        tape.watch(watched)
        outputs = replay(args)
    pairs = [(o, c) for o, c in zip(outputs, cts) if c is not None and is_tensor(o)]
    if not pairs:
        return [zeros_like(w) for w in watched]
    return tape.gradient([o for o, _ in pairs], watched,
                         output_gradients=[c for _, c in pairs], unconnected_gradients="zero")


def batch_graph(graph, values, dims, size: int) -> tuple[list, list]:
    """Replay `graph` on `values` (batch axis 0 where `dims[i]` is 0) in the current trace;
    returns (outputs, their dims)."""
    with BatchTrace(size) as trace:
        outs = inline(graph, [trace.wrap(v, d) for v, d in zip(values, dims)])
        split = [trace.split(o) for o in outs]
    return [v for v, _ in split], [d for _, d in split]
