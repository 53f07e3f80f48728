"""Matrix-shaped manipulation: diag, diagflat, triu, tril, tri, meshgrid, and 1-D
convolve / correlate.

All but convolution are compositions: `diag` of a vector writes it on the diagonal of
zeros (`diagonal_scatter`, whose VJP is `diagonal`), `triu` / `tril` pick with a mask
(`np.tri` when the sizes are static, `arange` comparisons when they are traced), exactly
as numpy writes them. `convolve` is one op, the full 1-D convolution; the other modes
and `correlate` are slices of it. Its VJP is two convolutions with reversed inputs
(so it is differentiable to any order), its JVP is multilinear; under vmap a batch of
convolutions is one gather, product and sum (no node per example).
"""

from __future__ import annotations

import numpy as np

from autotrace.core import Tracer
from autotrace.ops import rules
from autotrace.ops.batch_rules import per_example
from autotrace.ops.creation import arange
from autotrace.ops.einsum import einsum
from autotrace.ops.elementwise import greater_equal, where
from autotrace.ops.index import getitem
from autotrace.ops.linalg import _diagonal_scatter, diagonal
from autotrace.ops.registry import Aval, Op, apply, dispatches, register
from autotrace.ops.shape import (
    astype,
    broadcast_like,
    broadcast_to,
    conj,
    dim_of,
    dtype_of,
    expand_dims,
    flip,
    ravel,
    reshape,
)
from autotrace.ops.shapes import broadcast_shapes, shape_of
from autotrace.ops.spaces import full


# --- diag / diagflat ----------------------------------------------------------------------
@dispatches(np.diag)
def diag(v, k=0):
    """`numpy.diag`: the k-th diagonal of a 2-d value, or a 1-d value on the k-th diagonal
    of a square matrix of zeros."""
    shape, k = shape_of(v), int(k)
    if len(shape) == 2:
        return diagonal(v, k)
    if len(shape) != 1:
        raise ValueError("Input must be 1- or 2-d.")
    n = dim_of(v, 0) + abs(k)
    # only the shape of `like` is read: a broadcast view, or zeros of a traced size
    like = np.broadcast_to(np.zeros((), bool), (n, n)) if shape[0] is not None else \
        full((n, n), False, bool)
    return apply(_diagonal_scatter, v, like, offset=k, axis1=0, axis2=1)


@dispatches(np.diagflat)
def diagflat(v, k=0):
    """`numpy.diagflat`: the flattened input on the k-th diagonal."""
    return diag(ravel(v), k)


# --- tri / triu / tril --------------------------------------------------------------------
def _tri_mask(n, m, k: int):
    """Boolean `np.tri(n, m, k)`: static when the sizes are, else built from `arange`."""
    if isinstance(n, (int, np.integer)) and isinstance(m, (int, np.integer)):
        return np.tri(n, m, k, dtype=bool)
    return greater_equal(expand_dims(arange(n), 1), expand_dims(arange(m), 0) - k)


@dispatches(np.tri)
def tri(N, M=None, k=0, dtype=float, *, like=None):
    """`numpy.tri` whose sizes may be traced scalars (reached through `at__.call`)."""
    if like is not None:
        raise NotImplementedError("numpy.tri(like=...) is not supported on traced values")
    mask = _tri_mask(N, N if M is None else M, int(k))
    return astype(mask, dtype) if isinstance(mask, Tracer) else mask.astype(dtype)


def _triangle(m, k: int, lower: bool):
    shape = shape_of(m)
    if not shape:
        raise TypeError("tri() missing 1 required positional argument: 'N'")
    dims = [dim_of(m, i) for i in range(max(len(shape) - 2, 0), len(shape))]
    mask = _tri_mask(*dims, k=k) if len(dims) == 2 else _tri_mask(dims[0], dims[0], k)
    zero = np.zeros(1, dtype_of(m))
    return where(mask, m, zero) if lower else where(mask, zero, m)


@dispatches(np.tril)
def tril(m, k=0):
    """`numpy.tril`: zeros above the k-th diagonal of the last two axes."""
    return _triangle(m, int(k), lower=True)


@dispatches(np.triu)
def triu(m, k=0):
    """`numpy.triu`: zeros below the k-th diagonal of the last two axes."""
    return _triangle(m, int(k) - 1, lower=False)


# --- meshgrid -----------------------------------------------------------------------------
@dispatches(np.meshgrid)
def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    """`numpy.meshgrid` (indexing xy / ij, sparse or not; input lengths may be unknown)."""
    if indexing not in ("xy", "ij"):
        raise ValueError("Valid values for `indexing` are 'xy' and 'ij'.")
    ndim = len(xi)
    grids = []
    for i, x in enumerate(xi):
        shape = [1] * ndim
        shape[i] = -1
        if indexing == "xy" and ndim > 1 and i < 2:
            shape[i], shape[1 - i] = 1, -1
        grids.append(reshape(x, tuple(shape)))
    if sparse:
        return tuple(grids)
    shape = broadcast_shapes(*(shape_of(g) for g in grids))
    if None not in shape:
        return tuple(broadcast_to(g, shape) for g in grids)
    sizes = [dim_of(g, axis) for axis, g in enumerate(_by_axis(grids, indexing))]
    like = full(tuple(sizes), False, bool)  # the grid's run-time shape
    return tuple(broadcast_like(g, like) for g in grids)


