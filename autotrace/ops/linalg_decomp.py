"""numpy.linalg factorizations: cholesky, qr, eigh/eigvalsh, and eig/eigvals (forward
only). `svd` is in `linalg_svd`, solvers in `linalg_solve`.

Every op runs numpy's own function on stacks of matrices, with numpy's values, dtypes and
errors (a matrix that is not positive definite raises LinAlgError when the graph runs).
Gradients (real inputs; complex ones refuse loudly) are the standard matrix-calculus
rules, written with registry ops so they differentiate again; each op also has its own
JVP rule (the tangent of the factorization):

* `cholesky` and `eigh`/`eigvalsh` read only one triangle of their input (the lower one,
  `UPLO='L'`, by default), exactly as LAPACK does, so their gradients are the derivative of
  that function: nonzero on the read triangle only (an off-diagonal entry counts twice,
  it stands for both symmetric entries). For a symmetric input this is the symmetric
  gradient folded onto the triangle.
* `eigh`: the eigenvector gradient divides by eigenvalue gaps, so it is inf/nan for
  repeated eigenvalues (as in JAX and PyTorch); eigenvalue-only gradients (`eigvalsh`, or
  eigh with no cotangent on the vectors) stay finite.
* `qr`: every shape in modes 'reduced' and 'r' (a wide matrix `[X | Y]` as the QR of its
  square part `X` and `R = [R_X | Q^T Y]`); mode 'complete' of a tall matrix refuses (the
  last m - n columns of Q are arbitrary).
* `eig`/`eigvals` of a real matrix are refused: numpy's result dtype depends on the values.
"""

from __future__ import annotations

import numpy as np

from autotrace.errors import UnsupportedError, at_user_line
from autotrace.ops.creation import zeros_like
from autotrace.ops.index import getitem
from autotrace.ops.join import concatenate
from autotrace.ops.linalg import matmul
from autotrace.ops.linalg_common import (
    batch_leading,
    eye_like,
    known_shape,
    linalg_dtype,
    mT,
    one_triangle,
    real_only,
    stacked_2d,
    stacked_square,
    symmetrized,
    tri_mask,
    zero_diagonal_inverse,
)
from autotrace.ops.linalg_solve import solve_matrix, solve_right
from autotrace.ops.reduce import sum as reduce_sum
from autotrace.ops.registry import Aval, Op, apply, dispatches, register
from autotrace.ops.shape import dtype_of, expand_dims


# --- cholesky -------------------------------------------------------------------------------
def _cholesky_abstract(a: Aval, upper=False) -> Aval:
    stacked_square(a)
    return Aval(a.shape, linalg_dtype(a))


def _cholesky_vjp(g, a, out, upper):
    """With L = cholesky: S = L^-T tril_half(L^T gL) L^-1 is the gradient for symmetric
    perturbations; folded onto the triangle numpy reads."""
    real_only("cholesky", a)
    low, g_low = (mT(out), mT(g)) if upper else (out, g)
    p = matmul(mT(low), g_low) * tri_mask(low, True, 0.5)
    s = mT(solve_matrix(mT(low), mT(solve_matrix(mT(low), p))))
    grad = one_triangle(s, lower=True)
    return (mT(grad) if upper else grad,)


def _cholesky_jvp(primals, tangents, upper):
    a, t = primals[0], tangents[0]
    out = apply(_cholesky, a, upper=upper)
    if t is None:
        return out, None
    low, t = (mT(out), mT(t)) if upper else (out, t)
    sym = symmetrized(t, lower=True)
    x = mT(solve_matrix(low, mT(solve_matrix(low, sym))))  # L^-1 sym L^-T
    tangent = matmul(low, x * tri_mask(low, True, 0.5))
    return out, (mT(tangent) if upper else tangent)


_cholesky = register(Op("cholesky", lambda a, upper: np.linalg.cholesky(a, upper=upper),
                        _cholesky_abstract, vjp=_cholesky_vjp, jvp=_cholesky_jvp,
                        batch=batch_leading))


@dispatches(np.linalg.cholesky)
def cholesky(a, /, *, upper=False):
    """`numpy.linalg.cholesky` (reads the lower triangle, or the upper one with
    `upper=True`; LinAlgError when the graph runs on a matrix that is not positive
    definite)."""
    return apply(_cholesky, a, upper=bool(upper))


# --- qr -------------------------------------------------------------------------------------
def _qr_abstract(a: Aval, mode="reduced"):
    stacked_2d(a)
    dtype = linalg_dtype(a)
    m, n = a.shape[-2:]
    k = None if m is None or n is None else min(m, n)
    batch = a.shape[:-2]
    r = Aval(batch + ((m if mode == "complete" else k), n), dtype)
    if mode == "r":
        return r
    return Aval(batch + (m, m if mode == "complete" else k), dtype), r


def _qr_domain(a, mode) -> tuple:
    real_only("qr", a)
    m, n = known_shape(a, "qr")[-2:]
    if mode == "complete" and m > n:
        raise UnsupportedError(at_user_line(
            f"the gradient of numpy.linalg.qr(mode='complete') of a {m}x{n} matrix is not "
            "defined (the last m - n columns of Q are arbitrary); use mode='reduced'."))
    return m, n


