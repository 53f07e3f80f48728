"""numpy.linalg.svd (U, S, Vh) and the singular values alone (`compute_uv=False`,
`numpy.linalg.svdvals`), on stacks of matrices, numpy's values and dtypes.

Gradients (real inputs) are Townsend's rules, written with registry ops so they
differentiate again, with a JVP rule of their own: they divide by gaps of squared singular
values and by the singular values, so they are inf/nan for repeated or zero singular
values (singular-value-only gradients stay finite). `full_matrices=True` (numpy's default)
on a non-square matrix has no unique gradient (the extra singular vectors are arbitrary):
it refuses; pass `full_matrices=False`.
"""

from __future__ import annotations

import numpy as np

from autotrace.errors import UnsupportedError, at_user_line
from autotrace.ops.linalg import matmul
from autotrace.ops.linalg_common import (
    batch_leading,
    eye_like,
    known_shape,
    linalg_dtype,
    mT,
    real_only,
    stacked_2d,
    zero_diagonal_inverse,
)
from autotrace.ops.reduce import sum as reduce_sum
from autotrace.ops.registry import Aval, Op, apply, dispatches, register
from autotrace.ops.shape import dtype_of, expand_dims
from autotrace.ops.shapes import shape_of


# --- svd ------------------------------------------------------------------------------------
def _svd_shapes(a: Aval, full_matrices: bool):
    stacked_2d(a)
    m, n = a.shape[-2:]
    k = None if m is None or n is None else min(m, n)
    batch = a.shape[:-2]
    return batch, m, n, k


def _svd_abstract(a: Aval, full_matrices=True):
    batch, m, n, k = _svd_shapes(a, full_matrices)
    dtype = linalg_dtype(a)
    u = Aval(batch + (m, m if full_matrices else k), dtype)
    vh = Aval(batch + (n if full_matrices else k, n), dtype)
    return u, Aval(batch + (k,), linalg_dtype(a, real=True)), vh


def _svd_checks(a, full_matrices: bool) -> None:
    real_only("svd", a)
    m, n = known_shape(a, "svd")[-2:]
    if full_matrices and m != n:
        raise UnsupportedError(at_user_line(
            f"the gradient of numpy.linalg.svd(full_matrices=True) of a {m}x{n} matrix is "
            "not defined (the extra singular vectors are arbitrary); pass "
            "full_matrices=False."))


def _svd_vjp(g, a, out, full_matrices):
    """Townsend's rule: with F_ij = 1/(s_j^2 - s_i^2) (0 for i == j),
    gA = U [(F*(U^T gU - gU^T U)) S + diag(gS) + S (F*(V^T gV - gV^T V))] V^T
         + (I - U U^T) gU S^-1 V^T + U S^-1 gV^T (I - V V^T)."""
    _svd_checks(a, full_matrices)
    u, s, vh = out
    gu, gs, gvh = g
    f = zero_diagonal_inverse(expand_dims(s * s, -2) - expand_dims(s * s, -1))
    inner = None

    def acc(total, term):
        return term if total is None else total + term

    if gs is not None:
        inner = acc(inner, expand_dims(gs, -1) * np.eye(shape_of(s)[-1], dtype=dtype_of(s)))
    if gu is not None:
        ut_gu = matmul(mT(u), gu)
        inner = acc(inner, (f * (ut_gu - mT(ut_gu))) * expand_dims(s, -2))
    if gvh is not None:
        v, gv = mT(vh), mT(gvh)
        vt_gv = matmul(mT(v), gv)
        inner = acc(inner, expand_dims(s, -1) * (f * (vt_gv - mT(vt_gv))))
    grad = None if inner is None else matmul(u, matmul(inner, vh))
    if gu is not None:
        gu_sinv = gu / expand_dims(s, -2)
        grad = acc(grad, matmul(gu_sinv - matmul(u, matmul(mT(u), gu_sinv)), vh))
    if gvh is not None:
        sinv_gvh = gvh / expand_dims(s, -1)
        grad = acc(grad, matmul(u, sinv_gvh - matmul(matmul(sinv_gvh, mT(vh)), vh)))
    return (grad,)


def _svd_jvp(primals, tangents, full_matrices):
    a, t = primals[0], tangents[0]
    out = apply(_svd, a, full_matrices=full_matrices)
    if t is None:
        return out, None
    _svd_checks(a, full_matrices)
    u, s, vh = out
    v = mT(vh)
    ds_full = matmul(mT(u), matmul(t, v))
    ds = reduce_sum(ds_full * eye_like(ds_full), axis=-1)
    f = zero_diagonal_inverse(expand_dims(s * s, -2) - expand_dims(s * s, -1))
    dss = ds_full * expand_dims(s, -2)
    sds = expand_dims(s, -1) * ds_full
    du = matmul(u, f * (dss + mT(dss)))
    dv = matmul(v, f * (sds + mT(sds)))
    t_v = matmul(t, v) / expand_dims(s, -2)
    du = du + t_v - matmul(u, matmul(mT(u), t_v))
    tt_u = matmul(mT(t), u) / expand_dims(s, -2)
    dv = dv + tt_u - matmul(v, matmul(vh, tt_u))
    return out, (du, ds, mT(dv))


_SVDResult = type(np.linalg.svd(np.eye(1)))
_svd = register(Op("svd", lambda a, full_matrices: tuple(
    np.linalg.svd(a, full_matrices=full_matrices)), _svd_abstract, vjp=_svd_vjp,
    jvp=_svd_jvp, multiple_results=True, batch=batch_leading))


def _svdvals_abstract(a: Aval) -> Aval:
    batch, m, n, k = _svd_shapes(a, False)
    return Aval(batch + (k,), linalg_dtype(a, real=True))


def svdvals_vjp(g, a, out):
    real_only("svd", a)
    u, _, vh = apply(_svd, a, full_matrices=False)
    return (matmul(u * expand_dims(g, -2), vh),)


def svdvals_jvp(primals, tangents):
    out = apply(_svdvals, primals[0])
    if tangents[0] is None:
        return out, None
    real_only("svd", primals[0])
    u, _, vh = apply(_svd, primals[0], full_matrices=False)
    return out, reduce_sum(u * matmul(tangents[0], mT(vh)), axis=-2)


_svdvals = register(Op("svdvals", lambda a: np.linalg.svd(a, compute_uv=False),
                       _svdvals_abstract, vjp=svdvals_vjp, jvp=svdvals_jvp,
                       batch=batch_leading))


@dispatches(np.linalg.svd)
def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    """`numpy.linalg.svd` (U, S, Vh), or S alone with `compute_uv=False`."""
    if hermitian:
        raise UnsupportedError(at_user_line(
            "numpy.linalg.svd(hermitian=True) is not supported on traced values; use "
            "hermitian=False (same values) or np.linalg.eigh."))
    if not compute_uv:
        return apply(_svdvals, a)
    return _SVDResult(*apply(_svd, a, full_matrices=bool(full_matrices)))


if hasattr(np.linalg, "svdvals"):
    @dispatches(np.linalg.svdvals)
    def svdvals(x, /):
        """`numpy.linalg.svdvals`: the singular values (`svd(x, compute_uv=False)`)."""
        return apply(_svdvals, x)
