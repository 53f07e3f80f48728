"""`Visitor` / `Transformer`: `ast.NodeVisitor` / `ast.NodeTransformer` with the same
contract, made faster for the converter's many whole-tree walks.

The method for a node class is looked up once per (visitor class, node class) instead of
by name on every node, and `generic_visit` reads `_fields` directly (the standard library
goes through generators, and its `visit_Constant` shim for the pre-3.8 node names costs
on every constant). Converting 1000 lines walks the tree about a dozen times, so this is
a third of the conversion time.

Walks skip the operator and context tokens (`Add()`, `Load()`): they have no children,
and passes read them from their parent node, never visit them on their own (a
`visit_Load` would not be called). A Name costs one visit instead of two.
"""

from __future__ import annotations

import ast

_AST = ast.AST


def _method(visitor_class, node_class):
    """`visit_<NodeClass>` of `visitor_class`, or its `generic_visit` (never the standard
    library's own `visit_Constant` shim)."""
    method = getattr(visitor_class, "visit_" + node_class.__name__, None)
    if method is None or method is _STDLIB_SHIM:
        return visitor_class.generic_visit
    return method


_STDLIB_SHIM = getattr(ast.NodeVisitor, "visit_Constant", None)  # gone in newer Pythons
_TOKENS = frozenset(cls for base in (ast.expr_context, ast.operator, ast.unaryop, ast.boolop,
                                     ast.cmpop) for cls in base.__subclasses__())


class Visitor(ast.NodeVisitor):
    """`ast.NodeVisitor` with cached dispatch."""

    _dispatch: dict = {}

    def visit(self, node):
        key = (self.__class__, node.__class__)
        method = Visitor._dispatch.get(key)
        if method is None:
            method = Visitor._dispatch[key] = _method(self.__class__, node.__class__)
        return method(self, node)

    def generic_visit(self, node):
        for field in node._fields:
            value = getattr(node, field, None)
            if type(value) is list:
                for item in value:
                    if isinstance(item, _AST) and type(item) not in _TOKENS:
                        self.visit(item)
            elif isinstance(value, _AST) and type(value) not in _TOKENS:
                self.visit(value)


class Transformer(ast.NodeTransformer):
    """`ast.NodeTransformer` with cached dispatch: a `visit_*` method returns the node, a
    replacement, a list of statements, or None to remove it."""

    _dispatch: dict = {}

    def visit(self, node):
        key = (self.__class__, node.__class__)
        method = Transformer._dispatch.get(key)
        if method is None:
            method = Transformer._dispatch[key] = _method(self.__class__, node.__class__)
        return method(self, node)

    def generic_visit(self, node):
        for field in node._fields:
            value = getattr(node, field, None)
            if type(value) is list:
                if value:
                    value[:] = self._visit_list(value)
            elif isinstance(value, _AST) and type(value) not in _TOKENS:
                new = self.visit(value)
                if new is None:
                    delattr(node, field)
                else:
                    setattr(node, field, new)
        return node

    def _visit_list(self, items: list) -> list:
        out = []
        for item in items:
            if isinstance(item, _AST) and type(item) not in _TOKENS:
                item = self.visit(item)
                if item is None:
                    continue
                if not isinstance(item, _AST):
                    out.extend(item)
                    continue
            out.append(item)
        return out


def children(node) -> list:
    """The direct child nodes of `node` but tokens (`ast.iter_child_nodes`, as a list)."""
    out = []
    for field in node._fields:
        value = getattr(node, field, None)
        if type(value) is list:
            out.extend(v for v in value if isinstance(v, _AST) and type(v) not in _TOKENS)
        elif isinstance(value, _AST) and type(value) not in _TOKENS:
            out.append(value)
    return out


def walk(node):
    """Every node under `node` but tokens, itself included (`ast.walk`, in another order)."""
    stack = [node]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(children(node))
