"""How the parts of a `try` statement are rewritten before they become helpers
(`control_flow.ControlFlow.visit_Try`): `at__.try_save` after each statement that changes
variables (`saved`), `at__.bound(z)` for reads of variables the body may leave unbound
(`BoundReads`, and `reads_after_tries` for the statements after the `try`), and a
handler's bare `raise` as `at__.reraise(e)` (`reraising`)."""

from __future__ import annotations

import ast

from autotrace.convert import analysis
from autotrace.convert.templates import at_line, replace, replace_expr, state_tuple
from autotrace.convert.visitor import child_fields


def saved(stmts: list, runs: list, top: bool = True) -> list:
    """`stmts` with `at__.try_save(run, slots, values)` after each statement that binds
    variables of a `try` statement's `state`, for each `(run, state)` of `runs` (the
    enclosing `try`s, innermost last), inside compound statements too (an `if`, a loop,
    a `with`, a nested `try`: a handler sees the iterations that ran). Not after the last
    statement of a part (its result) or one that always exits."""
    out = []
    for k, stmt in enumerate(stmts):
        saved_inside(stmt, runs)
        out.append(stmt)
        if top and k == len(stmts) - 1 or analysis.always_exits([stmt]):
            continue
        out += _saves(analysis.assigned([stmt]), runs, stmt)
    return out


def _saves(assigned: set, runs: list, at: ast.AST) -> list:
    out = []
    for run, state in runs:
        names = [n for n in state if n in assigned]
        if names:
            slots = tuple(state.index(n) for n in names)
            (save,) = replace(f"at__.try_save({run}, {slots!r}, values)",
                              values=state_tuple(names))
            out.append(at_line(save, at))
    return out


def saved_inside(stmt: ast.stmt, runs: list) -> None:
    if isinstance(stmt, (ast.If, ast.For, ast.While, ast.With)):
        stmt.body = saved(stmt.body, runs, top=False)
        if isinstance(stmt, ast.For):  # the target, bound before each iteration's body
            stmt.body = _saves(analysis.assigned(stmt.target), runs, stmt) + stmt.body
        if getattr(stmt, "orelse", None):
            stmt.orelse = saved(stmt.orelse, runs, top=False)
    elif isinstance(stmt, ast.Try):
        stmt.body = saved(stmt.body, runs, top=False)
        stmt.orelse = saved(stmt.orelse, runs, top=False)
        stmt.finalbody = saved(stmt.finalbody, runs, top=False)
        for handler in stmt.handlers:
            handler.body = saved(handler.body, runs, top=False)


def reads_after_tries(block: list, unsure: frozenset) -> frozenset:
    """In `block` (in place, before the statements are converted): the reads of the names
    in `unsure`, and of those a `try` in it may leave unbound (a handler that does not bind
    them), in the statements after it, become `at__.bound(z)`: where `z` is unbound, the
    read raises Python's `UnboundLocalError` when it happens, even if nothing uses the
    value (`t = z`). Returns the names unsure after the block."""
    for stmt in block:
        if unsure:
            for field in child_fields(stmt.__class__):
                if field not in _BLOCK_FIELDS:
                    value = getattr(stmt, field)
                    if isinstance(value, list):
                        setattr(stmt, field, [BoundReads(unsure).visit(v) for v in value])
                    elif isinstance(value, ast.AST):
                        setattr(stmt, field, BoundReads(unsure).visit(value))
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        after = unsure
        for field in _BLOCK_FIELDS:
            inner = getattr(stmt, field, None) or []
            for block in [h.body for h in inner] if field in ("handlers", "cases") else [inner]:
                after |= reads_after_tries(block, unsure)
        if isinstance(stmt, ast.Try) and stmt.handlers:
            defined = getattr(stmt, "defined_in", frozenset())
            finally_bound = analysis.assigned(stmt.finalbody)
            after |= {n for n in analysis.assigned(stmt.body) - defined - finally_bound
                      if any(n not in analysis.assigned(h.body) for h in stmt.handlers)}
        unsure = after
    return unsure


_BLOCK_FIELDS = ("body", "orelse", "finalbody", "handlers", "cases")


class BoundReads(ast.NodeTransformer):
    """`z` -> `at__.bound(z)` for the reads of `names` (not in nested functions): where
    `z` is unbound, the read raises Python's `UnboundLocalError` when it happens."""

    def __init__(self, names: set):
        self.names = names

    def visit_block(self, stmts: list) -> list:
        return [self.visit(s) for s in stmts] if self.names else stmts

    def visit_Name(self, node: ast.Name):
        if node.id in self.names and isinstance(node.ctx, ast.Load):
            return ast.copy_location(replace_expr(f"at__.bound({node.id})"), node)
        return node

    def visit_FunctionDef(self, node):
        return node

    visit_AsyncFunctionDef = visit_Lambda = visit_ClassDef = visit_FunctionDef


def reraising(stmts: list, name: str) -> list:
    """A handler's body with each bare `raise` (not in a nested handler or def) turned into
    `at__.reraise(name)`: the exception is raised again when the graph runs."""
    out = []
    for stmt in stmts:
        if isinstance(stmt, ast.Raise) and stmt.exc is None:
            (new,) = replace(f"at__.reraise({name})")
            out.append(at_line(new, stmt))
            continue
        if isinstance(stmt, (ast.If, ast.For, ast.While, ast.With)):
            stmt.body = reraising(stmt.body, name)
            if getattr(stmt, "orelse", None):
                stmt.orelse = reraising(stmt.orelse, name)
        elif isinstance(stmt, ast.Try):
            stmt.body = reraising(stmt.body, name)
            stmt.orelse = reraising(stmt.orelse, name)
            stmt.finalbody = reraising(stmt.finalbody, name)
        out.append(stmt)
    return out


def no_args() -> ast.arguments:
    return ast.arguments(posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[],
                         vararg=None, kwarg=None)
