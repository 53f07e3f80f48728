"""Read a function's source as an AST whose line numbers are those of the user's file.

The whole file is parsed once per content (C speed; tokenizing a def's block with
`inspect.getblock` is the fallback when the file does not parse as a whole). A def is
found by its first line and name; decorators are removed later (the converted function
is re-created without them); a lambda is found by line, parameters and, when several
share a line, column. The nodes returned are shared: copy before changing them.
"""

from __future__ import annotations

import ast
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
    """Parse `fn`'s source; raise `SourceUnavailable` with the reason when it cannot.

    The returned node is shared (cached per file): callers copy it before changing it.
    """
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
    node = _find_def(lines, code)
    if node is None:  # the file as a whole does not parse: read the def's own block
        node = _parse_block(lines, code, fn)
    return FunctionSource(node, code.co_filename, lines)


def _find_def(lines: list, code):
    """The def of `code` in its file (parsed once per file content), or None."""
    try:
        index = _file_index(code.co_filename, "".join(lines))
    except SyntaxError:
        return None
    found = [n for n in index.defs.get(code.co_firstlineno, []) if n.name == code.co_name]
    return found[0] if found else None


def _parse_block(lines: list, code, fn):
    block = inspect.getblock(lines[code.co_firstlineno - 1:])
    tree = _parse(textwrap.dedent("".join(block)), code.co_filename, code.co_firstlineno)
    node = tree.body[0]
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        raise SourceUnavailable(f"the source of {fn.__qualname__} is not a def statement")
    ast.increment_lineno(node, code.co_firstlineno - 1)
    return node


def _parse(text: str, filename: str, firstlineno: int) -> ast.Module:
    try:
        return ast.parse(text)
    except SyntaxError as e:
        raise SourceUnavailable(
            f"{filename}:{firstlineno}: the function's source does not parse on its own "
            f"({e.msg})"
        ) from None


@dataclass
class _FileIndex:
    defs: dict  # first line (the first decorator's, else the def's) -> defs starting there
    lambdas: dict  # line -> lambdas starting on it


@functools.lru_cache(maxsize=64)
def _file_index(filename: str, text: str) -> _FileIndex:
    """Defs and lambdas of a whole file by line (parsed once per file content)."""
    defs: dict = {}
    lambdas: dict = {}
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            defs.setdefault(first, []).append(node)
        elif isinstance(node, ast.Lambda):
            lambdas.setdefault(node.lineno, []).append(node)
    return _FileIndex(defs, lambdas)


def _find_lambda(lines: list, code) -> ast.Lambda:
    """The lambda of `code`: same first line, same parameters, same column if several."""
    where = f"{code.co_filename}:{code.co_firstlineno}"
    try:
        candidates = _file_index(code.co_filename, "".join(lines)).lambdas.get(
            code.co_firstlineno, [])
    except SyntaxError as e:
        raise SourceUnavailable(f"{where}: the file does not parse ({e.msg})") from None
    params = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
    found = [n for n in candidates
             if tuple(a.arg for a in n.args.args + n.args.kwonlyargs) == tuple(params)]
    if len(found) > 1:
        found = [n for n in found if _spans(n.body, code)]
    if len(found) != 1:
        problem = "no lambda" if not found else "several lambdas that cannot be told apart"
        raise SourceUnavailable(f"{where}: {problem} with parameters {params} found; give "
                                "the function a name with def")
    return found[0]


def _spans(body: ast.expr, code) -> bool:
    """Every located instruction of `code` lies within `body` (tells apart lambdas that
    share a line and parameters; the first instruction, RESUME, has no column)."""
    start, end = (body.lineno, body.col_offset), (body.end_lineno, body.end_col_offset)
    located = [(line, col, end_line, end_col) for line, end_line, col, end_col
               in code.co_positions() if line is not None and col is not None and end_col]
    return bool(located) and all(start <= (line, col) and (end_line, end_col) <= end
                                 for line, col, end_line, end_col in located)
