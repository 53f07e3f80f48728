"""A greedy shrinker: delete statements, unwrap compound statements and simplify
expressions of a failing program while it still fails the same way (same `Outcome.key`)."""

from __future__ import annotations

import ast
import copy
import time


def _statement_lists(tree):
    for node in ast.walk(tree):
        for field in ("body", "orelse"):
            stmts = getattr(node, field, None)
            if isinstance(stmts, list) and stmts and isinstance(stmts[0], ast.stmt):
                yield node, field


def _variants(tree):
    """Smaller programs than `tree`, most promising (largest cuts) first."""
    lists = list(_statement_lists(tree))
    for li, (node, field) in enumerate(lists):
        for si, stmt in enumerate(getattr(node, field)):
            if isinstance(stmt, ast.Import) or _is_final_return(node, field, si) or \
                    _is_prologue(node, field, si):
                continue
            replacements = [[]]
            if isinstance(stmt, (ast.If, ast.For, ast.While)):
                replacements += [stmt.body, stmt.orelse] if stmt.orelse else [stmt.body]
                if isinstance(stmt, ast.If) and stmt.orelse:
                    replacements.append([ast.If(stmt.test, stmt.body, [])])
            for replacement in replacements:
                yield _edit(tree, li, si, replacement)
    for ni, node in enumerate(ast.walk(tree)):
        for simpler in _simpler_expressions(node):
            yield _replace_node(tree, ni, simpler)


def _is_final_return(node, field, index) -> bool:
    """The last `return` of a function is kept: without it the function would return None,
    and a shrunk program should fail the way the original does, not by falling off."""
    stmts = getattr(node, field)
    return isinstance(node, ast.FunctionDef) and index == len(stmts) - 1 and \
        isinstance(stmts[index], ast.Return)


def _is_prologue(node, field, index) -> bool:
    """The assignments that open a function are kept: every variable stays bound on
    every path, so a shrunk program never fails by reading an unbound name."""
    stmts = getattr(node, field)
    return isinstance(node, ast.FunctionDef) and \
        all(isinstance(s, ast.Assign) for s in stmts[:index + 1])


def _simpler_expressions(node):
    if isinstance(node, ast.IfExp):
        return [node.body, node.orelse]
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.BoolOp):
        return list(node.values)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return [node.operand]
    if isinstance(node, ast.Call) and node.args and isinstance(node.func, ast.Attribute):
        return [node.args[0]]
    return []


def _edit(tree, list_index, stmt_index, replacement):
    tree = copy.deepcopy(tree)
    node, field = list(_statement_lists(tree))[list_index]
    stmts = getattr(node, field)
    stmts[stmt_index:stmt_index + 1] = copy.deepcopy(replacement)
    if not stmts and field == "body":
        stmts.append(ast.Pass())
    return tree


def _replace_node(tree, node_index, simpler):
    tree = copy.deepcopy(tree)
    target = list(ast.walk(tree))[node_index]
    for parent in ast.walk(tree):
        for field, value in ast.iter_fields(parent):
            if value is target:
                setattr(parent, field, copy.deepcopy(simpler))
                return tree
            if isinstance(value, list) and any(v is target for v in value):
                value[[id(v) for v in value].index(id(target))] = copy.deepcopy(simpler)
                return tree
    return tree


def shrink(source: str, still_fails, budget: int = 300, seconds: float = 25) -> str:
    """The smallest program found, by greedy one-step cuts, for which `still_fails(source)`
    holds (it holds for `source`); at most `budget` candidates and about `seconds`."""
    tree = ast.parse(source)
    tried, seen = 0, {ast.unparse(tree)}
    progress, end = True, time.monotonic() + seconds
    while progress and tried < budget and time.monotonic() < end:
        progress = False
        for variant in _variants(tree):
            text = ast.unparse(ast.fix_missing_locations(variant))
            if text in seen:
                continue
            seen.add(text)
            tried += 1
            if still_fails(text + "\n"):
                tree, progress = variant, True
                break
            if tried >= budget or time.monotonic() > end:
                break
    return ast.unparse(tree) + "\n"
