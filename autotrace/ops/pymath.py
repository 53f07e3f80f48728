"""`math` functions of traced values: the op `math` calls the `math` function itself at
run time, so a graph gives what plain Python gives: a Python float, and math's own errors
(`math.sqrt(-1.0)` raises "math domain error", where numpy would return nan). Its gradient
is that of the function's numpy twin (`TWINS`).

`math.exp(x)` becomes the op when `x` is a traced real 0-d value; anything else is the
plain call (a traced array of another shape meets `float(x)`'s clear TracingError).
"""

from __future__ import annotations

import math

import numpy as np

from autotrace.core import Tracer
from autotrace.ops import rules
from autotrace.ops.registry import UFUNC_DISPATCH, Aval, Op, apply, register
from autotrace.ops.shape import astype, dtype_of

_F64 = np.dtype(np.float64)

TWINS = {
    math.exp: np.exp, math.expm1: np.expm1, math.log: np.log, math.log1p: np.log1p,
    math.log2: np.log2, math.log10: np.log10, math.sqrt: np.sqrt, math.fabs: np.absolute,
    math.sin: np.sin, math.cos: np.cos, math.tan: np.tan, math.asin: np.arcsin,
    math.acos: np.arccos, math.atan: np.arctan, math.sinh: np.sinh, math.cosh: np.cosh,
    math.tanh: np.tanh, math.asinh: np.arcsinh, math.acosh: np.arccosh,
    math.atanh: np.arctanh,
}  # fmt: skip


def _vjp(g, x, out, fn):
    (dx,) = UFUNC_DISPATCH[TWINS[fn]].op.vjp(g, x, out)
    return (astype(dx, dtype_of(x), copy=False),)  # the input's dtype, not the float's


math_op = register(Op(
    "math", lambda x, fn: np.float64(fn(x)),  # a weak output: the code calls .item()
    lambda x, fn: Aval((), _F64, float), vjp=_vjp,
))
rules.elementwise(math_op)


def math_call(fn, *args):
    """`fn(*args)` for a function in `TWINS`: the `math` op when the one argument is a
    traced real 0-d value (cast to float64 first, as `math` converts to a C double)."""
    x = args[0] if len(args) == 1 else None
    if isinstance(x, Tracer) and x._symbolic and x.shape == () and x.dtype.kind in "biuf":
        return apply(math_op, x if x.symbol.dtype == _F64 else astype(x, _F64), fn=fn)
    return fn(*args)
