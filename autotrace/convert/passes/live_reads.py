"""Reads that may give a captured array written in place -> `at__.live(...)` (last pass).

    s = W.sum()           ->   s = at__.live(W).sum()
    y = m.w * 2           ->   y = at__.mul(at__.live(m.w), 2)

A captured numpy array (a global, a closure variable, an attribute or container item of
captured state) that the trace writes in place (`w = W; w[i] = v`) is a traced value from
that write on. `at__.live(value)` returns that traced value for the array object, so every
later read of the same object, through another name or path, sees the write, as in numpy;
for another captured array, its graph input, so that numpy on it is graph ops read on every
call (`CaptureScope.read`); any other value is returned as it is (`runtime/inplace.py`).

Wrapped: loads of names the function does not bind (globals, closure variables), except
those whose value now is a module, class or function; attribute loads, except callees
(`obj.method(...)`: `obj` is wrapped), attributes of modules and ndarray attributes
(`.T`, `.shape`: the object they are taken from is wrapped); subscript loads of such
values (`params["w"]`). Names the function binds (its locals) are read as they are.

Subscript loads with a computed key (not constants, no slice) are read through
`at__.getitem`, since numpy cannot index an array with a traced key (it asks the key for a
value, which a traced value has only when the graph runs): a numpy array indexed by a
traced key while tracing is a graph getitem on the array, anything else is indexed as
Python does (`runtime/subscripts.py`):

    s = buf[m % 3]     ->   s = at__.getitem(buf, at__.mod(m, 3))
"""

from __future__ import annotations

import ast
import builtins
import types

import numpy as np

from autotrace.convert.visitor import Transformer, walk

_ARRAY_ATTRS = frozenset(dir(np.ndarray))
_STATIC = (types.ModuleType, type, types.FunctionType, types.BuiltinFunctionType,
           np.ufunc)


class LiveReads(Transformer):
    def __init__(self, local_names: set, namespace: dict):
        self.locals, self.namespace = local_names, namespace

    def visit_Call(self, node: ast.Call):
        func = node.func
        if _is_at(func) and func.attr == "outer_array":
            return node  # its lambda reads the array itself
        if isinstance(func, ast.Attribute):
            func.value = self.visit(func.value)
        elif not isinstance(func, ast.Name):
            node.func = self.visit(func)
        node.args = [self.visit(a) for a in node.args]
        for k in node.keywords:
            k.value = self.visit(k.value)
        return node

    def visit_Name(self, node: ast.Name):
        if not isinstance(node.ctx, ast.Load) or not self._outer(node.id):
            return node
        return _wrap(node)

    def visit_Attribute(self, node: ast.Attribute):
        if _is_at(node) or self._module_path(node):
            return node
        node.value = self.visit(node.value)
        if not isinstance(node.ctx, ast.Load) or node.attr in _ARRAY_ATTRS:
            return node
        return _wrap(node)

    def visit_Subscript(self, node: ast.Subscript):
        local = isinstance(node.value, ast.Name) and not self._outer(node.value.id)
        self.generic_visit(node)
        if not isinstance(node.ctx, ast.Load):
            return node
        read = _getitem(node) if _computed(node.slice) else node
        return read if local else _wrap(read)

    def visit_MatchValue(self, node):
        return node  # a value pattern must stay a dotted name

    def _outer(self, name: str) -> bool:
        """`name` may be a captured array: not bound here, not `at__`, not a module,
        class or function."""
        if name in self.locals or name in ("at__", "super", "__class__"):
            return False
        value = self.namespace.get(name, _MISSING)
        if value is _MISSING:
            value = getattr(builtins, name, _MISSING)
        return not isinstance(value, _STATIC)

    def _module_path(self, node) -> bool:
        """`np.pi`, `np.random.default_rng`: an attribute path from a module global."""
        while isinstance(node, ast.Attribute):
            node = node.value
        return isinstance(node, ast.Name) and node.id not in self.locals and \
            isinstance(self.namespace.get(node.id), types.ModuleType)


_MISSING = object()


def _computed(key) -> bool:
    """A subscript key that is not made of constants and holds no slice (`x[i:]`)."""
    parts = key.elts if isinstance(key, ast.Tuple) else [key]
    if any(isinstance(p, (ast.Slice, ast.Starred)) for p in parts):
        return False
    return not all(isinstance(p, ast.Constant) for p in parts)


def _getitem(node: ast.Subscript):
    key = node.slice
    if isinstance(key, ast.Tuple):
        key = ast.Tuple(elts=key.elts, ctx=ast.Load())
    call = ast.Call(func=ast.Attribute(value=ast.Name(id="at__", ctx=ast.Load()),
                                       attr="getitem", ctx=ast.Load()),
                    args=[node.value, key], keywords=[])
    return ast.copy_location(call, node)


def _is_at(node) -> bool:
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name) and node.id == "at__"


def _wrap(node):
    call = ast.Call(func=ast.Attribute(value=ast.Name(id="at__", ctx=ast.Load()), attr="live",
                                       ctx=ast.Load()), args=[node], keywords=[])
    return ast.copy_location(call, node)


_BINDERS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.Import,
            ast.ImportFrom, ast.Global, ast.ExceptHandler, ast.MatchAs, ast.MatchStar,
            ast.MatchMapping)


def _bound(root) -> set:
    """Every name bound anywhere in `root` (parameters included), less those declared
    global."""
    bound, glob = set(), set()
    for n in walk(root):
        if n.__class__ is ast.Name:  # most nodes: one test
            if not isinstance(n.ctx, ast.Load):
                bound.add(n.id)
            continue
        if not isinstance(n, _BINDERS):
            continue
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            a = n.args
            bound.update(x.arg for x in a.posonlyargs + a.args + a.kwonlyargs)
            bound.update(x.arg for x in (a.vararg, a.kwarg) if x is not None)
            if not isinstance(n, ast.Lambda):
                bound.add(n.name)
        elif isinstance(n, ast.ClassDef):
            bound.add(n.name)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in n.names)
        elif isinstance(n, ast.Global):
            glob.update(n.names)
        elif isinstance(n, ast.ExceptHandler) and n.name:
            bound.add(n.name)
        elif isinstance(n, (ast.MatchAs, ast.MatchStar)) and n.name:
            bound.add(n.name)
        elif isinstance(n, ast.MatchMapping) and n.rest:
            bound.add(n.rest)
    return bound - glob


def transform(node: ast.FunctionDef, ctx) -> ast.FunctionDef:
    fn = getattr(ctx.fn, "__func__", ctx.fn)
    namespace = dict(getattr(fn, "__globals__", {}))
    code = getattr(fn, "__code__", None)
    for name, cell in zip(code.co_freevars if code else (), getattr(fn, "__closure__", None)
                          or ()):
        try:
            namespace[name] = cell.cell_contents
        except ValueError:
            pass
    return LiveReads(_bound(node), namespace).visit(node)
