"""Reverse-mode Jacobians: one vector-Jacobian product per output element.

The rows are separate backward passes (inside a trace: the backward nodes appear once per
output element), which suits the small outputs Jacobians and Hessians are used on.

Structures nest like JAX's `jacrev`: the result has the target's structure, and each of its
leaves the sources' structure, holding arrays of shape `out.shape + source.shape`.
"""

from __future__ import annotations

import numpy as np

from autotrace.autodiff.backprop import is_float
from autotrace.ops.creation import zeros_like
from autotrace.ops.join import stack
from autotrace.ops.shape import reshape
from autotrace.signature import flatten, unflatten
from autotrace.tensor import Tensor


def jacobian(tape, target, sources, unconnected: str = "zero"):
    """d target / d sources (see the module docstring for the structure).

    `unconnected="none"` gives None for a source no element of an output depends on.
    """
    out_leaves, out_tree = flatten(target)
    src_leaves, src_tree = flatten(sources)
    per_output = [unflatten(src_tree, _jacobians(tape, t, src_leaves, unconnected))
                  for t in out_leaves]
    return unflatten(out_tree, per_output)


def _jacobians(tape, target, sources: list, unconnected: str) -> list:
    """The Jacobian of one output leaf w.r.t. each source leaf."""

    out_shape = _shape(target)
    if None in out_shape:
        raise ValueError("jacobian() needs an output with a known shape; its shape is "
                         f"{tuple('?' if d is None else d for d in out_shape)}")
    size = int(np.prod(out_shape, dtype=np.int64)) if is_float(target) else 0
    rows = [tape.gradient(target, sources, output_gradients=_onehot(target, i, out_shape),
                          unconnected_gradients="none") for i in range(size)]
    result = []
    for k, src in enumerate(sources):
        per_row = [r[k] for r in rows]
        if all(g is None for g in per_row) and unconnected == "none":
            result.append(None)
        elif not per_row:  # an empty or integer output
            result.append(np.zeros(tuple(out_shape) + tuple(_shape(src)), src.dtype))
        else:
            stacked = stack([g if g is not None else zeros_like(src) for g in per_row])
            result.append(reshape(stacked, tuple(out_shape) + tuple(_shape(src))))
    return result


def _onehot(target, i: int, shape: tuple):
    dtype = np.dtype(getattr(target, "dtype", np.float64))
    e = np.zeros(int(np.prod(shape, dtype=np.int64)), dtype=dtype)
    e[i] = 1
    return e.reshape(shape)


def _shape(x) -> tuple:

    return x.symbol.shape if isinstance(x, Tensor) else tuple(np.shape(x))


def tape_jacobian(tape, target, sources, unconnected_gradients="none"):
    """`GradientTape.jacobian`: one backward pass per element of `target`."""
    tape._check_reusable()
    was_persistent, tape.persistent = tape.persistent, True
    try:
        return jacobian(tape, target, sources, unconnected_gradients)
    finally:
        tape.persistent = was_persistent
