"""Read a function's source as an AST whose line numbers are those of the user's file.

Handles indentation (methods, nested defs), decorators (removed: the converted function is
re-created without them), and lambdas (found in the parsed file by line, parameters and,
when several share a line, column).
"""

from __future__ import annotations

import ast
import copy
import functools
import inspect
import textwrap
from dataclasses import dataclass

from autotrace.errors import ConversionError


class SourceUnavailable(ConversionError):
    """The function's source cannot be read (built in, defined in a REPL, C code, ...)."""


@dataclass
class FunctionSource:
    node: ast.FunctionDef | ast.Lambda
    filename: str
    lines: list[str]  # the whole file, for error messages


def function_source(fn) -> FunctionSource:
    """Parse `fn`'s source; raise `SourceUnavailable` with the reason when it cannot."""
    code = getattr(fn, "__code__", None)
    if code is None:
        raise SourceUnavailable(f"{fn!r} is not a Python function (no __code__)")
    try:
        lines, _ = inspect.findsource(code)
    except (OSError, TypeError) as e:
        raise SourceUnavailable(
            f"cannot read the source of {fn.__qualname__}: {e}. autotrace converts functions "
            "from their source; define it in a file (not an interactive prompt or exec())."
        ) from None
    if code.co_name == "<lambda>":
        node = _find_lambda(lines, code)
        return FunctionSource(node, code.co_filename, lines)
    block = inspect.getblock(lines[code.co_firstlineno - 1:])
    tree = _parse(textwrap.dedent("".join(block)), code.co_filename, code.co_firstlineno)
    node = tree.body[0]
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        raise SourceUnavailable(f"the source of {fn.__qualname__} is not a def statement")
    ast.increment_lineno(node, code.co_firstlineno - 1)
    return FunctionSource(node, code.co_filename, lines)


def _parse(text: str, filename: str, firstlineno: int) -> ast.Module:
    try:
        return ast.parse(text)
    except SyntaxError as e:
        raise SourceUnavailable(
            f"{filename}:{firstlineno}: the function's source does not parse on its own "
            f"({e.msg})"
        ) from None


@functools.lru_cache(maxsize=64)
def _file_lambdas(filename: str, text: str) -> dict:
    """line -> lambdas starting on it, for a whole file (parsed once per file content)."""
    by_line: dict = {}
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Lambda):
            by_line.setdefault(node.lineno, []).append(node)
    return by_line


def _find_lambda(lines: list, code) -> ast.Lambda:
    """The lambda of `code`: same first line, same parameters, same column if several."""
    where = f"{code.co_filename}:{code.co_firstlineno}"
    try:
        candidates = _file_lambdas(code.co_filename, "".join(lines)).get(code.co_firstlineno, [])
    except SyntaxError as e:
        raise SourceUnavailable(f"{where}: the file does not parse ({e.msg})") from None
    params = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
    found = [n for n in candidates
             if tuple(a.arg for a in n.args.args + n.args.kwonlyargs) == tuple(params)]
    if len(found) > 1:
        column = next(iter(code.co_positions()), (None, None, None, None))[2]
        found = [n for n in found if n.body.col_offset == column] or found[:1]
    if not found:
        raise SourceUnavailable(f"{where}: no lambda with parameters {params} found")
    return copy.deepcopy(found[0])
