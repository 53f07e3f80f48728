"""Comparison and selection composed from registry ops: isclose, allclose, array_equal,
array_equiv, select, piecewise.

Each follows numpy's own definition (the same casts, so the same dtypes and values).
numpy returns a Python bool from `allclose` / `array_equal` / `array_equiv`; traced, the
result is a 0-d value that becomes a Python bool at run time (`python_scalar`), so an `if`
on it becomes graph control flow. `piecewise` calls each function on `x[cond]` (exactly
the elements numpy passes) and scatters the results back, so functions need not be
elementwise and gradients flow through them; a graph calls them also when `cond` selects
nothing (numpy skips the call then).
"""

from __future__ import annotations

import numpy as np

from autotrace.core import Tracer
from autotrace.ops.creation import zeros_like
from autotrace.ops.elementwise import (
    absolute,
    equal,
    isfinite,
    isnan,
    less_equal,
    logical_and,
    logical_not,
    logical_or,
    where,
)
from autotrace.ops.index import getitem, index_add_into, normalize_key
from autotrace.ops.join import stack
from autotrace.ops.reduce import all as reduce_all
from autotrace.ops.reduce import any as reduce_any
from autotrace.ops.registry import dispatches
from autotrace.ops.shape import astype, broadcast_like, dtype_of, python_scalar
from autotrace.ops.shapes import broadcast_shapes, shape_of


def _array(x):
    return x if isinstance(x, Tracer) else np.asanyarray(x)


def _promote_arg(x):
    """`x` for `np.result_type`: Python numbers (and traced ones) stay weak (NEP 50)."""
    if type(x) in (int, float, complex):
        return x
    weak = getattr(getattr(x, "symbol", None), "weak", None)
    return weak(0) if weak in (int, float, complex) else np.zeros((), dtype_of(x))


# --- closeness and equality ---------------------------------------------------------------
@dispatches(np.isclose)
def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """`numpy.isclose`: `|a - b| <= atol + rtol * |b|` (b made inexact first), elementwise."""
    x, y = (v if isinstance(v, (int, float, complex)) else _array(v) for v in (a, b))
    if not isinstance(y, (int, float, complex)):
        y = astype(y, np.result_type(_weak_probe(y), 1.0), copy=False)
    elif isinstance(y, int):
        y = float(y)
    if not isinstance(atol, Tracer) and not isinstance(rtol, Tracer) and not (
            np.all(np.isfinite(atol)) and np.all(np.isfinite(rtol))):
        np.isclose(0.0, 0.0, rtol=rtol, atol=atol)  # numpy's warning or error for them
    # numpy silences `inf - inf` and `0 * inf`; the graph cannot, so a non-finite `y` (whose
    # term is False anyway) is replaced by 0 in it
    finite = isfinite(y)
    y_finite = where(finite, y, 0) if isinstance(finite, Tracer) or not np.all(finite) else y
    close = logical_and(less_equal(absolute(x - y_finite), atol + rtol * absolute(y_finite)),
                        finite)
    result = logical_or(close, equal(x, y))
    if equal_nan:
        result = logical_or(result, logical_and(isnan(x), isnan(y)))
    return result


def _weak_probe(x):
    return np.zeros((), dtype_of(x))


@dispatches(np.allclose)
def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """`numpy.allclose`: a bool (a Python bool at run time)."""
    return python_scalar(reduce_all(isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)))


def _known_shapes(a1, a2, what: str):
    s1, s2 = shape_of(a1), shape_of(a2)
    if None in s1 or None in s2:
        raise ValueError(f"numpy.{what} needs the shapes of both values known while tracing "
                         "(with unknown dims, numpy's answer may be False without comparing)")
    return s1, s2


@dispatches(np.array_equal)
def array_equal(a1, a2, equal_nan=False):
    """`numpy.array_equal`: same shape and elements (NaNs equal with `equal_nan`)."""
    a1, a2 = _array(a1), _array(a2)
    s1, s2 = _known_shapes(a1, a2, "array_equal")
    if s1 != s2:
        return False
    same = equal(a1, a2)
    if equal_nan and not all(dtype_of(a).kind in "biu" for a in (a1, a2)):
        same = logical_or(same, logical_and(isnan(a1), isnan(a2)))
    return python_scalar(reduce_all(same))


@dispatches(np.array_equiv)
def array_equiv(a1, a2):
    """`numpy.array_equiv`: shapes broadcast together and all elements are equal."""
    a1, a2 = _array(a1), _array(a2)
    s1, s2 = _known_shapes(a1, a2, "array_equiv")
    try:
        broadcast_shapes(s1, s2)
    except ValueError:
        return False
    return python_scalar(reduce_all(equal(a1, a2)))


# --- select / piecewise -------------------------------------------------------------------
@dispatches(np.select)
def select(condlist, choicelist, default=0):
    """`numpy.select`: the choice of the first true condition, else `default`."""
    if len(condlist) != len(choicelist):
        raise ValueError("list of cases must be same length as list of conditions")
    if len(condlist) == 0:
        raise ValueError("select with an empty condition list is not possible")
    choices = [c if type(c) in (int, float, complex) else _array(c) for c in choicelist]
    default = default if type(default) in (int, float, complex) else _array(default)
    dtype = np.result_type(*(_promote_arg(c) for c in choices + [default]))
    conds = [_array(c) for c in condlist]
    for i, cond in enumerate(conds):
        if dtype_of(cond) != np.bool_:
            raise TypeError(f"invalid entry {i} in condlist: should be boolean ndarray")
    result = astype(default, dtype, copy=False)
    for cond, choice in zip(reversed(conds), reversed(choices)):
        result = where(cond, astype(choice, dtype, copy=False), result)
    return result


@dispatches(np.piecewise)
def piecewise(x, condlist, funclist, *args, **kw):
    """`numpy.piecewise`: `f(x[cond], *args, **kw)` (or a constant) where each condition
    holds, the last function for "otherwise" when there is one more function than
    conditions; zeros elsewhere; in `x`'s dtype."""
    x = _array(x)
    n_funcs = len(funclist)
    if np.isscalar(condlist) or (not _is_sequence(condlist[0]) and len(shape_of(x))):
        condlist = [condlist]
    conds = [astype(_array(condlist[i]), bool, copy=False) for i in range(len(condlist))]
    if len(conds) == n_funcs - 1:
        conds.append(logical_not(reduce_any(stack(conds), axis=0)))
    elif len(conds) != n_funcs:
        raise ValueError(f"with {len(conds)} condition(s), either {len(conds)} or "
                         f"{len(conds) + 1} functions are expected")
    dtype = dtype_of(x)
    y = zeros_like(x)
    for cond, func in zip(conds, funclist):
        if not callable(func):
            y = where(cond, astype(_array(func), dtype, copy=False), y)
            continue
        picked = getitem(x, cond)
        vals = astype(_array(func(picked, *args, **kw)), dtype, copy=False)
        vals = broadcast_like(vals, picked)  # numpy's `y[cond] = vals` broadcasts a scalar
        index, inputs = normalize_key(cond)
        y = where(cond, index_add_into(vals, x, inputs, index), y)
    return y


def _is_sequence(c) -> bool:
    """numpy's test for "condlist is a list of conditions" (a traced 0-d value is not)."""
    return isinstance(c, (list, np.ndarray)) or (isinstance(c, Tracer) and bool(shape_of(c)))

