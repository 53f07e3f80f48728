"""The rest of numpy's ufuncs: `logaddexp`, `copysign`, `fmax`, `fmod`, `gcd`, `ldexp`,
`float_power`, the angle conversions, the float-bit ufuncs (`signbit`, `spacing`,
`nextafter`), the ufuncs with two results (`divmod`, `frexp`, `modf`) and `np.conjugate`.

Single-result ufuncs are one `ufunc_op(...)` line each (numpy impl, dtype rule from
`ufunc.resolve_dtypes`, VJP; the JVP derived from the VJP, batching found automatically as
for every ufunc op). Two-result ufuncs are one `_two_results(...)` block: their batching
rule is the elementwise one, returning both results batched along axis 0.

Gradient conventions: `copysign` passes `g * ±1` to `x` and nothing to the sign source;
`heaviside` gives `x1` no gradient (piecewise constant) and `x2` the gradient where
`x1 == 0`; `fmax`/`fmin` route the gradient to the operand they return (the non-NaN one),
ties split evenly; `fmod`'s divisor gets `-g * trunc(x / y)`.
"""

from __future__ import annotations

import math

import numpy as np

from autotrace.ops.elementwise import (
    _reject_ufunc_kwargs,
    exp,
    exp2,
    floor_divide,
    isnan,
    log,
    logical_and,
    logical_not,
    logical_or,
    not_equal,
    sign,
    trunc,
    ufunc_op,
    where,
)
from autotrace.ops.index import getitem
from autotrace.ops.registry import Aval, Op, apply, dispatches, register
from autotrace.ops.shape import astype, conj, dtype_of, expand_dims
from autotrace.ops.shapes import broadcast_shapes, shape_of


def _nan_select_vjp(wins):
    """VJP of fmax/fmin: the returned operand (the larger/smaller, or the non-NaN one)
    takes the gradient; ties split it evenly."""

    def vjp(g, x, y, z):
        x_wins = logical_or(wins(x, y), logical_and(isnan(y), logical_not(isnan(x))))
        y_wins = logical_or(wins(y, x), logical_and(isnan(x), logical_not(isnan(y))))
        tie = x == y
        half = g * 0.5
        return (where(x_wins, g, where(tie, half, 0)), where(y_wins, g, where(tie, half, 0)))

    return vjp


def _float_power_vjp(g, x, y, z):
    """float_power computes in float64: the cotangents are cast back to each input's
    float dtype (float32 stays float32)."""
    exponent = where(y == 0, 1, y - 1)
    gx = g * y * float_power(x, exponent)
    gy = g * z * log(where(x > 0, x, 1))
    return (_like(gx, x), _like(gy, y))


def _like(g, x):
    dtype = dtype_of(x)
    return astype(g, dtype, copy=False) if dtype.kind in "fc" else g


def _copysign_vjp(g, x, y, z):
    return (where(not_equal(signbit(x), signbit(y)), -g, g), None)


# --- single result --------------------------------------------------------------------------
logaddexp = ufunc_op(np.logaddexp, "logaddexp",
                     lambda g, x, y, z: (g * exp(x - z), g * exp(y - z)))
logaddexp2 = ufunc_op(np.logaddexp2, "logaddexp2",
                      lambda g, x, y, z: (g * exp2(x - z), g * exp2(y - z)))
copysign = ufunc_op(np.copysign, "copysign", _copysign_vjp)
heaviside = ufunc_op(np.heaviside, "heaviside",
                     lambda g, x1, x2, z: (None, _like(where(x1 == 0, g, 0), x2)))
fmax = ufunc_op(np.fmax, "fmax", _nan_select_vjp(lambda a, b: a > b))
fmin = ufunc_op(np.fmin, "fmin", _nan_select_vjp(lambda a, b: a < b))
fmod = ufunc_op(np.fmod, "fmod", lambda g, x, y, z: (g, -g * trunc(x / y)))
float_power = ufunc_op(np.float_power, "float_power", _float_power_vjp)
ldexp = ufunc_op(np.ldexp, "ldexp", lambda g, x1, x2, z: (ldexp(g, x2), None))
deg2rad = ufunc_op(np.deg2rad, "deg2rad", lambda g, x, y: (g * (math.pi / 180),))
rad2deg = ufunc_op(np.rad2deg, "rad2deg", lambda g, x, y: (g * (180 / math.pi),))
radians = ufunc_op(np.radians, "radians", lambda g, x, y: (g * (math.pi / 180),))
degrees = ufunc_op(np.degrees, "degrees", lambda g, x, y: (g * (180 / math.pi),))
fabs = ufunc_op(np.fabs, "fabs", lambda g, x, y: (g * sign(x),))
gcd = ufunc_op(np.gcd, "gcd")
lcm = ufunc_op(np.lcm, "lcm")
signbit = ufunc_op(np.signbit, "signbit")
spacing = ufunc_op(np.spacing, "spacing")
nextafter = ufunc_op(np.nextafter, "nextafter")


