"""Linear algebra written with other ops (no kernels of their own): `matrix_power`,
`multi_dot`, `cross`, `inner`, `kron`, `vdot`, `vecdot`, and the `numpy.linalg` aliases
of numpy 2.x (`matmul`, `outer`, `trace`, `diagonal`, `tensordot`, `matrix_transpose`,
`cross`, `vecdot`). Norms are in `linalg_norm`.

Each follows numpy's own algorithm step by step (the same products and multiplication
order, e.g. multi_dot's cheapest chain order and matrix_power's binary decomposition), so
results match numpy's; their gradients, JVPs and batching come from the ops they are made
of.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from autotrace.errors import UnsupportedError, at_user_line
from autotrace.ops.creation import zeros_like
from autotrace.ops.einsum import tensordot
from autotrace.ops.elementwise import multiply, negative, subtract
from autotrace.ops.index import getitem
from autotrace.ops.join import stack
from autotrace.ops.linalg import diagonal, dot, matmul, outer, trace
from autotrace.ops.linalg_common import ndim as _ndim
from autotrace.ops.linalg_solve import inv
from autotrace.ops.registry import dispatches
from autotrace.ops.shape import (
    astype,
    conj,
    dtype_of,
    expand_dims,
    moveaxis,
    ravel,
    reshape,
    swapaxes,
)
from autotrace.ops.shapes import broadcast_shapes, normalize_axis, shape_of
from autotrace.ops.tiling import atleast_2d


# --- matrix_power / multi_dot -----------------------------------------------------------------
def _square_stack(a) -> None:
    shape = shape_of(a)
    if len(shape) < 2:
        raise np.linalg.LinAlgError(
            f"{len(shape)}-dimensional array given. Array must be at least two-dimensional")
    if shape[-1] != shape[-2]:
        raise np.linalg.LinAlgError("Last 2 dimensions of the array must be square")


@dispatches(np.linalg.matrix_power)
def matrix_power(a, n):
    """`numpy.linalg.matrix_power` for an integer `n` (0: the identity, negative: powers of
    the inverse), with numpy's binary decomposition (the same products)."""
    _square_stack(a)
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)):
        try:
            n = int(np.asarray(n).__index__())
        except TypeError as e:
            raise TypeError("exponent must be an integer") from e
    n = int(n)
    if n == 0:
        shape = shape_of(a)
        if None in shape:
            raise UnsupportedError(at_user_line(
                "numpy.linalg.matrix_power(a, 0) needs a's shape when tracing"))
        return zeros_like(a) + np.eye(shape[-1], dtype=dtype_of(a))
    if n < 0:
        a, n = inv(a), -n
    if n == 1:
        return a
    if n == 2:
        return matmul(a, a)
    if n == 3:
        return matmul(matmul(a, a), a)
    z = result = None
    while n > 0:
        z = a if z is None else matmul(z, z)
        n, bit = divmod(n, 2)
        if bit:
            result = z if result is None else matmul(result, z)
    return result


