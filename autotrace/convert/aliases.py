"""Other names for a list that grows in graph control flow (or a container that item
assignment changes there).

A list that `hs.append(h)` grows inside a graph loop or branch is carried as the loop's
(the branch's) variable: the statement gives a new stacked list (`runtime.stacked`) and
rebinds `hs` to it. Another reference to the list object it started from (`alias = hs`,
`d["k"] = hs`, `self.hs = hs`, `other.append(hs)`, `keep(hs)`, `hs = self.buf`) would not
see the appends that Python makes to that object: a silent difference. This module finds,
on the user's source before any pass rewrites it, each place where a local list may get
another reference (an *alias site*), so that the converter can tell the runtime which
grown lists are aliased where it matters (`ControlFlow`), and the runtime refuses when the
statement turns out to be graph control flow (`runtime.control_flow`).

Aliasing that runs only after the statement, and not again before it runs again (not in a
loop around it, unless that loop binds a fresh list to the name first), is exact: it
refers to the list the statement gave.

Not aliasing: methods of the list (`hs.append`, `hs[-1]`), `gs.extend(hs)`, builtins that
keep no reference (`len`, `sum`, `list`, `sorted`...; not `dict(k=hs)` or `iter(hs)`),
`np.*` and `math.*` functions, `for h in hs`, `hs + [...]`, `[*hs]`, `return`, closures
(they read the variable's cell). A call's result bound to the name is taken to be a new
list (a function returning a list it keeps elsewhere is not detected).
"""

from __future__ import annotations

import ast
import types
from dataclasses import dataclass

from autotrace.convert.visitor import children, statements, walk

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_LOOPS = (ast.For, ast.While, ast.AsyncFor)
_CONTAINERS = (ast.Tuple, ast.List, ast.Set, ast.Dict, ast.IfExp, ast.BoolOp, ast.NamedExpr)
_SAFE_MODULES = frozenset({"numpy", "math", "autotrace"})
# builtins that keep no reference to their arguments (not `dict`, `setattr`, `iter`, ...)
_SAFE_BUILTINS = frozenset({
    "abs", "all", "any", "bool", "callable", "enumerate", "filter", "float", "format",
    "frozenset", "getattr", "hasattr", "hash", "id", "int", "isinstance", "len", "list",
    "map", "max", "min", "print", "range", "repr", "round", "set", "sorted", "str", "sum",
    "tuple", "type", "zip"})
_COPYING_METHODS = frozenset({"extend", "index", "count", "__contains__"})
_REFERENCES = (ast.Name, ast.Attribute, ast.Subscript)


@dataclass(frozen=True)
class Site:
    """One place where `name`'s list may get another reference (or `name` be bound to a
    list that has one): its `line`, the source `text`, and the line ranges of the loops
    around it (outermost first)."""

    name: str
    line: int
    text: str
    loops: tuple


@dataclass(frozen=True)
class Fresh:
    """`name = [...]` (a new list) directly in the body of the loop spanning `loop`."""

    name: str
    line: int
    loop: tuple | None


@dataclass(frozen=True)
class Aliases:
    sites: tuple
    fresh: tuple

    def of(self, node: ast.stmt, names) -> tuple:
        """`(name, line, text)` of the alias sites of `names` (lists that `node`, a loop or
        `if`, grows) that can run before `node` grows them again."""
        if not names or not self.sites:
            return ()
        lines = [(n.lineno, n.end_lineno) for n in walk(node) if hasattr(n, "lineno")]
        span = (min(a for a, _ in lines), max(b or a for a, b in lines))
        return tuple((s.name, s.line, s.text) for s in self.sites
                     if s.name in names and not self._after(s, span))

    def _after(self, site: Site, span: tuple) -> bool:
        if site.line <= span[1]:
            return False  # before the statement, or in it
        around = [lp for lp in site.loops if lp[0] <= span[0] and span[1] <= lp[1]]
        if not around:
            return True
        inner = around[-1]
        return any(f.name == site.name and f.loop == inner and f.line < span[0]
                   for f in self.fresh)


NONE = Aliases((), ())


def item_assigned(stmts: list) -> set[str]:
    """Names whose container `stmts` change by item assignment (`d[k] = v`, `del d[k]`),
    outside nested scopes: a graph branch or loop carries such a container as a copy."""
    names, stack = set(), list(stmts)
    while stack:
        node = stack.pop()
        if isinstance(node, _SCOPES):
            continue
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, (ast.Store, ast.Del)):
            base = node.value
            while isinstance(base, ast.Subscript):
                base = base.value
            if isinstance(base, ast.Name):
                names.add(base.id)
        written = _functional_write(node)
        if written is not None:
            names.add(written)
        stack.extend(children(node))
    return names


_WRITES = {"setitem", "setitem_aug"}


def _functional_write(node) -> str | None:
    """`d` for `d = at__.setitem(d, ...)` / `at__.setitem_aug(d, ...)`: the item assignment
    `d[k] = v` after the inplace pass (convert/passes/inplace.py) rewrote it."""
    if not (isinstance(node, ast.Assign) and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.Call)):
        return None
    func, args = node.value.func, node.value.args
    if (isinstance(func, ast.Attribute) and func.attr in _WRITES
            and isinstance(func.value, ast.Name) and func.value.id == "at__" and args
            and isinstance(args[0], ast.Name) and args[0].id == node.targets[0].id):
        return node.targets[0].id
    return None


