"""Elementwise ops: numpy ufuncs (unary, binary with broadcasting), `where`, `clip`, `round`.

Each op is one `ufunc_op(...)` line: the ufunc is the numpy impl, the shape/dtype rule is
derived from the ufunc itself (`resolve_dtypes`, so numpy 2 / NEP 50 promotion is exact
without running a kernel), and the VJP is written with registry ops. Gradients at kinks
follow common numpy-world conventions: `abs'(0) = 0`, ties of `maximum`/`minimum` split the
gradient evenly, `sqrt'(0) = inf`.
"""

from __future__ import annotations

import math
import operator

import numpy as np

from autotrace.ops import rules
from autotrace.ops.registry import Aval, Op, apply, dispatches, register
from autotrace.ops.shapes import broadcast_shapes


def _ufunc_abstract(ufunc: np.ufunc):
    def abstract(*avals: Aval) -> Aval:
        # numpy resolves the loop before broadcasting: a dtype error wins over a shape error
        dtypes = ufunc.resolve_dtypes(tuple(a.ufunc_arg for a in avals) + (None,))
        return Aval(broadcast_shapes(*(a.shape for a in avals)), dtypes[-1])

    return abstract


def ufunc_op(ufunc: np.ufunc, name: str, vjp=None):
    """Register `ufunc` as op `name`; return its numpy-signature front end. The JVP of a
    differentiable one is derived from `vjp` (`rules.elementwise`: the Jacobian is
    diagonal)."""
    op = register(
        Op(name, ufunc, _ufunc_abstract(ufunc), vjp=vjp, differentiable=vjp is not None)
    )
    if vjp is not None:
        rules.elementwise(op)

    def frontend(*args, **kwargs):
        _reject_ufunc_kwargs(ufunc, kwargs)
        if len(args) != ufunc.nin:
            raise TypeError(f"{ufunc.__name__}() takes {ufunc.nin} arguments ({len(args)} given)")
        return apply(op, *args)

    frontend.__name__ = frontend.__qualname__ = ufunc.__name__
    frontend.__doc__ = f"`numpy.{ufunc.__name__}` as a graph op (`{name}`)."
    frontend.op = op
    return dispatches(ufunc)(frontend)


def _reject_ufunc_kwargs(ufunc, kwargs):
    extra = {k: v for k, v in kwargs.items() if v is not None}
    if extra:
        raise NotImplementedError(
            f"numpy.{ufunc.__name__}(..., {', '.join(extra)}=...) is not supported on traced "
            "values; call it without those arguments (autotrace ops always allocate a "
            "new result)."
        )


# --- unary -----------------------------------------------------------------------------
negative = ufunc_op(np.negative, "neg", lambda g, x, y: (-g,))
positive = ufunc_op(np.positive, "pos", lambda g, x, y: (g,))
def _abs_vjp(g, x, y):
    """sign(x); for complex x, conj(x) / |x| (0 at 0; JAX's convention, ops/complex.py),
    written with x itself so that higher derivatives see it vary."""
    if np.dtype(getattr(x, "dtype", None) or np.result_type(x)).kind == "c":
        return (g * np.conjugate(x) / where(y == 0, 1, y),)
    return (g * sign(x),)