def _by_axis(grids: list, indexing: str) -> list:
    """The grid whose length runs along output axis i, for each i ('xy' swaps 0 and 1)."""
    if indexing == "xy" and len(grids) > 1:
        return [grids[1], grids[0], *grids[2:]]
    return grids


# --- convolve / correlate -----------------------------------------------------------------
def _convolve_abstract(a: Aval, v: Aval) -> Aval:
    n, m = a.shape[0], v.shape[0]
    return Aval((None if n is None or m is None else n + m - 1,),
                np.result_type(a.dtype, v.dtype))


def _convolve_vjp(g, a, v, out):
    """out[i + j] += a[i] v[j]: each input's cotangent correlates `g` with the other."""
    n, m = dim_of(a, 0), dim_of(v, 0)
    ga = getitem(convolve_full(g, conj(flip(v, 0))), slice(m - 1, m - 1 + n))
    gv = getitem(convolve_full(g, conj(flip(a, 0))), slice(n - 1, n - 1 + m))
    return ga, gv


def _convolve_batch(trace, op, values, dims, params):
    """Every example's full convolution at once: `out[k] = sum_j v[j] a[k - j]` as one
    gather of the windows of `a` (a constant index), their products with `v` and a sum over
    j, the out-of-range terms masked (dropped, not multiplied by a padding zero, so `inf`
    stays `inf`). Products and sum are einsums: like numpy's convolution (and unlike
    ufuncs) they raise no floating-point warnings, and integers keep their dtype (and wrap
    as numpy's do). Bools (numpy's is a logical or of ands) and unknown or empty lengths
    loop over the examples."""
    (a, v), (da, dv) = values, dims
    n, m = shape_of(a)[-1], shape_of(v)[-1]
    if None in (n, m) or not (n and m) or \
            np.result_type(dtype_of(a), dtype_of(v)).kind == "b":
        return per_example(trace, op, values, dims, params)
    k = np.arange(n + m - 1)[:, None] - np.arange(m)  # (n + m - 1, m): the index into a
    windows = getitem(a, (Ellipsis, np.clip(k, 0, n - 1)))
    subscripts = f"{'b' if da is not None else ''}kj,{'b' if dv is not None else ''}j->bkj"
    terms = where((k >= 0) & (k < n), einsum(subscripts, windows, v), 0)
    return einsum("bkj->bk", terms), 0


_convolve = register(Op("convolve", lambda a, v: np.convolve(a, v), _convolve_abstract,
                        vjp=_convolve_vjp, batch=_convolve_batch))
rules.multilinear(_convolve)


def convolve_full(a, v):
    """The full discrete convolution of two 1-d values (length n + m - 1)."""
    return apply(_convolve, a, v)


def _as_1d(x, name: str):
    x = x if isinstance(x, Tracer) else np.asarray(x)
    shape = shape_of(x)
    if len(shape) > 1:
        raise ValueError("object too deep for desired array")
    if not shape:
        x = reshape(x, (1,))
    if shape_of(x)[0] == 0:
        raise ValueError(f"{name} cannot be empty")
    return x


def _mode_slice(full, n, m, mode: str, offset_same: int):
    if mode == "full":
        return full
    if None in (n, m):
        raise ValueError(f"mode={mode!r} needs both input lengths known while tracing")
    if mode == "same":
        return getitem(full, slice(offset_same, offset_same + max(n, m)))
    if mode == "valid":
        start = min(n, m) - 1
        return getitem(full, slice(start, start + max(n, m) - min(n, m) + 1))
    raise ValueError(f"mode must be one of 'valid', 'same', or 'full' (got {mode!r})")


@dispatches(np.convolve)
def convolve(a, v, mode="full"):
    """`numpy.convolve` of 1-d values, modes full, same and valid."""
    a, v = _as_1d(a, "a"), _as_1d(v, "v")
    n, m = shape_of(a)[0], shape_of(v)[0]
    if n is not None and m is not None and m > n:
        a, v, n, m = v, a, m, n
    off = None if n is None or m is None else (min(n, m) - 1) // 2
    return _mode_slice(convolve_full(a, v), n, m, mode, off)


@dispatches(np.correlate)
def correlate(a, v, mode="valid"):
    """`numpy.correlate` of 1-d values: `c[k] = sum_n a[n + k] conj(v[n])`."""
    a, v = _as_1d(a, "a"), _as_1d(v, "v")
    n, m = shape_of(a)[0], shape_of(v)[0]
    off = None if n is None or m is None else (min(n, m) // 2 if n < m else (m - 1) // 2)
    return _mode_slice(convolve_full(a, conj(flip(v, 0))), n, m, mode, off)
