"""In-place writes through a local name -> runtime calls that rebind the name.

    x[i] = v           ->   x = at__.setitem(x, i, v)
    x[1:3] += v        ->   x = at__.setitem_aug(x, slice(1, 3, None), 'add', v)

A traced `x` is written in place by the runtime (its Python object is re-pointed at the
new value, `autotrace/mutation.py`), so the call returns `x` itself; a numpy array that
receives a traced value or key becomes a traced value, which the rebinding hands to the
later code; anything else (lists, dicts, numpy arrays written with Python values) is
written as Python writes it. Only names local to the function are rebound, and only
single-target assignments. Other writes (`self.w[i] = v`, `W[i] = v` of a global,
`obj.attr += v`) go through `at__.setitem_into` & co., which write a traced value in place
and refuse a numpy array reached from outside the function (see `runtime/inplace.py`).

    self.w[i] = v      ->   at__.setitem_into(self.w, i, v, True)
    obj.n += 1         ->   obj.n = at__.augmented_into(obj.n, 'add', 1, True)

A global or closure array the function writes into is read live, as a graph input, and
written back after each call: every read of its name in the function is
`at__.outer_array(lambda: W, 'W')` (the traced value standing for it in this trace).
"""

from __future__ import annotations

import ast

from autotrace.convert import analysis
from autotrace.convert.passes.arithmetic import BINARY
from autotrace.convert.templates import replace, replace_expr
from autotrace.convert.visitor import StatementTransformer, Transformer, walk


class InPlace(Transformer):
    def __init__(self, local_names: set, params: set = frozenset(), outer: set = frozenset()):
        self.locals = local_names
        self.params = params
        self.outer = outer  # global/closure names written here (`W[i] = v`)

    def visit_FunctionDef(self, node):
        names = _locals(node)
        outer = _outer_written(node, names)
        inner = (InPlace if outer else _Statements)(names, _params(node), outer)
        node.body = [inner.visit(s) for s in node.body]
        return node

    def visit_Name(self, node: ast.Name):
        if not isinstance(node.ctx, ast.Load) or node.id not in self.outer:
            return node
        new = replace_expr(f"at__.outer_array(lambda: {node.id}, '{node.id}')")
        return ast.copy_location(new, node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        return node  # class bodies are their own scope, written as Python writes them

    def visit_Assign(self, node: ast.Assign):
        self.generic_visit(node)
        target = node.targets[0]
        if len(node.targets) != 1 or not isinstance(target, ast.Subscript):
            return node
        if self._local_subscript(target):
            (new,) = replace("x = at__.setitem(x, key, value)", x=target.value.id,
                             key=_key(target.slice), value=node.value)
        else:
            (new,) = replace(f"at__.setitem_into(x, key, value, {self._external(target)})",
                             x=target.value, key=_key(target.slice), value=node.value)
        return ast.copy_location(new, node)

    def visit_AugAssign(self, node: ast.AugAssign):
        self.generic_visit(node)
        target, op = node.target, BINARY[type(node.op)].removeprefix("bit")
        if self._local_subscript(target):
            (new,) = replace(f"x = at__.setitem_aug(x, key, '{op}', value)",
                             x=target.value.id, key=_key(target.slice), value=node.value)
        elif isinstance(target, ast.Subscript):
            (new,) = replace(
                f"at__.setitem_aug_into(x, key, '{op}', value, {self._external(target)})",
                x=target.value, key=_key(target.slice), value=node.value)
        elif isinstance(target, ast.Attribute):
            load = ast.Attribute(value=target.value, attr=target.attr, ctx=ast.Load())
            (new,) = replace(f"target = at__.augmented_into(current, '{op}', value, "
                             f"{self._external(target)})", target=target, current=load,
                             value=node.value)
        else:
            return node
        return ast.copy_location(new, node)

    def _external(self, target) -> bool:
        """The written object is reached from outside the function: through a global or
        closure name, or a parameter (an attribute of an argument)."""
        root = target.value
        while isinstance(root, (ast.Subscript, ast.Attribute)):
            root = root.value
        return not isinstance(root, ast.Name) or root.id not in self.locals or \
            root.id in self.params

    def _local_subscript(self, target) -> bool:
        return (isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name)
                and target.value.id in self.locals)


class _Statements(StatementTransformer, InPlace):
    """`InPlace` for a function that writes into no global or closure name: only its
    statements change (no name is read through `at__.outer_array`), so expressions are
    not walked."""


def _key(node: ast.expr) -> ast.expr:
    """A subscript's key as an expression (`1:3` -> `slice(1, 3, None)`)."""
    if isinstance(node, ast.Slice):
        parts = [p if p is not None else ast.Constant(value=None)
                 for p in (node.lower, node.upper, node.step)]
        call = ast.Call(func=ast.Name(id="slice", ctx=ast.Load()), args=parts, keywords=[])
        return ast.copy_location(call, node)
    if isinstance(node, ast.Tuple):
        return ast.copy_location(ast.Tuple(elts=[_key(e) for e in node.elts],
                                           ctx=ast.Load()), node)
    return node


def _outer_written(func, local_names: set) -> set:
    """Global and closure names that `func`'s own statements write into (`W[i] = v`)."""
    names = set()
    for node in _own_nodes(func.body):
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, ast.AugAssign) else []
        for t in targets:
            if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and \
                    t.value.id not in local_names:
                names.add(t.value.id)
    return names


def _own_nodes(nodes):
    """The statements of `nodes`, without the bodies of nested functions and classes
    (expressions hold no statements: they are not walked)."""
    return analysis.own_statements(nodes)


def _params(func) -> set:
    args = func.args
    return {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs} | \
        {a.arg for a in (args.vararg, args.kwarg) if a is not None}


def _locals(func) -> set:
    """Names local to `func`: its parameters and the names it binds, less the ones it
    declares global or nonlocal."""
    params = _params(func)
    bound = {n.id for n in walk(func) if isinstance(n, ast.Name)
             and isinstance(n.ctx, ast.Store)}
    glob, nonloc = analysis.scope_declarations(func)
    return (params | bound) - glob - nonloc


def transform(node: ast.FunctionDef, ctx) -> ast.FunctionDef:
    return InPlace(set()).visit(node)
