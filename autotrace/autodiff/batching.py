"""Batching: the batch trace and `vmap`.

A `BatchTracer` holds a value whose axis 0 is the batch (one entry per example). Under a
`BatchTrace`, an op applied to tracers runs its batching rule, which binds ops on the
stacked values in the traces below (the graph being built). `vmap(f)` traces `f` once per
per-example signature to its graph and replays that graph under a batch trace, inside a
traced function of the stacked arguments.

The trace and the rules of the ops are in `autodiff/batch_trace.py`; the control-flow
ops hold theirs (`control/cond.py`: a batched `if` runs both branches and selects per
example; `control/while_loop.py`: a masked loop, so trip counts may differ per example).
"""

from __future__ import annotations

import weakref
from typing import Callable

from autotrace.autodiff.batch_trace import batched, is_array
from autotrace.autodiff.forward import _traced, positional
from autotrace.autodiff.inline import batch_graph
from autotrace.function import TracedFunction
from autotrace.ops.random import refuse_under_vmap
from autotrace.ops.shape import moveaxis
from autotrace.ops.shapes import shape_of
from autotrace.signature import TensorSpec, flatten, is_input_leaf, unflatten

# -- vmap ------------------------------------------------------------------------------------
_TRANSFORMS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_STRONG: dict = {}


def vmap(f: Callable, in_axes=0, out_axes=0) -> TracedFunction:
    """Vectorize `f` over a batch axis of its arguments (like `jax.vmap`).

    Args:
        f: plain or traced function of one example. Its Python `if` and `while` on
            per-example values work: a batched `if` computes both branches and selects per
            example, a batched `while` runs until every example is done.
        in_axes: the batch axis of every positional argument (int), None (not batched),
            or a tuple with one int/None per positional argument (applied to all the
            arrays in that argument).
        out_axes: where the batch axis goes in every output array (int).

    Returns:
        A traced function of the stacked arguments; every array in its output has the
        batch axis at `out_axes` (an output shared by all examples is broadcast).

    Example:
        >>> vmap(lambda x: x.sum())(np.array([[1.0, 2.0], [3.0, 4.0]]))
        array([3., 7.])
    """
    key = (in_axes if isinstance(in_axes, (int, type(None))) else tuple(in_axes), out_axes)
    try:
        per_f = _TRANSFORMS.setdefault(f, {})
    except TypeError:  # not weakly referenceable (a numpy ufunc)
        per_f = _STRONG.setdefault(f, {})
    fn = per_f.get(key)
    if fn is None:
        target = positional(_traced(f))

        def vmapped(*args):
            return vmap_call(target, args, in_axes, out_axes)

        vmapped.__name__ = vmapped.__qualname__ = f"vmap_{target.__name__}"
        fn = per_f[key] = TracedFunction(vmapped, autograph=False)
    return fn


def _example_spec(x, dim):
    """What one example's trace sees of `x`: a spec (shape without the batch axis), or a
    Python value as it is."""
    if not is_array(x):
        return x
    return TensorSpec(shape_of(x)[1:] if dim == 0 else shape_of(x), x.dtype)


def vmap_call(target: TracedFunction, args: tuple, in_axes, out_axes):
    """Inside a trace: `target`'s per-example graph replayed on the stacked `args`."""
    axes = in_axes if isinstance(in_axes, (tuple, list)) else (in_axes,) * len(args)
    if len(axes) != len(args):
        raise ValueError(f"vmap: in_axes has {len(axes)} entries for {len(args)} arguments")
    moved, sizes = [], set()
    for a, axis in zip(args, axes):
        leaves, tree = flatten(a)
        out = []
        for x in leaves:
            if axis is None or not is_array(x):
                out.append((x, None))
                continue
            x = moveaxis(x, axis, 0) if axis != 0 else x
            sizes.add(shape_of(x)[0])
            out.append((x, 0))
        moved.append((tree, out))
    if len(sizes) != 1 or None in sizes:
        raise ValueError(f"vmap: the batched arguments must have one known batch size, got "
                         f"sizes {sorted(sizes, key=str)}")
    size = sizes.pop()
    examples = tuple(unflatten(tree, [_example_spec(x, d) for x, d in leaves])
                     for tree, leaves in moved)
    stacked = [pair for _, leaves in moved for pair in leaves]
    leaves, tree = target._canonical(examples, {})
    cf = target._lookup(leaves, tree)
    refuse_under_vmap(cf.graph)
    inputs = [(x, d) for (x, d), s in zip(stacked, leaves) if is_input_leaf(s)]
    inputs += [(x, None) for x in cf.graph_inputs(leaves)[len(inputs):]]  # captured arrays
    inputs += [(v, None) for v in cf.variables]
    outs, dims = batch_graph(cf.graph, [x for x, _ in inputs], [d for _, d in inputs], size)
    outs = [batched(o, d, size) if is_array(o) else o for o, d in zip(outs, dims)]
    outs = [moveaxis(o, 0, out_axes) if out_axes != 0 and is_array(o) else o for o in outs]
    return cf._assemble(outs)
