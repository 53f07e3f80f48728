"""Linear algebra: matmul / `@`, dot, outer (more in this family: see the ops list)."""

from __future__ import annotations

import numpy as np

from autotrace.ops.registry import Aval, Op, apply, dispatches, register
from autotrace.ops.shape import expand_dims, ravel, reshape_like, swapaxes, unbroadcast
from autotrace.ops.shapes import broadcast_shapes


def _ndim(x) -> int:
    return x.var.ndim if hasattr(x, "var") else np.ndim(x)


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
    a2 = a if _ndim(a) > 1 else expand_dims(a, 0)
    b2 = b if _ndim(b) > 1 else expand_dims(b, -1)
    if _ndim(a) == 1:
        g = expand_dims(g, -2)
    if _ndim(b) == 1:
        g = expand_dims(g, -1)
    ga = matmul(g, swapaxes(b2, -1, -2))
    gb = matmul(swapaxes(a2, -1, -2), g)
    return reshape_like(unbroadcast(ga, a2), a), reshape_like(unbroadcast(gb, b2), b)


_matmul = register(Op("matmul", np.matmul, _matmul_abstract, vjp=_matmul_vjp))


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
        from autotrace.ops.elementwise import multiply

        return multiply(a, b)
    if _ndim(b) <= 2:
        return matmul(a, b)
    from autotrace.ops.einsum import tensordot

    return tensordot(a, b, axes=([-1], [-2]))


@dispatches(np.outer)
def outer(a, b, out=None):
    """`numpy.outer` of the flattened inputs."""
    from autotrace.ops.elementwise import multiply

    return multiply(expand_dims(ravel(a), 1), expand_dims(ravel(b), 0))
