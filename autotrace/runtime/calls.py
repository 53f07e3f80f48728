"""Calls from generated code: `call` (converted calls), `print`, `assert_`.

`at__.call(f, *args)` runs `f` converted when it is user code (functions, lambdas,
methods, callable objects, partials; converted once per code object and cached), and
as it is when it is numpy, the standard library, autotrace itself or C code. A function
whose source cannot be read runs unconverted with a one-time warning. Recursion deeper
than `MAX_TRACE_RECURSION` while tracing means the depth depends on a traced value and
is refused with a clear error.
"""

from __future__ import annotations

import builtins
import functools
import inspect
import sys
import threading
import types

import numpy as np

from autotrace import context
from autotrace.capture_scope import note_call
from autotrace.errors import CONVERTED_CODES, ConversionError, is_library_file
from autotrace.ops.effects import graph_assert
from autotrace.ops.pymath import TWINS, math_call
from autotrace.ops.registry import FUNCTION_DISPATCH
from autotrace.ops.shape import astype
from autotrace.runtime.control_flow import is_traced, truth
from autotrace.runtime.effects import graph_print
from autotrace.runtime.random import is_random_call, random_call
from autotrace.runtime.sequences import (
    array_like_args,
    holds_traced,
    is_numpy_function,
    stacked,
)
from autotrace.runtime.stacked import StackedList
from autotrace.runtime.stacked import call as stacked_call
from autotrace.runtime.where import here

MAX_TRACE_RECURSION = 200
_depth = threading.local()


def _as_array(a, dtype=None, **kwargs):
    """`np.asarray(t)` of a traced value is the value (cast when `dtype` differs); of a
    list holding traced values, their stacked array."""

    if type(a) in (list, tuple):
        return stacked(a, dtype)
    return a if dtype is None or np.dtype(dtype) == a.dtype else astype(a, dtype)


def _numpy_overloads() -> dict:
    """numpy (and `math`) functions that do not dispatch on their arguments, and their
    graph versions: the registry's front ends of numpy functions without
    `__array_function__` (`np.arange`, `np.zeros`, `np.full`, ...), and array conversion."""

    no_protocol = {fn: frontend for fn, frontend in FUNCTION_DISPATCH.items()
                   if not hasattr(fn, "_implementation")}
    return {**no_protocol, np.asarray: _as_array, np.array: _as_array,
            np.asanyarray: _as_array, **{fn: functools.partial(math_call, fn) for fn in TWINS}}


NUMPY_OVERLOADS: dict = {}
# numpy functions whose effect must happen when the graph runs (`np.seterr`): while
# tracing they always become their graph version (registered by their runtime module).
EFFECT_OVERLOADS: dict = {}


def call(f, *args, **kwargs):
    """`f(*args, **kwargs)` with user functions converted (see module docstring)."""
    if context.current_builder() is None:
        return f(*args, **kwargs)
    if is_random_call(f):
        return random_call(f, args, kwargs)  # drawn at run time (runtime/random.py)
    if any(isinstance(a, StackedList) for a in args) and \
            (f is builtins.sum or is_numpy_function(f)):
        return stacked_call(f, args, kwargs)
    effect = EFFECT_OVERLOADS.get(f) if _hashable(f) else None
    if effect is not None:
        return effect(*args, **kwargs)
    overload = NUMPY_OVERLOADS.get(f) if _hashable(f) else None
    if overload is not None:
        if any(is_traced(a) or holds_traced(a) for a in args) or \
                any(is_traced(v) for v in kwargs.values()):
            return overload(*args, **kwargs)
        return f(*args, **kwargs)
    if is_numpy_function(f) and any(holds_traced(a) for a in args):
        return f(*array_like_args(f, args), **kwargs)
    target = _converted(f)
    key = getattr(getattr(target, "__func__", target), "__code__", None)
    if key not in CONVERTED_CODES:
        if target is f and _is_user_code(f, fileless=True):  # no source to convert: run
            note_call(context.current_builder(), f, converted=False)  # as it is, reads unseen
        return target(*args, **kwargs)
    note_call(context.current_builder(), f)  # its globals and cells: captured state
    return _call_counted(f, target, key, args, kwargs)


