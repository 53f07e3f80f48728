"""Run-time guards for constructs that are fine on Python values but not on traced ones."""

from __future__ import annotations

from autotrace.errors import ConversionError
from autotrace.runtime.control_flow import is_traced
from autotrace.runtime.where import here


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
