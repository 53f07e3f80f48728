"""`GraphFunction`: a compiled graph callable as one `call` op, with a cached backward.

`ConcreteFunction` builds on it. Under an eager `GradientTape`, calling a concrete function
records one `call` op; its VJP calls `backward()`, another `GraphFunction` traced once
from this one (replay the graph under a tape, ask for the input gradients), which can be
differentiated again in turn.
"""

from __future__ import annotations

from autotrace.autodiff.backprop import is_float
from autotrace.autodiff.inline import graph_vjp
from autotrace.compile.codegen import CHECK, compile_graph
from autotrace.compile.simplify import simplify
from autotrace.graph.builder import GraphBuilder
from autotrace.graph.ir import Var
from autotrace.graph.verify import verify


class GraphFunction:
    """A graph compiled to numpy code; `variables` are read at call time."""

    def __init__(self, graph, variables=()):
        self.graph = simplify(graph)
        if CHECK:
            verify(self.graph)
        self.variables = list(variables)
        self._compiled = None
        self._backward = None

    @property
    def _run(self):
        """`run(*inputs, *variable_values) -> tuple of outputs`, compiled on first use."""
        if self._compiled is None:
            self._compiled = compile_graph(self.graph)
        return self._compiled

    def _run_raw(self, inputs):
        if self.variables:
            inputs = list(inputs) + [v.numpy() for v in self.variables]
        return self._run(*inputs)

    @property
    def source(self) -> str:
        return self._run.source

    def backward(self) -> BackwardFunction:
        """The backward graph: (inputs..., output cotangents...) -> input gradients."""
        if self._backward is None:
            self._backward = BackwardFunction(self)
        return self._backward


class BackwardFunction(GraphFunction):
    """Gradients of a `GraphFunction`'s float outputs w.r.t. its float inputs."""

    def __init__(self, forward: GraphFunction):

        fwd = forward.graph
        self.float_inputs = [i for i, v in enumerate(fwd.inputs) if is_float(v)]
        self.float_outputs = [i for i, v in enumerate(fwd.outputs)
                              if isinstance(v, Var) and is_float(v)]
        with GraphBuilder(f"{fwd.name}_backward") as b:
            inputs = [b.add_input(v.shape, v.dtype, v.name, weak=v.weak) for v in fwd.inputs]
            cts = [b.add_input(fwd.outputs[i].shape, fwd.outputs[i].dtype,
                               f"d_{fwd.outputs[i].name or i}") for i in self.float_outputs]
            ct_all = [None] * len(fwd.outputs)
            for i, c in zip(self.float_outputs, cts):
                ct_all[i] = c
            grads = graph_vjp(fwd, inputs, ct_all, self.float_inputs)
            b.graph.outputs = [b.to_input(g) for g in grads]
        super().__init__(b.graph)
