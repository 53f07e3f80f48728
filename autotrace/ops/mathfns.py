"""numpy's math functions that are not ufuncs: `sinc`, `i0`, `nan_to_num`, `isposinf`,
`isneginf`, `fix`, and the vector-product gufuncs `matvec`, `vecmat` (`vecdot` is in
ops/linalg_compose.py).

Most are front ends over registry ops that compute what numpy's own Python code computes
(same values and dtypes), so their gradients, JVPs and batching come from those ops.
`i0` is an op (numpy's impl) whose derivative is the modified Bessel function `I1`, an
internal op `bessel_i` (`I_n` for n >= 1, computed by the trapezoidal rule on
`I_n(x) = (1/pi) int_0^pi exp(x cos t) cos(n t) dt`, which converges geometrically for this
periodic integrand); `I_n' = (I_{n-1} + I_{n+1}) / 2` gives every order of derivative.
"""

from __future__ import annotations

import math

import numpy as np

from autotrace.ops import rules
from autotrace.ops.elementwise import (
    _reject_ufunc_kwargs,
    ceil,
    floor,
    isinf,
    isnan,
    logical_and,
    logical_not,
    sin,
    where,
)
from autotrace.ops.index import getitem
from autotrace.ops.linalg import matmul
from autotrace.ops.registry import Aval, Op, apply, dispatches, register
from autotrace.ops.shape import conj, dtype_of, expand_dims
from autotrace.ops.shapes import shape_of
from autotrace.ops.ufuncs import elementwise_batch, signbit


# --- sinc -----------------------------------------------------------------------------------
def numpy_scalar(r):
    """`r[()]` for a 0-d result: a numpy scalar at run time, as numpy's Python-level
    functions return (`x[()] if x.ndim == 0`)."""
    return getitem(r, ()) if len(shape_of(r)) == 0 else r


# numpy >= 2.2 replaces 0 by the dtype's eps (float16 gives 1 at 0); older numpy by 1e-20
# (which float16 rounds to 0: NaN at 0). Follow the installed numpy.
with np.errstate(all="ignore"):
    _SINC_EPS = bool(np.sinc(np.zeros(1, np.float16))[0] == 1)


@dispatches(np.sinc)
def sinc(x):
    """`numpy.sinc`: sin(pi x) / (pi x), 1 at 0: the installed numpy's own expression,
    plus a term that is 0 everywhere (values stay numpy's exactly) but carries the Taylor
    polynomial's derivatives at exactly 0 (sinc'(0) = 0, sinc''(0) = -pi**2/3, right to
    order 4)."""
    px = math.pi * x
    if _SINC_EPS:
        dtype = dtype_of(px)
        y = where(px != 0, px, float(np.finfo(dtype).eps) if dtype.kind == "f" else 1e-20)
    else:
        y = math.pi * where(x == 0, 1.0e-20, x)
    p2 = px * px
    return sin(y) / y + where(x == 0, p2 * p2 / 120 - p2 / 6, 0)


# --- i0 and its derivatives -----------------------------------------------------------------
def _bessel_abstract(x: Aval, **params) -> Aval:
    if x.dtype.kind == "c":
        raise TypeError("i0 not supported for complex values")
    return Aval(x.shape, x.dtype if x.dtype.kind == "f" else np.dtype(np.float64))


def _bessel_impl(x, n):
    """I_n(x) for integer n >= 1: the N-point trapezoidal rule over a full period, with N
    well past |x| (the rule's error is about I_{N-n}(x) / I_n(x))."""
    x = np.asarray(x)
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
    xf = x.astype(np.float64)
    top = float(np.max(np.abs(xf))) if xf.size else 0.0
    if not math.isfinite(top):
        top = 0.0
    count = 64 + 2 * n + int(2 * top)
    total = np.zeros(xf.shape)
    for k in range(count):
        t = 2 * math.pi * k / count
        total += np.exp(xf * math.cos(t)) * math.cos(n * t)
    return (total / count).astype(dtype)


def _bessel_vjp(g, x, out, n):
    below = apply(_i0, x) if n == 1 else apply(_bessel_i, x, n=n - 1)
    return (g * (below + apply(_bessel_i, x, n=n + 1)) * 0.5,)