def _call_counted(f, target, key, args, kwargs):
    """Call converted `target`, refusing recursion that does not stop while tracing."""
    counts = _depth.__dict__.setdefault("counts", {})
    counts[key] = depth = counts.get(key, 0) + 1
    try:
        if depth > MAX_TRACE_RECURSION:
            raise _too_deep(f, depth - 1)
        return target(*args, **kwargs)
    except RecursionError as e:
        e._autotrace_depth = max(getattr(e, "_autotrace_depth", 0), depth)
        if depth > 1 or e._autotrace_depth < 2:
            raise
        raise _too_deep(f, e._autotrace_depth) from None
    finally:
        counts[key] -= 1


def _too_deep(f, depth: int) -> ConversionError:
    return ConversionError(
        f"{here(2)}: {getattr(f, '__qualname__', f)} recursed more than {depth} levels while "
        "tracing. Its recursion depth seems to depend on a traced value, which a graph "
        "cannot express: bound it with a Python value, or write it as a loop."
    )


def _hashable(f) -> bool:
    try:
        hash(f)
    except TypeError:
        return False
    return True


def _converted(f):
    # lazy import: start-up cost; the converter (astor, passes) loads on first conversion
    from autotrace.convert.converter import convert

    # lazy import: import order, not a cycle. `runtime/__init__` (the `at__` namespace)
    # imports this module, and the layers below `function` import `runtime.undefined`
    # and `runtime.control_flow`, which runs that __init__ first.
    from autotrace.function import TracedFunction

    if isinstance(f, TracedFunction):
        return f
    if isinstance(f, (types.FunctionType, types.MethodType, functools.partial)):
        return f if _already_converted(f) or not _is_user_code(f) else convert(f)
    call_method = type(f).__call__ if callable(f) else None
    if isinstance(call_method, types.FunctionType) and _is_user_code(call_method):
        method = types.MethodType(call_method, f)
        return method if _already_converted(call_method) else convert(method)
    return f


def _already_converted(f) -> bool:
    """Functions defined inside converted code (nested defs, lambdas) are converted with it."""
    fn = f.func if isinstance(f, functools.partial) else f
    code = getattr(getattr(fn, "__func__", fn), "__code__", None)
    return code in CONVERTED_CODES


_library_file = functools.lru_cache(maxsize=1024)(is_library_file)  # keyed by file name


def _is_user_code(f, fileless: bool = False) -> bool:
    """A Python function (method, partial) defined in the user's files (`fileless`: or
    without a file, `exec`'d or typed at a prompt)."""
    fn = f.func if isinstance(f, functools.partial) else f
    fn = getattr(fn, "__func__", fn)
    code = getattr(fn, "__code__", None)
    if code is None or inspect.isclass(f):
        return False
    return not _library_file(code.co_filename) or \
        fileless and code.co_filename.startswith("<")


def print(*args, sep=" ", end="\n", file=None, flush=False):  # noqa: A001
    """`print(...)`: while tracing, a graph print that runs on every call (like the
    original), showing tensors' run-time values; otherwise Python's print."""
    if context.current_builder() is None:
        return builtins.print(*args, sep=sep, end=end, file=file, flush=flush)

    graph_print(args, sep=sep, end=end, file=None if file is sys.stdout else file,
                flush=flush)
    return None


def assert_(test, message=None):
    """`assert test, message`: a graph assertion when `test` is traced.

    `message` is a value or a zero-argument function (evaluated only when needed in
    Python; at trace time for a graph assertion).
    """
    if not is_traced(test):
        if not truth(test):
            raise AssertionError(message() if callable(message) else message) if \
                message is not None else AssertionError()
        return

    text = message() if callable(message) else message
    graph_assert(test, text, here())


NUMPY_OVERLOADS.update(_numpy_overloads())
