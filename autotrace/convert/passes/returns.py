"""`return` inside control flow -> one exit per function.

Most early returns are lifted: when one branch of an `if` always returns, the statements
after the `if` move into the other branch, so the `if` becomes one whose every path
returns, which the control-flow pass turns into `return at__.if_return(...)`:

    if x > 0:                          if x > 0:
        return x              ->           return x
    y = -x                             else:
    return y                               y = -x
                                           return y

Returns that cannot be lifted that way (inside loops, or with several fall-through paths)
use flags, as AutoGraph does: `do_return = True; retval = value`, the rest of each block
guarded by `if not do_return:`, and `return retval` at the end. A loop that may return
stops when the flag is set: it is recorded as the loop's `return_flag`, which the
break/continue pass adds to the loop's condition like a `break` flag. `retval` starts as
a placeholder that takes the type of the value returned. A function that may reach the
end of its body ends with `return at__.return_value(do_return, retval)`: None when no
`return` ran (refused when that depends on a tensor: a graph gives one type).

Lifting moves statements (it never copies them), so when it gives up, the flags apply
to the lifted body: each statement of the function appears exactly once.
"""

from __future__ import annotations

import ast

from autotrace.convert import analysis
from autotrace.convert.passes.flags import LOOPS, SCOPES, rewrite_exits
from autotrace.convert.templates import at_line, fresh_name, replace
from autotrace.convert.visitor import statements


def transform(node: ast.FunctionDef, ctx) -> ast.FunctionDef:
    for func in [n for n in statements(node) if isinstance(n, ast.FunctionDef)]:
        _single_exit(func)  # nested defs are converted with their parent
    return node


def _single_exit(node: ast.FunctionDef) -> ast.FunctionDef:
    if not _has_inner_return(node.body):
        return node
    node.body = _lift(node.body)
    if _liftable(node.body):
        return node
    node.body, flag = _with_flags(node)
    analysis.annotate(node)
    node.body = _without_dead_sets(node.body, flag)
    return node


def _has_inner_return(stmts) -> bool:
    """A `return` anywhere but as a top-level statement of the function."""
    for stmt in stmts:
        if not isinstance(stmt, ast.Return) and analysis.contains([stmt], (ast.Return,)):
            return True
    return False


# -- lifting -------------------------------------------------------------------------------
def _lift(stmts: list) -> list:
    """`stmts` with the statements after an `if` that returns on one side only moved
    (never copied) into its other side; unreachable statements after a return dropped."""
    out = []
    for i, stmt in enumerate(stmts):
        if isinstance(stmt, ast.If):
            stmt.body, stmt.orelse = _lift(stmt.body), _lift(stmt.orelse)
            rest = stmts[i + 1:]
            body_exits = analysis.always_exits(stmt.body)
            else_exits = analysis.always_exits(stmt.orelse)
            if rest and body_exits != else_exits:
                if body_exits:
                    stmt.orelse = _lift(stmt.orelse + rest)
                else:
                    stmt.body = _lift(stmt.body + rest)
                out.append(stmt)
                return out
        out.append(stmt)
        if isinstance(stmt, (ast.Return, ast.Raise)):
            return out
    return out


def _liftable(stmts: list) -> bool:
    """After lifting, every return is in an `if` whose paths all exit (or at the top)."""
    for stmt in stmts:
        if isinstance(stmt, ast.If):
            if analysis.always_exits(stmt.body) and analysis.always_exits(stmt.orelse):
                if not (_liftable(stmt.body) and _liftable(stmt.orelse)):
                    return False
            elif analysis.contains([stmt], (ast.Return,)):
                return False
        elif not isinstance(stmt, ast.Return) and analysis.contains([stmt], (ast.Return,)):
            return False
    return True


# -- flags ---------------------------------------------------------------------------------
def _with_flags(func: ast.FunctionDef) -> list:
    taken = analysis.assigned(func.body) | analysis.reads(func.body)
    flag, value = fresh_name("do_return", taken), fresh_name("retval", taken)
    prologue = replace(f"{flag} = False\n{value} = at__.Undefined('{value}', placeholder=True)")
    for stmt in prologue:
        ast.copy_location(stmt, func.body[0])
    if _may_reach_end(func.body):  # falling off the end returns None
        (epilogue,) = replace(f"return at__.return_value({flag}, {value})")
        at_line(epilogue, func)  # errors name the `def` line
    else:
        (epilogue,) = replace(f"return {value}")
        ast.copy_location(epilogue, func.body[0])
    body = _flag_block(func.body, flag, value)
    return prologue + body + [epilogue], flag


def _may_reach_end(stmts: list) -> bool:
    """Whether a path through `stmts` may end without `return`/`raise` (`while True:`
    without a `break` never ends)."""
    for s in stmts:
        if isinstance(s, (ast.Return, ast.Raise)):
            return False
        if isinstance(s, ast.If) and not _may_reach_end(s.body) and \
                not _may_reach_end(s.orelse):
            return False
        if isinstance(s, ast.While) and isinstance(s.test, ast.Constant) and \
                s.test.value is True and \
                not analysis.contains(s.body, (ast.Break,), stop_at_loops=True):
            return False
    return True


def _without_dead_sets(stmts: list, flag: str) -> list:
    """`stmts` without the `flag = True` that nothing reads (e.g. on the last path)."""
    kept = []
    for stmt in stmts:
        if _sets(stmt, flag) and flag not in stmt.live_out:
            continue
        if isinstance(stmt, SCOPES):  # a nested function's own flag is its own
            kept.append(stmt)
            continue
        for field in ("body", "orelse", "finalbody"):
            block = getattr(stmt, field, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                setattr(stmt, field, _without_dead_sets(block, flag) or [ast.Pass()])
        for part in getattr(stmt, "handlers", []) + getattr(stmt, "cases", []):
            part.body = _without_dead_sets(part.body, flag) or [ast.Pass()]
        kept.append(stmt)
    return kept


def _sets(stmt, flag: str) -> bool:
    return isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and \
        isinstance(stmt.targets[0], ast.Name) and stmt.targets[0].id == flag


def _flag_block(stmts: list, flag: str, value: str) -> list:
    """`return v` -> `flag = True; value = v`; what follows a statement that may return is
    guarded by `if not flag:`; a loop that may return stops once the flag is set."""

    def assign(stmt: ast.Return) -> list:
        ret = stmt.value or ast.Constant(value=None)
        return replace(f"{flag} = True\n{value} = v", v=ret)

    def mark(stmt) -> None:
        if isinstance(stmt, LOOPS):
            stmt.return_flag = flag  # the loop stops once it is set (break_continue pass)

    return rewrite_exits(stmts, ast.Return, flag, assign, enter_loops=True, mark=mark)
