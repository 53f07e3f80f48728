"""Matrix solvers and decompositions (`numpy.linalg`): solve, inv, det, slogdet, pinv,
lstsq, cholesky, qr, svd/svdvals, eigh/eigvalsh, and the forward-only matrix_rank and cond.

Every op works on stacks of matrices (`(..., m, n)`) as numpy does and runs numpy's own
function, so values, dtypes and errors are numpy's: a singular matrix raises
`numpy.linalg.LinAlgError` when the graph runs; shape errors (not square, too few
dimensions, mismatched sizes) are raised when tracing, with numpy's type and message.
Result dtypes follow numpy's linalg rule (`linalg_dtype`): float32 (complex64) stays
float32 when every input is, any other input (ints, bools, float64) gives float64, float16
is a TypeError. Batching: the ops broadcast over leading axes, so vmap binds them on the
stacked values (`batch_leading`); `lstsq` (2-D only in numpy) loops.

Gradients (real inputs; complex gradients refuse loudly) are the standard matrix-calculus
rules, written with registry ops so they differentiate again:

* `cholesky` and `eigh`/`eigvalsh` read only one triangle of their input (the lower one,
  `UPLO='L'`, by default), exactly as LAPACK does, so their gradients are the derivative of
  that function: nonzero on the read triangle only (an off-diagonal entry counts twice,
  it stands for both symmetric entries). For a symmetric input this is the symmetric
  gradient folded onto the triangle.
* `eigh`: the eigenvector gradient divides by eigenvalue gaps, so it is inf/nan for
  repeated eigenvalues (as in JAX and PyTorch); eigenvalue-only gradients (`eigvalsh`, or
  eigh with no cotangent on the vectors) stay finite.
* `svd`: gradients divide by gaps of squared singular values and by the singular values;
  inf/nan for repeated or zero singular values. `full_matrices=True` (numpy's default) on
  a non-square matrix has no unique gradient (the extra singular vectors are arbitrary):
  its gradient refuses; pass `full_matrices=False`. `svdvals`/`compute_uv=False` is fine.
* `qr`: every shape in modes 'reduced' and 'r' (a wide matrix `[X | Y]` as the QR of its
  square part `X` and `R = [R_X | Q^T Y]`); mode 'complete' of a tall matrix refuses (the
  last m - n columns of Q are arbitrary).
* `det`'s gradient is `det * inv(a).T`, so it raises LinAlgError for a singular matrix;
  `slogdet`'s is `inv(a).T` (sign has none).
* `pinv`/`lstsq`: the derivative of the pseudo-inverse at constant rank (full-rank inputs).

Each op also has its own JVP rule (the tangent of the factorization).
"""

from __future__ import annotations

import numpy as np

from autotrace.errors import UnsupportedError, at_user_line
from autotrace.ops.creation import zeros_like
from autotrace.ops.index import getitem
from autotrace.ops.join import concatenate
from autotrace.ops.linalg import matmul
from autotrace.ops.reduce import sum as reduce_sum
from autotrace.ops.registry import Aval, Op, apply, dispatches, register
from autotrace.ops.shape import dtype_of, expand_dims, squeeze, swapaxes, unbroadcast
from autotrace.ops.shapes import broadcast_shapes, shape_of

LinAlgError = np.linalg.LinAlgError


# --- shared rules ---------------------------------------------------------------------------
def linalg_dtype(*avals: Aval, real: bool = False) -> np.dtype:
    """numpy.linalg's result dtype: single precision only if every input is."""
    double, is_complex = False, False
    for a in avals:
        if a.dtype.kind in "fc":
            is_complex |= a.dtype.kind == "c"
            part = np.finfo(a.dtype).dtype
            if part == np.float64:
                double = True
            elif part != np.float32:
                raise TypeError(f"array type {a.dtype.name} is unsupported in linalg")
        else:
            double = True
    if is_complex and not real:
        return np.dtype(np.complex128 if double else np.complex64)
    return np.dtype(np.float64 if double else np.float32)


