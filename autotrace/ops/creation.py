"""Creation ops that depend on a traced value: `zeros_like`, `ones_like`, `full_like`,
`arange` with traced bounds, `eye` with a traced size.

Creation from static Python shapes (`np.zeros(3)`) is plain numpy and needs no op.
"""

from __future__ import annotations

import numpy as np

from autotrace.ops.registry import Aval, Op, apply, dispatches, register


def _like_abstract(x: Aval, value: Aval | None = None, dtype=None) -> Aval:
    return Aval(x.shape, np.dtype(dtype) if dtype is not None else x.dtype)


_full_like = register(Op(
    "full_like", lambda x, value, dtype=None: np.full_like(x, value, dtype=dtype),
    _like_abstract, differentiable=False,
))


@dispatches(np.full_like)
def full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None):
    """`numpy.full_like`: `a`'s run-time shape, filled with `fill_value` (may be traced)."""
    if shape is not None:
        raise NotImplementedError("full_like(shape=...) is not supported on traced values")
    return apply(_full_like, a, fill_value, **({} if dtype is None else {"dtype": np.dtype(dtype)}))


@dispatches(np.zeros_like)
def zeros_like(a, dtype=None, order="K", subok=True, shape=None):
    """`numpy.zeros_like` (no gradient flows through it)."""
    return full_like(a, 0, dtype=dtype, shape=shape)


@dispatches(np.ones_like)
def ones_like(a, dtype=None, order="K", subok=True, shape=None):
    """`numpy.ones_like` (no gradient flows through it)."""
    return full_like(a, 1, dtype=dtype, shape=shape)


def _arange_abstract(start: Aval, stop: Aval, step: Aval, dtype=None) -> Aval:
    if dtype is None:
        dtype = np.result_type(start.promote_arg, stop.promote_arg, step.promote_arg)
        if dtype.kind in "iub" and dtype.itemsize < 8:
            dtype = np.dtype(np.int64)
    return Aval((None,), np.dtype(dtype))


_arange = register(Op(
    "arange", lambda start, stop, step, dtype=None: np.arange(start, stop, step, dtype=dtype),
    _arange_abstract, differentiable=False,
))


@dispatches(np.arange)
def arange(start, stop=None, step=1, dtype=None):
    """`numpy.arange` whose bounds may be traced scalars (the length is unknown statically).

    `np.arange` has no numpy dispatch protocol: converted code reaches this front end
    through the dispatch table (`at__.call(np.arange, n)`); code traced with
    `autograph=False` calls `at.arange(n)`.
    """
    if stop is None:
        start, stop = 0, start
    params = {} if dtype is None else {"dtype": np.dtype(dtype)}
    return apply(_arange, start, stop, step, **params)


def _eye_abstract(n: Aval, m: Aval, k=0, dtype=None) -> Aval:
    return Aval((None, None), np.dtype(dtype))


_eye = register(Op(
    "eye", lambda n, m, k, dtype: np.eye(n, m, k, dtype=dtype), _eye_abstract,
    differentiable=False,
))


@dispatches(np.eye)
def eye(N, M=None, k=0, dtype=float):
    """`numpy.eye(N, M, k)` where N and M may be traced scalars (`at.eye`, as for arange)."""
    return apply(_eye, N, N if M is None else M, k=int(k), dtype=np.dtype(dtype))
