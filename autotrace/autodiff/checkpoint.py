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
from autotrace.autodiff.loop_checkpoints import check_every, checkpoint_loops
from autotrace.control.call import call_concrete
from autotrace.function import TracedFunction
from autotrace.ops.shape import dtype_of
from autotrace.ops.shapes import shape_of
from autotrace.signature import TensorSpec
from autotrace.tensor import TensorBase


def checkpoint(f: Callable, every: int | str | None = None) -> TracedFunction:
    """`f`, whose intermediates are recomputed, not stored, when differentiated.

    Args:
        every: also checkpoint the gradients of `f`'s `while` loops: keep the state of
            every `every`-th iteration (an int), or about sqrt(2 x trips) states spaced
            evenly whatever the trip count ("sqrt"); the reverse sweep replays the rest
            from them (autodiff/loop_checkpoints.py). None: loops record every state.

    Returns:
        A traced function with `f`'s results; under `grad`/`GradientTape` its backward
        pass recomputes `f`'s forward pass from the inputs.

    Example:
        >>> layer = checkpoint(lambda x: np.tanh(np.sin(x) * 2.0))
        >>> grad(lambda x: layer(x).sum())(np.array([0.5]))  # doctest: +SKIP
    """
    if every is None:
        target = positional(_traced(f))
    else:  # its own concrete functions: their loops' gradients are checkpointed
        every = check_every(every)
        target = positional(TracedFunction(getattr(f, "python_function", f)))

    def checkpointed(*args):
        if context.current_builder() is None:
            return target(*args)
        leaves, tree = target._canonical(args, {})
        specs = [TensorSpec(shape_of(x), dtype_of(x)) if isinstance(x, TensorBase) else x
                 for x in leaves]
        cf = target._lookup(specs, tree)
        if every is not None:
            checkpoint_loops(cf.graph, every)
        return cf._assemble(call_concrete(cf, cf.graph_inputs(leaves)))

    checkpointed.__name__ = checkpointed.__qualname__ = f"checkpoint_{target.__name__}"
    return TracedFunction(checkpointed, autograph=False)
