"""Reverse-mode Jacobians: one vector-Jacobian product per output element.

The rows are separate backward passes (inside a trace: the backward nodes appear once per
output element), which suits the small outputs Jacobians and Hessians are used on.
"""

from __future__ import annotations

import numpy as np

from autotrace.signature import flatten, unflatten


def jacobian_rows(tape, target, sources) -> list:
    """For each source: the Jacobian of `target` w.r.t. it (target.shape + source.shape)."""
    from autotrace.ops.creation import zeros_like
    from autotrace.ops.join import stack
    from autotrace.ops.shape import reshape

    out_shape = _shape(target)
    size = int(np.prod(out_shape, dtype=np.int64)) if None not in out_shape else None
    if size is None:
        raise ValueError("jacobian() needs an output with a known shape; its shape is "
                         f"{tuple('?' if d is None else d for d in out_shape)}")
    rows = []
    for i in range(size):
        onehot = _onehot(target, i, size, out_shape)
        grads = tape.gradient(target, sources, output_gradients=onehot,
                              unconnected_gradients="zero")
        rows.append(grads)
    result = []
    for k, src in enumerate(sources):
        per_row = [r[k] if r[k] is not None else zeros_like(src) for r in rows]
        stacked = stack(per_row) if per_row else zeros_like(src)
        result.append(reshape(stacked, tuple(out_shape) + tuple(_shape(src))))
    return result


def _onehot(target, i, size, shape):
    dtype = np.dtype(getattr(target, "dtype", np.float64))
    e = np.zeros(size, dtype=dtype)
    e[i] = 1
    return e.reshape(shape)


def _shape(x) -> tuple:
    from autotrace.tensor import Tensor

    return x.symbol.shape if isinstance(x, Tensor) else tuple(np.shape(x))


def tape_jacobian(tape, target, sources, unconnected_gradients="none"):
    """`GradientTape.jacobian`: the Jacobian for each source (same structure as sources)."""
    leaves, tree = flatten(sources)
    tape._check_reusable()
    was_persistent, tape.persistent = tape.persistent, True
    try:
        jac = jacobian_rows(tape, target, leaves)
    finally:
        tape.persistent = was_persistent
    return unflatten(tree, jac)
