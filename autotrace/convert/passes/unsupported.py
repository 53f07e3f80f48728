"""Reject what a graph cannot express, naming the construct and the line.

Refused at conversion: generators (`yield`, `yield from`), `await`, `async for`,
`async with` (and `async def`, refused when reading the source). Guarded at run time:
a `match` subject is wrapped in `at__.match_subject(...)`, which refuses a traced value,
and an assignment to a `global` name goes through `at__.set_global(...)`, which refuses to
let a traced value escape the function.
"""

from __future__ import annotations

import ast

from autotrace.convert import analysis
from autotrace.convert.templates import replace, replace_expr
from autotrace.errors import ConversionError

_REFUSED = {
    ast.Yield: ("`yield`", "generators cannot be traced: a graph returns once. Return a list "
                "or an array instead."),
    ast.YieldFrom: ("`yield from`", "generators cannot be traced: a graph returns once."),
    ast.Await: ("`await`", "a graph has no event loop; compute the awaited value outside."),
    ast.AsyncFor: ("`async for`", "a graph has no event loop."),
    ast.AsyncWith: ("`async with`", "a graph has no event loop."),
}


class Unsupported(ast.NodeTransformer):
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
        # Nested functions are their own scope: their globals are their own business.
        if node is not self.ctx.root:
            return node
        return self.generic_visit(node)

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
