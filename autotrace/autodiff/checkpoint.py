"""`checkpoint(f)`: rematerialization (like `jax.checkpoint`).

Inside a trace, a checkpointed function is one `call` node of its own concrete function
instead of being inlined: a gradient through it keeps only the call's inputs and outputs,
and its VJP (the function's backward graph, `GraphFunction.backward`) recomputes the
intermediates from the inputs. Memory for the intermediates of `f` is traded for running
`f`'s forward pass a second time during the backward pass.
"""

from __future__ import annotations

from typing import Callable

from autotrace import context
from autotrace.autodiff.forward import _traced, positional
from autotrace.function import TracedFunction
from autotrace.ops.control import call_concrete
from autotrace.ops.shape import dtype_of
from autotrace.ops.shapes import shape_of
from autotrace.signature import TensorSpec
from autotrace.tensor import TensorBase


def checkpoint(f: Callable) -> TracedFunction:
    """`f`, whose intermediates are recomputed, not stored, when differentiated.

    Returns:
        A traced function with `f`'s results; under `grad`/`GradientTape` its backward
        pass recomputes `f`'s forward pass from the inputs.

    Example:
        >>> layer = checkpoint(lambda x: np.tanh(np.sin(x) * 2.0))
        >>> grad(lambda x: layer(x).sum())(np.array([0.5]))  # doctest: +SKIP
    """
    target = positional(_traced(f))

    def checkpointed(*args):
        if context.current_builder() is None:
            return target(*args)
        leaves, tree = target._canonical(args, {})
        specs = [TensorSpec(shape_of(x), dtype_of(x)) if isinstance(x, TensorBase) else x
                 for x in leaves]
        cf = target._lookup(specs, tree)
        return cf._assemble(call_concrete(cf, cf.graph_inputs(leaves)))

    checkpointed.__name__ = checkpointed.__qualname__ = f"checkpoint_{target.__name__}"
    return TracedFunction(checkpointed, autograph=False)
