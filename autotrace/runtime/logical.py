"""`and`, `or`, `not` with Python semantics for Python values and logical ops on tensors.

`a and b and c` becomes `at__.and_(a, lambda: b, lambda: c)`: operands after the first are
evaluated only when Python would evaluate them. Once an operand is a traced tensor the
result is the elementwise `logical_and` of it and the rest (both sides are evaluated: a
graph has no short circuit), which is a bool array rather than one of the operands.
"""

from __future__ import annotations

from autotrace.runtime.control_flow import is_traced, truth


def and_(first, *rest):
    value = first
    for i, thunk in enumerate(rest):
        if is_traced(value):
            from autotrace.ops.elementwise import logical_and

            return logical_and(value, and_(thunk(), *rest[i + 1:]))
        if not truth(value):
            return value
        value = thunk()
    return value


def or_(first, *rest):
    value = first
    for i, thunk in enumerate(rest):
        if is_traced(value):
            from autotrace.ops.elementwise import logical_or

            return logical_or(value, or_(thunk(), *rest[i + 1:]))
        if truth(value):
            return value
        value = thunk()
    return value


def not_(value):
    if is_traced(value):
        from autotrace.ops.elementwise import logical_not

        return logical_not(value)
    return not truth(value)
