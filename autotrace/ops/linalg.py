"""Linear algebra: matmul / `@`, dot, outer, diagonal, trace (einsum and tensordot live in
`autotrace.ops.einsum`).

`diagonal`'s VJP writes the cotangent onto the diagonal of zeros (`diagonal_scatter`);
the two are each other's VJPs. `trace` is the sum of the diagonal.
"""

from __future__ import annotations

import numpy as np

from autotrace.ops import rules
from autotrace.ops.batch_rules import axis_batch
from autotrace.ops.einsum import tensordot
from autotrace.ops.elementwise import multiply
from autotrace.ops.reduce import sum as reduce_sum
from autotrace.ops.registry import Aval, Op, apply, dispatches, register
from autotrace.ops.shape import (
    astype,
    expand_dims,
    ravel,
    reshape_like,
    swapaxes,
    unbroadcast,
)
from autotrace.ops.shapes import broadcast_shapes, normalize_axis, shape_of


def _ndim(x) -> int:
    return len(shape_of(x))


def _matmul_abstract(a: Aval, b: Aval) -> Aval:
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError("matmul: Input operand does not have enough dimensions")
    a_shape = a.shape if a.ndim > 1 else (1,) + a.shape
    b_shape = b.shape if b.ndim > 1 else b.shape + (1,)
    k1, k2 = a_shape[-1], b_shape[-2]
    if k1 is not None and k2 is not None and k1 != k2:
        raise ValueError(
            f"matmul: Input operand 1 has a mismatch in its core dimension 0, with gufunc "
            f"signature (n?,k),(k,m?)->(n?,m?) (size {k2} is different from {k1})"
        )
    batch = broadcast_shapes(a_shape[:-2], b_shape[:-2])
    shape = batch + ((a_shape[-2],) if a.ndim > 1 else ()) + ((b_shape[-1],) if b.ndim > 1 else ())
    dtype = np.matmul.resolve_dtypes((a.ufunc_arg, b.ufunc_arg, None))[-1]
    return Aval(shape, dtype)


def _matmul_vjp(g, a, b, out):
    if _ndim(a) <= 2 and _ndim(b) <= 2 and 1 in (_ndim(a), _ndim(b)):
        return _matvec_vjp(g, a, b)
    a2 = a if _ndim(a) > 1 else expand_dims(a, 0)
    b2 = b if _ndim(b) > 1 else expand_dims(b, -1)
    if _ndim(b) == 1:
        g = expand_dims(g, -1)
    if _ndim(a) == 1:
        g = expand_dims(g, -2)
    ga = matmul(g, swapaxes(b2, -1, -2))
    gb = matmul(swapaxes(a2, -1, -2), g)
    return reshape_like(unbroadcast(ga, a2), a), reshape_like(unbroadcast(gb, b2), b)


def _matvec_vjp(g, a, b):
    """Vector cases without reshapes: `v @ v`, `M @ v` and `v @ M`."""

    if _ndim(a) == 1 and _ndim(b) == 1:  # g is a scalar
        return multiply(g, b), multiply(g, a)
    if _ndim(b) == 1:  # a (n, k), g (n,)
        return multiply(expand_dims(g, -1), b), matmul(g, a)
    return matmul(b, g), multiply(expand_dims(a, -1), g)  # a (k,), b (k, m), g (m,)


_matmul = register(Op("matmul", np.matmul, _matmul_abstract, vjp=_matmul_vjp))
rules.multilinear(_matmul)


@dispatches(np.matmul)
def matmul(x1, x2, **kwargs):
    """`x1 @ x2` (numpy.matmul)."""
    if any(v is not None for v in kwargs.values()):
        raise NotImplementedError("matmul(out=/axes=/...) is not supported on traced values")
    return apply(_matmul, x1, x2)


@dispatches(np.dot)
def dot(a, b, out=None):
    """`numpy.dot`: products of scalars, matmul up to 2-D right operands, else tensordot."""
    if out is not None:
        raise NotImplementedError("dot(out=...) is not supported on traced values")
    if _ndim(a) == 0 or _ndim(b) == 0:

        return multiply(a, b)
    if _ndim(b) <= 2:
        return matmul(a, b)

    return tensordot(a, b, axes=([-1], [-2]))


@dispatches(np.outer)
def outer(a, b, out=None):
    """`numpy.outer` of the flattened inputs."""

    return multiply(expand_dims(ravel(a), 1), expand_dims(ravel(b), 0))


# --- diagonal / trace ---------------------------------------------------------------------
def _diagonal_length(n1, n2, offset: int):
    if n1 is None or n2 is None:
        return None
    return max(0, min(n1 + min(offset, 0), n2 - max(offset, 0)))


def _diagonal_abstract(x: Aval, offset=0, axis1=0, axis2=1) -> Aval:
    rest = tuple(d for i, d in enumerate(x.shape) if i not in (axis1, axis2))
    length = _diagonal_length(x.shape[axis1], x.shape[axis2], offset)
    return Aval(rest + (length,), x.dtype)


def _diagonal_scatter_impl(g, like, offset, axis1, axis2):
    """zeros shaped like `like` with `g` written on the diagonal (the adjoint of diagonal)."""
    out = np.zeros(np.shape(like), dtype=np.result_type(g))
    view = np.moveaxis(out, (axis1, axis2), (-2, -1))
    steps = np.arange(np.shape(g)[-1])
    view[..., steps + max(-offset, 0), steps + max(offset, 0)] = g
    return out


_diagonal = register(Op(
    "diagonal", lambda x, offset, axis1, axis2: np.diagonal(x, offset, axis1, axis2),
    _diagonal_abstract,
    vjp=lambda g, x, out, **p: (apply(_diagonal_scatter, g, x, **p),),
    batch=axis_batch("axis1", "axis2"),  # the batch axis stays first among the others
))
rules.linear(_diagonal)
_diagonal_scatter = register(Op(
    "diagonal_scatter", _diagonal_scatter_impl,
    lambda g, like, offset, axis1, axis2: Aval(like.shape, g.dtype),
    vjp=lambda gg, g, like, out, **p: (apply(_diagonal, gg, **p), None),
    batch=axis_batch("axis1", "axis2"),
))
rules.linear(_diagonal_scatter)


@dispatches(np.diagonal)
def diagonal(a, offset=0, axis1=0, axis2=1):
    """`numpy.diagonal`: the diagonal over `axis1`/`axis2` becomes the last axis."""
    ndim = _ndim(a)
    if ndim < 2:
        raise ValueError("diag requires an array of at least two dimensions")
    axis1, axis2 = normalize_axis(axis1, ndim, "axis1"), normalize_axis(axis2, ndim, "axis2")
    if axis1 == axis2:
        raise ValueError("axis1 and axis2 cannot be the same")
    return apply(_diagonal, a, offset=int(offset), axis1=axis1, axis2=axis2)


@dispatches(np.trace)
def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    """`numpy.trace`: the sum along a diagonal (dtype rules of `sum`, or `dtype`)."""
    if out is not None:
        raise NotImplementedError("trace(out=...) is not supported on traced values")
    diag = diagonal(a, offset, axis1, axis2)
    if dtype is None:
        return reduce_sum(diag, axis=-1)
    return astype(reduce_sum(astype(diag, dtype), axis=-1), dtype)
