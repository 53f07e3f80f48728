"""`Visitor` / `Transformer`: `ast.NodeVisitor` / `ast.NodeTransformer` with the same
contract, made faster for the converter's many whole-tree walks.

The method for a node class is looked up once per (visitor class, node class) instead of
by name on every node, and `generic_visit` reads a node's child fields from a table made
once per node class (the standard library goes through generators over every field, and
its `visit_Constant` shim for the pre-3.8 node names costs on every constant).

Walks skip the operator and context tokens (`Add()`, `Load()`): they have no children,
and passes read them from their parent node, never visit them on their own (a
`visit_Load` would not be called). A Name costs one visit instead of two. Fields that
hold names, numbers or flags (`Name.id`, `Constant.value`, `alias.asname`, ...) are not
read at all, and a walk steps over a leaf (a Name, a Constant) whose visit would do
nothing, without calling it.

`StatementTransformer` and `statements` walk statements only, for passes with nothing to
do in expressions (which hold no statements).
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
# Fields that never hold a child node: tokens (`ctx`, `op`, `ops`), and identifiers,
# strings, numbers and flags. `Constant.value` (and `MatchSingleton.value`) is a Python
# value; every other `value` field is a node.
_NOT_CHILDREN = frozenset({
    "ctx", "op", "ops", "id", "attr", "arg", "name", "asname", "module", "level", "kind",
    "type_comment", "conversion", "is_async", "simple", "rest", "kwd_attrs", "tag", "n", "s",
})
_VALUE_IS_PYTHON = frozenset({ast.Constant, ast.MatchSingleton})  # (`ast.Num` & co. make
# Constant nodes)
# Python 3.12's `type X = ...` names its alias with a Name node.
_NAME_IS_NODE = frozenset(getattr(ast, n) for n in ("TypeAlias",) if hasattr(ast, n))
CHILD_FIELDS: dict = {}  # node class -> `child_fields(node class)`, filled as classes are met


def child_fields(node_class) -> tuple:
    """The fields of `node_class` that may hold child nodes (or lists of them), in
    `_fields` order."""
    fields = CHILD_FIELDS.get(node_class)
    if fields is None:
        fields = CHILD_FIELDS[node_class] = tuple(
            f for f in node_class._fields
            if (f not in _NOT_CHILDREN or f == "name" and node_class in _NAME_IS_NODE)
            and not (f == "value" and node_class in _VALUE_IS_PYTHON))
    return fields


def _dispatch(visitor, node_class, base):
    """The method of `visitor`'s class for `node_class` (cached); a node class whose visit
    would do nothing (no method of its own, no child fields, the base `visit` and
    `generic_visit`) joins the class's `_leaves`, which walks then step over."""
    cls = visitor.__class__
    method = cls._dispatch[node_class] = _method(cls, node_class)
    if method is base.generic_visit and cls.visit is base.visit and \
            not child_fields(node_class):
        cls._leaves.add(node_class)
    return method


