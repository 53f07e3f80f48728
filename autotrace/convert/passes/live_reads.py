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
values (`params["w"]`). Names the function binds (its locals) are read as they are, but
for the locals that may hold a container of captured arrays (`_scan`'s holders: `ws =
self.ws`, a loop's item), whose subscripts are wrapped too; unpackings and comprehensions
over such values give their items through `live`:

    ws = self.ws; y = ws[0]     ->   ws = at__.live(self.ws); y = at__.live(ws[0])
    a, b = self.pair            ->   a, b = at__.live_items(self.pair)
    [w * 2 for w in self.ws]    ->   [... for w in at__.live_iter(self.ws)]

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

from autotrace.convert.passes.control_flow import GENERATED, LOOP_ITEM
from autotrace.convert.visitor import Transformer, walk

_ARRAY_ATTRS = frozenset(dir(np.ndarray))
_STATIC = (types.ModuleType, type, types.FunctionType, types.BuiltinFunctionType,
           np.ufunc)


class LiveReads(Transformer):
    def __init__(self, local_names: set, holders: set, namespace: dict):
        self.locals, self.holders, self.namespace = local_names, holders, namespace

    def visit_Assign(self, node: ast.Assign):
        node.targets = [self.visit(t) for t in node.targets]
        node.value = self.visit(node.value)
        if any(isinstance(t, (ast.Tuple, ast.List)) for t in node.targets) and \
                _may_hold_arrays(node.value):
            node.value = _live_call("live_items", node.value)
        return node

    def visit_comprehension(self, node: ast.comprehension):
        node.target = self.visit(node.target)
        node.iter = self.visit(node.iter)
        node.ifs = [self.visit(c) for c in node.ifs]
        if _may_hold_arrays(node.iter):
            unpack = isinstance(node.target, (ast.Tuple, ast.List))
            node.iter = _live_call("live_iter", node.iter, unpack)
        return node

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
        return _wrap(node) if _gives_an_item(node) else node

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
        if _at_call(node.value, "live"):  # an array has no such attribute: read it once,
            node.value = node.value.args[0]  # here (`at__.live(m.layers[0].w)`)
        return _wrap(node)

    def visit_Subscript(self, node: ast.Subscript):
        plain = isinstance(node.value, ast.Name) and not self._outer(node.value.id) and \
            node.value.id not in self.holders
        self.generic_visit(node)
        if not isinstance(node.ctx, ast.Load):
            return node
        read = _getitem(node) if _computed(node.slice) else node
        return read if plain else _wrap(read)

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


_ITEM_METHODS = frozenset(("get", "pop", "setdefault"))  # a container's item, as it holds it
_ITEM_FUNCTIONS = frozenset(("getattr", "next"))


def _gives_an_item(call: ast.Call) -> bool:
    """`d.get("w")`, `ws.pop()`, `getattr(obj, name)`, `next(it)`: a call whose value may be
    a captured array, read through `at__.live` like a subscript."""
    func = call.func
    if _at_call(call, "call") and call.args:
        func = call.args[0]
    if isinstance(func, ast.Attribute):
        return func.attr in _ITEM_METHODS and not _is_at(func)
    return isinstance(func, ast.Name) and func.id in _ITEM_FUNCTIONS


def _wrap(node):
    return _live_call("live", node)


def _live_call(name: str, node, *flags):
    """`at__.<name>(node, *flags)`; `at__.live(x)` becomes `at__.<name>(x, *flags)`."""
    if _at_call(node, "live"):
        node = node.args[0]
    call = ast.Call(func=ast.Attribute(value=ast.Name(id="at__", ctx=ast.Load()), attr=name,
                                       ctx=ast.Load()),
                    args=[node, *(ast.Constant(value=f) for f in flags if f)], keywords=[])
    return ast.copy_location(call, node)


def _at_call(node, *names) -> bool:
    """`node` is a call `at__.<one of names>(...)` (any `at__` call if no names)."""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
        isinstance(node.func.value, ast.Name) and node.func.value.id == "at__" and \
        (not names or node.func.attr in names)


# `at__` calls whose value may be a container of captured arrays as Python holds it
_PASS_THROUGH = ("live", "getitem", "call")


def _op_result(value) -> bool:
    """`value` is an `at__` op's or statement's result (traced values, or a statement's
    variables), not a value as Python holds it."""
    return _at_call(value) and not _at_call(value, *_PASS_THROUGH)


def _may_hold_arrays(value) -> bool:
    """An unpacked or iterated value that may hold captured numpy arrays: not a display
    (`a, b = b, a`: its items were read already), a constant, or an `_op_result`."""
    if isinstance(value, (ast.Tuple, ast.List, ast.Constant, ast.ListComp, ast.GeneratorExp,
                          ast.SetComp, ast.DictComp)):
        return False
    return not _op_result(value)


def _plain(value, holders: set) -> bool:
    if value is None:
        return False
    if isinstance(value, ast.Constant):
        return True
    if isinstance(value, ast.Name):
        return value.id not in holders
    if isinstance(value, (ast.Tuple, ast.List)):
        return all(_plain(e, holders) for e in value.elts)
    return _op_result(value)


_BINDERS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.Import,
            ast.ImportFrom, ast.Global, ast.ExceptHandler, ast.MatchAs, ast.MatchStar,
            ast.MatchMapping)


def _scan(root: ast.FunctionDef) -> tuple[set, set]:
    """One walk of `root`: the names bound anywhere in it (parameters included, less those
    declared global), and the holders among them.

    Holders are local names that may hold a container of captured numpy arrays, or such an
    array as numpy holds it, so that their subscripts (`ws[0]`) are read through
    `at__.live`: names bound by a loop or comprehension target, an unpacking, a `with`, a
    parameter of a nested function, or an assignment from anything but a constant, a
    display of such values, another such name or an `at__` op. The traced function's own
    parameters are not (their arrays are graph inputs, their objects' attributes are read
    as attributes)."""
    bound, glob = set(), set()
    values: dict = {}  # name -> list of bound value expressions (None: unknown)

    def bind(target, value):
        if isinstance(target, ast.Name):
            values.setdefault(target.id, []).append(value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for t in target.elts:
                bind(t, None)
        elif isinstance(target, ast.Starred):
            bind(target.value, None)

    for n in walk(root):
        if n.__class__ is ast.Name:  # most nodes: one test
            if not isinstance(n.ctx, ast.Load):
                bound.add(n.id)
            continue
        if isinstance(n, ast.Assign):
            if not _op_result(n.value):  # (an op's results: as the names' other bindings)
                for t in n.targets:
                    bind(t, n.value)
        elif isinstance(n, (ast.AnnAssign, ast.NamedExpr)) and n.value is not None:
            bind(n.target, n.value)
        elif isinstance(n, (ast.For, ast.AsyncFor, ast.comprehension)):
            bind(n.target, None)
        elif isinstance(n, ast.withitem) and n.optional_vars is not None:
            bind(n.optional_vars, None)
        if not isinstance(n, _BINDERS):
            continue
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            a = n.args
            params = [x.arg for x in a.posonlyargs + a.args + a.kwonlyargs]
            params += [x.arg for x in (a.vararg, a.kwarg) if x is not None]
            bound.update(params)
            if not isinstance(n, ast.Lambda):
                bound.add(n.name)
            if n is not root:
                if getattr(n, GENERATED, False):  # a statement's variables; a loop's item
                    params = params[:1] if getattr(n, LOOP_ITEM, False) else []
                for p in params:
                    values.setdefault(p, []).append(None)
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
    holders: set = set()
    changed = True
    while changed:
        changed = False
        for name, bound_to in values.items():
            if name not in holders and not all(_plain(v, holders) for v in bound_to):
                holders.add(name)
                changed = True
    return bound - glob, holders


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
    return LiveReads(*_scan(node), namespace).visit(node)
