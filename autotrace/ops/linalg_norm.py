"""`numpy.linalg.norm` (every `ord`/`axis`/`keepdims` form) and the array-API
`vector_norm`/`matrix_norm`, written with other ops, following numpy's algorithm step by
step (the same reductions in the same order), so results, dtypes and errors are numpy's.
Gradients, JVPs and batching come from the ops they are made of.

Subgradients, as in `jax.numpy.linalg.norm` (the same formulas): the 2-norm and Frobenius
norm are `sqrt(sum(x * x))`, so their gradient at `x = 0` is nan (0 * inf); write
`np.sqrt(np.sum(x * x) + eps)` for a norm with a finite gradient at 0. The 1- and
inf-norms take `abs`'s subgradient (0 at 0) and `max`'s (see docs/autodiff.md); ord=0 (a
count) has none; `2`/`-2`/`'nuc'` matrix norms differentiate through the singular values
(`svd`'s rule: distinct singular values).

A p-norm reduced to a scalar may differ from numpy's in the last bit: numpy takes the root
`ret **= 1/p` of a numpy scalar with scalar math, the graph with the `np.power` ufunc.
"""

from __future__ import annotations

import math

import numpy as np

from autotrace.ops.elementwise import absolute, multiply, not_equal, sqrt
from autotrace.ops.linalg import dot
from autotrace.ops.linalg_common import ndim as _ndim
from autotrace.ops.linalg_common import real_float as _real_float
from autotrace.ops.linalg_svd import svd
from autotrace.ops.reduce import max as reduce_max
from autotrace.ops.reduce import min as reduce_min
from autotrace.ops.reduce import sum as reduce_sum
from autotrace.ops.registry import dispatches
from autotrace.ops.shape import (
    astype,
    dtype_of,
    moveaxis,
    ravel,
    reshape,
    transpose,
)
from autotrace.ops.shapes import normalize_axis, shape_of


# --- norm -------------------------------------------------------------------------------------
@dispatches(np.linalg.norm)
def norm(x, ord=None, axis=None, keepdims=False):
    """`numpy.linalg.norm`: vector norms (ord None/2, 1, inf, -inf, 0, p) over one axis,
    matrix norms ('fro', 'nuc', 1, -1, 2, -2, inf, -inf) over two, numpy's algorithm."""
    x = _real_float(x)
    ndim = _ndim(x)
    if axis is None and (ord is None or (ord in ("f", "fro") and ndim == 2)
                         or (ord == 2 and ndim == 1)):
        flat = ravel(x)
        ret = sqrt(dot(flat, flat))
        return reshape(ret, (1,) * ndim) if keepdims else ret
    if axis is None:
        axis = tuple(range(ndim))
    elif not isinstance(axis, tuple):
        try:
            axis = (int(axis),)
        except Exception as e:
            raise TypeError("'axis' must be None, an integer or a tuple of integers") from e
    if len(axis) == 1:
        return _vector_norm(x, ord, axis, bool(keepdims))
    if len(axis) == 2:
        return _matrix_norm(x, ord, axis, bool(keepdims))
    raise ValueError("Improper number of dimensions to norm.")


def _empty_max_is_zero() -> bool:
    """numpy >= 2.3 takes the max of the inf-, 1- and 2-norms with `initial=0` (the norm of
    an empty array is 0); older versions raise numpy's zero-size reduction error."""
    try:
        return np.linalg.norm(np.zeros(0), np.inf) == 0
    except ValueError:
        return False


_EMPTY_MAX_IS_ZERO = _empty_max_is_zero()


def _max0(x, axis, keepdims=False):
    """`x.max(axis, initial=0)` for `x >= 0` where numpy does that (`_EMPTY_MAX_IS_ZERO`):
    the max, or (an empty reduction) the zeros that summing gives."""
    axes = axis if isinstance(axis, tuple) else (axis,)
    shape = shape_of(x)
    if _EMPTY_MAX_IS_ZERO and any(shape[a] == 0 for a in axes):
        return reduce_sum(x, axis=axis, keepdims=keepdims)
    return reduce_max(x, axis=axis, keepdims=keepdims)


