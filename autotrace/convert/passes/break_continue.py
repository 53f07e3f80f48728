"""`break` / `continue` -> flags folded into the loop condition, and loop `else`.

    while i < n:                       break_ = False
        if x[i] < 0:                   while not break_ and i < n:
            break              ->          if x[i] < 0:
        i += 1                                 break_ = True
                                           if not break_:
                                               i += 1

`continue` sets `continue_` (reset at the top of the body) and guards the rest of the
body the same way. A `for` loop gets its flag as `extra_test` (see the control-flow pass:
the flag is recorded on the node as `break_flag`). A loop's `else` runs after it when
the flag is unset. Flags are plain variables: Python values in Python loops, traced bools
in graph loops, so the same code serves both.
"""

from __future__ import annotations

import ast

from autotrace.convert import analysis
from autotrace.convert.templates import replace

_LOOPS = (ast.While, ast.For)


class BreakContinue(ast.NodeTransformer):
    def __init__(self, taken: set):
        self.taken = set(taken)

    def _fresh(self, base: str) -> str:
        name, k = base, 0
        while name in self.taken:
            k += 1
            name = f"{base}_{k}"
        self.taken.add(name)
        return name

    def visit_While(self, node: ast.While):
        return self._loop(node)

    def visit_For(self, node: ast.For):
        return self._loop(node)

    def _loop(self, node):
        self.generic_visit(node)  # inner loops first: their break/continue are theirs
        has_break = analysis.contains(node.body, (ast.Break,), stop_at_loops=True)
        has_continue = analysis.contains(node.body, (ast.Continue,), stop_at_loops=True)
        before, after = [], []
        if has_continue:
            flag = self._fresh("continue_")
            node.body = replace(f"{flag} = False") + _rewrite(node.body, ast.Continue, flag)
            ast.copy_location(node.body[0], node)
        if has_break:
            flag = self._fresh("break_")
            before = [ast.copy_location(s, node) for s in replace(f"{flag} = False")]
            node.body = _rewrite(node.body, ast.Break, flag)
            if isinstance(node, ast.While):
                node.test = ast.copy_location(
                    ast.BoolOp(op=ast.And(), values=[_not(flag), node.test]), node.test)
            else:
                node.break_flag = flag
            if node.orelse:
                (guard,) = replace(f"if not {flag}:\n    pass")
                guard.body = node.orelse
                after = [ast.copy_location(guard, node.orelse[0])]
        elif node.orelse:
            after = node.orelse
        node.orelse = []
        return before + [node] + after if before or after else node


def _not(flag: str) -> ast.expr:
    return ast.UnaryOp(op=ast.Not(), operand=ast.Name(id=flag, ctx=ast.Load()))


def _rewrite(stmts: list, kind, flag: str) -> list:
    """Replace `break`/`continue` (of this loop) by `flag = True`; guard what follows."""
    out = []
    for i, stmt in enumerate(stmts):
        if isinstance(stmt, kind):
            out += [ast.copy_location(s, stmt) for s in replace(f"{flag} = True")]
            return out
        exits = analysis.contains([stmt], (kind,), stop_at_loops=True)
        _rewrite_children(stmt, kind, flag)
        out.append(stmt)
        rest = stmts[i + 1:]
        if rest and exits:
            (guard,) = replace(f"if not {flag}:\n    pass")
            guard.body = _rewrite(rest, kind, flag)
            out.append(ast.copy_location(guard, rest[0]))
            return out
    return out


def _rewrite_children(stmt, kind, flag: str) -> None:
    if isinstance(stmt, _LOOPS):
        return  # an inner loop's break/continue belong to it (already rewritten)
    for field in ("body", "orelse", "finalbody"):
        block = getattr(stmt, field, None)
        if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
            setattr(stmt, field, _rewrite(block, kind, flag))
    for handler in getattr(stmt, "handlers", []):
        handler.body = _rewrite(handler.body, kind, flag)
    for case in getattr(stmt, "cases", []):
        case.body = _rewrite(case.body, kind, flag)


def transform(node: ast.FunctionDef, ctx) -> ast.FunctionDef:
    taken = analysis.assigned(node.body) | analysis.reads(node.body)
    return BreakContinue(taken).visit(node)