def _stacked_2d(a: Aval) -> None:
    if a.ndim < 2:
        raise LinAlgError(
            f"{a.ndim}-dimensional array given. Array must be at least two-dimensional")


def _stacked_square(a: Aval) -> None:
    _stacked_2d(a)
    m, n = a.shape[-2:]
    if m is not None and n is not None and m != n:
        raise LinAlgError("Last 2 dimensions of the array must be square")


def _known(x, name: str) -> tuple:
    shape = shape_of(x)
    if None in shape[-2:]:
        raise UnsupportedError(at_user_line(
            f"numpy.linalg.{name}: the matrix sizes must be known when tracing "
            f"(got {shape}); give the input a static shape."))
    return shape


def batch_leading(trace, op, values, dims, params):
    """Batching rule of ops over stacks of matrices: every input gets the batch axis (a
    shared one broadcast) and per-example ranks are aligned after it, so numpy's
    broadcasting over the leading axes pairs examples with examples."""
    args = [trace.batched(x, d) for x, d in zip(values, dims)]
    rank = max(len(shape_of(x)) for x in args)
    args = [expand_dims(x, tuple(range(1, 1 + rank - len(shape_of(x)))))
            if len(shape_of(x)) < rank else x for x in args]
    out = apply(op, *args, **params)
    return out, ((0,) * len(out) if op.multiple_results else 0)


def _T(x):
    return swapaxes(x, -1, -2)


def _real_only(name: str, *xs) -> None:
    if any(dtype_of(x).kind == "c" for x in xs):
        raise UnsupportedError(at_user_line(
            f"the gradient of numpy.linalg.{name} of a complex matrix is not implemented"))


def _eye_like(x):
    n = _known(x, "eye")[-1]
    return np.eye(n, dtype=dtype_of(x))


def _mask(x, lower: bool, scale_diagonal: float = 1.0):
    """A constant (n, n) mask of the lower (upper) triangle, diagonal times `scale_diagonal`."""
    n = _known(x, "mask")[-1]
    mask = np.tril(np.ones((n, n))) if lower else np.triu(np.ones((n, n)))
    mask = mask - (1.0 - scale_diagonal) * np.eye(n)
    return mask.astype(dtype_of(x))


def _one_triangle(g, lower: bool):
    """The gradient w.r.t. a matrix of which only one triangle is read (the symmetric
    matrix it stands for is that triangle mirrored): `g + g.T` on the strict triangle,
    `g`'s diagonal on the diagonal, zero on the other triangle."""
    return (g + _T(g)) * _mask(g, lower, 0.5)


def _symmetrized(t, lower: bool):
    """The symmetric matrix a tangent of the read triangle stands for."""
    part = t * _mask(t, lower)
    return part + _T(part) * _mask(t, not lower, 0.0)


def _zero_diagonal_inverse(diff):
    """`1 / diff` off the diagonal, 0 on it (`diff` has a zero diagonal)."""
    eye = _eye_like(diff)
    return 1 / (diff + eye) - eye


def _solve_right(x, a):
    """`x @ inv(a)` as a solve."""
    return _T(solve_matrix(_T(a), _T(x)))


# --- solve / inv ----------------------------------------------------------------------------
def _solve_abstract(a: Aval, b: Aval) -> Aval:
    _stacked_square(a)
    dtype = linalg_dtype(a, b)
    m, k = a.shape[-1], b.shape[-2]
    if m is not None and k is not None and m != k:
        raise ValueError(
            "solve: Input operand 1 has a mismatch in its core dimension 0, with gufunc "
            f"signature (m,m),(m,n)->(m,n) (size {k} is different from {m})")
    return Aval(broadcast_shapes(a.shape[:-2], b.shape[:-2]) + b.shape[-2:], dtype)


def _solve_vjp(g, a, b, out):
    _real_only("solve", a, b)
    gb = solve_matrix(_T(a), g)
    ga = -matmul(gb, _T(out))
    return unbroadcast(ga, a), unbroadcast(gb, b)


