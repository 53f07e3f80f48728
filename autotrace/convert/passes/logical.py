"""`and` / `or` / `not`, conditional expressions and chained comparisons -> runtime calls
that keep Python's laziness:

    a and b or c       ->   at__.or_(at__.and_(a, lambda: b), lambda: c)
    not x              ->   at__.not_(x)
    a if p else b      ->   at__.if_exp(p, lambda: a, lambda: b)
    0 < x < n          ->   at__.and_(0 < x, lambda: x < n)

A middle operand of a chained comparison that is not a plain name or constant is
evaluated once, into a walrus temporary, as Python does.
"""

from __future__ import annotations

import ast
import itertools

from autotrace.convert import analysis
from autotrace.convert.templates import clone, runtime_call
from autotrace.convert.visitor import Transformer


def _thunk(node: ast.expr) -> ast.Lambda:
    return ast.Lambda(
        args=ast.arguments(posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[],
                           vararg=None, kwarg=None),
        body=node,
    )


class Logical(Transformer):
    def __init__(self, user_names: set):
        self._temps = itertools.count()
        self.user_names = user_names

    def _temp(self) -> str:
        """A fresh `cmp_<n>` that the user's code does not use."""
        name = f"cmp_{next(self._temps)}"
        return self._temp() if name in self.user_names else name

    def visit_BoolOp(self, node: ast.BoolOp):
        self.generic_visit(node)
        fn = "and_" if isinstance(node.op, ast.And) else "or_"
        call = runtime_call(fn, node.values[0], *[_thunk(v) for v in node.values[1:]])
        return ast.copy_location(call, node)

    def visit_UnaryOp(self, node: ast.UnaryOp):
        self.generic_visit(node)
        if not isinstance(node.op, ast.Not):
            return node
        return ast.copy_location(runtime_call("not_", node.operand), node)

    def visit_IfExp(self, node: ast.IfExp):
        self.generic_visit(node)
        call = runtime_call("if_exp", node.test, _thunk(node.body), _thunk(node.orelse))
        return ast.copy_location(call, node)

    def visit_Compare(self, node: ast.Compare):
        self.generic_visit(node)
        if len(node.ops) == 1:
            return node
        operands = [node.left, *node.comparators]
        parts = []
        for i, op in enumerate(node.ops):
            left, right = operands[i], operands[i + 1]
            if i:  # the previous comparison's right operand: a node appears once in a tree
                left = clone(left)
            if i + 1 < len(node.ops) and not isinstance(right, (ast.Name, ast.Constant)):
                temp = self._temp()
                operands[i + 1] = ast.Name(id=temp, ctx=ast.Load())
                right = ast.NamedExpr(target=ast.Name(id=temp, ctx=ast.Store()), value=right)
            parts.append(ast.Compare(left=left, ops=[op], comparators=[right]))
        new = ast.BoolOp(op=ast.And(), values=parts)
        return self.visit_BoolOp(ast.copy_location(new, node))


# What this pass may rewrite (a `UnaryOp` that is not `not` and a single comparison stay).
_REWRITTEN = {ast.BoolOp, ast.UnaryOp, ast.IfExp, ast.Compare}


def transform(node: ast.FunctionDef, ctx) -> ast.FunctionDef:
    kinds: set = set()
    names = analysis.all_names(node, kinds)
    if not kinds & _REWRITTEN:
        return node  # nothing to rewrite: the walk would change nothing
    return Logical(names).visit(node)