def _vector_norm(x, ord, axis: tuple, keepdims: bool):
    if ord == math.inf:
        return _max0(absolute(x), axis, keepdims)
    if ord == -math.inf:
        return reduce_min(absolute(x), axis=axis, keepdims=keepdims)
    if ord == 0:
        return reduce_sum(astype(not_equal(x, 0), dtype_of(x)), axis=axis, keepdims=keepdims)
    if ord == 1:
        return reduce_sum(absolute(x), axis=axis, keepdims=keepdims)
    if ord is None or ord == 2:
        return sqrt(reduce_sum(multiply(x, x), axis=axis, keepdims=keepdims))
    if isinstance(ord, str):
        raise ValueError(f"Invalid norm order '{ord}' for vectors")
    ret = reduce_sum(absolute(x) ** ord, axis=axis, keepdims=keepdims)
    return ret ** np.reciprocal(ord, dtype=dtype_of(ret))


def _matrix_norm(x, ord, axis: tuple, keepdims: bool):
    ndim = _ndim(x)
    row_axis, col_axis = (normalize_axis(a, ndim) for a in axis)
    row, col = row_axis, col_axis
    if row == col:
        raise ValueError("Duplicate axes given.")
    if ord in (2, -2, "nuc"):
        s = svd(moveaxis(x, (row, col), (-2, -1)), compute_uv=False)
        ret = (_max0(s, -1) if ord == 2 else reduce_min(s, axis=-1) if ord == -2
               else reduce_sum(s, axis=-1))
    elif ord in (1, -1):
        col = col - 1 if col > row else col
        sums = reduce_sum(absolute(x), axis=row)
        ret = _max0(sums, col) if ord == 1 else reduce_min(sums, axis=col)
    elif ord in (math.inf, -math.inf):
        row = row - 1 if row > col else row
        sums = reduce_sum(absolute(x), axis=col)
        ret = _max0(sums, row) if ord == math.inf else reduce_min(sums, axis=row)
    elif ord in (None, "fro", "f"):
        ret = sqrt(reduce_sum(multiply(x, x), axis=(row, col)))
    else:
        raise ValueError("Invalid norm order for matrices.")
    if keepdims:
        shape = list(shape_of(x))
        shape[row_axis] = shape[col_axis] = 1
        ret = reshape(ret, tuple(shape))
    return ret


if hasattr(np.linalg, "vector_norm"):
    @dispatches(np.linalg.vector_norm)
    def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
        """`numpy.linalg.vector_norm`: a vector norm over any axes (flattened together)."""
        shape = list(shape_of(x))
        ndim = len(shape)
        if axis is None:
            y, one_axis = ravel(x), 0
        elif isinstance(axis, tuple):
            axes = tuple(normalize_axis(a, ndim) for a in axis)
            if len(set(axes)) != len(axes):
                raise ValueError("repeated axis")
            rest = tuple(i for i in range(ndim) if i not in axes)
            y = reshape(transpose(x, axes + rest),
                        (math.prod(shape[i] for i in axes), *[shape[i] for i in rest]))
            one_axis = 0
        else:
            y, one_axis = x, axis
        res = norm(y, axis=one_axis, ord=ord)
        if keepdims:
            axes = range(ndim) if axis is None else axis if isinstance(axis, tuple) else (axis,)
            for i in axes:
                shape[normalize_axis(i, ndim)] = 1
            res = reshape(res, tuple(shape))
        return res

    @dispatches(np.linalg.matrix_norm)
    def matrix_norm(x, /, *, keepdims=False, ord="fro"):
        """`numpy.linalg.matrix_norm`: a matrix norm over the last two axes."""
        return norm(x, axis=(-2, -1), keepdims=keepdims, ord=ord)
