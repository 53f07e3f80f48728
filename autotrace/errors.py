"""Error types, and attaching the user's file and line to errors raised inside autotrace."""

from __future__ import annotations

import inspect
import linecache
import os
import sys
import sysconfig
import warnings
import weakref

import numpy as np

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_STDLIB = sysconfig.get_paths()["stdlib"]
_NUMPY_DIR = os.path.dirname(os.path.abspath(np.__file__))


class _CodeSet:
    """A set of code objects by identity. Hashing a code object hashes its bytecode and
    constants, which grow with the function: `user_frame` asks once per traced node, so
    a hashed set made tracing a long function quadratic. The codes are kept alive, so
    their ids stay theirs."""

    __slots__ = ("_codes",)

    def __init__(self):
        self._codes: dict[int, object] = {}

    def add(self, code) -> None:
        self._codes[id(code)] = code

    def __contains__(self, code) -> bool:
        return self._codes.get(id(code)) is code


# Code objects produced by the converter count as user code wherever their file lives
# (the demo's own functions live inside this package).
CONVERTED_CODES = _CodeSet()
# The helpers the converter makes for graph `if`s, loops and `try`s (`loop_body`,
# `if_true`): their parameters are the statement's variables, the same as the caller's.
GENERATED_CODES = _CodeSet()


class AutotraceError(Exception):
    """Base class of errors raised by autotrace itself."""


class ConversionError(AutotraceError):
    """A construct the converter cannot turn into graph code (names the construct and line)."""


class TracingError(AutotraceError, TypeError):
    """A traced value was used in a way that needs a concrete value (bool(), float(), ...)."""


class UnsupportedError(AutotraceError, NotImplementedError):
    """A numpy function or feature autotrace does not implement for traced values."""


class GraphSizeError(AutotraceError, RuntimeError):
    """A trace reached its node limit (`max_nodes`), typically a long Python loop unrolled
    at trace time."""


class BackendError(AutotraceError, NotImplementedError):
    """An op or value the requested array backend cannot run (raised when the backend's
    code is generated, before anything runs)."""


class ConversionWarning(UserWarning):
    """A function was called unconverted because its source could not be read."""


class StaleCaptureWarning(UserWarning):
    """A captured array read by plain numpy while tracing is too large to be guarded by
    its contents: a write into it between calls is not seen."""


class UnrollingWarning(UserWarning):
    """A Python loop unrolled at trace time has added many nodes to the graph."""


def user_frame(depth: int = 1):
    """The innermost frame that belongs to user code (not autotrace, numpy or stdlib)."""
    frame = sys._getframe(depth + 1)
    while frame is not None:
        code = frame.f_code
        if code in CONVERTED_CODES or not is_library_file(code.co_filename):
            return frame
        frame = frame.f_back
    return None


_LINE_TABLES: dict[int, tuple] = {}  # id(code) -> (code, line of each code unit)
_LINE_TABLES_MAX = 64
_SMALL_CODE = 512  # bytes of bytecode below which CPython's own scan is as quick


def frame_lineno(frame) -> int:
    """`frame.f_lineno` in constant time.

    CPython finds a frame's line by scanning its code's line table from the start: asked
    once per traced node, that made tracing a long function quadratic. Long code objects
    get a table built once instead (frames under a debugger's trace function keep theirs).
    """
    code = frame.f_code
    if len(code.co_code) < _SMALL_CODE or frame.f_trace is not None:
        return frame.f_lineno
    entry = _LINE_TABLES.get(id(code))
    if entry is None or entry[0] is not code:
        if len(_LINE_TABLES) >= _LINE_TABLES_MAX:
            _LINE_TABLES.clear()
        entry = _LINE_TABLES[id(code)] = (code, _line_table(code))
    table, unit = entry[1], frame.f_lasti // 2
    line = table[unit] if 0 <= unit < len(table) else None
    return frame.f_lineno if line is None else line