absolute = ufunc_op(np.absolute, "abs", _abs_vjp)
sign = ufunc_op(np.sign, "sign")
exp = ufunc_op(np.exp, "exp", lambda g, x, y: (g * y,))
exp2 = ufunc_op(np.exp2, "exp2", lambda g, x, y: (g * y * math.log(2.0),))
expm1 = ufunc_op(np.expm1, "expm1", lambda g, x, y: (g * (y + 1),))
log = ufunc_op(np.log, "log", lambda g, x, y: (g / x,))
log1p = ufunc_op(np.log1p, "log1p", lambda g, x, y: (g / (x + 1),))
log2 = ufunc_op(np.log2, "log2", lambda g, x, y: (g / (x * math.log(2.0)),))
log10 = ufunc_op(np.log10, "log10", lambda g, x, y: (g / (x * math.log(10.0)),))
sqrt = ufunc_op(np.sqrt, "sqrt", lambda g, x, y: (g / (y * 2),))
cbrt = ufunc_op(np.cbrt, "cbrt", lambda g, x, y: (g / (square(y) * 3),))
square = ufunc_op(np.square, "square", lambda g, x, y: (g * x * 2,))
reciprocal = ufunc_op(np.reciprocal, "reciprocal", lambda g, x, y: (-g * y * y,))
sin = ufunc_op(np.sin, "sin", lambda g, x, y: (g * cos(x),))
cos = ufunc_op(np.cos, "cos", lambda g, x, y: (-g * sin(x),))
tan = ufunc_op(np.tan, "tan", lambda g, x, y: (g * (y * y + 1),))
arcsin = ufunc_op(np.arcsin, "arcsin", lambda g, x, y: (g / sqrt(1 - x * x),))
arccos = ufunc_op(np.arccos, "arccos", lambda g, x, y: (-g / sqrt(1 - x * x),))
arctan = ufunc_op(np.arctan, "arctan", lambda g, x, y: (g / (x * x + 1),))
sinh = ufunc_op(np.sinh, "sinh", lambda g, x, y: (g * cosh(x),))
cosh = ufunc_op(np.cosh, "cosh", lambda g, x, y: (g * sinh(x),))
tanh = ufunc_op(np.tanh, "tanh", lambda g, x, y: (g * (1 - y * y),))
arcsinh = ufunc_op(np.arcsinh, "arcsinh", lambda g, x, y: (g / sqrt(x * x + 1),))
arccosh = ufunc_op(np.arccosh, "arccosh", lambda g, x, y: (g / sqrt(x * x - 1),))
arctanh = ufunc_op(np.arctanh, "arctanh", lambda g, x, y: (g / (1 - x * x),))
floor = ufunc_op(np.floor, "floor")
ceil = ufunc_op(np.ceil, "ceil")
trunc = ufunc_op(np.trunc, "trunc")
rint = ufunc_op(np.rint, "rint")
isnan = ufunc_op(np.isnan, "isnan")
isinf = ufunc_op(np.isinf, "isinf")
isfinite = ufunc_op(np.isfinite, "isfinite")
logical_not = ufunc_op(np.logical_not, "logical_not")
invert = ufunc_op(np.invert, "invert")

# --- binary (broadcasting is undone centrally by the backprop engine) --------------------
add = ufunc_op(np.add, "add", lambda g, x, y, z: (g, g))
subtract = ufunc_op(np.subtract, "sub", lambda g, x, y, z: (g, -g))
multiply = ufunc_op(np.multiply, "mul", lambda g, x, y, z: (g * y, g * x))
true_divide = ufunc_op(np.true_divide, "div", lambda g, x, y, z: (g / y, -g * z / y))
floor_divide = ufunc_op(np.floor_divide, "floordiv")
remainder = ufunc_op(np.remainder, "mod", lambda g, x, y, z: (g, -g * floor_divide(x, y)))
def _pow_vjp(g, x, y, z):
    """d(x**y) = y x**(y-1) dx + x**y log(x) dy. Python-number operands stay Python numbers
    (an array of them would turn float32 gradients into float64); log(x) is taken as 0
    where x <= 0, where the y-gradient only exists at integer exponents anyway."""
    python = (bool, int, float)
    exponent = (y - 1 if y != 0 else 1) if type(y) in python else where(y == 0, 1, y - 1)
    log_x = (math.log(x) if x > 0 else 0.0) if type(x) in python else log(where(x > 0, x, 1))
    return g * y * power(x, exponent), g * z * log_x


power = ufunc_op(np.power, "pow", _pow_vjp)


def _select_vjp(wins):
    """VJP of maximum/minimum: the winner takes the gradient, ties split it evenly (the
    weights are built from `g`, so float32 stays float32)."""

    def vjp(g, x, y, z):
        tie = x == y
        half = g * 0.5
        return (where(wins(x, y), g, where(tie, half, 0)),
                where(wins(y, x), g, where(tie, half, 0)))

    return vjp


maximum = ufunc_op(np.maximum, "maximum", _select_vjp(lambda a, b: a > b))
minimum = ufunc_op(np.minimum, "minimum", _select_vjp(lambda a, b: a < b))
arctan2 = ufunc_op(
    np.arctan2, "arctan2", lambda g, y, x, z: (g * x / (x * x + y * y), -g * y / (x * x + y * y))
)
hypot = ufunc_op(np.hypot, "hypot", lambda g, x, y, z: (g * x / z, g * y / z))
equal = ufunc_op(np.equal, "eq")
not_equal = ufunc_op(np.not_equal, "ne")
less = ufunc_op(np.less, "lt")
less_equal = ufunc_op(np.less_equal, "le")
greater = ufunc_op(np.greater, "gt")
greater_equal = ufunc_op(np.greater_equal, "ge")
logical_and = ufunc_op(np.logical_and, "logical_and")
logical_or = ufunc_op(np.logical_or, "logical_or")
logical_xor = ufunc_op(np.logical_xor, "logical_xor")
bitwise_and = ufunc_op(np.bitwise_and, "bitand")
bitwise_or = ufunc_op(np.bitwise_or, "bitor")
bitwise_xor = ufunc_op(np.bitwise_xor, "bitxor")
left_shift = ufunc_op(np.left_shift, "lshift")
right_shift = ufunc_op(np.right_shift, "rshift")

