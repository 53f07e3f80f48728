"""Reject what a graph cannot express, naming the construct and the line.

Refused at conversion, in the function and the defs nested in it (which are converted
with it): generators (`yield`, `yield from`), `await`, `async for`, `async with`, nested
`async def` (and `async def` itself, refused when reading the source). Guarded at run
time: a `match` subject is wrapped in `at__.match_subject(...)`, which refuses a traced
value, and an assignment (or augmented assignment) to a `global` name goes through
`at__.set_global(...)`, which refuses to let a traced value escape the function.
"""

from __future__ import annotations

import ast

from autotrace.convert import analysis
from autotrace.convert.templates import replace, replace_expr
from autotrace.convert.visitor import Transformer
from autotrace.errors import ConversionError

_REFUSED = {
    ast.Yield: ("`yield`", "generators cannot be traced: a graph returns once. Return a list "
                "or an array instead."),
    ast.YieldFrom: ("`yield from`", "generators cannot be traced: a graph returns once."),
    ast.Await: ("`await`", "a graph has no event loop; compute the awaited value outside."),
    ast.AsyncFor: ("`async for`", "a graph has no event loop."),
    ast.AsyncWith: ("`async with`", "a graph has no event loop."),
    ast.AsyncFunctionDef: ("`async def`", "a graph has no event loop."),
}


class Unsupported(Transformer):
    def __init__(self, ctx, globals_: set):
        self.ctx = ctx
        self.globals = globals_

    def generic_visit(self, node):
        refused = _REFUSED.get(type(node))
        if refused is not None:
            what, why = refused
            raise ConversionError(
                f'File "{self.ctx.filename}", line {node.lineno}: {what} is not supported in '
                f"a traced function: {why}\n    {self.ctx.line(node.lineno)}"
            )
        return super().generic_visit(node)

    def visit_FunctionDef(self, node):
        if node is self.ctx.root:
            return self.generic_visit(node)
        # A nested def is converted with its parent (so refused constructs are refused in it
        # too); its `global` declarations are its own.
        return Unsupported(self.ctx, analysis.scope_declarations(node)[0]).generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign):
        self.generic_visit(node)
        if not (isinstance(node.target, ast.Name) and node.target.id in self.globals):
            return node
        name = node.target.id
        value = ast.BinOp(left=ast.Name(id=name, ctx=ast.Load()), op=node.op, right=node.value)
        (new,) = replace(f"{name} = at__.set_global('{name}', value)", value=value)
        return ast.copy_location(new, node)

    def visit_Match(self, node: ast.Match):
        self.generic_visit(node)
        node.subject = ast.copy_location(
            replace_expr("at__.match_subject(subject)", subject=node.subject), node.subject)
        return node

    def visit_Assign(self, node: ast.Assign):
        self.generic_visit(node)
        names = [t.id for t in node.targets if isinstance(t, ast.Name) and t.id in self.globals]
        if not names or len(node.targets) != 1:
            return node
        (new,) = replace(f"{names[0]} = at__.set_global('{names[0]}', value)", value=node.value)
        return ast.copy_location(new, node)


def transform(node: ast.FunctionDef, ctx) -> ast.FunctionDef:
    globals_, _ = analysis.scope_declarations(node)
    return Unsupported(ctx, globals_).visit(node)
