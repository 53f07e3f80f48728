"""Reject what a graph cannot express, naming the construct and the line.

Refused at conversion, in the function and the defs nested in it (which are converted
with it): generators (`yield`, `yield from`), `await`, `async for`, `async with`, nested
`async def` (and `async def` itself, refused when reading the source). Guarded at run
time: a `match` subject is wrapped in `at__.match_subject(...)`, which refuses a traced
value, and an assignment (or augmented assignment) to a `global` name goes through
`at__.set_global(...)`, which refuses to let a traced value escape the function, and so
does an assignment to an attribute (`self.m = value` -> `self.m = at__.set_attribute(self,
'm', value)`) of an object the function did not make.
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
        if len(node.targets) == 1 and _plain_attribute(node.targets[0]):
            target = node.targets[0]
            node.value = ast.copy_location(replace_expr(
                f"at__.set_attribute(obj, {target.attr!r}, value)",
                obj=_load(target.value), value=node.value), node.value)
            return node
        target = node.targets[0]
        if len(node.targets) == 1 and isinstance(target, (ast.Tuple, ast.List)) and \
                any(_plain_attribute(t) for t in target.elts) and \
                not any(isinstance(t, ast.Starred) for t in target.elts):
            slots = ast.Tuple(elts=[
                ast.Tuple(elts=[_load(t.value), ast.Constant(value=t.attr)], ctx=ast.Load())
                if _plain_attribute(t) else ast.Constant(value=None) for t in target.elts],
                ctx=ast.Load())
            node.value = ast.copy_location(replace_expr(
                "at__.set_attributes(value, slots)", value=node.value, slots=slots),
                node.value)
            return node
        names = [t.id for t in node.targets if isinstance(t, ast.Name) and t.id in self.globals]
        if not names or len(node.targets) != 1:
            return node
        (new,) = replace(f"{names[0]} = at__.set_global('{names[0]}', value)", value=node.value)
        return ast.copy_location(new, node)


def _plain_attribute(target) -> bool:
    """`self.m` or `a.b.c` as an assignment target (names and attributes only: reading
    the object again has no side effect)."""
    if not isinstance(target, ast.Attribute):
        return False
    node = target.value
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name) and node.id != "at__"


def _load(node):
    """A copy of name/attribute chain `node` that loads it."""
    if isinstance(node, ast.Name):
        return ast.copy_location(ast.Name(id=node.id, ctx=ast.Load()), node)
    return ast.copy_location(ast.Attribute(value=_load(node.value), attr=node.attr,
                                           ctx=ast.Load()), node)


def transform(node: ast.FunctionDef, ctx) -> ast.FunctionDef:
    globals_, _ = analysis.scope_declarations(node)
    return Unsupported(ctx, globals_).visit(node)
