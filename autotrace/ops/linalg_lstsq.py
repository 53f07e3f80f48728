"""numpy.linalg.pinv and numpy.linalg.lstsq (the 4-tuple x, residuals, rank, s).

Gradients (real inputs) are the derivative of the pseudo-inverse at constant rank
(full-rank inputs); lstsq's residuals differentiate as `|b - a x|^2` at the optimum and
its singular values as `svdvals`. lstsq works on 2-D matrices only (as numpy's); under vmap
the op takes the stack of systems (one node, one numpy call per example). A rank-deficient
tall matrix raises when the graph runs, since numpy's residuals would then be empty (a
shape a graph must know when tracing).
"""

from __future__ import annotations

import numpy as np

from autotrace.errors import UnsupportedError, at_user_line
from autotrace.ops.linalg import matmul
from autotrace.ops.linalg_common import (
    LinAlgError,
    batch_leading,
    known_shape,
    linalg_dtype,
    mT,
    real_only,
    stacked_2d,
)
from autotrace.ops.linalg_svd import svdvals_jvp, svdvals_vjp
from autotrace.ops.reduce import sum as reduce_sum
from autotrace.ops.registry import Aval, Op, apply, dispatches, register
from autotrace.ops.shape import expand_dims, squeeze
from autotrace.ops.shapes import shape_of


# --- pinv / lstsq ---------------------------------------------------------------------------
def _pinv_abstract(a: Aval, **params) -> Aval:
    stacked_2d(a)
    empty = 0 in a.shape  # numpy returns an empty array of the input's dtype
    return Aval(a.shape[:-2] + (a.shape[-1], a.shape[-2]), a.dtype if empty else linalg_dtype(a))


def _pinv_grad(a, p, g):
    """<g, dP> for P = pinv(A) at constant rank:
    gA = -P^T g P^T + (I - A P) g^T P P^T + P^T P g^T (I - P A)."""
    pt = mT(p)
    gt = mT(g)
    first = -matmul(pt, matmul(g, pt))
    x = matmul(gt, matmul(p, pt))
    second = x - matmul(a, matmul(p, x))
    y = matmul(matmul(pt, p), gt)
    third = y - matmul(matmul(y, p), a)
    return first + second + third


def _pinv_tangent(a, p, t):
    pt, tt = mT(p), mT(t)
    x = matmul(matmul(p, pt), tt)
    y = matmul(tt, matmul(pt, p))
    return (-matmul(p, matmul(t, p)) + x - matmul(matmul(x, a), p)
            + y - matmul(p, matmul(a, y)))


def _pinv_checks(a, params) -> None:
    real_only("pinv", a)
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
    """numpy's 2-D lstsq (the front end checks the ranks), or a stack of them with the
    same leading axes (the batching rule's form: one system per example)."""
    lead = a.shape[:-2]
    (m, n), (m2, k) = a.shape[-2:], b.shape[-2:]
    if m is not None and m2 is not None and m != m2:
        raise LinAlgError("Incompatible dimensions")
    dtype = linalg_dtype(a, b)
    real = linalg_dtype(a, b, real=True)
    known = None not in (m, n)
    residuals = (k,) if known and m > n else (0,) if known else (None,)
    return (Aval(lead + (n, k), dtype), Aval(lead + residuals, real),
            Aval(lead, np.dtype(np.int32)), Aval(lead + (None if not known else min(m, n),), real))


def _lstsq_impl(a, b, rcond):
    if np.ndim(a) > 2:  # a stack: one numpy call per system, in order, results stacked
        parts = [_lstsq_impl(a[i], b[i], rcond) for i in np.ndindex(np.shape(a)[:-2])]
        lead = np.shape(a)[:-2]
        return tuple(np.stack([p[k] for p in parts]).reshape(lead + np.shape(parts[0][k]))
                     for k in range(4))
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
    real_only("lstsq", a, b)
    gx, gres, _, gs = g
    x = out[0]
    ga = gb = None

    def acc(total, term):
        return term if total is None else total + term

    if gx is not None:
        p = apply(_pinv, a, hermitian=False)
        ga = _pinv_grad(a, p, matmul(gx, mT(b)))
        gb = matmul(mT(p), gx)
    m, n = known_shape(a, "lstsq")
    if gres is not None and m > n:
        r = (b - matmul(a, x)) * gres * 2
        ga, gb = acc(ga, -matmul(r, mT(x))), acc(gb, r)
    if gs is not None:
        ga = acc(ga, svdvals_vjp(gs, a, out[3])[0])
    return ga, gb


def _lstsq_jvp(primals, tangents, rcond):
    a, b = primals
    ta, tb = tangents
    out = apply(_lstsq, a, b, rcond=rcond)
    if ta is None and tb is None:
        return out, None
    real_only("lstsq", a, b)
    x = out[0]
    p = apply(_pinv, a, hermitian=False)
    dx = dres = ds = None
    m, n = known_shape(a, "lstsq")
    if ta is not None:
        dx = matmul(_pinv_tangent(a, p, ta), b)
        dres_in = -matmul(ta, x)
        ds = svdvals_jvp((a,), (ta,))[1]
    if tb is not None:
        dx = matmul(p, tb) if dx is None else dx + matmul(p, tb)
        dres_in = tb if ta is None else dres_in + tb
    if m > n:
        dres = reduce_sum((b - matmul(a, x)) * dres_in, axis=0) * 2
    return out, (dx, dres, None, ds)


_lstsq = register(Op("lstsq", _lstsq_impl, _lstsq_abstract, vjp=_lstsq_vjp, jvp=_lstsq_jvp,
                     multiple_results=True, batch=batch_leading))


@dispatches(np.linalg.lstsq)
def lstsq(a, b, rcond=None):
    """`numpy.linalg.lstsq`: (x, residuals, rank, s) for a full-rank 2-D `a` (a
    rank-deficient one raises when the graph runs: numpy's residuals would be empty)."""
    if rcond is not None:
        rcond = float(rcond)
    vector = len(shape_of(b)) == 1
    b = expand_dims(b, -1) if vector else b
    for x in (a, b):
        if len(shape_of(x)) != 2:
            raise LinAlgError(
                f"{len(shape_of(x))}-dimensional array given. Array must be two-dimensional")
    x, residuals, rank, s = apply(_lstsq, a, b, rcond=rcond)
    return (squeeze(x, -1) if vector else x), residuals, rank, s
