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

from autotrace.convert.templates import replace_expr


def _thunk(node: ast.expr) -> ast.Lambda:
    return ast.Lambda(
        args=ast.arguments(posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[],
                           vararg=None, kwarg=None),
        body=node,
    )


class Logical(ast.NodeTransformer):
    def __init__(self):
        self._temps = itertools.count()

    def visit_BoolOp(self, node: ast.BoolOp):
        self.generic_visit(node)
        fn = "and_" if isinstance(node.op, ast.And) else "or_"
        call = replace_expr(f"at__.{fn}(first)", first=node.values[0])
        call.args += [_thunk(v) for v in node.values[1:]]
        return ast.copy_location(call, node)

    def visit_UnaryOp(self, node: ast.UnaryOp):
        self.generic_visit(node)
        if not isinstance(node.op, ast.Not):
            return node
        return ast.copy_location(replace_expr("at__.not_(x)", x=node.operand), node)

    def visit_IfExp(self, node: ast.IfExp):
        self.generic_visit(node)
        call = replace_expr("at__.if_exp(test)", test=node.test)
        call.args += [_thunk(node.body), _thunk(node.orelse)]
        return ast.copy_location(call, node)

    def visit_Compare(self, node: ast.Compare):
        self.generic_visit(node)
        if len(node.ops) == 1:
            return node
        operands = [node.left, *node.comparators]
        parts = []
        for i, op in enumerate(node.ops):
            left, right = operands[i], operands[i + 1]
            if i + 1 < len(node.ops) and not isinstance(right, (ast.Name, ast.Constant)):
                temp = f"cmp_{next(self._temps)}"
                operands[i + 1] = ast.Name(id=temp, ctx=ast.Load())
                right = ast.NamedExpr(target=ast.Name(id=temp, ctx=ast.Store()), value=right)
            parts.append(ast.Compare(left=left, ops=[op], comparators=[right]))
        new = ast.BoolOp(op=ast.And(), values=parts)
        return self.visit_BoolOp(ast.copy_location(new, node))


def transform(node: ast.FunctionDef, ctx) -> ast.FunctionDef:
    return Logical().visit(node)