def _solve_jvp(primals, tangents):
    a, b = primals
    ta, tb = tangents
    out = apply(_solve, a, b)
    if ta is None and tb is None:
        return out, None
    rhs = tb if ta is None else -matmul(ta, out) if tb is None else tb - matmul(ta, out)
    return out, solve_matrix(a, rhs)


_solve = register(Op("solve", lambda a, b: np.linalg.solve(a, b), _solve_abstract,
                     vjp=_solve_vjp, jvp=_solve_jvp, batch=batch_leading))


def solve_matrix(a, b):
    """`solve` with `b` a stack of matrices (the op's only form)."""
    return apply(_solve, a, b)


@dispatches(np.linalg.solve)
def solve(a, b):
    """`numpy.linalg.solve`: `b` 1-D is one right-hand side, otherwise a stack of (M, K)
    matrices (numpy >= 2.0 rule)."""
    if len(shape_of(b)) == 1:
        m, k = shape_of(a)[-1] if len(shape_of(a)) >= 2 else None, shape_of(b)[0]
        if len(shape_of(a)) >= 2 and m is not None and k is not None and m != k:
            raise ValueError(
                "solve1: Input operand 1 has a mismatch in its core dimension 0, with gufunc "
                f"signature (m,m),(m)->(m) (size {k} is different from {m})")
        return squeeze(solve_matrix(a, expand_dims(b, -1)), -1)
    if len(shape_of(b)) == 0:
        _stacked_square(Aval(shape_of(a), dtype_of(a)))
        raise ValueError("solve: Input operand 1 does not have enough dimensions (has 0, "
                         "gufunc core with signature (m,m),(m,n)->(m,n) requires 2)")
    return solve_matrix(a, b)


def _inv_abstract(a: Aval) -> Aval:
    _stacked_square(a)
    return Aval(a.shape, linalg_dtype(a))


def _inv_vjp(g, a, out):
    _real_only("inv", a)
    return (-matmul(_T(out), matmul(g, _T(out))),)


def _inv_jvp(primals, tangents):
    out = apply(_inv, primals[0])
    if tangents[0] is None:
        return out, None
    return out, -matmul(out, matmul(tangents[0], out))


_inv = register(Op("inv", lambda a: np.linalg.inv(a), _inv_abstract,
                   vjp=_inv_vjp, jvp=_inv_jvp, batch=batch_leading))


@dispatches(np.linalg.inv)
def inv(a):
    """`numpy.linalg.inv` (LinAlgError for a singular matrix, when the graph runs)."""
    return apply(_inv, a)


# --- det / slogdet --------------------------------------------------------------------------
def _det_abstract(a: Aval) -> Aval:
    _stacked_square(a)
    return Aval(a.shape[:-2], linalg_dtype(a))


def _trace_product(x, t):
    """trace(x @ t) over the last two axes."""
    return reduce_sum(_T(x) * t, axis=(-2, -1))


def _det_vjp(g, a, out):
    _real_only("det", a)
    return (expand_dims(g * out, (-2, -1)) * _T(inv(a)),)


def _det_jvp(primals, tangents):
    out = apply(_det, primals[0])
    if tangents[0] is None:
        return out, None
    return out, out * _trace_product(inv(primals[0]), tangents[0])


_det = register(Op("det", lambda a: np.linalg.det(a), _det_abstract,
                   vjp=_det_vjp, jvp=_det_jvp, batch=batch_leading))


@dispatches(np.linalg.det)
def det(a):
    """`numpy.linalg.det`; its gradient `det * inv(a).T` needs an invertible matrix."""
    return apply(_det, a)


def _slogdet_abstract(a: Aval):
    _stacked_square(a)
    dtype = linalg_dtype(a)
    return Aval(a.shape[:-2], dtype), Aval(a.shape[:-2], linalg_dtype(a, real=True))


def _slogdet_vjp(g, a, out):
    _real_only("slogdet", a)
    if g[1] is None:
        return (None,)
    return (expand_dims(g[1], (-2, -1)) * _T(inv(a)),)


