"""Strings formatted from traced values: `f"{x:.4f}"`, `"%s" % x`, `str(x)`, `repr(x)`,
`format(x, spec)`, and the logging calls that may show them.

A string is a Python value, fixed when the function is traced, so it cannot hold a value
computed on each call. Where the string is only shown — an argument of `print(...)` or of
a logging call (`logging.info(...)`, `logger.debug(...)`) — the converter passes
`effect=True` and the string becomes a `Formatted`: a recipe that the print or logging
graph node renders from the run-time values on every call. Anywhere else formatting a
traced value is refused with a `TracingError` that says so. Without traced values every
entry point is Python's own formatting.
"""

from __future__ import annotations

import builtins
import logging

from autotrace import context
from autotrace.errors import TracingError, at_user_line
from autotrace.runtime import values as _values
from autotrace.runtime.calls import call
from autotrace.runtime.effects import Formatted, graph_call

_CONVERSIONS = {-1: None, 115: builtins.str, 114: builtins.repr, 97: builtins.ascii}
_FORMATTERS = (builtins.str, builtins.repr, builtins.format, builtins.ascii)
_LOGGING_FUNCTIONS = frozenset(
    getattr(logging, n) for n in ("debug", "info", "warning", "warn", "error", "critical",
                                  "exception", "log", "fatal"))


def is_traced(x) -> bool:
    """A value known only at run time: a traced tensor, or a `Variable` read while tracing
    (its value may change between calls)."""
    return _values.is_traced(x) or (getattr(x, "_is_variable", False) and
                                    context.current_builder() is not None)


def _refuse(what: str) -> TracingError:
    return TracingError(at_user_line(
        f"{what} formats a traced value into a string. A string is a Python value, fixed "
        "when the function is traced, so it cannot hold the value computed on each call. "
        "Print it (`print(...)` and logging calls inside a traced function format their "
        "arguments at run time, on every call), or return the array and format it outside "
        "the traced function.", depth=2))


class _FString:
    """Render of an f-string: literal strings and `(conversion, spec)` fields."""

    __slots__ = ("parts",)

    def __init__(self, parts):
        self.parts = tuple(parts)

    def __call__(self, *values):
        it = iter(values)
        return "".join(p if type(p) is str else _field(next(it), *p) for p in self.parts)

    def __repr__(self) -> str:
        return "f" + repr("".join(p if type(p) is str else "{}" for p in self.parts))


def _field(value, conversion, spec):
    convert = _CONVERSIONS[conversion]
    return builtins.format(value if convert is None else convert(value), spec)


def fstring(effect: bool, *parts):
    """`f"..."`: `parts` are literal strings and `(value, conversion, spec)` fields."""
    values = [p[0] for p in parts if type(p) is tuple and is_traced(p[0])]
    if not values:
        return "".join(p if type(p) is str else _field(*p) for p in parts)
    if not effect:
        raise _refuse("This f-string")
    template = [p if type(p) is str or is_traced(p[0]) else _field(*p) for p in parts]
    return Formatted(values, _FString(p if type(p) is str else p[1:] for p in template))


class _Percent:
    """Render of `template % args` with the traced entries of `args` filled in."""

    __slots__ = ("template", "args", "keys")

    def __init__(self, template: str, args, keys):
        self.template, self.args, self.keys = template, args, keys

    def __call__(self, *values):
        if self.keys == (None,):
            return self.template % values[0]
        filled = dict(self.args) if isinstance(self.args, dict) else list(self.args)
        for key, value in zip(self.keys, values):
            filled[key] = value
        args = filled if isinstance(self.args, dict) else tuple(filled)
        return self.template % args

    def __repr__(self) -> str:
        return repr(self.template) + " % ..."


def percent(effect: bool, template, args):
    """`template % args` with `template` a literal string."""
    if is_traced(args):
        keys, traced = (None,), [args]
    elif isinstance(args, (tuple, dict)):
        items = args.items() if isinstance(args, dict) else enumerate(args)
        keys = tuple(k for k, v in items if is_traced(v))
        traced = [args[k] for k in keys]
    else:
        keys = ()
    if not keys or not isinstance(template, str):
        return template % args
    if not effect:
        raise _refuse("This `%` formatting")
    return Formatted(traced, _Percent(template, args, keys))


class _Method:
    """Render of `template.format(*args, **kwargs)` with the traced values filled in."""

    __slots__ = ("template", "args", "kwargs", "slots")

    def __init__(self, template: str, args, kwargs, slots):
        self.template, self.args, self.kwargs, self.slots = template, args, kwargs, slots

    def __call__(self, *values):
        args, kwargs = list(self.args), dict(self.kwargs)
        for (where, key), value in zip(self.slots, values):
            (args if where == "args" else kwargs)[key] = value
        return self.template.format(*args, **kwargs)

    def __repr__(self) -> str:
        return repr(self.template) + ".format(...)"


def str_format(effect: bool, template: str, *args, **kwargs):
    """`"literal {}".format(*args, **kwargs)`."""
    slots = [("args", k) for k, a in enumerate(args) if is_traced(a)] + \
        [("kwargs", k) for k, a in kwargs.items() if is_traced(a)]
    if not slots:
        return template.format(*args, **kwargs)
    if not effect:
        raise _refuse("This `str.format` call")
    traced = [args[k] if w == "args" else kwargs[k] for w, k in slots]
    return Formatted(traced, _Method(template, args, kwargs, slots))


def mod(a, b):
    """`a % b` where `a` may be a string held in a variable (`fmt % x`)."""
    return percent(False, a, b) if isinstance(a, str) else a % b


class _Call:
    __slots__ = ("fn", "rest")

    def __init__(self, fn, rest):
        self.fn, self.rest = fn, rest

    def __call__(self, value):
        return self.fn(value, *self.rest)

    def __repr__(self) -> str:
        return f"{self.fn.__name__}(_)"


def format_call(effect: bool, fn, *args, **kwargs):
    """`str(x)`, `repr(x)`, `ascii(x)`, `format(x, spec)`; any other `fn` is just called."""
    if fn not in _FORMATTERS or not args or not is_traced(args[0]) or kwargs:
        return call(fn, *args, **kwargs)
    if any(is_traced(a) for a in args[1:]):
        raise _refuse(f"This `{fn.__name__}` call (with a traced format spec)")
    if not effect:
        raise _refuse(f"`{fn.__name__}(...)`")
    return Formatted([args[0]], _Call(fn, args[1:]))


def _is_logging(fn) -> bool:
    try:
        if fn in _LOGGING_FUNCTIONS:
            return True
    except TypeError:
        return False
    return isinstance(getattr(fn, "__self__", None), (logging.Logger, logging.LoggerAdapter))


def log_call(fn, *args, **kwargs):
    """A call that may be a logging call (`logger.info(...)`): with traced values among
    its arguments it becomes a graph node that logs on every call; otherwise `call`."""
    shown = [*args, *kwargs.values()]
    deferred = any(isinstance(a, Formatted) for a in shown)
    if context.current_builder() is not None and _is_logging(fn) and \
            (deferred or any(is_traced(a) for a in shown)):
        graph_call(fn, args, kwargs)
        return None
    if deferred:
        raise _refuse(f"An argument of `{getattr(fn, '__qualname__', fn)}` (not a logging "
                      "call)")
    return call(fn, *args, **kwargs)
