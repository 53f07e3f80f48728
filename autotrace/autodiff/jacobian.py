"""Reverse-mode Jacobians: the vector-Jacobian product, vectorized over the output
elements (`vmap` of the VJP).

The tape's backward pass runs once, on a *batched* cotangent (the identity, one row per
output element, under a batch trace): every VJP rule then runs on a batch of rows at once,
so a Jacobian costs one backward pass over arrays with an extra axis, not one pass per
output element. `batch_jacobian` seeds one row per element of an example's output.

Structures nest like JAX's `jacrev`: the result has the target's structure, and each of its
leaves the sources' structure, holding arrays of shape `out.shape + source.shape`.
"""

from __future__ import annotations

import numpy as np

from autotrace import context
from autotrace.autodiff.backprop import is_float
from autotrace.autodiff.batch_trace import BatchTrace
from autotrace.graph.basis import identity_basis
from autotrace.ops.creation import zeros_like
from autotrace.ops.join import stack
from autotrace.ops.shape import moveaxis, reshape
from autotrace.signature import flatten, unflatten
from autotrace.tensor import EagerTensor, Tensor


def jacobian(tape, target, sources, unconnected: str = "zero"):
    """d target / d sources (see the module docstring for the structure).

    `unconnected="none"` gives None for a source no element of an output depends on.
    """
    out_leaves, out_tree = flatten(target)
    src_leaves, src_tree = flatten(sources)
    per_output = [unflatten(src_tree, _jacobians(tape, t, src_leaves, unconnected))
                  for t in out_leaves]
    return unflatten(out_tree, per_output)


def _jacobians(tape, target, sources: list, unconnected: str, examples: bool = False) -> list:
    """The Jacobian of one output leaf w.r.t. each source leaf (`examples`: per example of
    axis 0, which target and sources share)."""
    out_shape = _shape(target)
    if None in out_shape:
        raise ValueError("jacobian() needs an output with a known shape; its shape is "
                         f"{tuple('?' if d is None else d for d in out_shape)}")
    row_shape = out_shape[1:] if examples else out_shape
    size = int(np.prod(row_shape, dtype=np.int64)) if is_float(target) else 0
    rows = [None] * len(sources)
    if size and any(e.op.emit is not None for e in tape._entries):
        # Control-flow VJPs trace sub-graphs from Python closures, which cannot hold
        # batched cotangents: one backward pass per row.
        rows = _rows_one_by_one(tape, target, sources, size, out_shape, examples)
    elif size:
        with BatchTrace(size) as trace:
            seed = trace.wrap(_identity(target, size, out_shape, examples), 0)
            grads = tape.gradient(target, sources, output_gradients=seed,
                                  unconnected_gradients="none")
            rows = [trace.batched(*trace.split(g)) if g is not None else None
                    for g in grads]
    if tape._builder is None and not context.active_tapes():  # eager: numpy results
        rows = [r.numpy() if isinstance(r, EagerTensor) else r for r in rows]
    result = []
    for src, row in zip(sources, rows):
        src_shape = _shape(src)
        if row is None and unconnected == "none" and size:
            result.append(None)
        elif row is None:
            result.append(np.zeros(tuple(out_shape) + tuple(src_shape[examples:]),
                                   src.dtype))
        elif examples:  # (rows, B, *x) -> (B, *y, *x)
            row = moveaxis(row, 0, 1)
            result.append(reshape(row, (out_shape[0], *row_shape, *src_shape[1:])))
        else:
            result.append(reshape(row, tuple(out_shape) + tuple(src_shape)))
    return result


def _rows_one_by_one(tape, target, sources, size, out_shape, examples) -> list:
    seeds = _identity(target, size, out_shape, examples)
    per_row = [tape.gradient(target, sources, output_gradients=seeds[i],
                             unconnected_gradients="none") for i in range(size)]
    return [None if all(r[k] is None for r in per_row) else
            stack([r[k] if r[k] is not None else zeros_like(src) for r in per_row])
            for k, src in enumerate(sources)]


def _identity(target, size: int, out_shape: tuple, examples: bool):
    """One one-hot cotangent per row: shape (size, *out_shape)."""
    dtype = np.dtype(getattr(target, "dtype", np.float64))
    if not examples:
        return identity_basis(size, dtype, (size, *out_shape))
    eye = np.eye(size, dtype=dtype)
    rows = eye.reshape((size, 1, *out_shape[1:]))
    return np.broadcast_to(rows, (size, *out_shape))


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


def tape_batch_jacobian(tape, target, source, unconnected_gradients="none"):
    """`GradientTape.batch_jacobian`: per example (axis 0) d target[b] / d source[b]."""
    tape._check_reusable()
    was_persistent, tape.persistent = tape.persistent, True
    try:
        return _jacobians(tape, target, [source], unconnected_gradients, examples=True)[0]
    finally:
        tape.persistent = was_persistent