def _slogdet_jvp(primals, tangents):
    out = apply(_slogdet, primals[0])
    if tangents[0] is None:
        return out, None
    return out, (None, _trace_product(inv(primals[0]), tangents[0]))


_SlogdetResult = type(np.linalg.slogdet(np.eye(1)))
_slogdet = register(Op("slogdet", lambda a: tuple(np.linalg.slogdet(a)), _slogdet_abstract,
                       vjp=_slogdet_vjp, jvp=_slogdet_jvp, multiple_results=True,
                       batch=batch_leading))


@dispatches(np.linalg.slogdet)
def slogdet(a):
    """`numpy.linalg.slogdet`: (sign, logabsdet); only logabsdet has a gradient."""
    return _SlogdetResult(*apply(_slogdet, a))


# --- cholesky -------------------------------------------------------------------------------
def _cholesky_abstract(a: Aval, upper=False) -> Aval:
    _stacked_square(a)
    return Aval(a.shape, linalg_dtype(a))


def _cholesky_vjp(g, a, out, upper):
    """With L = cholesky: S = L^-T tril_half(L^T gL) L^-1 is the gradient for symmetric
    perturbations; folded onto the triangle numpy reads."""
    _real_only("cholesky", a)
    low, g_low = (_T(out), _T(g)) if upper else (out, g)
    p = matmul(_T(low), g_low) * _mask(low, True, 0.5)
    s = _T(solve_matrix(_T(low), _T(solve_matrix(_T(low), p))))
    grad = _one_triangle(s, lower=True)
    return (_T(grad) if upper else grad,)


def _cholesky_jvp(primals, tangents, upper):
    a, t = primals[0], tangents[0]
    out = apply(_cholesky, a, upper=upper)
    if t is None:
        return out, None
    low, t = (_T(out), _T(t)) if upper else (out, t)
    sym = _symmetrized(t, lower=True)
    x = _T(solve_matrix(low, _T(solve_matrix(low, sym))))  # L^-1 sym L^-T
    tangent = matmul(low, x * _mask(low, True, 0.5))
    return out, (_T(tangent) if upper else tangent)


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
    _stacked_2d(a)
    dtype = linalg_dtype(a)
    m, n = a.shape[-2:]
    k = None if m is None or n is None else min(m, n)
    batch = a.shape[:-2]
    r = Aval(batch + ((m if mode == "complete" else k), n), dtype)
    if mode == "r":
        return r
    return Aval(batch + (m, m if mode == "complete" else k), dtype), r


def _qr_domain(a, mode) -> tuple:
    _real_only("qr", a)
    m, n = _known(a, "qr")[-2:]
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
        gq = matmul(y, _T(gr_y)) if gq is None else gq + matmul(y, _T(gr_y))
    gx = _qr_grad_tall(q, _columns(r, 0, m), gq, gr_x)
    if gx is None:
        return None
    return concatenate([gx, matmul(q, gr_y) if gr_y is not None else zeros_like(y)], axis=-1)


def _qr_grad_tall(q, r, gq, gr):
    terms = []
    if gr is not None:
        terms.append(matmul(gr, _T(r)))
    if gq is not None:
        terms.append(-matmul(_T(q), gq))
    if not terms:
        return None
    big_m = terms[0] if len(terms) == 1 else terms[0] + terms[1]
    inner = big_m - (big_m - _T(big_m)) * _strict_lower(big_m)
    b = matmul(q, inner) if gq is None else gq + matmul(q, inner)
    return _solve_right(b, _T(r))


def _strict_lower(x):
    return _mask(x, True, 0.0)


def _qr_vjp(g, a, out, mode):
    return (_qr_grad(a, out[0], out[1], g[0], g[1], mode),)


def _qr_tangent(a, q, r, t, mode):
    """(dQ, dR) for the tangent t of A (the wide case as in `_qr_grad`)."""
    m, n = _qr_domain(a, mode)
    if m >= n:
        return _qr_tangent_tall(q, r, t)
    dq, dr_x = _qr_tangent_tall(q, _columns(r, 0, m), _columns(t, 0, m))
    dr_y = matmul(_T(dq), _columns(a, m)) + matmul(_T(q), _columns(t, m))
    return dq, concatenate([dr_x, dr_y], axis=-1)


