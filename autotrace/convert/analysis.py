"""Static analysis for the control-flow converter.

* `assigned(nodes)` / `reads(nodes)`: names a block binds / reads (nested function and
  class bodies are separate scopes: only their names, defaults and free reads count).
* `annotate(func)`: attaches to every statement `live_out` (names that may be read after
  it before being reassigned: backward liveness) and `defined_in` (names certainly bound
  before it: forward definite assignment).

The converter uses them to choose branch outputs and loop-carried variables, and to
initialize names that may be unbound with `at__.Undefined`. Both analyses are
conservative: a name that might be live is live; a name that might be unbound is not
defined. Cost is linear in the function size (loops iterate to a fixpoint over their body
only, with nesting depth bounded by the source).
"""

from __future__ import annotations

import ast

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


class _Names(ast.NodeVisitor):
    """Collect bound and read names of a block, treating nested scopes as opaque."""

    def __init__(self):
        self.bound: set[str] = set()
        self.read: set[str] = set()

    def visit_Name(self, node: ast.Name):
        (self.read if isinstance(node.ctx, ast.Load) else self.bound).add(node.id)

    def visit_FunctionDef(self, node):
        self.bound.add(node.name)
        for d in node.decorator_list + node.args.defaults + node.args.kw_defaults:
            if d is not None:
                self.visit(d)
        self.read |= free_reads(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node: ast.ClassDef):
        self.bound.add(node.name)
        for d in node.decorator_list + node.bases:
            self.visit(d)
        self.read |= free_reads(node)

    def visit_Lambda(self, node: ast.Lambda):
        for d in node.args.defaults + node.args.kw_defaults:
            if d is not None:
                self.visit(d)
        self.read |= free_reads(node)

    def _comprehension(self, node):
        inner = _Names()
        for gen in node.generators:
            inner.visit(gen)
        for field in ("elt", "key", "value"):
            if getattr(node, field, None) is not None:
                inner.visit(getattr(node, field))
        targets = set()
        for gen in node.generators:
            targets |= {n.id for n in ast.walk(gen.target) if isinstance(n, ast.Name)}
        self.read |= inner.read - targets
        self.bound |= _walrus_targets(node)

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _comprehension

    def visit_Import(self, node):
        for alias in node.names:
            self.bound.add((alias.asname or alias.name).split(".")[0])

    visit_ImportFrom = visit_Import

    def visit_ExceptHandler(self, node: ast.ExceptHandler):
        if node.name:
            self.bound.add(node.name)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign):
        if isinstance(node.target, ast.Name):
            self.read.add(node.target.id)
        self.generic_visit(node)

    def visit_Global(self, node):
        pass

    visit_Nonlocal = visit_Global


def _walrus_targets(node) -> set[str]:
    return {n.target.id for n in ast.walk(node) if isinstance(n, ast.NamedExpr)}


def _collect(nodes) -> _Names:
    names = _Names()
    for node in nodes if isinstance(nodes, list) else [nodes]:
        names.visit(node)
    return names


def assigned(nodes) -> set[str]:
    """Names bound by `nodes` in the current scope."""
    return _collect(nodes).bound


def reads(nodes) -> set[str]:
    """Names read by `nodes` (including free reads of nested functions)."""
    return _collect(nodes).read


def free_reads(scope) -> set[str]:
    """Names a nested function/class/lambda reads from enclosing scopes."""
    body = scope.body if isinstance(scope.body, list) else [scope.body]
    inner = _collect(body)
    params = set()
    if not isinstance(scope, ast.ClassDef):
        args = scope.args
        params = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
        params |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
    declared = {n for s in ast.walk(scope) if isinstance(s, (ast.Global, ast.Nonlocal))
                for n in s.names}
    return (inner.read - inner.bound - params) | (inner.read & declared)


def scope_declarations(func) -> tuple[set[str], set[str]]:
    """(global names, nonlocal names) declared directly in `func`."""
    glob, nonloc = set(), set()
    for node in _walk_scope(func.body):
        if isinstance(node, ast.Global):
            glob |= set(node.names)
        elif isinstance(node, ast.Nonlocal):
            nonloc |= set(node.names)
    return glob, nonloc


def _walk_scope(stmts):
    for stmt in stmts:
        for node in ast.walk(stmt):
            yield node


# -- liveness (backward) -------------------------------------------------------------------
def annotate(func: ast.FunctionDef) -> None:
    """Attach `live_out` and `defined_in` to every statement of `func` (see module doc)."""
    _live_block(func.body, set())
    args = func.args
    params = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
    params |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
    _defined_block(func.body, params)


def live_in(stmts: list, live_out: set) -> set:
    """Names read by `stmts` before being assigned, given what is live after them."""
    return _live_block(stmts, live_out)


