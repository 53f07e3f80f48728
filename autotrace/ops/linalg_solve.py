"""numpy.linalg solvers and determinants: solve, inv, det, slogdet, and the forward-only
matrix_rank and cond.

Every op runs numpy's own function on stacks of matrices (`(..., m, n)`), so values,
dtypes and errors are numpy's: a singular matrix raises `numpy.linalg.LinAlgError` when
the graph runs; shape errors (not square, too few dimensions, mismatched sizes) are raised
when tracing, with numpy's type and message (rules shared in `linalg_common`).

Gradients (real inputs; complex ones refuse loudly) are the standard rules, written with
registry ops so they differentiate again: `solve`'s `gb = solve(a.T, g)`,
`ga = -gb x.T`; `inv`'s `-inv.T g inv.T`; `det`'s `det * inv(a).T` (so it raises
LinAlgError for a singular matrix); `slogdet`'s `inv(a).T` (sign has none). Each has
its own JVP rule.
"""

from __future__ import annotations

import numpy as np

from autotrace.errors import UnsupportedError, at_user_line
from autotrace.ops.linalg import matmul
from autotrace.ops.linalg_common import (
    batch_leading,
    linalg_dtype,
    mT,
    real_only,
    stacked_2d,
    stacked_square,
)
from autotrace.ops.reduce import sum as reduce_sum
from autotrace.ops.registry import Aval, Op, apply, dispatches, register
from autotrace.ops.shape import dtype_of, expand_dims, squeeze, unbroadcast
from autotrace.ops.shapes import broadcast_shapes, shape_of


# --- solve / inv ----------------------------------------------------------------------------
def _solve_abstract(a: Aval, b: Aval) -> Aval:
    stacked_square(a)
    dtype = linalg_dtype(a, b)
    m, k = a.shape[-1], b.shape[-2]
    if m is not None and k is not None and m != k:
        raise ValueError(
            "solve: Input operand 1 has a mismatch in its core dimension 0, with gufunc "
            f"signature (m,m),(m,n)->(m,n) (size {k} is different from {m})")
    return Aval(broadcast_shapes(a.shape[:-2], b.shape[:-2]) + b.shape[-2:], dtype)


def _solve_vjp(g, a, b, out):
    real_only("solve", a, b)
    gb = solve_matrix(mT(a), g)
    ga = -matmul(gb, mT(out))
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
        stacked_square(Aval(shape_of(a), dtype_of(a)))
        raise ValueError("solve: Input operand 1 does not have enough dimensions (has 0, "
                         "gufunc core with signature (m,m),(m,n)->(m,n) requires 2)")
    return solve_matrix(a, b)


def _inv_abstract(a: Aval) -> Aval:
    stacked_square(a)
    return Aval(a.shape, linalg_dtype(a))


def _inv_vjp(g, a, out):
    real_only("inv", a)
    return (-matmul(mT(out), matmul(g, mT(out))),)


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


def solve_right(x, a):
    """`x @ inv(a)` as a solve."""
    return mT(solve_matrix(mT(a), mT(x)))



# --- det / slogdet --------------------------------------------------------------------------
def _det_abstract(a: Aval) -> Aval:
    stacked_square(a)
    return Aval(a.shape[:-2], linalg_dtype(a))


def _trace_product(x, t):
    """trace(x @ t) over the last two axes."""
    return reduce_sum(mT(x) * t, axis=(-2, -1))


def _det_vjp(g, a, out):
    real_only("det", a)
    return (expand_dims(g * out, (-2, -1)) * mT(inv(a)),)


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
    stacked_square(a)
    dtype = linalg_dtype(a)
    return Aval(a.shape[:-2], dtype), Aval(a.shape[:-2], linalg_dtype(a, real=True))


def _slogdet_vjp(g, a, out):
    real_only("slogdet", a)
    if g[1] is None:
        return (None,)
    return (expand_dims(g[1], (-2, -1)) * mT(inv(a)),)


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


# --- matrix_rank / cond: forward only -------------------------------------------------------
def _rank_abstract(a: Aval, **params) -> Aval:
    stacked_2d(a)
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
    stacked_2d(x)
    if p not in (None, 2, -2):
        stacked_square(x)
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
