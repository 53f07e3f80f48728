"""The batch trace and the batching rules of the ops (below `vmap`, so reverse-mode
Jacobians can run a backward pass on batched cotangents).

A `BatchTracer` holds a value whose axis 0 is the batch (one entry per example). Under a
`BatchTrace`, an op applied to tracers runs its batching rule (`rule_for`), which binds
ops on the stacked values in the traces below: elementwise ops align the per-example
ranks and apply themselves; reductions, scans and sorts shift their axes by one;
`transpose`, `matmul`, indexing (with a shared key, or integer arrays that differ per
example) and its adjoint, and the shape ops
backward passes use have their own; every other
op falls back to a loop over the examples (exact, one node per example). Control-flow
ops hold their own (`control/cond.py`, `control/while_loop.py`, `control/call.py`).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from autotrace.autodiff.custom import stop as stop_gradient
from autotrace.core import Trace, bind
from autotrace.ops import OPS
from autotrace.ops.batch_index import example_key, slices_first
from autotrace.ops.join import stack
from autotrace.ops.shape import (
    broadcast_to,
    dtype_of,
    expand_dims,
    squeeze,
    transpose,
)
from autotrace.ops.shapes import shape_of
from autotrace.tensor import TensorBase


class BatchTracer(TensorBase):
    """A value with the batch on axis 0, owned by a `BatchTrace`. It is a tensor of one
    example's shape (numpy operators and methods work on it), so reverse-mode rules run
    on batched cotangents unchanged (vectorized Jacobians)."""

    __slots__ = ("_trace", "value")

    def __init__(self, trace: BatchTrace, value):
        self._trace = trace
        self.value = value

    @property
    def _static_shape(self) -> tuple:
        return shape_of(self.value)[1:]

    @property
    def shape(self) -> tuple:
        return self._static_shape

    @property
    def dtype(self) -> np.dtype:
        return dtype_of(self.value)

    @property
    def size(self) -> int:
        return int(np.prod(self._static_shape, dtype=np.int64))

    def __repr__(self) -> str:
        return f"<BatchTracer {self.value!r}>"


class BatchTrace(Trace):
    """Batching over `size` examples."""

    def __init__(self, size: int):
        self.size = size

    def split(self, x) -> tuple:
        """(value, 0) for a tracer of this trace, (x, None) for a value shared by all."""
        if isinstance(x, BatchTracer) and x._trace is self:
            return x.value, 0
        return x, None

    def wrap(self, value, dim):
        return value if dim is None else BatchTracer(self, value)

    def process(self, op, args, params):
        values, dims = zip(*(self.split(a) for a in args)) if args else ((), ())
        out, out_dims = rule_for(op)(self, op, list(values), list(dims), params)
        if op.multiple_results:
            return tuple(self.wrap(o, d) for o, d in zip(out, out_dims))
        return self.wrap(out, out_dims)

    def batched(self, x, dim):
        """`x` with a batch axis (a shared value broadcast to every example)."""
        return batched(x, dim, self.size)


def batched(x, dim, size: int):
    """`x` with a batch axis: itself, or a shared value broadcast to `size` examples."""
    return x if dim is not None else broadcast_to(x, (size, *shape_of(x)))


def _rank(x, dim) -> int:
    return len(shape_of(x)) - (dim is not None)


# -- rules -----------------------------------------------------------------------------------
def _aligned(values, dims) -> list:
    """Batched values expanded to the largest per-example rank (`x[b]` of rank r -> shape
    (B, 1.., *x[b].shape)), so numpy's broadcasting pairs examples with examples."""
    rank = max(_rank(x, d) for x, d in zip(values, dims))
    return [expand_dims(x, tuple(range(1, 1 + rank - _rank(x, d))))
            if d is not None and _rank(x, d) < rank else x for x, d in zip(values, dims)]


def _elementwise(trace, op, values, dims, params):
    return bind(op, *_aligned(values, dims), **params), 0