def _live_block(stmts: list, live_out: set) -> set:
    live = set(live_out)
    for stmt in reversed(stmts):
        stmt.live_out = live
        live = _live_in(stmt, live)
    return live


def _live_in(stmt, out: set) -> set:
    if isinstance(stmt, ast.If):
        return reads(stmt.test) | _live_block(stmt.body, out) | _live_block(stmt.orelse, out)
    if isinstance(stmt, ast.While):
        return _loop_live(stmt, out, reads(stmt.test), set())
    if isinstance(stmt, ast.For):
        targets = assigned(stmt.target)
        return reads(stmt.iter) | _loop_live(stmt, out, set(), targets)
    if isinstance(stmt, (ast.Return, ast.Raise)):
        return reads(stmt)
    if isinstance(stmt, (ast.Try, ast.With)) or _is_try_star(stmt):
        _annotate_nested(stmt, out | reads(stmt))
        return out | reads(stmt)
    if isinstance(stmt, ast.Match):
        inner = set()
        for case in stmt.cases:
            inner |= _live_block(case.body, out) | reads(case.pattern)
            if case.guard is not None:
                inner |= reads(case.guard)
        return reads(stmt.subject) | inner | out
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return (out - {stmt.name}) | reads(stmt)
    if isinstance(stmt, (ast.Break, ast.Continue)):
        return set(out)
    return (out - _definite_binds(stmt)) | reads(stmt)


def _is_try_star(stmt) -> bool:
    return type(stmt).__name__ == "TryStar"


def _annotate_nested(stmt, live: set) -> None:
    for field in ("body", "orelse", "finalbody"):
        block = getattr(stmt, field, None)
        if block:
            _live_block(block, live)
    for handler in getattr(stmt, "handlers", []):
        _live_block(handler.body, live)


def _loop_live(loop, out: set, test_reads: set, targets: set) -> set:
    # Live at the loop head: what the exit needs, the test, and what the body needs at the
    # next iteration. Breaks make the exit reachable from inside the body, hence `out`
    # stays live throughout (conservative).
    head = out | test_reads
    while True:
        body_in = _live_block(loop.body, head | out)
        new = out | test_reads | (body_in - targets)
        if new <= head:
            break
        head |= new
    _live_block(loop.orelse, out)
    loop.live_head = head
    return head


def _definite_binds(stmt) -> set:
    """Names a simple statement certainly binds."""
    if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Import, ast.ImportFrom,
                         ast.Expr, ast.Delete)):
        if isinstance(stmt, ast.AnnAssign) and stmt.value is None:
            return set()
        return assigned(stmt) if not isinstance(stmt, ast.Delete) else set()
    return set()


# -- definite assignment (forward) ---------------------------------------------------------
def _defined_block(stmts: list, defined: set) -> set:
    current = set(defined)
    for stmt in stmts:
        stmt.defined_in = frozenset(current)
        current = _defined_out(stmt, current)
    return current


def _defined_out(stmt, defined: set) -> set:
    if isinstance(stmt, ast.If):
        return _defined_block(stmt.body, defined) & _defined_block(stmt.orelse, defined)
    if isinstance(stmt, (ast.While, ast.For)):
        inner = defined | (assigned(stmt.target) if isinstance(stmt, ast.For) else set())
        _defined_block(stmt.body, inner)
        _defined_block(stmt.orelse, defined)
        return set(defined)
    if isinstance(stmt, (ast.Try, ast.With, ast.Match)) or _is_try_star(stmt):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(stmt, field, None)
            if block:
                _defined_block(block, defined)
        for handler in getattr(stmt, "handlers", []):
            _defined_block(handler.body, defined)
        for case in getattr(stmt, "cases", []):
            _defined_block(case.body, defined)
        if isinstance(stmt, ast.With):
            return _defined_block(stmt.body, defined | assigned(
                [i.optional_vars for i in stmt.items if i.optional_vars is not None]))
        return set(defined)
    if isinstance(stmt, ast.Delete):
        return defined - assigned(stmt)
    if isinstance(stmt, (ast.Return, ast.Raise, ast.Break, ast.Continue)):
        return set(defined)
    return defined | assigned(stmt)


def always_exits(stmts: list) -> bool:
    """Every path through `stmts` ends in return or raise."""
    for stmt in stmts:
        if isinstance(stmt, (ast.Return, ast.Raise)):
            return True
        if isinstance(stmt, ast.If) and always_exits(stmt.body) and always_exits(stmt.orelse):
            return True
    return False


def contains(stmts: list, kinds: tuple, stop_at_loops: bool = False) -> bool:
    """Whether `stmts` contain a node of `kinds` in this scope (optionally not in loops)."""
    stack = list(stmts)
    while stack:
        node = stack.pop()
        if isinstance(node, kinds):
            return True
        if isinstance(node, _SCOPES):
            continue
        if stop_at_loops and isinstance(node, (ast.While, ast.For)):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))
    return False
