"""The conversion pipeline: source -> AST -> passes -> code, cached per code object.

`convert(fn)` returns a function with `fn`'s globals, closure and defaults whose body
calls the runtime (`at__`) instead of Python's operators and control flow.
"""

from __future__ import annotations

import ast
import functools
import threading
import types
import warnings
from dataclasses import dataclass, field

from autotrace.convert import aliases, codegen
from autotrace.convert.passes import (
    arithmetic,
    break_continue,
    calls,
    control_flow,
    exceptions,
    formatting,
    inplace,
    live_reads,
    logical,
    returns,
    unsupported,
)
from autotrace.convert.source import SourceUnavailable, function_source
from autotrace.errors import CONVERTED_CODES, ConversionError, ConversionWarning
from autotrace.gcpause import paused_gc
from autotrace.retracing import user_stacklevel
from autotrace.signature import is_python_code

# Order matters; each pass is a module with `transform(node, ctx)`.
PIPELINE = (
    unsupported,  # refuse what cannot be a graph, before anything moves code around
    inplace,  # `x[k] = v` through a local name -> `x = at__.setitem(...)` (a rebinding)
    returns,  # single exit: lift early returns, or flags (loops that return get a flag)
    break_continue,  # break/continue -> flags in loop conditions (with `returns`' flags)
    control_flow,  # if/while/for -> helpers + at__ calls (needs the flags as variables)
    exceptions,  # assert/raise -> at__ calls (after control flow, which needs raise statements)
    formatting,  # f-strings, `%`, str(): run-time strings in print/logging (before `%`)
    logical,  # and/or/not/if-exp/chained comparisons (incl. the tests control flow moved)
    arithmetic,  # operators -> at__ calls (incl. the single comparisons logical produced)
    calls,  # calls -> at__.call where the callee may be user code (sees all calls)
    live_reads,  # reads -> at__.live(...): captured arrays written in place (last)
)


class Converted:
    """One converted code object, and its source text (printed when first asked for: most
    functions are converted to be run, not read)."""

    __slots__ = ("code", "_tree", "_source")

    def __init__(self, code: types.CodeType, tree: ast.FunctionDef):
        self.code, self._tree, self._source = code, tree, None

    @property
    def source(self) -> str:
        if self._source is None:
            self._source = codegen.to_source(self._tree)
            self._tree = None
        return self._source


@dataclass
class Context:
    """What passes may need to know about the function being converted."""

    fn: types.FunctionType
    root: ast.FunctionDef
    filename: str
    lines: list
    aliases: dict = field(default_factory=dict)  # `convert.aliases.by_scope` of the source

    def line(self, lineno: int) -> str:
        """Source text of a line of the user's file."""
        return self.lines[lineno - 1].strip() if 0 < lineno <= len(self.lines) else ""


# By identity (id -> (code, converted)): equal code objects from two files are different
# functions (equality ignores the file name), and hashing one hashes all its bytecode.
_by_code: dict[int, tuple] = {}
_lock = threading.RLock()
_warned: set = set()


def convert(fn):
    """The converted form of `fn` (Python functions, methods, partials, callable objects,
    traced functions); builtins, ufuncs and other C callables are returned as they are.

    A function whose source cannot be read is returned unconverted with a one-time
    `ConversionWarning` (straight-line numpy code in it still traces); one whose file no
    longer holds the code that runs raises `StaleSource`.
    """
    from autotrace import runtime
    from autotrace.function import TracedFunction

    if isinstance(fn, TracedFunction):
        return fn.converted
    if isinstance(fn, types.MethodType):
        return types.MethodType(convert(fn.__func__), fn.__self__)
    if isinstance(fn, functools.partial):
        return functools.partial(convert(fn.func), *fn.args, **fn.keywords)
    if not isinstance(fn, types.FunctionType):
        if is_python_code(fn):  # an object with a Python __call__
            return types.MethodType(convert(type(fn).__call__), fn)
        # what generated code does for it: its graph version when it has one (math.exp)
        return functools.partial(runtime.call, fn) if _has_overload(fn) else fn
    if fn.__code__ in CONVERTED_CODES:  # defined inside converted code: converted with it
        return fn
    try:
        converted = converted_code(fn)
    except SourceUnavailable as e:
        _warn_once(fn, e)
        return fn
    return codegen.make_function(converted.code, fn, runtime)