def _qr_tangent_tall(q, r, t):
    t_rinv = _solve_right(t, r)
    c = matmul(_T(q), t_rinv)
    low = c * _strict_lower(c)
    omega = low - _T(low)
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


# --- svd ------------------------------------------------------------------------------------
def _svd_shapes(a: Aval, full_matrices: bool):
    _stacked_2d(a)
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
    _real_only("svd", a)
    m, n = _known(a, "svd")[-2:]
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
    f = _zero_diagonal_inverse(expand_dims(s * s, -2) - expand_dims(s * s, -1))
    inner = None

    def acc(total, term):
        return term if total is None else total + term

    if gs is not None:
        inner = acc(inner, expand_dims(gs, -1) * np.eye(shape_of(s)[-1], dtype=dtype_of(s)))
    if gu is not None:
        ut_gu = matmul(_T(u), gu)
        inner = acc(inner, (f * (ut_gu - _T(ut_gu))) * expand_dims(s, -2))
    if gvh is not None:
        v, gv = _T(vh), _T(gvh)
        vt_gv = matmul(_T(v), gv)
        inner = acc(inner, expand_dims(s, -1) * (f * (vt_gv - _T(vt_gv))))
    grad = None if inner is None else matmul(u, matmul(inner, vh))
    if gu is not None:
        gu_sinv = gu / expand_dims(s, -2)
        grad = acc(grad, matmul(gu_sinv - matmul(u, matmul(_T(u), gu_sinv)), vh))
    if gvh is not None:
        sinv_gvh = gvh / expand_dims(s, -1)
        grad = acc(grad, matmul(u, sinv_gvh - matmul(matmul(sinv_gvh, _T(vh)), vh)))
    return (grad,)


def _svd_jvp(primals, tangents, full_matrices):
    a, t = primals[0], tangents[0]
    out = apply(_svd, a, full_matrices=full_matrices)
    if t is None:
        return out, None
    _svd_checks(a, full_matrices)
    u, s, vh = out
    v = _T(vh)
    ds_full = matmul(_T(u), matmul(t, v))
    ds = reduce_sum(ds_full * _eye_like(ds_full), axis=-1)
    f = _zero_diagonal_inverse(expand_dims(s * s, -2) - expand_dims(s * s, -1))
    dss = ds_full * expand_dims(s, -2)
    sds = expand_dims(s, -1) * ds_full
    du = matmul(u, f * (dss + _T(dss)))
    dv = matmul(v, f * (sds + _T(sds)))
    t_v = matmul(t, v) / expand_dims(s, -2)
    du = du + t_v - matmul(u, matmul(_T(u), t_v))
    tt_u = matmul(_T(t), u) / expand_dims(s, -2)
    dv = dv + tt_u - matmul(v, matmul(vh, tt_u))
    return out, (du, ds, _T(dv))


_SVDResult = type(np.linalg.svd(np.eye(1)))
_svd = register(Op("svd", lambda a, full_matrices: tuple(
    np.linalg.svd(a, full_matrices=full_matrices)), _svd_abstract, vjp=_svd_vjp,
    jvp=_svd_jvp, multiple_results=True, batch=batch_leading))


def _svdvals_abstract(a: Aval) -> Aval:
    batch, m, n, k = _svd_shapes(a, False)
    return Aval(batch + (k,), linalg_dtype(a, real=True))


def _svdvals_vjp(g, a, out):
    _real_only("svd", a)
    u, _, vh = apply(_svd, a, full_matrices=False)
    return (matmul(u * expand_dims(g, -2), vh),)


def _svdvals_jvp(primals, tangents):
    out = apply(_svdvals, primals[0])
    if tangents[0] is None:
        return out, None
    _real_only("svd", primals[0])
    u, _, vh = apply(_svd, primals[0], full_matrices=False)
    return out, reduce_sum(u * matmul(tangents[0], _T(vh)), axis=-2)