def _columns(x, start, stop=None):
    return getitem(x, (Ellipsis, slice(None), slice(start, stop)))


def _qr_grad(a, q, r, gq, gr, mode):
    """VJP of (Q, R) = qr(A). Tall (m >= n): M = gR R^T - Q^T gQ,
    gA = (gQ + Q (M - tril(M - M^T, -1))) R^-T (the transpose of the tangent rule).
    Wide: A = [X | Y] with X square, Q R_X = qr(X) and R = [R_X | Q^T Y]."""
    m, n = _qr_domain(a, mode)
    if m >= n:
        return _qr_grad_tall(q, r, gq, gr)
    y = _columns(a, m)
    gr_x = None if gr is None else _columns(gr, 0, m)
    gr_y = None if gr is None else _columns(gr, m)
    if gr_y is not None:
        gq = matmul(y, mT(gr_y)) if gq is None else gq + matmul(y, mT(gr_y))
    gx = _qr_grad_tall(q, _columns(r, 0, m), gq, gr_x)
    if gx is None:
        return None
    return concatenate([gx, matmul(q, gr_y) if gr_y is not None else zeros_like(y)], axis=-1)


def _qr_grad_tall(q, r, gq, gr):
    terms = []
    if gr is not None:
        terms.append(matmul(gr, mT(r)))
    if gq is not None:
        terms.append(-matmul(mT(q), gq))
    if not terms:
        return None
    big_m = terms[0] if len(terms) == 1 else terms[0] + terms[1]
    inner = big_m - (big_m - mT(big_m)) * _strict_lower(big_m)
    b = matmul(q, inner) if gq is None else gq + matmul(q, inner)
    return solve_right(b, mT(r))


def _strict_lower(x):
    return tri_mask(x, True, 0.0)


def _qr_vjp(g, a, out, mode):
    return (_qr_grad(a, out[0], out[1], g[0], g[1], mode),)


def _qr_tangent(a, q, r, t, mode):
    """(dQ, dR) for the tangent t of A (the wide case as in `_qr_grad`)."""
    m, n = _qr_domain(a, mode)
    if m >= n:
        return _qr_tangent_tall(q, r, t)
    dq, dr_x = _qr_tangent_tall(q, _columns(r, 0, m), _columns(t, 0, m))
    dr_y = matmul(mT(dq), _columns(a, m)) + matmul(mT(q), _columns(t, m))
    return dq, concatenate([dr_x, dr_y], axis=-1)


def _qr_tangent_tall(q, r, t):
    t_rinv = solve_right(t, r)
    c = matmul(mT(q), t_rinv)
    low = c * _strict_lower(c)
    omega = low - mT(low)
    return matmul(q, omega - c) + t_rinv, matmul(c - omega, r)


def _qr_jvp(primals, tangents, mode):
    out = apply(_qr, primals[0], mode=mode)
    if tangents[0] is None:
        return out, None
    return out, _qr_tangent(primals[0], out[0], out[1], tangents[0], mode)


_QRResult = type(np.linalg.qr(np.eye(1)))
_qr = register(Op("qr", lambda a, mode: tuple(np.linalg.qr(a, mode=mode)), _qr_abstract,
                  vjp=_qr_vjp, jvp=_qr_jvp, multiple_results=True, batch=batch_leading))


def _qr_r_vjp(g, a, out, mode):
    q, r = apply(_qr, a, mode="reduced")
    return (_qr_grad(a, q, r, None, g, "reduced"),)


def _qr_r_jvp(primals, tangents, mode):
    out = apply(_qr_r, primals[0], mode=mode)
    if tangents[0] is None:
        return out, None
    q, r = apply(_qr, primals[0], mode="reduced")
    return out, _qr_tangent(primals[0], q, r, tangents[0], "reduced")[1]


_qr_r = register(Op("qr_r", lambda a, mode: np.linalg.qr(a, mode=mode), _qr_abstract,
                    vjp=_qr_r_vjp, jvp=_qr_r_jvp, batch=batch_leading))


@dispatches(np.linalg.qr)
def qr(a, mode="reduced"):
    """`numpy.linalg.qr` in modes 'reduced', 'complete' and 'r' ('raw' is refused)."""
    if mode == "r":
        return apply(_qr_r, a, mode="r")
    if mode in ("reduced", "complete"):
        return _QRResult(*apply(_qr, a, mode=mode))
    if mode == "raw":
        raise UnsupportedError(at_user_line(
            "numpy.linalg.qr(mode='raw') (LAPACK's Householder reflectors) is not supported "
            "on traced values; use mode 'reduced', 'complete' or 'r'."))
    raise ValueError(f"Unrecognized mode '{mode}'")


# --- eigh / eigvalsh ------------------------------------------------------------------------
def _eigh_abstract(a: Aval, UPLO="L"):
    stacked_square(a)
    return Aval(a.shape[:-1], linalg_dtype(a, real=True)), Aval(a.shape, linalg_dtype(a))


