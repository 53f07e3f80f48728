"""The trace stack: `bind(op, *args)` -> the top trace among the arguments -> `process`.

Anchor: JAX's `Primitive.bind` -> `find_top_trace` -> `Trace.process_primitive`. A value
that is not a plain numpy/Python value is a `Tracer` and names the trace it belongs to;
the trace with the highest level among the arguments processes the application, and
processes it by binding ops on the values of the traces below (a forward-mode tracer's
primal and tangent, a batched tracer's stacked value). Plain values belong to the eval
trace at the bottom, which runs the numpy impl.

Levels: the eval trace is -1, traces that exist for the whole program (eager) are 0, and
a trace pushed with `with trace:` gets the next level above the stack (so an inner
transform outranks an outer one: `grad(vmap(f))` and `vmap(grad(f))` both nest).
"""

from __future__ import annotations

import math
import threading

_state = threading.local()


class Trace:
    """An evaluation mode. Subclasses implement `process(op, args, params)`.

    A trace is active while pushed (`with trace:`); `level` is its rank on the stack, and
    `math.inf` once popped, so a value that outlived its trace still finds its trace
    first and the trace can refuse it loudly.
    """

    level: float = math.inf
    builds_graph = False  # a graph-building trace (captures Variables read under it)

    def process(self, op, args: tuple, params: dict):
        raise NotImplementedError

    def __enter__(self):
        stack = trace_stack()
        self.level = (stack[-1].level if stack else 0) + 1
        stack.append(self)
        if self.builds_graph:
            _graphs().append(self)
        return self

    def __exit__(self, *exc) -> None:
        popped = trace_stack().pop()
        assert popped is self, "traces exited out of order"
        if self.builds_graph:
            _graphs().pop()
        self.level = math.inf


class EvalTrace(Trace):
    """Plain numpy: the bottom of every stack."""

    level = -1

    def process(self, op, args: tuple, params: dict):
        return op.impl(*args, **params)


EVAL = EvalTrace()


class Tracer:
    """A value owned by a trace; `_trace` says which (it may depend on the stack; the
    underscore keeps numpy's `x.trace()` method free)."""

    __slots__ = ()

    @property
    def _trace(self) -> Trace:
        raise NotImplementedError


def trace_stack() -> list:
    """The pushed traces of this thread, innermost last."""
    stack = getattr(_state, "stack", None)
    if stack is None:
        stack = _state.stack = []
    return stack


def _graphs() -> list:
    graphs = getattr(_state, "graphs", None)
    if graphs is None:
        graphs = _state.graphs = []
    return graphs


def innermost_graph_trace():
    """The innermost graph-building trace on the stack, or None."""
    graphs = _graphs()
    return graphs[-1] if graphs else None


def find_top_trace(args) -> Trace:
    """The trace of highest level among `args` (the eval trace if none is a tracer)."""
    top = EVAL
    for a in args:
        if isinstance(a, Tracer):
            t = a._trace
            if t.level > top.level:
                top = t
    return top


def bind(op, *args, **params):
    """Apply `op` to `args` in the top trace of the arguments."""
    return find_top_trace(args).process(op, args, params)
