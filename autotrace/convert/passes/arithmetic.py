"""Arithmetic, comparisons and augmented assignment -> runtime operator calls.

    c = a + b          ->   c = at__.add(a, b)
    d = -x             ->   d = at__.neg(x)
    s += x             ->   s = at__.iadd(s, x)
    p = a < b          ->   p = at__.lt(a, b)

The runtime operators are Python's own (`operator.add`, ...), so Python values keep
Python semantics exactly (`[1] + [2]`, `"a" + "b"`, in-place `+=` on numpy arrays) and
tensors dispatch through their operator methods to the op registry. `x[i] += v` and
`obj.attr += v` are left as they are (in-place on their container). Chained comparisons
are handled by the logical pass; `is`, `in` keep Python meaning.
"""

from __future__ import annotations

import ast

from autotrace.convert.templates import replace, runtime_call
from autotrace.convert.visitor import Transformer

BINARY = {
    ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "truediv",
    ast.FloorDiv: "floordiv", ast.Mod: "mod", ast.Pow: "pow", ast.MatMult: "matmul",
    ast.BitAnd: "bitand", ast.BitOr: "bitor", ast.BitXor: "bitxor",
    ast.LShift: "lshift", ast.RShift: "rshift",
}  # fmt: skip
UNARY = {ast.USub: "neg", ast.UAdd: "pos", ast.Invert: "invert"}
COMPARE = {ast.Eq: "eq", ast.NotEq: "ne", ast.Lt: "lt", ast.LtE: "le", ast.Gt: "gt",
           ast.GtE: "ge"}


class Arithmetic(Transformer):
    def visit_BinOp(self, node: ast.BinOp):
        self.generic_visit(node)
        new = runtime_call(BINARY[type(node.op)], node.left, node.right)
        return ast.copy_location(new, node)

    def visit_UnaryOp(self, node: ast.UnaryOp):
        self.generic_visit(node)
        fn = UNARY.get(type(node.op))
        if fn is None or _is_number(node.operand):
            return node  # `-1` stays a literal
        return ast.copy_location(runtime_call(fn, node.operand), node)

    def visit_Compare(self, node: ast.Compare):
        self.generic_visit(node)
        if len(node.ops) != 1 or type(node.ops[0]) not in COMPARE:
            return node
        new = runtime_call(COMPARE[type(node.ops[0])], node.left, node.comparators[0])
        return ast.copy_location(new, node)

    def visit_AugAssign(self, node: ast.AugAssign):
        self.generic_visit(node)
        if not isinstance(node.target, ast.Name):
            return node
        fn = "i" + BINARY[type(node.op)].removeprefix("bit")
        (new,) = replace(f"target = at__.{fn}(target, value)", target=node.target.id,
                         value=node.value)
        return ast.copy_location(new, node)


def _is_number(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) in (int, float, complex)


def transform(node: ast.AST, ctx) -> ast.AST:
    return Arithmetic().visit(node)
