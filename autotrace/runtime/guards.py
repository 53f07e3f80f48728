"""Run-time guards for constructs that are fine on Python values but not on traced ones."""

from __future__ import annotations

import sys

from autotrace import context
from autotrace.errors import ConversionError, TracingError, at_user_line
from autotrace.runtime.control_flow import is_traced
from autotrace.runtime.where import here
from autotrace.signature import flatten


def match_subject(subject):
    """`match subject:` — Python pattern matching needs a concrete value."""
    if is_traced(subject):
        raise ConversionError(
            f"{here()}: `match` on a traced value is not supported: patterns are tested in "
            "Python while tracing, when the value is not known yet. Use if/elif with "
            "comparisons (they become graph conditionals), or match on a Python value."
        )
    return subject


def set_global(name: str, value):
    """`global name; name = value` — a traced value must not escape through a global."""
    if is_traced(value):
        raise ConversionError(
            f"{here()}: assigning a traced value to the global `{name}` would leak it out of "
            "the trace (it has no value outside). Return it from the function instead."
        )
    return value


def set_attribute(obj, name: str, value):
    """`obj.name = value` while tracing: a traced value (or a container holding one) must
    not be stored in an object that existed before the call (an argument, `self`, an object
    reached from a global or closure): the object would keep a value that exists only
    inside this trace. Objects the function makes are Python's to change."""
    builder = context.current_builder()
    if builder is None:
        return value
    if _in_graph_statement(builder) and _from_outside(obj, _user_frame()):
        raise TracingError(at_user_line(
            f"Assigning the attribute `{name}` of an object from outside this graph `if`, "
            "loop or `try` part (its condition or bound is a traced value): Python would "
            "assign it only on the path a call takes, but the statement's parts are all "
            "traced once, so the assignment would happen on every path, once. Compute the "
            f"value in the statement and assign `obj.{name}` after it."))
    scope = builder.root.capture_scope
    if scope is None:
        return value
    frozen = getattr(getattr(type(obj), "__dataclass_params__", None), "frozen", False)
    if scope.rebuilt.get(id(obj)) is obj and not frozen:  # (frozen: Python's error follows)
        raise TracingError(at_user_line(
            f"Assigning the attribute `{name}` of the argument {type(obj).__name__}: a traced "
            "function rebuilds a dataclass (or registered pytree) argument from its arrays, "
            "so the assignment would not reach the caller's object, where Python's would. "
            "Return the new value (or a new object: `dataclasses.replace(p, "
            f"{name}=...)`) and use it outside."))
    if not scope.reaches(obj):
        return value
    if not any(is_traced(x) for x in flatten(value)[0]):
        return value
    raise TracingError(at_user_line(
        f"Assigning a traced value to the attribute `{name}` of an object from outside the "
        f"traced function ({type(obj).__name__}) would leave it holding a value that exists "
        "only inside the trace. Write the attribute's array in place instead "
        f"(`obj.{name}[...] = value`, or `obj.{name} *= a; obj.{name} += b`: the caller's "
        "array is written on every call), keep the state in an `at.Variable` "
        f"(`obj.{name}.assign(value)`), or return the value and assign it outside."))


def _in_graph_statement(builder) -> bool:
    """The code running is a branch, loop body or `try` part traced into a sub-graph."""
    while builder.parent is not None:
        if builder.in_branch:
            return True
        builder = builder.parent
    return False


def _user_frame():
    """The frame of the converted code doing the assignment."""
    frame = sys._getframe(2)
    while frame.f_code.co_filename == __file__:
        frame = frame.f_back
    return frame


def _from_outside(obj, frame) -> bool:
    """`obj` came into the running code from outside it: a parameter or closure variable
    of the function doing the assignment holds it (an object it made is a plain local)."""
    code = frame.f_code
    names = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount] + code.co_freevars
    values = frame.f_locals
    return any(values.get(n) is obj for n in names)


def set_attributes(value, slots: tuple):
    """`a.x, b = value`: `value` unpacked (a tuple), each item bound to an attribute
    (`slots[k]`: (object, name), or None for another target) checked as `set_attribute`
    checks it. An iterable of the wrong length fails on unpacking, as in Python."""
    items = tuple(value)
    if len(items) == len(slots):
        for item, slot in zip(items, slots):
            if slot is not None:
                set_attribute(slot[0], slot[1], item)
    return items
