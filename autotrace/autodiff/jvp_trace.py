"""The JVP trace: forward mode's evaluation mode, below the public transforms.

A `JVPTracer` pairs a primal with its tangent. Under a `JVPTrace`, an op applied to
tracers runs its JVP rule (`Op.jvp`) on the primals and tangents, which binds ops on the
traces below; `jvp_graph` replays a graph under one. A differentiable op without a JVP
rule gets one from its VJP (`_transposed_vjp`). The public transforms (`jvp`,
`linearize`, `jacfwd`) are in `autodiff/forward.py`; the rules of ops that replay their
sub-graphs in forward mode (`cond`, `while_loop`, `call`) use `jvp_graph`.
"""

from __future__ import annotations

from autotrace.autodiff.backprop import fit, is_float
from autotrace.autodiff.inline import inline
from autotrace.autodiff.tape import GradientTape
from autotrace.core import Trace, Tracer, bind
from autotrace.errors import UnsupportedError
from autotrace.ops.creation import zeros_like
from autotrace.ops.shape import astype, broadcast_like, dtype_of
from autotrace.tensor import Tensor


class JVPTracer(Tracer):
    """A primal value and its tangent (same shape and dtype), owned by a `JVPTrace`."""

    __slots__ = ("_trace", "primal", "tangent")

    def __init__(self, trace: JVPTrace, primal, tangent):
        self._trace = trace
        self.primal = primal
        self.tangent = tangent


class JVPTrace(Trace):
    """Forward mode: each op application also computes its output's tangent."""

    def lift(self, primal, tangent):
        """A tracer for `primal` (the value itself when it has no tangent)."""
        if tangent is None or not is_float(primal):
            return primal
        return JVPTracer(self, primal, fit_tangent(tangent, primal))

    def split(self, x) -> tuple:
        """(primal, tangent or None) of a value met by this trace."""
        if isinstance(x, JVPTracer) and x._trace is self:
            return x.primal, x.tangent
        return x, None

    def process(self, op, args, params):
        primals, tangents = zip(*(self.split(a) for a in args)) if args else ((), ())
        if op.vjp is None and op.jvp is None:  # not differentiable: no tangent
            if op.no_gradient is not None and any(t is not None for t in tangents):
                raise UnsupportedError(op.no_gradient(**params))
            return bind(op, *primals, **params)
        rule = op.jvp or _transposed_vjp(op)
        out, tangent = rule(primals, tangents, **params)
        if op.multiple_results:
            tangent = tangent if tangent is not None else (None,) * len(out)
            return tuple(self.lift(o, t) for o, t in zip(out, tangent))
        return self.lift(out, tangent)


def fit_tangent(t, x):
    """Tangent `t` with exactly `x`'s shape and dtype (a rule may give a broadcastable one,
    or a weak Python scalar)."""
    t = broadcast_like(t, x)
    weak = isinstance(t, Tensor) and t.symbol.weak is not None
    if dtype_of(t) != dtype_of(x) or weak or type(t) in (int, float, complex):
        t = astype(t, dtype_of(x))
    return t


def _transposed_vjp(op):
    """A JVP rule from `op`'s VJP: `J t = d/dg <vjp(g), t>` (the VJP is linear in `g`)."""

    def rule(primals, tangents, **params):
        out = bind(op, *primals, **params)
        outs = out if op.multiple_results else (out,)
        seeds = [zeros_like(o) if is_float(o) else None for o in outs]
        watched = [s for s in seeds if s is not None]
        with GradientTape(persistent=True) as tape:
            tape.watch(watched)
            cts = op.vjp(tuple(seeds) if op.multiple_results else seeds[0], *primals, out,
                         **params)
            terms = [(fit(c, x) * t).sum() for c, x, t in zip(cts, primals, tangents)
                     if c is not None and t is not None]
        if not terms or not watched:
            return out, None
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        grads = iter(tape.gradient(total, watched, unconnected_gradients="zero"))
        tangent = [next(grads) if s is not None else None for s in seeds]
        return out, tuple(tangent) if op.multiple_results else tangent[0]

    return rule


def jvp_graph(graph, primals, tangents) -> tuple[list, list]:
    """Replay `graph` on `primals` with `tangents` (None: zero) in the current trace;
    returns (outputs, output tangents (None: zero))."""
    with JVPTrace() as trace:
        outs = inline(graph, [trace.lift(x, t) for x, t in zip(primals, tangents)])
        split = [trace.split(o) for o in outs]
    return [p for p, _ in split], [t for _, t in split]
