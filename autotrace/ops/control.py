"""The `call` op: a concrete function run as one op."""

from __future__ import annotations

from autotrace.ops.registry import Aval, Op, apply, register
from autotrace.ops.state import writes_variables


# --- call -----------------------------------------------------------------------------------
def _call_abstract(*avals, fn, snapshot=None):
    return tuple(Aval(v.shape, v.dtype) for v in fn.graph.outputs)


def _call_impl(*inputs, fn, snapshot=None):
    # The op's inputs end with the function's captured Variables (so tapes see them);
    # `_run_raw` reads their current values itself.
    return fn._run_raw(inputs[: len(inputs) - len(fn.variables)])


call = register(Op("call", _call_impl, _call_abstract, multiple_results=True))


def call_concrete(fn, inputs) -> tuple:
    """Run a compiled graph function on `inputs` (then its captured `Variable`s) as one
    op, so tapes record it and can differentiate through it (autodiff/control.py).

    A function that assigns its Variables records their values before the call
    (`snapshot`): its gradient is taken at those values, not at the ones it wrote."""
    extra = {}
    if fn.variables and writes_variables(fn.graph):
        extra["snapshot"] = tuple(v.numpy() for v in fn.variables)
    return apply(call, *inputs, *fn.variables, fn=fn, **extra)