def _line_table(code) -> list:
    table: list = [None] * (len(code.co_code) // 2)
    for start, end, line in code.co_lines():
        table[start // 2:end // 2] = [line] * (end // 2 - start // 2)
    return table


def is_library_file(filename: str) -> bool:
    """Code that is not the user's: autotrace, numpy, the standard library, and code without
    a file. Never the line an error points at; never converted when called."""
    if filename.startswith("<") or filename.startswith(_PACKAGE_DIR) or \
            filename.startswith(_NUMPY_DIR):
        return True
    return filename.startswith(_STDLIB) and "-packages" not in filename


def call_error(fn, signature: inspect.Signature, args: tuple, kwargs: dict) -> str:
    """The message Python gives for calling `fn` with arguments that do not fit its
    signature (`f() missing 1 required positional argument: 'b'`), with the user's calling
    line. `fn` itself is not called: a stub with the same parameters is."""
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", repr(fn))
    prefix = ""
    try:
        stub = _signature_stub(signature, name)
    except SyntaxError:  # a signature that Python source cannot spell (some builtins')
        stub, prefix = signature.bind, f"{name}(): "
    try:
        stub(*args, **kwargs)
        message = f"{name}() got arguments that do not match its signature {signature}"
    except TypeError as e:
        message = prefix + str(e)
    return at_user_line(message)


def _signature_stub(signature: inspect.Signature, name: str):
    """A function taking exactly `signature`'s parameters (defaults None) and doing
    nothing."""
    params = [p.replace(annotation=p.empty, default=None if p.default is not p.empty
                        else p.empty) for p in signature.parameters.values()]
    text = f"def stub{signature.replace(parameters=params, return_annotation=signature.empty)}" \
           ": pass"
    namespace: dict = {}
    exec(text, namespace)
    stub = namespace["stub"]
    stub.__qualname__ = name
    stub.__code__ = stub.__code__.replace(co_name=name.rsplit(".", 1)[-1],
                                          **({"co_qualname": name} if sys.version_info >=
                                             (3, 11) else {}))
    return stub


def location_of_frame(frame) -> str:
    """`file.py:12: source text` of a frame's current line."""
    filename, lineno = frame.f_code.co_filename, frame_lineno(frame)
    source = linecache.getline(filename, lineno).strip()
    return f'File "{filename}", line {lineno}, in {frame.f_code.co_name}: {source}'


def at_user_line(message: str, depth: int = 1) -> str:
    """Append the location of the user's line currently executing to `message`."""
    frame = user_frame(depth + 1)
    if frame is None:
        return message
    return f"{message}\n  at {location_of_frame(frame)}"


# -- errors and warnings while running compiled graphs ---------------------------------------
_LINE_MAPS: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


def register_line_map(filename: str, compiled, source: str) -> None:
    """Remember which node each line of a compiled graph's source runs, and give the
    source to `linecache` (tracebacks show generated lines), both for as long as the
    compiled function lives."""
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    _LINE_MAPS[filename] = compiled
    weakref.finalize(compiled, linecache.cache.pop, filename, None)


def locate_run_error(exc: BaseException) -> None:
    """Attach the user's line to an error raised by a compiled graph (type unchanged)."""
    if getattr(exc, "_autotrace_located", False):
        return
    node = None
    tb = exc.__traceback__
    while tb is not None:
        compiled = _LINE_MAPS.get(tb.tb_frame.f_code.co_filename)
        if compiled is not None:
            node = compiled.line_nodes.get(tb.tb_lineno, node)
        tb = tb.tb_next
    if node is None or node.origin is None:
        return
    text = f"while running the graph, in `{node.op.name}` from {_origin_text(node.origin)}"
    # The user's own raise/assert keeps its exact message; other errors get the location.
    _attach(exc, text, in_message=not node.op.effect)


def locate_trace_error(exc: BaseException) -> None:
    """Attach the innermost user line to an error raised while tracing (type unchanged)."""
    if getattr(exc, "_autotrace_located", False):
        return
    frame_line = None
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code in CONVERTED_CODES or not is_library_file(code.co_filename):
            frame_line = (code.co_filename, tb.tb_lineno, code.co_name)
        tb = tb.tb_next
    if frame_line is None:
        return
    filename, lineno, function = frame_line
    if f"line {lineno}" in str(exc):
        exc._autotrace_located = True
        return
    source = linecache.getline(filename, lineno).strip()
    _attach(exc, f'while tracing, at File "{filename}", line {lineno}, in {function}: '
                 f"{source}", in_message=True)


def _relocate_warning(msg: warnings.WarningMessage) -> None:
    """Point a warning raised by a compiled graph (numpy's "divide by zero encountered",
    say) at the user's line its node came from, instead of at the generated code."""
    filename, lineno = msg.filename, msg.lineno
    if filename not in _LINE_MAPS:
        if not is_library_file(filename):
            return
        frame = _compiled_caller()  # an op's implementation warned: who called it?
        if frame is None:
            return
        filename, lineno = frame.f_code.co_filename, frame.f_lineno
    compiled = _LINE_MAPS.get(filename)
    node = compiled.line_nodes.get(lineno) if compiled is not None else None
    if node is not None and node.origin is not None:
        msg.filename, msg.lineno = node.origin.filename, node.origin.lineno


def _compiled_caller():
    """The innermost frame running a compiled graph, unless user code is nearer."""
    frame = sys._getframe(2)
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename in _LINE_MAPS:
            return frame
        if not is_library_file(filename):
            return None
        frame = frame.f_back
    return None


def _install_warning_hook() -> None:
    """Wrap `warnings._showwarnmsg`, through which every shown or recorded warning passes
    (`catch_warnings` swaps what it calls, not it): costs nothing until a warning fires."""
    show = warnings._showwarnmsg
    if getattr(show, "_autotrace", False):
        return

    def showwarnmsg(msg):
        try:
            _relocate_warning(msg)
        finally:
            show(msg)

    showwarnmsg._autotrace = True
    warnings._showwarnmsg = showwarnmsg


_install_warning_hook()


def _origin_text(origin) -> str:
    return f'File "{origin.filename}", line {origin.lineno}, in {origin.function}: ' \
           f"{origin.source}"


def _attach(exc: BaseException, text: str, in_message: bool) -> None:
    try:
        exc._autotrace_located = True
    except AttributeError:  # exceptions without a __dict__ keep only the note
        pass
    if in_message and exc.args and isinstance(exc.args[0], str):
        exc.args = (f"{exc.args[0]}\n  {text}",) + exc.args[1:]
    elif in_message and not exc.args:
        exc.args = (text,)
    elif hasattr(exc, "add_note"):
        exc.add_note(text)
