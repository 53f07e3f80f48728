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
use flags, as AutoGraph does: `do_return = True; retval = value` (plus `break` inside
loops), the rest of each block guarded by `if not do_return:`, and `return retval` at the
end. `retval` starts as a placeholder that takes the type of the value returned.
"""

from __future__ import annotations

import ast

from autotrace.convert import analysis
from autotrace.convert.templates import replace

_LOOPS = (ast.While, ast.For)


def transform(node: ast.FunctionDef, ctx) -> ast.FunctionDef:
    if not _has_inner_return(node.body):
        return node
    body = _lift(node.body)
    if _liftable(body):
        node.body = body
        return node
    node.body = _with_flags(node)
    return node


def _has_inner_return(stmts) -> bool:
    """A `return` anywhere but as a top-level statement of the function."""
    for stmt in stmts:
        if not isinstance(stmt, ast.Return) and analysis.contains([stmt], (ast.Return,)):
            return True
    return False


# -- lifting -------------------------------------------------------------------------------
def _lift(stmts: list) -> list:
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
    flag, value = _fresh("do_return", taken), _fresh("retval", taken)
    prologue = replace(f"{flag} = False\n{value} = at__.Undefined('{value}', placeholder=True)")
    body = _flag_block(func.body, flag, value, in_loop=False)
    epilogue = replace(f"return {value}")
    for stmt in prologue + epilogue:
        ast.copy_location(stmt, func.body[0])
    return prologue + body + epilogue


def _fresh(base: str, taken: set) -> str:
    name, k = base, 0
    while name in taken:
        k += 1
        name = f"{base}_{k}"
    return name


def _flag_block(stmts: list, flag: str, value: str, in_loop: bool) -> list:
    out = []
    for i, stmt in enumerate(stmts):
        if isinstance(stmt, ast.Return):
            ret = stmt.value or ast.Constant(value=None)
            new = replace(f"{flag} = True\n{value} = v" + ("\nbreak" if in_loop else ""), v=ret)
            out += [ast.copy_location(s, stmt) for s in new]
            return out
        exits = analysis.contains([stmt], (ast.Return,))
        _flag_children(stmt, flag, value, in_loop)
        out.append(stmt)
        rest = stmts[i + 1:]
        if rest and exits:
            (guard,) = replace(f"if not {flag}:\n    pass")
            guard.body = _flag_block(rest, flag, value, in_loop)
            out.append(ast.copy_location(guard, rest[0]))
            return out
    return out


def _flag_children(stmt, flag: str, value: str, in_loop: bool) -> None:
    inner_loop = in_loop or isinstance(stmt, _LOOPS)
    for field in ("body", "orelse", "finalbody"):
        block = getattr(stmt, field, None)
        if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
            loop_body = isinstance(stmt, _LOOPS) and field == "body"
            setattr(stmt, field, _flag_block(block, flag, value, inner_loop if loop_body
                                             else in_loop))
    for handler in getattr(stmt, "handlers", []):
        handler.body = _flag_block(handler.body, flag, value, in_loop)
