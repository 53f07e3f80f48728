"""Read a function's source as an AST whose line numbers are those of the user's file.

Handles indentation (methods, nested defs), decorators (removed: the converted function is
re-created without them), and lambdas (the lambda is found among the lambdas on its lines
by its code object's position).
"""

from __future__ import annotations

import ast
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
        lines, first = inspect.findsource(code)
        block = inspect.getblock(lines[code.co_firstlineno - 1:]) if code.co_name != "<lambda>" \
            else lines[code.co_firstlineno - 1:code.co_firstlineno + 20]
    except (OSError, TypeError, IndexError) as e:
        raise SourceUnavailable(
            f"cannot read the source of {fn.__qualname__}: {e}. autotrace converts functions "
            "from their source; define it in a file (not an interactive prompt or exec())."
        ) from None
    text = textwrap.dedent("".join(block))
    if code.co_name == "<lambda>":
        node = _find_lambda(text, code)
    else:
        tree = _parse(text, code.co_filename, code.co_firstlineno)
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


def _find_lambda(text: str, code) -> ast.Lambda:
    """The lambda on these lines whose parameters match `code` (first match wins)."""
    tree = None
    lines = text.splitlines(True)
    for end in range(len(lines), 0, -1):
        try:
            tree = ast.parse(textwrap.dedent("".join(lines[:end])).strip().rstrip(",)") or "")
            break
        except SyntaxError:
            try:
                tree = ast.parse("(" + "".join(lines[:end]).strip().rstrip(",") + ")")
                break
            except SyntaxError:
                continue
    if tree is None:
        raise SourceUnavailable(f"cannot parse the lambda at {code.co_filename}:"
                                f"{code.co_firstlineno}")
    params = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
    found = [n for n in ast.walk(tree) if isinstance(n, ast.Lambda)
             and tuple(a.arg for a in n.args.args + n.args.kwonlyargs) == tuple(params)]
    if len(found) != 1:
        raise SourceUnavailable(
            f"{code.co_filename}:{code.co_firstlineno}: "
            + ("no lambda found" if not found else "several lambdas with the same parameters "
               "on one line; give the function a name with def")
        )
    return found[0]
