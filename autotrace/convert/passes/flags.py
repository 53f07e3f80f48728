"""Exit statements (`return`, `break`, `continue`) as flags: the skeleton both the returns
and the break/continue passes use.

    for v in x:                        for v in x:
        if v < 0:                          if v < 0:
            break               ->             break_ = True
        s += v                             if not break_:
                                               s += v

An exit statement becomes the given flag-setting statements and ends its block; compound
statements are rewritten inside (not nested functions and classes, whose exits are their
own); after a statement that may exit, the rest of its block runs under `if not flag:`.
"""

from __future__ import annotations

import ast
from typing import Callable

from autotrace.convert import analysis
from autotrace.convert.templates import replace

LOOPS = (ast.While, ast.For)
SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)  # their exits are their own


def rewrite_exits(stmts: list, kind: type, flag: str, replacement: Callable[[ast.stmt], list],
                  enter_loops: bool, mark: Callable[[ast.stmt], None] | None = None) -> list:
    """`stmts` with every exit of `kind` replaced by `replacement(stmt)`.

    Args:
        enter_loops: rewrite exits inside nested loops too (a `return` leaves them; a
            `break` inside an inner loop belongs to that loop).
        mark: called on each statement that may exit (the returns pass marks loops).
    """
    out = []
    for i, stmt in enumerate(stmts):
        if isinstance(stmt, kind):
            return out + [ast.copy_location(s, stmt) for s in replacement(stmt)]
        exits = analysis.contains([stmt], (kind,), stop_at_loops=not enter_loops)
        if not isinstance(stmt, SCOPES) and (enter_loops or not isinstance(stmt, LOOPS)):
            for owner, field in _blocks(stmt):
                setattr(owner, field, rewrite_exits(getattr(owner, field), kind, flag,
                                                    replacement, enter_loops, mark))
        if exits and mark is not None:
            mark(stmt)
        out.append(stmt)
        rest = stmts[i + 1:]
        if rest and exits:
            body = rewrite_exits(rest, kind, flag, replacement, enter_loops, mark)
            return out + [guarded(body, flag, rest[0])]
    return out


def guarded(body: list, flag: str, at: ast.AST) -> ast.If:
    """`if not flag: <body>`, located at `at`."""
    (guard,) = replace(f"if not {flag}:\n    pass")
    guard.body = body
    return ast.copy_location(guard, at)


def _blocks(stmt):
    """(owner, field) of every statement list directly inside `stmt`."""
    for field in ("body", "orelse", "finalbody"):
        block = getattr(stmt, field, None)
        if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
            yield stmt, field
    for part in getattr(stmt, "handlers", []) + getattr(stmt, "cases", []):
        yield part, "body"