def scope_key(func: ast.FunctionDef) -> tuple:
    return func.lineno, func.col_offset, func.name


def by_scope(tree: ast.FunctionDef, fn: types.FunctionType, lines: list) -> dict:
    """`Aliases` of each function in `tree` (by `scope_key`), found before any pass runs."""
    out = {}
    for node in statements(tree):  # defs are statements
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            finder = _Finder(fn, lines)
            finder.block(node.body, ())
            if finder.sites:
                out[scope_key(node)] = Aliases(tuple(finder.sites), tuple(finder.fresh))
    return out


class _Finder:
    def __init__(self, fn, lines: list):
        self.fn, self.lines = fn, lines
        self.sites: list[Site] = []
        self.fresh: list[Fresh] = []

    def block(self, stmts: list, loops: tuple, loop=None) -> None:
        for stmt in stmts:
            self.statement(stmt, loops, loop)

    def statement(self, stmt, loops: tuple, loop) -> None:
        if isinstance(stmt, _SCOPES) or isinstance(stmt, ast.Return):
            return
        if isinstance(stmt, _LOOPS):
            span = (stmt.lineno, stmt.end_lineno)
            if isinstance(stmt, (ast.For, ast.AsyncFor)):
                self.binding(stmt.target, None, loops, stmt)
                self.expression(stmt.iter, loops, stmt)
            else:
                self.expression(stmt.test, loops, stmt)
            self.block(stmt.body, loops + (span,), span)
            self.block(stmt.orelse, loops, loop)
            return
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                value = stmt.value if len(targets) == 1 else None  # `a = b = []`: shared
                self.binding(target, value, loops, stmt, loop)
            self.expression(stmt.value, loops, stmt, bound=True)
            return
        for child in children(stmt):  # nested statements: not directly in the loop body
            if isinstance(child, ast.expr):
                self.expression(child, loops, stmt)
            else:
                self.statement(child, loops, None)

    def binding(self, target, value, loops: tuple, stmt, loop=None) -> None:
        """`target = value` binds a name to a list that may have another reference."""
        if isinstance(target, (ast.Tuple, ast.List)):
            values = value.elts if isinstance(value, (ast.Tuple, ast.List)) and \
                len(value.elts) == len(target.elts) else [None] * len(target.elts)
            shared = value is None or isinstance(value, _REFERENCES) or values[0] is None
            for t, v in zip(target.elts, values):
                self.binding(t, None if shared else v, loops, stmt)
            return
        if not isinstance(target, ast.Name):
            return
        if value is None or isinstance(value, _REFERENCES + (ast.IfExp,)) and \
                not _is_slice_copy(value):
            self.site(target.id, stmt, loops)
        elif loop is not None and isinstance(value, (ast.List, ast.ListComp, ast.Call)):
            self.fresh.append(Fresh(target.id, stmt.lineno, loop))

    def expression(self, node, loops: tuple, stmt, bound: bool = False) -> None:
        """Names whose object `node` stores elsewhere (as a value bound or passed)."""
        stack = [(node, bound)]
        while stack:
            expr, kept = stack.pop()
            if isinstance(expr, ast.Name) and isinstance(expr.ctx, ast.Load):
                if kept:
                    self.site(expr.id, stmt, loops)
            elif isinstance(expr, ast.Call):
                safe = self._safe_callee(expr.func) or isinstance(expr.func, ast.Attribute) \
                    and expr.func.attr in _COPYING_METHODS  # `hs.extend(gs)` copies `gs`
                stack.append((expr.func, False))
                stack.extend((a, not safe) for a in expr.args)
                stack.extend((k.value, not safe) for k in expr.keywords)
            elif isinstance(expr, _CONTAINERS):
                stack.extend((c, kept) for c in children(expr) if isinstance(c, ast.AST))
            elif isinstance(expr, ast.Lambda) or isinstance(expr, ast.Starred):
                continue  # closures read the cell; `[*hs]` copies
            else:
                stack.extend((c, False) for c in children(expr) if isinstance(c, ast.AST))

    def site(self, name: str, stmt, loops: tuple) -> None:
        line = getattr(stmt, "lineno", 0)
        text = self.lines[line - 1].strip() if 0 < line <= len(self.lines) else ""
        self.sites.append(Site(name, line, text, loops))

    def _safe_callee(self, func) -> bool:
        """`_SAFE_BUILTINS`, or a function of numpy/math/autotrace: they keep no reference."""
        if isinstance(func, ast.Name):
            if func.id in self.fn.__globals__:
                return _module_of(self.fn.__globals__[func.id]) in _SAFE_MODULES
            return func.id in _SAFE_BUILTINS
        if isinstance(func, ast.Attribute):
            root = func
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name):
                obj = self.fn.__globals__.get(root.id)
                return isinstance(obj, types.ModuleType) and \
                    obj.__name__.split(".")[0] in _SAFE_MODULES
            return False
        return False


def _module_of(obj) -> str:
    module = getattr(obj, "__module__", None) or ""
    return module.split(".")[0] if isinstance(module, str) else ""


def _is_slice_copy(value) -> bool:
    return isinstance(value, ast.Subscript) and isinstance(value.slice, ast.Slice)
