"""`and`, `or`, `not`, `bool()` with Python semantics for Python values and logical ops on
tensors.

`a and b and c` becomes `at__.and_(a, lambda: b, lambda: c)`: operands after the first are
evaluated only when Python would evaluate them. Once an operand is a traced tensor the
result is the elementwise `logical_and` of it and the rest (both sides are evaluated: a
graph has no short circuit), which is a bool array rather than one of the operands.
"""

from __future__ import annotations

import builtins

from autotrace.errors import TracingError
from autotrace.ops.elementwise import logical_and, logical_not, logical_or
from autotrace.runtime.values import is_traced, truth
from autotrace.runtime.where import here


def and_(first, *rest):
    value = first
    for i, thunk in enumerate(rest):
        if is_traced(value):

            return logical_and(value, and_(thunk(), *rest[i + 1:]))
        if not truth(value):
            return value
        value = thunk()
    return value


def or_(first, *rest):
    value = first
    for i, thunk in enumerate(rest):
        if is_traced(value):

            return logical_or(value, or_(thunk(), *rest[i + 1:]))
        if truth(value):
            return value
        value = thunk()
    return value


def not_(value):
    if is_traced(value):

        return logical_not(value)
    return not truth(value)


def bool(x=False):  # noqa: A001 - the builtin's name, on purpose
    """`bool(x)`; for a traced `x` (no value while tracing), an error that says to drop it."""
    if is_traced(x):
        raise TracingError(
            f"{here()}: `bool(...)` of a traced value ({x.symbol.type_str()}) needs its value, "
            "which it does not have while tracing: the graph computes it later, on every "
            "call. Drop the `bool(...)`: a traced condition works as it is (`if x[0] > 0:` "
            "becomes a graph `if`), and `np.where(cond, a, b)` selects elementwise."
        )
    return builtins.bool(x)