class Visitor(ast.NodeVisitor):
    """`ast.NodeVisitor` with cached dispatch."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._dispatch = {}  # node class -> method, per visitor class
        cls._leaves = set()  # node classes whose visit does nothing

    _dispatch: dict = {}
    _leaves: set = set()

    def visit(self, node):
        method = self._dispatch.get(node.__class__)
        if method is None:
            method = _dispatch(self, node.__class__, Visitor)
        return method(self, node)

    def generic_visit(self, node):
        fields = CHILD_FIELDS.get(node.__class__)
        if fields is None:
            fields = child_fields(node.__class__)
        leaves = self._leaves
        for field in fields:
            value = getattr(node, field, None)
            if type(value) is list:
                for item in value:
                    if item.__class__ not in leaves and isinstance(item, _AST):
                        self.visit(item)
            elif value.__class__ not in leaves and isinstance(value, _AST):
                self.visit(value)


class Transformer(ast.NodeTransformer):
    """`ast.NodeTransformer` with cached dispatch: a `visit_*` method returns the node, a
    replacement, a list of statements, or None to remove it."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._dispatch = {}  # node class -> method, per transformer class
        cls._leaves = set()  # node classes whose visit returns them unchanged

    _dispatch: dict = {}
    _leaves: set = set()

    def visit(self, node):
        method = self._dispatch.get(node.__class__)
        if method is None:
            method = _dispatch(self, node.__class__, Transformer)
        return method(self, node)

    def generic_visit(self, node):
        fields = CHILD_FIELDS.get(node.__class__)
        if fields is None:
            fields = child_fields(node.__class__)
        for field in fields:
            value = getattr(node, field, None)
            if type(value) is list:
                if value:
                    value[:] = self._visit_list(value)
            elif value.__class__ not in self._leaves and isinstance(value, _AST):
                new = self.visit(value)
                if new is None:
                    delattr(node, field)
                elif new is not value:
                    setattr(node, field, new)
        return node

    def _visit_list(self, items: list) -> list:
        out = []
        leaves = self._leaves
        for item in items:
            if item.__class__ in leaves:  # its visit would return it
                out.append(item)
                continue
            if isinstance(item, _AST):
                item = self.visit(item)
                if item is None:
                    continue
                if not isinstance(item, _AST):
                    out.extend(item)
                    continue
            out.append(item)
        return out


class StatementTransformer(Transformer):
    """A `Transformer` whose `generic_visit` walks statements only (the blocks of compound
    statements, handlers and match cases), never expressions: for passes that rewrite
    statements and have nothing to do in expressions (which hold no statements)."""

    def generic_visit(self, node):
        fields = _BLOCKS.get(node.__class__)
        if fields is None:
            fields = block_fields(node.__class__)
        for field in fields:
            value = getattr(node, field, None)
            if type(value) is list and value:
                value[:] = self._visit_list(value)
        return node


# Where statements nest: the blocks of statements, handlers and match cases (a lambda's or
# a conditional expression's `body` is an expression).
_BLOCK_NAMES = ("body", "orelse", "finalbody", "handlers", "cases")
_HOLDERS = (ast.stmt, ast.excepthandler, ast.match_case, ast.mod)
_BLOCKS: dict = {}


def block_fields(node_class) -> tuple:
    """The fields of `node_class` that hold statements, handlers or match cases (`body`,
    `handlers`, ...), in `_fields` order; none for expressions."""
    fields = _BLOCKS.get(node_class)
    if fields is None:
        fields = _BLOCKS[node_class] = tuple(
            f for f in node_class._fields if f in _BLOCK_NAMES) \
            if issubclass(node_class, _HOLDERS) else ()
    return fields


def statements(node):
    """`walk(node)` restricted to statements and the handlers and match cases that hold
    them, in the same order: expressions, which hold no statements, are not entered."""
    stack = [node]
    while stack:
        node = stack.pop()
        yield node
        fields = _BLOCKS.get(node.__class__)
        if fields is None:
            fields = block_fields(node.__class__)
        for field in fields:
            value = getattr(node, field, None)
            if type(value) is list:
                stack.extend(value)


def children(node) -> list:
    """The direct child nodes of `node` but tokens (`ast.iter_child_nodes`, as a list)."""
    out = []
    fields = CHILD_FIELDS.get(node.__class__)
    if fields is None:
        fields = child_fields(node.__class__)
    for field in fields:
        value = getattr(node, field, None)
        if type(value) is list:
            out.extend(v for v in value if isinstance(v, _AST))
        elif isinstance(value, _AST):
            out.append(value)
    return out


def walk(node):
    """Every node under `node` but tokens, itself included (`ast.walk`, in another order)."""
    stack = [node]
    pop, push = stack.pop, stack.append
    while stack:
        node = pop()
        yield node
        fields = CHILD_FIELDS.get(node.__class__)  # `children(node)`, inlined
        if fields is None:
            fields = child_fields(node.__class__)
        for field in fields:
            value = getattr(node, field, None)
            if type(value) is list:
                for v in value:
                    if isinstance(v, _AST):
                        push(v)
            elif isinstance(value, _AST):
                push(value)