_svdvals = register(Op("svdvals", lambda a: np.linalg.svd(a, compute_uv=False),
                       _svdvals_abstract, vjp=_svdvals_vjp, jvp=_svdvals_jvp,
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


# --- eigh / eigvalsh ------------------------------------------------------------------------
def _eigh_abstract(a: Aval, UPLO="L"):
    _stacked_square(a)
    return Aval(a.shape[:-1], linalg_dtype(a, real=True)), Aval(a.shape, linalg_dtype(a))


def _eigh_grad(a, w, v, gw, gv, lower: bool):
    """gA_sym = V (diag(gw) + F * (V^T gV)) V^T with F_ij = 1/(w_j - w_i), folded onto the
    triangle numpy reads."""
    _real_only("eigh", a)
    inner = None
    if gw is not None:
        inner = expand_dims(gw, -1) * _eye_like(v)
    if gv is not None:
        f = _zero_diagonal_inverse(expand_dims(w, -2) - expand_dims(w, -1))
        term = f * matmul(_T(v), gv)
        inner = term if inner is None else inner + term
    if inner is None:
        return None
    return _one_triangle(matmul(v, matmul(inner, _T(v))), lower)


def _eigh_vjp(g, a, out, UPLO):
    return (_eigh_grad(a, out[0], out[1], g[0], g[1], UPLO == "L"),)


def _eigh_jvp(primals, tangents, UPLO):
    a, t = primals[0], tangents[0]
    out = apply(_eigh, a, UPLO=UPLO)
    if t is None:
        return out, None
    _real_only("eigh", a)
    w, v = out
    x = matmul(_T(v), matmul(_symmetrized(t, UPLO == "L"), v))
    f = _zero_diagonal_inverse(expand_dims(w, -2) - expand_dims(w, -1))
    return out, (reduce_sum(x * _eye_like(x), axis=-1), matmul(v, f * x))


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
    _real_only("eigvalsh", a)
    _, v = apply(_eigh, a, UPLO=UPLO)
    return out, reduce_sum(v * matmul(_symmetrized(t, UPLO == "L"), v), axis=-2)


_eigvalsh = register(Op("eigvalsh", lambda a, UPLO: np.linalg.eigvalsh(a, UPLO=UPLO),
                        lambda a, UPLO: _eigh_abstract(a)[0], vjp=_eigvalsh_vjp,
                        jvp=_eigvalsh_jvp, batch=batch_leading))


@dispatches(np.linalg.eigvalsh)
def eigvalsh(a, UPLO="L"):
    """`numpy.linalg.eigvalsh` (ascending eigenvalues of the `UPLO` triangle's matrix)."""
    return apply(_eigvalsh, a, UPLO=_uplo(UPLO))


# --- eig / eigvals: refused for real input ----------------------------------------------------
def _eig_abstract(a: Aval):
    _stacked_square(a)
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


# --- pinv / lstsq ---------------------------------------------------------------------------
def _pinv_abstract(a: Aval, **params) -> Aval:
    _stacked_2d(a)
    empty = 0 in a.shape  # numpy returns an empty array of the input's dtype
    return Aval(a.shape[:-2] + (a.shape[-1], a.shape[-2]), a.dtype if empty else linalg_dtype(a))


def _pinv_grad(a, p, g):
    """<g, dP> for P = pinv(A) at constant rank:
    gA = -P^T g P^T + (I - A P) g^T P P^T + P^T P g^T (I - P A)."""
    pt = _T(p)
    gt = _T(g)
    first = -matmul(pt, matmul(g, pt))
    x = matmul(gt, matmul(p, pt))
    second = x - matmul(a, matmul(p, x))
    y = matmul(matmul(pt, p), gt)
    third = y - matmul(matmul(y, p), a)
    return first + second + third


def _pinv_tangent(a, p, t):
    pt, tt = _T(p), _T(t)
    x = matmul(matmul(p, pt), tt)
    y = matmul(tt, matmul(pt, p))
    return (-matmul(p, matmul(t, p)) + x - matmul(matmul(x, a), p)
            + y - matmul(p, matmul(a, y)))


def _pinv_checks(a, params) -> None:
    _real_only("pinv", a)
    if params.get("hermitian"):
        raise UnsupportedError(at_user_line(
            "the gradient of numpy.linalg.pinv(hermitian=True) is not implemented"))


def _pinv_vjp(g, a, out, **params):
    _pinv_checks(a, params)
    return (_pinv_grad(a, out, g),)


def _pinv_jvp(primals, tangents, **params):
    out = apply(_pinv, primals[0], **params)
    if tangents[0] is None:
        return out, None
    _pinv_checks(primals[0], params)
    return out, _pinv_tangent(primals[0], out, tangents[0])


_pinv = register(Op("pinv", lambda a, **params: np.linalg.pinv(a, **params), _pinv_abstract,
                    vjp=_pinv_vjp, jvp=_pinv_jvp, batch=batch_leading))


@dispatches(np.linalg.pinv)
def pinv(a, rcond=None, hermitian=False, **kwargs):
    """`numpy.linalg.pinv` (static `rcond`/`rtol`); the gradient is that of a
    constant-rank pseudo-inverse."""
    params = {"hermitian": bool(hermitian)}
    if rcond is not None:
        params["rcond"] = float(rcond)
    for key, value in kwargs.items():
        if key != "rtol":
            raise TypeError(f"pinv() got an unexpected keyword argument '{key}'")
        params["rtol"] = value if value is None else float(value)
    return apply(_pinv, a, **params)


def _lstsq_abstract(a: Aval, b: Aval, rcond=None):
    for x in (a, b):
        if x.ndim != 2:
            raise LinAlgError(
                f"{x.ndim}-dimensional array given. Array must be two-dimensional")
    (m, n), (m2, k) = a.shape, b.shape
    if m is not None and m2 is not None and m != m2:
        raise LinAlgError("Incompatible dimensions")
    dtype = linalg_dtype(a, b)
    real = linalg_dtype(a, b, real=True)
    known = None not in (m, n)
    residuals = (k,) if known and m > n else (0,) if known else (None,)
    return (Aval((n, k), dtype), Aval(residuals, real), Aval((), np.dtype(np.int32)),
            Aval((None if not known else min(m, n),), real))


def _lstsq_impl(a, b, rcond):
    x, residuals, rank, s = np.linalg.lstsq(a, b, rcond=rcond)
    m, n = a.shape
    if m > n and rank < n:
        raise LinAlgError(
            f"lstsq: the {m}x{n} matrix has rank {rank} < {n}, for which numpy returns "
            "empty residuals: a graph fixes the residuals' shape when tracing (full rank). "
            "Use np.linalg.pinv(a) @ b for rank-deficient systems.")
    return x, residuals, np.int32(rank), s


def _lstsq_vjp(g, a, b, out, rcond):
    """Full rank: x = pinv(A) b (pinv's rule), residuals |b - A x|^2 (at the optimum:
    gA = -2 r x^T, gb = 2 r), singular values as svdvals."""
    _real_only("lstsq", a, b)
    gx, gres, _, gs = g
    x = out[0]
    ga = gb = None

    def acc(total, term):
        return term if total is None else total + term

    if gx is not None:
        p = apply(_pinv, a, hermitian=False)
        ga = _pinv_grad(a, p, matmul(gx, _T(b)))
        gb = matmul(_T(p), gx)
    m, n = _known(a, "lstsq")
    if gres is not None and m > n:
        r = (b - matmul(a, x)) * gres * 2
        ga, gb = acc(ga, -matmul(r, _T(x))), acc(gb, r)
    if gs is not None:
        ga = acc(ga, _svdvals_vjp(gs, a, out[3])[0])
    return ga, gb


def _lstsq_jvp(primals, tangents, rcond):
    a, b = primals
    ta, tb = tangents
    out = apply(_lstsq, a, b, rcond=rcond)
    if ta is None and tb is None:
        return out, None
    _real_only("lstsq", a, b)
    x = out[0]
    p = apply(_pinv, a, hermitian=False)
    dx = dres = ds = None
    m, n = _known(a, "lstsq")
    if ta is not None:
        dx = matmul(_pinv_tangent(a, p, ta), b)
        dres_in = -matmul(ta, x)
        ds = _svdvals_jvp((a,), (ta,))[1]
    if tb is not None:
        dx = matmul(p, tb) if dx is None else dx + matmul(p, tb)
        dres_in = tb if ta is None else dres_in + tb
    if m > n:
        dres = reduce_sum((b - matmul(a, x)) * dres_in, axis=0) * 2
    return out, (dx, dres, None, ds)


_lstsq = register(Op("lstsq", _lstsq_impl, _lstsq_abstract, vjp=_lstsq_vjp, jvp=_lstsq_jvp,
                     multiple_results=True))


@dispatches(np.linalg.lstsq)
def lstsq(a, b, rcond=None):
    """`numpy.linalg.lstsq`: (x, residuals, rank, s) for a full-rank 2-D `a` (a
    rank-deficient one raises when the graph runs: numpy's residuals would be empty)."""
    if rcond is not None:
        rcond = float(rcond)
    if len(shape_of(b)) == 1:
        x, residuals, rank, s = apply(_lstsq, a, expand_dims(b, -1), rcond=rcond)
        return squeeze(x, -1), residuals, rank, s
    return tuple(apply(_lstsq, a, b, rcond=rcond))


# --- matrix_rank / cond: forward only -------------------------------------------------------
def _rank_abstract(a: Aval, **params) -> Aval:
    _stacked_2d(a)
    return Aval(a.shape[:-2], np.dtype(np.intp))


_matrix_rank = register(Op("matrix_rank", lambda a, **p: np.linalg.matrix_rank(a, **p),
                           _rank_abstract, differentiable=False, batch=batch_leading))


@dispatches(np.linalg.matrix_rank)
def matrix_rank(A, tol=None, hermitian=False, **kwargs):
    """`numpy.linalg.matrix_rank` of (stacks of) matrices, forward only (static `tol`,
    `rtol`)."""
    if len(shape_of(A)) < 2:
        raise UnsupportedError(at_user_line(
            "numpy.linalg.matrix_rank of a 0-d or 1-D array returns a Python int; on traced "
            "values pass a 2-D array (e.g. x[None])."))
    params = {"hermitian": bool(hermitian)}
    if tol is not None:
        params["tol"] = float(tol)
    if kwargs.get("rtol") is not None:
        params["rtol"] = float(kwargs.pop("rtol"))
    kwargs.pop("rtol", None)
    if kwargs:
        raise TypeError(f"matrix_rank() got an unexpected keyword argument '{next(iter(kwargs))}'")
    return apply(_matrix_rank, A, **params)


def _cond_abstract(x: Aval, p=None) -> Aval:
    _stacked_2d(x)
    if p not in (None, 2, -2):
        _stacked_square(x)
    return Aval(x.shape[:-2], linalg_dtype(x, real=True))


_cond = register(Op("linalg_cond", lambda x, p: np.linalg.cond(x, p), _cond_abstract,
                    differentiable=False, batch=batch_leading))

_COND_ORDERS = (None, 1, -1, 2, -2, np.inf, -np.inf, "fro", "nuc")


@dispatches(np.linalg.cond)
def cond(x, p=None):
    """`numpy.linalg.cond` (forward only: no gradient)."""
    if p not in _COND_ORDERS:
        raise ValueError("Invalid norm order for matrices.")
    return apply(_cond, x, p=p)


__all__ = ["cholesky", "cond", "det", "eig", "eigh", "eigvals", "eigvalsh", "inv",
           "linalg_dtype", "lstsq", "matrix_rank", "pinv", "qr", "slogdet", "solve", "svd"]