def _eigh_grad(a, w, v, gw, gv, lower: bool):
    """gA_sym = V (diag(gw) + F * (V^T gV)) V^T with F_ij = 1/(w_j - w_i), folded onto the
    triangle numpy reads."""
    real_only("eigh", a)
    inner = None
    if gw is not None:
        inner = expand_dims(gw, -1) * eye_like(v)
    if gv is not None:
        f = zero_diagonal_inverse(expand_dims(w, -2) - expand_dims(w, -1))
        term = f * matmul(mT(v), gv)
        inner = term if inner is None else inner + term
    if inner is None:
        return None
    return one_triangle(matmul(v, matmul(inner, mT(v))), lower)


def _eigh_vjp(g, a, out, UPLO):
    return (_eigh_grad(a, out[0], out[1], g[0], g[1], UPLO == "L"),)


def _eigh_jvp(primals, tangents, UPLO):
    a, t = primals[0], tangents[0]
    out = apply(_eigh, a, UPLO=UPLO)
    if t is None:
        return out, None
    real_only("eigh", a)
    w, v = out
    x = matmul(mT(v), matmul(symmetrized(t, UPLO == "L"), v))
    f = zero_diagonal_inverse(expand_dims(w, -2) - expand_dims(w, -1))
    return out, (reduce_sum(x * eye_like(x), axis=-1), matmul(v, f * x))


_EighResult = type(np.linalg.eigh(np.eye(1)))
_eigh = register(Op("eigh", lambda a, UPLO: tuple(np.linalg.eigh(a, UPLO=UPLO)),
                    _eigh_abstract, vjp=_eigh_vjp, jvp=_eigh_jvp, multiple_results=True,
                    batch=batch_leading))


def _uplo(UPLO) -> str:
    if UPLO not in ("L", "U"):
        raise ValueError("UPLO argument must be 'L' or 'U'")
    return UPLO


@dispatches(np.linalg.eigh)
def eigh(a, UPLO="L"):
    """`numpy.linalg.eigh` (eigenvalues ascending, eigenvectors as columns); reads the
    `UPLO` triangle. Repeated eigenvalues make the eigenvector gradient inf/nan."""
    return _EighResult(*apply(_eigh, a, UPLO=_uplo(UPLO)))


def _eigvalsh_vjp(g, a, out, UPLO):
    w, v = apply(_eigh, a, UPLO=UPLO)
    return (_eigh_grad(a, w, v, g, None, UPLO == "L"),)


def _eigvalsh_jvp(primals, tangents, UPLO):
    a, t = primals[0], tangents[0]
    out = apply(_eigvalsh, a, UPLO=UPLO)
    if t is None:
        return out, None
    real_only("eigvalsh", a)
    _, v = apply(_eigh, a, UPLO=UPLO)
    return out, reduce_sum(v * matmul(symmetrized(t, UPLO == "L"), v), axis=-2)


_eigvalsh = register(Op("eigvalsh", lambda a, UPLO: np.linalg.eigvalsh(a, UPLO=UPLO),
                        lambda a, UPLO: _eigh_abstract(a)[0], vjp=_eigvalsh_vjp,
                        jvp=_eigvalsh_jvp, batch=batch_leading))


@dispatches(np.linalg.eigvalsh)
def eigvalsh(a, UPLO="L"):
    """`numpy.linalg.eigvalsh` (ascending eigenvalues of the `UPLO` triangle's matrix)."""
    return apply(_eigvalsh, a, UPLO=_uplo(UPLO))


# --- eig / eigvals: refused for real input ----------------------------------------------------
def _eig_abstract(a: Aval):
    stacked_square(a)
    dtype = linalg_dtype(a)
    return Aval(a.shape[:-1], dtype), Aval(a.shape, dtype)


_EigResult = type(np.linalg.eig(np.eye(1)))
_eig = register(Op("eig", lambda a: tuple(np.linalg.eig(a)), _eig_abstract,
                   multiple_results=True, differentiable=False, batch=batch_leading))
_eigvals = register(Op("eigvals", lambda a: np.linalg.eigvals(a),
                       lambda a: _eig_abstract(a)[0], differentiable=False,
                       batch=batch_leading))


def _complex_only(a, name: str) -> None:
    if dtype_of(a).kind != "c":
        raise UnsupportedError(at_user_line(
            f"numpy.linalg.{name} of a real matrix returns a real array when every "
            "eigenvalue is real and a complex one otherwise: the dtype depends on the "
            "values, which a graph must know when tracing. Use np.linalg.eigh/eigvalsh for "
            f"a symmetric matrix, or pass a complex matrix (np.linalg.{name}(a + 0j)). "
            f"np.linalg.{name} has no gradient."))


@dispatches(np.linalg.eig)
def eig(a):
    """`numpy.linalg.eig` of a complex matrix, forward only (no gradient). A real matrix
    is refused: numpy's result dtype depends on its values."""
    _complex_only(a, "eig")
    return _EigResult(*apply(_eig, a))


@dispatches(np.linalg.eigvals)
def eigvals(a):
    """`numpy.linalg.eigvals` of a complex matrix, forward only (see `eig`)."""
    _complex_only(a, "eigvals")
    return apply(_eigvals, a)
