"""Functional in-place writes: `setitem(x, key, v)` is a new array equal to `x` with
`x[key] = v` applied (numpy's assignment: `v` broadcast into `x[key]`, cast to `x.dtype`
unsafely, repeated fancy indices last-write-wins), and `augmented(ufunc, x, y)` is what
`x op= y` leaves in `x` (numpy's `same_kind` output casting and output-shape rule).

Tensors use them to functionalize in-place writes (see `Tensor.__setitem__`): the graph
gets a `setitem` node and the Python object is re-pointed at its result.

VJP: w.r.t. `x` the cotangent with the written positions zeroed; w.r.t. `v` the cotangent
gathered at those positions (only where a write won, for repeated fancy indices) and
summed down to `v`'s shape.
"""

from __future__ import annotations

import numpy as np

from autotrace.ops import rules
from autotrace.ops.batch_index import example_key, slices_first
from autotrace.ops.batch_rules import per_example
from autotrace.ops.elementwise import where
from autotrace.ops.index import _getitem, _getitem_abstract, build_key, normalize_key
from autotrace.ops.join import stack
from autotrace.ops.registry import UFUNC_DISPATCH, Aval, Op, apply, register
from autotrace.ops.shape import (
    astype,
    broadcast_to,
    dtype_of,
    expand_dims,
    squeeze,
    unbroadcast,
)
from autotrace.ops.shapes import shape_of


def _setitem_abstract(x: Aval, v: Aval, *avals: Aval, index=()) -> Aval:
    target = _getitem_abstract(x, *avals, index=index).shape
    masks = [i for i in index if isinstance(i, tuple) and avals[i[1]].dtype.kind == "b"]
    if len(index) == 1 and masks and v.ndim > 1:
        raise TypeError("NumPy boolean array indexing assignment requires a 0 or "
                        f"1-dimensional input, input has {v.ndim} dimensions")
    if not _fits(v.shape, target):
        if any(isinstance(i, tuple) for i in index):
            raise ValueError(f"shape mismatch: value array of shape {_dims(v.shape)} could "
                             f"not be broadcast to indexing result of shape {_dims(target)}")
        raise ValueError(f"could not broadcast input array from shape {_dims(v.shape)} into "
                         f"shape {_dims(target)}")
    return Aval(x.shape, x.dtype)


def _fits(vshape: tuple, target: tuple) -> bool:
    """numpy's rule for assigned values: leading size-1 dims may be dropped, the rest must
    broadcast to the target without changing it (unknown dims are checked at run time)."""
    shape = tuple(vshape)
    while len(shape) > len(target) and shape[0] == 1:
        shape = shape[1:]
    if len(shape) > len(target):
        return False
    return all(a is None or b is None or a == 1 or a == b
               for a, b in zip(shape[::-1], target[::-1]))


def _dims(shape: tuple) -> str:
    return "(" + ",".join("?" if d is None else str(d) for d in shape) + \
        ("," if len(shape) == 1 else "") + ")"


def _setitem_impl(x, v, *inputs, index):
    out = np.array(x, copy=True)
    out[build_key(index, inputs)] = v
    return out


def setitem_into(x, v, *inputs, index):
    """`setitem` writing into `x` itself (for buffers the compiled code owns, see
    `compile/buffers.loop_owned_writes`)."""
    x[build_key(index, inputs)] = v
    return x


def _fancy(inputs) -> bool:
    """Integer-array index parts (which may repeat a position)."""
    return any(np.ndim(i) and np.dtype(getattr(i, "dtype", np.int64)).kind in "iu"
               for i in inputs)


def _setitem_vjp(g, x, v, *rest, index):
    inputs = rest[:-1]
    dx = apply(_setitem, g, 0, *inputs, index=index) if rules.is_float(x) else None
    dv = None
    if rules.is_float(x) and rules.is_float(v) and hasattr(v, "dtype"):
        written = apply(_getitem, g, *inputs, index=index)
        if _fancy(inputs):
            written = where(apply(_winners, x, *inputs, index=index), written, 0)
        extra = tuple(range(len(shape_of(v)) - len(shape_of(written))))  # dropped 1-dims
        if extra:
            dv = expand_dims(unbroadcast(written, squeeze(v, extra)), extra)
        else:
            dv = unbroadcast(written, v)
    return (dx, dv) + (None,) * len(inputs)


def _setitem_batch(trace, op, values, dims, params):
    """Batched `x`/`v` (axis 0) with a shared basic index: one write with a leading `:`
    (`v`'s examples aligned to the written block); with integer index arrays (shared, or
    differing per example), one write `x[arange(B)[:, None...], *key] = v`; otherwise
    (masks, `None`/`...` beside arrays) example by example."""
    x, v, *inputs = values
    index = params["index"]
    if any(d is not None for d in dims[2:]) or any(isinstance(i, tuple) for i in index):
        return _indexed_batch(trace.size, values, dims, index), 0
    if dims[0] is None:
        x = broadcast_to(x, (trace.size, *shape_of(x)))
    if dims[1] is not None:
        example = Aval(shape_of(x)[1:], dtype_of(x))
        rank = len(_getitem_abstract(example, *[Aval(shape_of(i), dtype_of(i))
                                                for i in inputs], index=index).shape)
        v = _aligned_values(v, True, rank)
    return apply(_setitem, x, v, *inputs, index=(slice(None),) + index), 0