divide = true_divide
mod = remainder
abs = absolute  # noqa: A001 - numpy's name


# --- where / clip / round ----------------------------------------------------------------
def _where_abstract(c: Aval, x: Aval, y: Aval) -> Aval:
    shape = broadcast_shapes(c.shape, x.shape, y.shape)
    return Aval(shape, np.result_type(x.promote_arg, y.promote_arg))


_where = register(
    Op(
        "where",
        np.where,
        _where_abstract,
        vjp=lambda g, c, x, y, z: (None, where(c, g, 0), where(c, 0, g)),
    )
)
rules.elementwise(_where)


@dispatches(np.where)
def where(condition, x=None, y=None):
    """`numpy.where(condition, x, y)`; `numpy.where(condition)` is `nonzero(condition)`."""
    if (x is None) != (y is None):
        raise ValueError("either both or neither of x and y should be given")
    if x is None:
        # lazy import: index finding (ops/finding.py) is built on this module
        from autotrace.ops.finding import nonzero

        return nonzero(condition)
    return apply(_where, condition, x, y)


def _clip_abstract(x: Aval, lo: Aval, hi: Aval) -> Aval:
    shape = broadcast_shapes(x.shape, lo.shape, hi.shape)
    return Aval(shape, np.result_type(x.promote_arg, lo.promote_arg, hi.promote_arg))


def _clip_vjp(g, x, lo, hi, z):
    inside = logical_and(x >= lo, x <= hi)
    return where(inside, g, 0), where(x < lo, g, 0), where(x > hi, g, 0)


_clip = register(Op("clip", np.clip, _clip_abstract, vjp=_clip_vjp))
rules.elementwise(_clip)


@dispatches(np.clip)
def clip(a, a_min=None, a_max=None, out=None, *, min=None, max=None, **kwargs):  # noqa: A002
    """`numpy.clip` / `x.clip`, computed the way numpy does it.

    A `None` bound is not applied, and a Python int bound beyond the range of an integer
    `a` is dropped (NEP 50), so the result is `positive(a)`, `maximum(a, lo)`,
    `minimum(a, hi)` or the `clip` op, with exactly numpy's dtype. A missing `a_max` is
    taken as None (the method form `x.clip(0)`).
    """
    _reject_ufunc_kwargs(np.clip, dict(kwargs, out=out))
    if min is not None or max is not None:
        if a_min is not None or a_max is not None:
            raise ValueError("Passing `min` or `max` keyword argument when `a_min` and "
                             "`a_max` are provided is forbidden.")
        a_min, a_max = min, max
    dtype = _dtype_of(a)
    lo, hi = _reachable(a_min, dtype, low=True), _reachable(a_max, dtype, low=False)
    if lo is None and hi is None:
        return positive(a)
    if lo is None:
        return minimum(a, hi)
    if hi is None:
        return maximum(a, lo)
    return apply(_clip, a, lo, hi)


def _dtype_of(a) -> np.dtype:
    dtype = getattr(a, "dtype", None)
    return np.dtype(dtype) if dtype is not None else np.asarray(a).dtype


def _reachable(bound, dtype: np.dtype, low: bool):
    """`bound`, or None when it is a Python int no value of integer `dtype` gets past."""
    if type(bound) is not int or dtype.kind not in "iu":
        return bound
    info = np.iinfo(dtype)
    return None if (bound <= info.min if low else bound >= info.max) else bound


def _round_abstract(x: Aval, decimals: int = 0) -> Aval:
    """Integers round to themselves; bool rounds with `rint` (-> float16) and takes no
    `decimals` (numpy's `multiply` cannot cast back to bool: same error here)."""
    if x.dtype.kind in "iu":
        return Aval(x.shape, x.dtype)
    if decimals and x.dtype.kind == "b":
        np.multiply.resolve_dtypes((x.dtype, float, x.dtype), casting="same_kind")
    return Aval(x.shape, np.rint.resolve_dtypes((x.ufunc_arg, None))[-1])


_round = register(
    Op("round", lambda x, decimals=0: np.round(x, decimals), _round_abstract,
       differentiable=False,
       batch=lambda trace, op, values, dims, params: (apply(op, values[0], **params), 0))
)  # elementwise with one input: the stacked examples rounded at once


@dispatches(np.round, np.around)
def round(a, decimals=0, out=None):  # noqa: A001 - numpy's name
    """`numpy.round` (half to even)."""
    if out is not None:
        raise NotImplementedError("numpy.round(..., out=...) is not supported on traced values")
    return apply(_round, a, decimals=operator.index(decimals))