@dispatches(np.isnat)
def isnat(x, out=None, **kwargs):
    """`numpy.isnat`: traced values are never datetimes, so numpy's TypeError."""
    raise TypeError("ufunc 'isnat' is only defined for np.datetime64 and np.timedelta64.")

bitwise_count = ufunc_op(np.bitwise_count, "bitwise_count")


# --- two results ----------------------------------------------------------------------------
def elementwise_batch(trace, op, values, dims, params):
    """Batching rule of an elementwise op whose impl is not a bare ufunc (batch axes at 0):
    per-example ranks aligned by inserting axes after the batch axis, so broadcasting
    pairs examples with examples; every result is batched along axis 0."""
    ranks = [len(shape_of(x)) - (d is not None) for x, d in zip(values, dims)]
    top = max(ranks)
    aligned = [expand_dims(x, tuple(range(1, 1 + top - r))) if d is not None and r < top else x
               for x, d, r in zip(values, dims, ranks)]
    out = apply(op, *aligned, **params)
    return out, ((0,) * len(out) if op.multiple_results else 0)


def _two_results(ufunc: np.ufunc, name: str, vjp, tangent):
    """Register two-result `ufunc` as op `name` (results as a tuple); return its front end.
    `tangent(tangents, *inputs, out)` gives the results' tangents (the JVP)."""

    def two(*avals):
        # numpy resolves the loop before broadcasting: a dtype error wins over a shape error
        dtypes = ufunc.resolve_dtypes(tuple(a.ufunc_arg for a in avals) + (None, None))
        shape = broadcast_shapes(*(a.shape for a in avals))
        return tuple(Aval(shape, d) for d in dtypes[ufunc.nin:])

    # a plain function as impl: the results are numpy values, never weak Python scalars
    def jvp(primals, tangents):
        out = apply(op, *primals)
        if all(t is None for t in tangents):
            return out, (None, None)
        return out, tangent(tangents, *primals, out)

    op = register(Op(name, lambda *xs: ufunc(*xs), two, vjp=vjp, multiple_results=True,
                     batch=elementwise_batch, jvp=jvp))

    def frontend(*args, out=None, **kwargs):
        _reject_ufunc_kwargs(ufunc, dict(kwargs, out=out))
        if len(args) != ufunc.nin:
            raise TypeError(f"{ufunc.__name__}() takes {ufunc.nin} arguments ({len(args)} given)")
        return apply(op, *args)

    frontend.__name__ = frontend.__qualname__ = ufunc.__name__
    frontend.__doc__ = f"`numpy.{ufunc.__name__}` as a graph op (`{name}`), two results."
    frontend.op = op
    return dispatches(ufunc)(frontend)


def _divmod_vjp(ct, x, y, out):
    g = ct[1]
    if g is None:
        return (None, None)
    return (g, -g * floor_divide(x, y))


def _frexp_vjp(ct, x, out):
    """x = m * 2**e with e piecewise constant: dm/dx = 2**-e."""
    g = ct[0]
    return (None,) if g is None else (ldexp(g, -out[1]),)


def _modf_vjp(ct, x, out):
    """The fractional part moves with x (slope 1), the integral part is piecewise constant."""
    return (ct[0],)


def _divmod_tangent(tangents, x, y, out):
    tx, ty = tangents
    t = tx if ty is None else (-ty * out[0] if tx is None else tx - ty * out[0])
    return (None, t)


divmod_ = _two_results(np.divmod, "divmod", _divmod_vjp, _divmod_tangent)
frexp = _two_results(np.frexp, "frexp", _frexp_vjp,
                     lambda tangents, x, out: (ldexp(tangents[0], -out[1]), None))
modf = _two_results(np.modf, "modf", _modf_vjp, lambda tangents, x, out: (tangents[0], None))


@dispatches(np.conjugate)
def conjugate(x, out=None, **kwargs):
    """`numpy.conjugate` (the ufunc behind `np.conj`): the `conj` op for complex values."""
    _reject_ufunc_kwargs(np.conjugate, dict(kwargs, out=out))
    dtype = dtype_of(x)
    target = np.conjugate.resolve_dtypes((dtype, None))[-1]  # bool -> int8, as numpy
    out = conj(x) if target == dtype else astype(x, target)
    return getitem(out, ()) if target.kind != "c" and shape_of(out) == () else out