def _aligned_values(v, batched: bool, rank: int):
    """Values `v` (the batch on axis 0 if `batched`) aligned, per example, to a written
    block of `rank` axes as numpy aligns them: leading 1s dropped, and for batched values
    the missing leading axes added after the batch axis (shared ones broadcast as they are)."""
    first = int(batched)
    while len(shape_of(v)) - first > rank and shape_of(v)[first] == 1:
        v = squeeze(v, first)
    missing = rank - (len(shape_of(v)) - first)
    if batched and missing > 0:
        v = expand_dims(v, tuple(range(1, 1 + missing)))
    return v


def _indexed_batch(size: int, values, dims, index):
    """`x[key] = v` per example, for a key with index arrays or traced ints: one write with
    the batched key of `ops/batch_index.py`, `v` broadcast to each example's block first
    (numpy's rule, `_fits`, checked per example by the abstract rule)."""
    x, v, *inputs = values
    key = example_key(size, index, inputs, dims[2:])
    if key is None:
        return _per_example(size, values, dims, index)
    batch_index, batch_inputs, rank, before = key
    example = [Aval(shape_of(a)[d is not None:], dtype_of(a)) for a, d in zip(values, dims)]
    _setitem_abstract(*example, index=index)  # numpy's errors, as one example would raise
    block = _getitem_abstract(example[0], *example[2:], index=index).shape
    if None in block:
        return _per_example(size, values, dims, index)
    v = _aligned_values(v, dims[1] is not None, len(block))
    v = slices_first(broadcast_to(v, (size, *block)), rank, before, inverse=True)
    if dims[0] is None:
        x = broadcast_to(x, (size, *shape_of(x)))
    return apply(_setitem, x, v, *batch_inputs, index=batch_index)


def _per_example(size: int, values, dims, index):
    return stack([apply(_setitem, *[a[b] if d is not None else a for a, d in zip(values, dims)],
                        index=index) for b in range(size)])


_setitem = register(Op("setitem", _setitem_impl, _setitem_abstract, vjp=_setitem_vjp,
                       batch=_setitem_batch, doc="`x` with `x[index] = v` applied (a new array)"))
rules.linear(_setitem)


def _winners_impl(x, *inputs, index):
    key = build_key(index, inputs)
    shape = np.shape(np.asarray(x)[key])
    ids = np.full(np.shape(x), -1, dtype=np.int64)
    order = np.arange(int(np.prod(shape, dtype=np.int64))).reshape(shape)
    ids[key] = order
    return ids[key] == order


def _winners_batch(trace, op, values, dims, params):
    """Which writes win depends on `x`'s shape and the index only: with a shared index, one
    answer (from the first example) serves every example. Batched index arrays loop."""
    if any(d is not None for d in dims[1:]) or not trace.size:
        return per_example(trace, op, values, dims, params)
    return apply(op, values[0][0], *values[1:], **params), None


_winners = register(Op(
    "setitem_winners", _winners_impl,
    lambda x, *avals, index: Aval(_getitem_abstract(x, *avals, index=index).shape,
                                  np.dtype(bool)),
    vjp=None, differentiable=False, batch=_winners_batch,
    doc="which writes of `x[index] = v` survive (last write wins for repeated indices)"))


def setitem(x, key, value):
    """`x` with `x[key] = value` applied, as a new value (numpy's assignment rules)."""
    index, inputs = normalize_key(key)
    if isinstance(value, (list, tuple)):  # numpy fits a sequence to the target's rank
        value = np.asarray(value)
        rank = len(_getitem_abstract(Aval(shape_of(x), dtype_of(x)),
                                     *[Aval(shape_of(i), dtype_of(i)) for i in inputs],
                                     index=index).shape)
        if value.ndim > rank:
            raise ValueError("setting an array element with a sequence. The requested array "
                             f"would exceed the maximum number of dimension of {rank}.")
    return apply(_setitem, x, value, *inputs, index=index)


def augmented(ufunc: np.ufunc, x, y):
    """The value `x op= y` leaves in `x`: `ufunc(x, y)` cast back to `x.dtype` under
    numpy's `same_kind` rule (numpy's own error otherwise), and of `x`'s shape."""
    check_same_kind(ufunc, x, y)
    xshape, yshape = shape_of(x), shape_of(y)
    if not _broadcastable(xshape, yshape):
        raise ValueError(f"operands could not be broadcast together with shapes "
                         f"{_dims(xshape)} {_dims(yshape)} {_dims(xshape)} ")
    new = UFUNC_DISPATCH[ufunc](x, y)
    shape = shape_of(new)
    if len(shape) != len(xshape) or any(a is not None and b is not None and a != b
                                        for a, b in zip(xshape, shape)):
        raise ValueError(f"non-broadcastable output operand with shape {_dims(xshape)} "
                         f"doesn't match the broadcast shape {_dims(shape)}")
    if new.dtype != x.dtype:
        new = astype(new, x.dtype)
    return new


def _broadcastable(a: tuple, b: tuple) -> bool:
    return all(p is None or q is None or p == q or p == 1 or q == 1
               for p, q in zip(a[::-1], b[::-1]))


def check_same_kind(ufunc: np.ufunc, x, y) -> None:
    """Raise numpy's error if `ufunc(x, y, out=x)` would be refused for its dtypes (run on
    one-element stand-ins of the operands, so the message is numpy's own)."""
    with np.errstate(all="ignore"):
        ufunc(np.ones(1, x.dtype), stand_in(y), out=np.ones(1, x.dtype))


def stand_in(y):
    """A one-element stand-in of `y` with its dtype (a Python scalar of its type when weak)."""
    weak = getattr(getattr(y, "symbol", None), "weak", None)
    if isinstance(y, (bool, int, float, complex)):
        return type(y)(1)
    if weak is not None:
        return weak(1)
    dtype = getattr(y, "dtype", None)
    return np.ones(1, dtype if dtype is not None else np.asarray(y).dtype)