def _shift_axes(trace, op, values, dims, params):
    """Ops along normalized axes (reductions, scans, sorts, concatenate): one axis more."""
    axis = params["axis"]
    shifted = tuple(a + 1 for a in axis) if isinstance(axis, tuple) else axis + 1
    args = [trace.batched(x, d) if is_array(x) else x for x, d in zip(values, dims)]
    return bind(op, *args, **dict(params, axis=shifted)), 0


def _transpose(trace, op, values, dims, params):
    axes = (0, *(a + 1 for a in params["axes"]))
    return bind(op, values[0], axes=axes), 0


def _matmul(trace, op, values, dims, params):
    """`a @ b` per example. Vectors are promoted to matrices (numpy's rule: `(k,)` is
    `(1, k)` on the left, `(k, 1)` on the right) and the promoted axis is squeezed from
    the result; the common Jacobian cases (a shared matrix against batched vectors) are
    one matrix product."""
    (a, b), (da, db) = values, dims
    ra, rb = _rank(a, da), _rank(b, db)
    if ra == 1 and db is None and rb == 2:
        return bind(op, a, b, **params), 0  # (B, k) @ (k, m)
    if da is None and ra == 2 and rb == 1:
        return bind(op, b, transpose(a, (1, 0)), **params), 0  # (B, k) @ (m, k).T
    if ra >= 2 and rb == 1 and db is None:
        return bind(op, a, b, **params), 0  # (B, .., m, k) @ (k,)
    squeezed = []
    if ra == 1:
        a, ra = expand_dims(a, len(shape_of(a)) - 1), 2
        squeezed.append(-2)
    if rb == 1:
        b, rb = expand_dims(b, len(shape_of(b))), 2
        squeezed.append(-1)
    out = bind(op, *_aligned([a, b], [da, db]), **params)
    if squeezed:
        ndim = len(shape_of(out))
        out = squeeze(out, tuple(ndim + s for s in squeezed))
    return out, 0


def _unbroadcast(trace, op, values, dims, params):
    """Sum `g` down to `like`'s per-example shape (aligned, so the batch axis is kept)."""
    if dims[0] is None:
        return loop_rule(trace, op, values, dims, params)
    like_rank = _rank(values[1], dims[1])
    g, like = _aligned([values[0], trace.batched(values[1], dims[1])], [0, 0])
    out = bind(op, g, like, **params)
    extra = _rank(like, 0) - like_rank
    return (squeeze(out, tuple(range(1, 1 + extra))) if extra else out), 0


def _broadcast_like(trace, op, values, dims, params):
    x, like = _aligned([values[0], trace.batched(values[1], dims[1])], [dims[0], 0])
    return bind(op, x, like, **params), 0


def _reshape_like(trace, op, values, dims, params):
    return bind(op, *[trace.batched(x, d) for x, d in zip(values, dims)], **params), 0


def _full_like(trace, op, values, dims, params):
    if dims[1] is not None:
        return loop_rule(trace, op, values, dims, params)
    return bind(op, values[0], *values[1:], **params), 0


def _reshape(trace, op, values, dims, params):
    if len(values) > 1:  # traced sizes
        return loop_rule(trace, op, values, dims, params)
    return bind(op, values[0], shape=(trace.size, *params["shape"])), 0


def _broadcast_to(trace, op, values, dims, params):
    shape = params["shape"]
    x, rank = values[0], _rank(values[0], 0)
    if rank < len(shape):
        x = expand_dims(x, tuple(range(1, 1 + len(shape) - rank)))
    return bind(op, x, shape=(trace.size, *shape)), 0


def _adjacent_advanced(index: tuple, inputs) -> bool:
    """numpy keeps an index's advanced entries in place (after a leading batch slice) when
    they are adjacent; separated ones move to the front, and so would the batch axis."""
    def is_array(item):
        return isinstance(item, tuple) and (len(shape_of(inputs[item[1]])) > 0 or
                                            dtype_of(inputs[item[1]]).kind == "b")

    if not any(is_array(item) for item in index):
        return True
    advanced = [k for k, item in enumerate(index)
                if isinstance(item, (int, tuple)) and item is not Ellipsis]
    return advanced == list(range(advanced[0], advanced[-1] + 1))