def _has_overload(fn) -> bool:
    from autotrace.runtime.calls import NUMPY_OVERLOADS

    try:
        return fn in NUMPY_OVERLOADS
    except TypeError:  # unhashable
        return False


def converted_code(fn: types.FunctionType) -> Converted:
    """Convert `fn.__code__` once; later functions with the same code reuse it."""
    code = fn.__code__
    found = _by_code.get(id(code))
    if found is None or found[0] is not code:
        with _lock:
            found = _by_code.get(id(code))
            if found is None or found[0] is not code:
                found = _by_code[id(code)] = (code, _convert_code(fn))
    return found[1]


def converted_source(fn) -> str:
    """The converted source text of `fn` (what `TracedFunction.code` shows)."""
    from autotrace.function import TracedFunction

    if isinstance(fn, TracedFunction):
        fn = fn.python_function
    if isinstance(fn, functools.partial):
        fn = fn.func
    if not isinstance(fn, (types.FunctionType, types.MethodType)) and is_python_code(fn):
        fn = type(fn).__call__  # an object with a Python __call__
    fn = getattr(fn, "__func__", fn)
    if not isinstance(fn, types.FunctionType):
        raise SourceUnavailable(f"{fn!r} is not a Python function: it has no source to "
                                "convert (tracing calls it as it is)")
    return converted_code(fn).source


def _convert_code(fn: types.FunctionType) -> Converted:
    with paused_gc():  # many AST nodes, no cycles: collecting would rescan them (see there)
        return _run_pipeline(fn)


def _run_pipeline(fn: types.FunctionType) -> Converted:
    src = function_source(fn)
    node = _as_def(src.node, fn)  # the caller's own (see `function_source`)
    ctx = Context(fn, node, src.filename, src.lines, aliases.by_scope(node, fn, src.lines))
    for stage in PIPELINE:
        node = stage.transform(node, ctx)
    code = codegen.compile_code(node, fn.__code__.co_freevars, src.filename)
    return Converted(code, node)


def _as_def(node, fn) -> ast.FunctionDef:
    if isinstance(node, ast.AsyncFunctionDef):
        raise ConversionError(
            f'File "{fn.__code__.co_filename}", line {node.lineno}: `async def` '
            f"{fn.__qualname__} cannot be traced: a graph has no awaits. Make it a plain def."
        )
    if isinstance(node, ast.Lambda):
        body = [ast.copy_location(ast.Return(value=node.body), node.body)]
        node = ast.copy_location(
            ast.FunctionDef(name="_lambda", args=node.args, body=body, decorator_list=[],
                            returns=None, type_comment=None),
            node,
        )
    node.decorator_list = []
    node.returns = None
    for arg in node.args.posonlyargs + node.args.args + node.args.kwonlyargs:
        arg.annotation = None
    for arg in (node.args.vararg, node.args.kwarg):
        if arg is not None:
            arg.annotation = None
    return node


def _warn_once(fn, error: Exception) -> None:
    key = getattr(fn, "__code__", fn)
    if key in _warned:
        return
    _warned.add(key)
    warnings.warn(
        f"autotrace could not convert {getattr(fn, '__qualname__', fn)!r} and traces it "
        f"unconverted: {error} What is lost: Python control flow in it (`if`, `while`, "
        "`for`, `and`/`or`/`not`, `a if c else b`) is not converted to graph control flow, "
        "so using a traced value there raises a TracingError; straight-line numpy code "
        "traces as usual.",
        ConversionWarning,
        stacklevel=user_stacklevel(),
    )