_bessel_i = register(Op("bessel_i", _bessel_impl, _bessel_abstract, vjp=_bessel_vjp,
                        batch=elementwise_batch))
rules.elementwise(_bessel_i)
_i0 = register(Op("i0", lambda x: np.i0(x), _bessel_abstract,
                  vjp=lambda g, x, out: (g * apply(_bessel_i, x, n=1),), batch=elementwise_batch))
rules.elementwise(_i0)


@dispatches(np.i0)
def i0(x):
    """`numpy.i0`, the modified Bessel function of the first kind, order 0."""
    return apply(_i0, x)


# --- nan_to_num, isposinf, isneginf, fix ----------------------------------------------------
@dispatches(np.nan_to_num)
def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """`numpy.nan_to_num`: NaN -> `nan`, +inf -> `posinf` (default: the dtype's largest
    finite value), -inf -> `neginf`; integers and bools unchanged. The gradient flows
    through the finite entries only. Complex values: real and imaginary parts separately."""
    dtype = dtype_of(x)
    if dtype.kind == "c":
        # lazy import: complex parts live in the complex family, which imports this one
        from autotrace.ops.complex import imag, make_complex, real

        parts = (nan_to_num(part, copy, nan, posinf, neginf) for part in (real(x), imag(x)))
        return numpy_scalar(make_complex(*parts))
    if dtype.kind != "f":
        return numpy_scalar(x)
    info = np.finfo(dtype)
    posinf = float(info.max) if posinf is None else posinf
    neginf = float(info.min) if neginf is None else neginf
    cleaned = where(isnan(x), nan, x)
    cleaned = where(logical_and(isinf(x), x > 0), posinf, cleaned)
    return numpy_scalar(where(logical_and(isinf(x), x < 0), neginf, cleaned))


def _reject_complex(x):
    if dtype_of(x).kind == "c":
        raise TypeError("This operation is not supported for complex values because it "
                        "would be ambiguous.")


@dispatches(np.isposinf)
def isposinf(x, out=None):
    """`numpy.isposinf` (complex values: numpy's TypeError)."""
    _reject_complex(x)
    return logical_and(isinf(x), logical_not(signbit(x)))


@dispatches(np.isneginf)
def isneginf(x, out=None):
    """`numpy.isneginf` (complex values: numpy's TypeError)."""
    _reject_complex(x)
    return logical_and(isinf(x), signbit(x))


@dispatches(np.fix)
def fix(x, out=None):
    """`numpy.fix`: round towards zero, numpy's dtype (ints and bools unchanged)."""
    return numpy_scalar(where(x >= 0, floor(x), ceil(x)))


# --- vector products (numpy >= 2.0 gufuncs) -------------------------------------------------
def _vector_axis(axis, kwargs):
    _reject_ufunc_kwargs(np.matmul, kwargs)
    if axis != -1:
        raise NotImplementedError(
            "numpy.matvec/vecmat with an axis other than -1 are not supported on "
            "traced values; move the axis last with numpy.moveaxis first.")


def matvec(x1, x2, /, **kwargs):
    """`numpy.matvec`: matrix times vector over the last axes, broadcast over the rest."""
    _vector_axis(kwargs.pop("axis", -1), kwargs)
    return numpy_scalar(getitem(matmul(x1, expand_dims(x2, -1)), (Ellipsis, 0)))


def vecmat(x1, x2, /, **kwargs):
    """`numpy.vecmat`: conj(vector) times matrix over the last axes."""
    _vector_axis(kwargs.pop("axis", -1), kwargs)
    return getitem(matmul(expand_dims(conj(x1), -2), x2), (Ellipsis, 0, slice(None)))


# numpy >= 2.2 only: listed in docs/ops.md whatever numpy generates it
NEWER_NUMPY = ("numpy.matvec", "numpy.vecmat")
for _name, _fn in [("matvec", matvec), ("vecmat", vecmat)]:  # vecdot: ops/linalg_compose
    if hasattr(np, _name):
        dispatches(getattr(np, _name))(_fn)