def _getitem(trace, op, values, dims, params):
    """`x[key]` per example is `x[:, key]` for a key shared by every example, and
    `x[arange(B), *key]` for a key of integer arrays some examples index differently."""
    index = params["index"]
    if any(d is not None for d in dims[1:]):
        return _batched_key(trace, op, values, dims, params)
    if dims[0] is None or not _adjacent_advanced(index, values[1:]):
        return loop_rule(trace, op, values, dims, params)
    return bind(op, *values, index=(slice(None),) + index), 0


def _batched_key(trace, op, values, dims, params):
    """`x[key]` where the key's integer arrays (or traced ints) differ per example: one
    gather `x[arange(B)[:, None, ...], *key]` (`ops/batch_index.py`)."""
    key = example_key(trace.size, params["index"], values[1:], dims[1:])
    if key is None:
        return loop_rule(trace, op, values, dims, params)
    index, inputs, rank, before = key
    out = bind(op, trace.batched(values[0], dims[0]), *inputs, index=index)
    return slices_first(out, rank, before), 0


def _scatter_add(trace, op, values, dims, params):
    """The adjoint of `_getitem`: cotangents land in `out[:, key]`, or in
    `out[arange(B), *key]` for a key whose arrays differ per example."""
    index = params["index"]
    if any(d is not None for d in dims[2:]):
        key = example_key(trace.size, index, values[2:], dims[2:])
        if key is None:
            return loop_rule(trace, op, values, dims, params)
        index, inputs, rank, before = key
        updates = slices_first(trace.batched(values[0], dims[0]), rank, before, True)
        like = trace.batched(values[1], dims[1])
        return bind(op, updates, like, *inputs, index=index), 0
    if dims[0] is None or not _adjacent_advanced(index, values[2:]):
        return loop_rule(trace, op, values, dims, params)
    like = trace.batched(values[1], dims[1])
    return bind(op, values[0], like, *values[2:], index=(slice(None),) + index), 0


def loop_rule(trace, op, values, dims, params):
    """Any op: applied example by example, the results stacked."""
    results = []
    for b in range(trace.size):
        results.append(bind(op, *[x[b] if d is not None else x
                                  for x, d in zip(values, dims)], **params))
    if op.multiple_results:
        n = len(results[0])
        return tuple(stack([r[k] for r in results]) for k in range(n)), (0,) * n
    return stack(results), 0


def is_array(x) -> bool:
    return isinstance(x, (TensorBase, np.ndarray))


def _axis_is_normalized(params) -> bool:
    axis = params.get("axis")
    return isinstance(axis, int) or (isinstance(axis, tuple) and
                                     all(isinstance(a, int) and a >= 0 for a in axis))


_AXIS_OPS = frozenset(OPS[name] for name in (
    "sum", "mean", "prod", "max", "min", "var", "std", "any", "all", "cumsum", "cumprod",
    "sort", "argsort", "flip", "concatenate", "take_along_axis", "expand_dims", "squeeze"))


def rule_for(op) -> Callable:
    """The batching rule of `op` (see the module doc)."""
    if op.batch is not None:
        return op.batch
    if op in _ELEMENTWISE:
        return _elementwise
    if op in _AXIS_OPS:
        return lambda trace, op, values, dims, params: (
            _shift_axes if _axis_is_normalized(params) else loop_rule)(
                trace, op, values, dims, params)
    return _SPECIAL.get(op, loop_rule)


# Rules keyed by the ops themselves (a renamed op fails here, loudly, instead of falling
# back to the loop rule).
_ELEMENTWISE = frozenset(op for op in OPS.values()
                         if isinstance(op.impl, np.ufunc) and op is not OPS["matmul"]) | {
    OPS["where"], OPS["clip"], OPS["cast"], OPS["copy"], OPS["conj"], stop_gradient}
_SPECIAL = {OPS[name]: rule for name, rule in {
    "transpose": _transpose, "matmul": _matmul, "unbroadcast": _unbroadcast,
    "reshape_like": _reshape_like, "broadcast_like": _broadcast_like,
    "full_like": _full_like, "reshape": _reshape, "broadcast_to": _broadcast_to,
    "getitem": _getitem, "scatter_add": _scatter_add}.items()}
