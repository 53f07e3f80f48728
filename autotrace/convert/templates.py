"""Build AST from code templates with placeholders (AutoGraph's `templates.replace`).

    replace_expr("at__.add(left, right)", left=node.left, right=node.right)

A placeholder is a bare name in the template; it is replaced by an AST node, a list of
statements (in statement position), or a string (a new name). Contexts (Load/Store) are
fixed up to match the position the replacement lands in.
"""

from __future__ import annotations

import ast
import copy
import functools

from autotrace.convert.visitor import Transformer

# Template nodes get their location from the code they replace (`ast.copy_location` by the
# caller, then `fix_missing_locations`), never from the template text itself.
_LOCATION = ("lineno", "col_offset", "end_lineno", "end_col_offset")


@functools.lru_cache(maxsize=1024)
def _parse(template: str) -> ast.Module:
    """The template parsed once, without locations (the caller gives generated code the
    location of the code it replaces)."""
    tree = ast.parse(template)
    for node in ast.walk(tree):
        for attr in _LOCATION:
            if hasattr(node, attr):
                delattr(node, attr)
    return tree


_CONTEXTS = frozenset(ast.expr_context.__subclasses__())


def clone(node):
    """A deep copy of an AST, with every attribute (much faster than `copy.deepcopy`).
    Context tokens (`Load()`, `Store()`) are shared, as the parser shares them: they have
    no fields, and passes replace them, never change them."""
    new = node.__class__.__new__(node.__class__)
    attrs = new.__dict__
    for key, value in node.__dict__.items():
        if isinstance(value, ast.AST):
            if value.__class__ not in _CONTEXTS:
                value = clone(value)
        elif type(value) is list:
            value = [clone(v) if isinstance(v, ast.AST) else v for v in value]
        attrs[key] = value
    return new


class _Substitute(Transformer):
    def __init__(self, subs: dict):
        self.subs = subs

    def _replacement(self, name: str, ctx):
        value = self.subs[name]
        if isinstance(value, str):
            return ast.Name(id=value, ctx=ctx)
        if isinstance(value, ast.AST):
            node = copy.copy(value)
            _set_ctx(node, ctx)
            return node
        return value

    def visit_Name(self, node: ast.Name):
        if node.id in self.subs:
            return self._replacement(node.id, node.ctx)
        return node

    def visit_Expr(self, node: ast.Expr):
        if isinstance(node.value, ast.Name) and isinstance(self.subs.get(node.value.id), list):
            return self.subs[node.value.id]
        return self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef):
        if node.name in self.subs:
            node.name = self.subs[node.name]
        self.generic_visit(node)
        return node

    def visit_arg(self, node: ast.arg):
        if node.arg in self.subs:
            node.arg = self.subs[node.arg]
        return node

    def visit_arguments(self, node: ast.arguments):
        args = []
        for a in node.args:
            value = self.subs.get(a.arg)
            if isinstance(value, (list, tuple)):
                args.extend(ast.arg(arg=n) for n in value)
            else:
                args.append(self.visit_arg(a))
        node.args = args
        return node

    def visit_Nonlocal(self, node: ast.Nonlocal):
        names = []
        for n in node.names:
            value = self.subs.get(n, n)
            names.extend(value if isinstance(value, (list, tuple)) else [value])
        node.names = names
        return node if names else None


def _set_ctx(node: ast.AST, ctx) -> None:
    if isinstance(node, (ast.Name, ast.Attribute, ast.Subscript, ast.Starred)):
        node.ctx = ctx
    if isinstance(node, (ast.Tuple, ast.List)):
        node.ctx = ctx
        for elt in node.elts:
            _set_ctx(elt, ctx)


def replace(template: str, **subs) -> list[ast.stmt]:
    """Statements of `template` with placeholders substituted."""
    tree = _Substitute(subs).visit(clone(_parse(template)))
    return tree.body


def replace_expr(template: str, **subs) -> ast.expr:
    """The single expression of `template` with placeholders substituted."""
    (stmt,) = replace(template, **subs)
    assert isinstance(stmt, ast.Expr), template
    return stmt.value


def name_tuple(names, ctx=None) -> ast.expr:
    """`(a, b)` as Load (or `ctx`); a single name stays a Name."""
    ctx = ctx or ast.Load()
    elts = [ast.Name(id=n, ctx=type(ctx)()) for n in names]
    if len(elts) == 1:
        return elts[0]
    return ast.Tuple(elts=elts, ctx=ctx)


def state_tuple(names) -> ast.expr:
    """`(a, b)`, `(a,)`, `()`: a statement's variables, always a tuple (Load)."""
    return ast.Tuple(elts=[ast.Name(id=n, ctx=ast.Load()) for n in names], ctx=ast.Load())


def at_line(new: ast.AST, old: ast.AST) -> ast.AST:
    """Locate generated `new` on the first line of `old` (its header, for compound
    statements): tracebacks and graph origins then name the `if`/`while`/`for` line."""
    new.lineno = new.end_lineno = old.lineno
    new.col_offset = old.col_offset
    new.end_col_offset = old.col_offset + 1
    return new


def runtime_call(name: str, *args: ast.expr) -> ast.Call:
    """`at__.<name>(*args)`: what `replace_expr("at__.<name>(a, b)", a=..., b=...)` builds,
    built directly, because the converter builds one per operator of the user's code."""
    func = ast.Attribute(value=ast.Name(id="at__", ctx=_LOAD), attr=name, ctx=_LOAD)
    return ast.Call(func=func, args=list(args), keywords=[])


_LOAD = ast.Load()  # one instance, as the parser gives (see `clone`)


def fresh_name(base: str, taken: set) -> str:
    """`base`, or `base_1`, `base_2`... (`break_1` for a base ending in `_`): the first not
    in `taken`, so generated names never shadow the user's."""
    name, k = base, 0
    sep = "" if base.endswith("_") else "_"
    while name in taken:
        k += 1
        name = f"{base}{sep}{k}"
    return name
