"""Creation with traced arguments: `linspace` / `logspace` / `geomspace` with traced
endpoints (differentiable in them), `zeros` / `ones` / `full` / `empty` with traced sizes or a
traced fill value, `empty_like`, `identity`, `indices`.

`linspace` is numpy's own formula written with registry ops (`arange * step + start`, the
last sample set to `stop`), with the dtype numpy gives for these argument types, so
values match numpy's bit for bit. `full` with a traced size is one op (`fill`), whose VJP
sums the cotangent into the fill value. `np.empty` gives zeros (any content is valid).

`np.zeros`, `np.full` & co. take no numpy dispatch protocol: converted code reaches these
front ends through `at__.call` when an argument is traced (`autotrace/runtime/calls.py`).
"""

from __future__ import annotations

import operator

import numpy as np

from autotrace.core import Tracer
from autotrace.ops import rules
from autotrace.ops.batch_rules import per_example
from autotrace.ops.creation import arange, eye, zeros_like
from autotrace.ops.effects import raise_if
from autotrace.ops.elementwise import (
    equal,
    floor,
    log10,
    logical_or,
    multiply,
    power,
    sign,
    true_divide,
    where,
)
from autotrace.ops.join import stack
from autotrace.ops.reduce import any as reduce_any
from autotrace.ops.registry import Aval, Op, apply, dispatches, register
from autotrace.ops.shape import (
    astype,
    broadcast_like,
    broadcast_to,
    dtype_of,
    expand_dims,
    moveaxis,
    reshape,
    unbroadcast,
)
from autotrace.ops.shapes import broadcast_shapes, normalize_axis, shape_of


def _probe(x):
    """A stand-in with `x`'s dtype and Python-scalar weakness, for asking numpy a dtype."""
    if isinstance(x, Tracer):
        weak = getattr(getattr(x, "symbol", None), "weak", None)
        return weak(0) if weak else np.zeros((), dtype_of(x))
    return x if isinstance(x, (bool, int, float, complex)) else np.zeros((), np.asarray(x).dtype)


# --- linspace / logspace ------------------------------------------------------------------
@dispatches(np.linspace)
def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0,
             *, device=None):
    """`numpy.linspace` with traced `start` / `stop` (a static `num`)."""
    num = operator.index(num)
    if num < 0:
        raise ValueError(f"Number of samples, {num}, must be non-negative.")
    div = (num - 1) if endpoint else num
    dt = np.linspace(_probe(start), _probe(stop), 2).dtype
    start, stop = astype(start, dt, copy=False), astype(stop, dt, copy=False)
    delta = stop - start
    y = np.arange(0, num, dtype=dt).reshape((-1,) + (1,) * len(shape_of(delta)))
    if div > 0:
        step = true_divide(delta, div)
        tiny = reduce_any(step == 0)  # numpy's branch for denormal steps, taken globally
        y = where(tiny, multiply(true_divide(y, div), delta), multiply(y, step))
    else:
        step = np.nan
        y = multiply(y, delta)
    y = y + start
    if endpoint and num > 1:
        last = np.zeros((num,) + (1,) * len(shape_of(delta)), bool)
        last[-1] = True
        y = where(last, stop, y)
    if axis != 0:
        y = moveaxis(y, 0, normalize_axis(axis, len(shape_of(y))))
    if dtype is not None and np.issubdtype(dtype, np.integer):
        y = floor(y)
    y = astype(y, dtype, copy=False) if dtype is not None else y
    return (y, step) if retstep else y


@dispatches(np.logspace)
def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    """`numpy.logspace`: `base ** linspace(start, stop)`; `base` may be traced."""
    if not isinstance(base, (float, int)) and len(shape_of(base)):
        ndmax = len(broadcast_shapes(shape_of(start), shape_of(stop), shape_of(base)))
        start, stop, base = (_ndmin(a, ndmax) for a in (start, stop, base))
        base = expand_dims(base, normalize_axis(axis, ndmax + 1))
    y = power(base, linspace(start, stop, num=num, endpoint=endpoint, axis=axis))
    return y if dtype is None else astype(y, dtype, copy=False)


@dispatches(np.geomspace)
def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """`numpy.geomspace` of real values with traced `start` / `stop`; a zero endpoint is
    numpy's ValueError, raised when the graph runs."""
    kinds = [dtype_of(v) for v in (start, stop)]
    if any(k.kind == "c" for k in kinds) or (dtype is not None and np.dtype(dtype).kind == "c"):
        raise NotImplementedError("numpy.geomspace of complex values is not supported on "
                                  "traced values")
    dt = np.result_type(*(np.zeros((), k) for k in kinds), float(num), np.zeros((), dtype))
    dtype = dt if dtype is None else np.dtype(dtype)
    raise_if(logical_or(reduce_any(equal(start, 0)), reduce_any(equal(stop, 0))),
             ValueError("Geometric sequence cannot include zero"))
    start, stop = astype(start, dt), astype(stop, dt)
    out_sign = sign(start)
    start, stop = start / out_sign, stop / out_sign
    result = logspace(log10(start), log10(stop), num=num, endpoint=endpoint, base=10.0,
                      dtype=dt)
    ends = np.zeros((num,) + (1,) * len(shape_of(start)), bool)
    if num > 0:
        ends[0] = True
        result = where(ends, start, result)
        if num > 1 and endpoint:
            result = where(np.flip(ends, 0), stop, result)
    result = result * out_sign
    if axis != 0:
        result = moveaxis(result, 0, normalize_axis(axis, len(shape_of(result))))
    return astype(result, dtype, copy=False)