def _chain_order(shapes: list) -> list:
    """numpy's matrix-chain order (Cormen 15.2; ties keep the first split)."""
    n = len(shapes)
    p = [s[0] for s in shapes] + [shapes[-1][1]]
    cost = [[0.0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = math.inf
            for k in range(i, j):
                q = cost[i][k] + cost[k + 1][j] + p[i] * p[k + 1] * p[j + 1]
                if q < cost[i][j]:
                    cost[i][j], split[i][j] = q, k
    return split


def _chain(arrays, split, i, j):
    if i == j:
        return arrays[i]
    return dot(_chain(arrays, split, i, split[i][j]), _chain(arrays, split, split[i][j] + 1, j))


@dispatches(np.linalg.multi_dot)
def multi_dot(arrays, *, out=None):
    """`numpy.linalg.multi_dot`: the product in numpy's cheapest order (static shapes)."""
    if out is not None:
        raise NotImplementedError("multi_dot(out=...) is not supported on traced values")
    arrays = list(arrays)
    if len(arrays) < 2:
        raise ValueError("Expecting at least two arrays.")
    if len(arrays) == 2:
        return dot(arrays[0], arrays[1])
    first, last = _ndim(arrays[0]), _ndim(arrays[-1])
    if first == 1:
        arrays[0] = atleast_2d(arrays[0])
    if last == 1:
        arrays[-1] = swapaxes(atleast_2d(arrays[-1]), 0, 1)
    for a in arrays:
        if _ndim(a) != 2:
            raise np.linalg.LinAlgError(
                f"{_ndim(a)}-dimensional array given. Array must be two-dimensional")
    shapes = [shape_of(a) for a in arrays]
    if any(None in s for s in shapes):
        raise UnsupportedError(at_user_line(
            "numpy.linalg.multi_dot needs every matrix's shape when tracing (it picks the "
            "multiplication order from them)"))
    if len(arrays) == 3:
        (a0, a1b0), (b1c0, c1) = shapes[0], shapes[2]
        if a0 * b1c0 * (a1b0 + c1) < a1b0 * c1 * (a0 + b1c0):
            result = dot(dot(arrays[0], arrays[1]), arrays[2])
        else:
            result = dot(arrays[0], dot(arrays[1], arrays[2]))
    else:
        result = _chain(arrays, _chain_order(shapes), 0, len(arrays) - 1)
    if first == 1 and last == 1:
        return getitem(result, (0, 0))
    return ravel(result) if first == 1 or last == 1 else result


# --- products: cross, inner, kron, vdot, vecdot -----------------------------------------------
@dispatches(np.cross)
def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """`numpy.cross` of 3-vectors (and numpy's deprecated 2-vectors), numpy's products."""
    if axis is not None:
        axisa = axisb = axisc = axis
    if _ndim(a) < 1 or _ndim(b) < 1:
        raise ValueError("At least one array has zero dimension")
    a = moveaxis(a, normalize_axis(axisa, _ndim(a), "axisa"), -1)
    b = moveaxis(b, normalize_axis(axisb, _ndim(b), "axisb"), -1)
    na, nb = shape_of(a)[-1], shape_of(b)[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError("incompatible dimensions for cross product\n(dimension must be 2 or 3)")
    if na == 2 or nb == 2:
        warnings.warn("Arrays of 2-dimensional vectors are deprecated. Use arrays of "
                      "3-dimensional vectors instead. (deprecated in NumPy 2.0)",
                      DeprecationWarning, stacklevel=2)
    dtype = np.promote_types(dtype_of(a), dtype_of(b))
    a, b = astype(a, dtype), astype(b, dtype)
    ai = [getitem(a, (Ellipsis, k)) for k in range(na)]
    bi = [getitem(b, (Ellipsis, k)) for k in range(nb)]
    if na == 2 and nb == 2:
        return subtract(multiply(ai[0], bi[1]), multiply(ai[1], bi[0]))
    if na == 2:
        parts = [multiply(ai[1], bi[2]), negative(multiply(ai[0], bi[2])),
                 subtract(multiply(ai[0], bi[1]), multiply(ai[1], bi[0]))]
    elif nb == 3:
        parts = [subtract(multiply(ai[1], bi[2]), multiply(ai[2], bi[1])),
                 subtract(multiply(ai[2], bi[0]), multiply(ai[0], bi[2])),
                 subtract(multiply(ai[0], bi[1]), multiply(ai[1], bi[0]))]
    else:
        parts = [negative(multiply(ai[2], bi[1])), multiply(ai[2], bi[0]),
                 subtract(multiply(ai[0], bi[1]), multiply(ai[1], bi[0]))]
    shape = broadcast_shapes(shape_of(a)[:-1], shape_of(b)[:-1]) + (3,)
    axisc = normalize_axis(axisc, len(shape), "axisc")
    return moveaxis(stack(parts, axis=-1), -1, axisc)


@dispatches(np.inner)
def inner(a, b):
    """`numpy.inner`: the sum product over the last axes (a product for 0-d inputs)."""
    if _ndim(a) == 0 or _ndim(b) == 0:
        return multiply(a, b)
    if _ndim(a) == 1 and _ndim(b) == 1 and shape_of(a) == shape_of(b):
        return matmul(a, b)  # a numpy scalar, as numpy's
    ka, kb = shape_of(a)[-1], shape_of(b)[-1]
    if ka != kb:
        sa = ",".join(map(str, shape_of(a))) + ("," if _ndim(a) == 1 else "")
        sb = ",".join(map(str, shape_of(b))) + ("," if _ndim(b) == 1 else "")
        raise ValueError(f"shapes ({sa}) and ({sb}) not aligned: {ka} (dim {_ndim(a) - 1}) "
                         f"!= {kb} (dim {_ndim(b) - 1})")
    return tensordot(a, b, axes=([-1], [-1]))


@dispatches(np.kron)
def kron(a, b):
    """`numpy.kron`: numpy's interleaved broadcasting product, reshaped."""
    nda, ndb = _ndim(a), _ndim(b)
    if nda < ndb:
        a = reshape(a, (1,) * (ndb - nda) + shape_of(a))
        nda = ndb
    if nda == 0 or ndb == 0:
        return multiply(a, b)
    nd = max(nda, ndb)
    sa = (1,) * max(0, ndb - nda) + shape_of(a)
    sb = (1,) * max(0, nda - ndb) + shape_of(b)
    if None in sa or None in sb:
        raise UnsupportedError(at_user_line("numpy.kron needs static shapes when tracing"))
    a_arr = expand_dims(a, tuple(range(ndb - nda))) if ndb > nda else a
    b_arr = expand_dims(b, tuple(range(nda - ndb))) if nda > ndb else b
    a_arr = expand_dims(a_arr, tuple(range(1, nd * 2, 2)))
    b_arr = expand_dims(b_arr, tuple(range(0, nd * 2, 2)))
    return reshape(multiply(a_arr, b_arr), tuple(x * y for x, y in zip(sa, sb)))


@dispatches(np.vdot)
def vdot(a, b):
    """`numpy.vdot`: the dot product of the flattened inputs, the first conjugated."""
    fa, fb = ravel(a), ravel(b)
    if shape_of(fa) != shape_of(fb):
        raise ValueError(f"cannot reshape array of size {shape_of(fb)[0]} into shape "
                         f"({shape_of(fa)[0]},)")
    if dtype_of(fa).kind == "c":
        fa = conj(fa)
    return matmul(fa, fb)


def _vecdot(x1, x2, axis=-1):
    n1, n2 = _ndim(x1), _ndim(x2)
    if n1 == 0 or n2 == 0:
        which, has = (0, n1) if n1 == 0 else (1, n2)
        raise ValueError(f"vecdot: Input operand {which} does not have enough dimensions "
                         f"(has {has}, gufunc core with signature (n),(n)->() requires 1)")
    x1 = moveaxis(x1, normalize_axis(axis, n1), -1)
    x2 = moveaxis(x2, normalize_axis(axis, n2), -1)
    k1, k2 = shape_of(x1)[-1], shape_of(x2)[-1]
    if k1 is not None and k2 is not None and k1 != k2:
        raise ValueError("vecdot: Input operand 1 has a mismatch in its core dimension 0, "
                         f"with gufunc signature (n),(n)->() (size {k2} is different from {k1})")
    if dtype_of(x1).kind == "c":
        x1 = conj(x1)
    out = getitem(matmul(expand_dims(x1, -2), expand_dims(x2, -1)), (Ellipsis, 0, 0))
    return getitem(out, ()) if shape_of(out) == () else out  # a numpy scalar, as the ufunc


if isinstance(getattr(np, "vecdot", None), np.ufunc):
    @dispatches(np.vecdot)
    def vecdot(x1, x2, /, axis=None, axes=None, **kwargs):
        """`numpy.vecdot`: conj(x1) . x2 over `axis` (default the last), broadcast."""
        if axes is not None or any(v is not None for v in kwargs.values()):
            raise NotImplementedError(
                "vecdot(axes=/out=/...) is not supported on traced values; use axis=")
        return _vecdot(x1, x2, -1 if axis is None else axis)


# --- numpy.linalg aliases (numpy 2.x array-API names) -----------------------------------------
if hasattr(np.linalg, "matrix_transpose"):
    @dispatches(np.linalg.matmul)
    def linalg_matmul(x1, x2, /):
        """`numpy.linalg.matmul` (`numpy.matmul` without ufunc arguments)."""
        return matmul(x1, x2)

    @dispatches(np.linalg.outer)
    def linalg_outer(x1, x2, /):
        """`numpy.linalg.outer` of two 1-D arrays."""
        if _ndim(x1) != 1 or _ndim(x2) != 1:
            raise ValueError("Input arrays must be one-dimensional, but they are "
                             f"x1.ndim={_ndim(x1)} and x2.ndim={_ndim(x2)}.")
        return outer(x1, x2)

    @dispatches(np.linalg.trace)
    def linalg_trace(x, /, *, offset=0, dtype=None):
        """`numpy.linalg.trace`: the trace over the last two axes."""
        return trace(x, offset, axis1=-2, axis2=-1, dtype=dtype)

    @dispatches(np.linalg.diagonal)
    def linalg_diagonal(x, /, *, offset=0):
        """`numpy.linalg.diagonal`: the diagonal of the last two axes."""
        return diagonal(x, offset, axis1=-2, axis2=-1)

    @dispatches(np.linalg.tensordot)
    def linalg_tensordot(x1, x2, /, *, axes=2):
        """`numpy.linalg.tensordot` (`numpy.tensordot`)."""
        return tensordot(x1, x2, axes)

    @dispatches(*{np.linalg.matrix_transpose, getattr(np, "matrix_transpose",
                                                      np.linalg.matrix_transpose)})
    def matrix_transpose(x, /):
        """`numpy.linalg.matrix_transpose`: the last two axes swapped."""
        if _ndim(x) < 2:
            raise ValueError(f"Input array must be at least 2-dimensional, but it is {_ndim(x)}")
        return swapaxes(x, -1, -2)

    @dispatches(np.linalg.cross)
    def linalg_cross(x1, x2, /, *, axis=-1):
        """`numpy.linalg.cross` of 3-vectors."""
        n1 = shape_of(x1)[normalize_axis(axis, _ndim(x1))] if _ndim(x1) else None
        n2 = shape_of(x2)[normalize_axis(axis, _ndim(x2))] if _ndim(x2) else None
        if n1 != 3 or n2 != 3:
            raise ValueError("Both input arrays must be (arrays of) 3-dimensional vectors, "
                             f"but they are {n1} and {n2} dimensional instead.")
        return cross(x1, x2, axis=axis)

    @dispatches(np.linalg.vecdot)
    def linalg_vecdot(x1, x2, /, *, axis=-1):
        """`numpy.linalg.vecdot` (`numpy.vecdot`)."""
        return _vecdot(x1, x2, axis)
