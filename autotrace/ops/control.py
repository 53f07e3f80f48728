"""Control-flow and call ops: `call` (run a concrete function as one op).

`cond` and `while_loop` live here too (see the AutoGraph conversion issue).
"""

from __future__ import annotations

from autotrace.ops.registry import Aval, Op, apply, register


def _call_abstract(*avals, fn):
    return tuple(Aval(v.shape, v.dtype) for v in fn.graph.outputs)


call = register(Op(
    "call",
    lambda *inputs, fn: fn._run_raw(inputs),
    _call_abstract,
    multiple_results=True,
))


def call_concrete(cf, inputs) -> tuple:
    """Run concrete function `cf` on `inputs` as one op (so tapes record it)."""
    return apply(call, *inputs, fn=cf)