def _ndmin(x, ndim: int):
    x = x if isinstance(x, Tracer) else np.asanyarray(x)
    lead = ndim - len(shape_of(x))
    return reshape(x, (1,) * lead + shape_of(x)) if lead > 0 else x


# --- full / zeros / ones / empty ----------------------------------------------------------
def _fill_impl(value, *dims, shape=(), dtype=None):
    it = iter(dims)
    return np.full(tuple(d if isinstance(d, int) else int(next(it)) for d in shape), value,
                   dtype=dtype)


def _fill_abstract(value: Aval, *dims: Aval, shape=(), dtype=None) -> Aval:
    return Aval(tuple(d if isinstance(d, int) else None for d in shape), np.dtype(dtype))


def _fill_vjp(g, value, *rest, shape, dtype):
    total = unbroadcast(g, value)
    return (astype(total, dtype_of(value), copy=False),) + (None,) * (len(rest) - 1)


def _fill_batch(trace, op, values, dims, params):
    """A batched fill value (static or shared sizes): each example's value, aligned to the
    shape after the batch axis, fills its row. Batched sizes (per-example shapes) loop."""
    value, *sizes = values
    if any(d is not None for d in dims[1:]):
        return per_example(trace, op, values, dims, params)
    shape = params["shape"]
    missing = len(shape) - (len(shape_of(value)) - 1)
    if missing > 0:
        value = expand_dims(value, tuple(range(1, 1 + missing)))
    return apply(op, value, *sizes, **dict(params, shape=(trace.size, *shape))), 0


_fill = register(Op("fill", _fill_impl, _fill_abstract, vjp=_fill_vjp, batch=_fill_batch))
rules.linear(_fill)


def _shape_parts(shape) -> tuple[tuple, list]:
    """(static shape with "?" for traced sizes, the traced sizes)."""
    shape = (shape,) if not isinstance(shape, (tuple, list)) else tuple(shape)
    static, traced = [], []
    for d in shape:
        if isinstance(d, Tracer):
            if shape_of(d) or dtype_of(d).kind not in "iu":
                raise TypeError("a traced size must be an integer scalar")
            static.append("?")
            traced.append(d)
        else:
            static.append(operator.index(d))
    if any(d < 0 for d in static if d != "?"):
        raise ValueError("negative dimensions are not allowed")
    return tuple(static), traced


@dispatches(np.full)
def full(shape, fill_value, dtype=None, order="C", *, device=None, like=None):
    """`numpy.full` whose sizes and fill value may be traced."""
    if like is not None:
        raise NotImplementedError("numpy.full(like=...) is not supported on traced values")
    dtype = np.dtype(dtype) if dtype is not None else dtype_of(fill_value)
    static, traced = _shape_parts(shape)
    if not traced:
        if not isinstance(fill_value, Tracer):
            return np.full(static, fill_value, dtype)
        return broadcast_to(astype(fill_value, dtype, copy=False), static)
    return apply(_fill, fill_value, *traced, shape=static, dtype=dtype)


@dispatches(np.zeros)
def zeros(shape, dtype=float, order="C", *, device=None, like=None):
    """`numpy.zeros` with traced sizes."""
    return full(shape, 0, dtype, like=like)


@dispatches(np.ones)
def ones(shape, dtype=None, order="C", *, device=None, like=None):
    """`numpy.ones` with traced sizes."""
    return full(shape, 1, dtype if dtype is not None else float, like=like)


@dispatches(np.empty)
def empty(shape, dtype=float, order="C", *, device=None, like=None):
    """`numpy.empty` with traced sizes: zeros (numpy leaves the values undefined)."""
    return full(shape, 0, dtype, like=like)


@dispatches(np.empty_like)
def empty_like(prototype, dtype=None, order="K", subok=True, shape=None, *, device=None):
    """`numpy.empty_like`: zeros of the prototype's run-time shape."""
    return zeros_like(prototype, dtype=dtype, shape=shape)


@dispatches(np.identity)
def identity(n, dtype=None, *, like=None):
    """`numpy.identity` with a traced size (`eye`)."""
    return eye(n, dtype=float if dtype is None else dtype)


@dispatches(np.indices)
def indices(dimensions, dtype=int, sparse=False):
    """`numpy.indices` of a grid whose sizes may be traced."""
    dims = tuple(dimensions)
    n = len(dims)
    grids = [reshape(arange(d, dtype=dtype), tuple(-1 if j == i else 1 for j in range(n)))
             for i, d in enumerate(dims)]
    if sparse:
        return tuple(grids)
    like = full(dims, False, bool)
    return stack([broadcast_like(g, like) for g in grids]) if grids else np.empty((0,), dtype)
