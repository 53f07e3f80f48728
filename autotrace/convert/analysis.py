"""Static analysis for the control-flow converter.

* `assigned(nodes)` / `reads(nodes)`: names a block binds (or modifies by item
  assignment, `d[k] = v`) / reads (nested function and class bodies are separate scopes:
  only their names, defaults and free reads count).
* `annotate(func)`: attaches to every statement `live_out` (names that may be read after
  it before being reassigned: backward liveness), `defined_in` (names certainly bound
  before it: forward definite assignment) and `maybe_in` (names possibly bound before it).

The converter uses them to choose branch outputs and loop-carried variables, and to
initialize names that are unbound with `at__.Undefined` (names that may or may not be
bound keep their value if they have one). The analyses are conservative: a name that
might be live is live; a name that might be unbound is not defined; a name that might
be bound is possibly bound. Cost is linear in the function size (loops iterate to a
fixpoint over their body only, with nesting depth bounded by the source).
"""

from __future__ import annotations

import ast

from autotrace.convert.visitor import Visitor, children, walk

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


class _Names(Visitor):
    """Collect bound and read names of a block, treating nested scopes as opaque."""

    def __init__(self, with_reads: bool = True):
        self.bound: set[str] = set()
        self.read: set[str] = set()
        self.with_reads = with_reads  # False: skip the free reads of nested scopes (costly)

    def visit_Name(self, node: ast.Name):
        (self.read if isinstance(node.ctx, ast.Load) else self.bound).add(node.id)

    def visit_FunctionDef(self, node):
        self.bound.add(node.name)
        for d in node.decorator_list + node.args.defaults + node.args.kw_defaults:
            if d is not None:
                self.visit(d)
        if self.with_reads:
            self.read |= free_reads(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node: ast.ClassDef):
        self.bound.add(node.name)
        for d in node.decorator_list + node.bases:
            self.visit(d)
        if self.with_reads:
            self.read |= free_reads(node)

    def visit_Lambda(self, node: ast.Lambda):
        for d in node.args.defaults + node.args.kw_defaults:
            if d is not None:
                self.visit(d)
        if self.with_reads:
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

    def visit_Subscript(self, node: ast.Subscript):
        # `d[k] = v` modifies `d`: control flow returns it like a variable it assigns.
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            base = node.value
            while isinstance(base, ast.Subscript):
                base = base.value
            if isinstance(base, ast.Name):
                self.bound.add(base.id)
        self.generic_visit(node)

    def visit_MatchAs(self, node):
        if node.name:
            self.bound.add(node.name)
        self.generic_visit(node)

    def visit_MatchStar(self, node):
        if node.name:
            self.bound.add(node.name)

    def visit_MatchMapping(self, node):
        if node.rest:
            self.bound.add(node.rest)
        self.generic_visit(node)

    def visit_Global(self, node):
        pass

    visit_Nonlocal = visit_Global


def _walrus_targets(node) -> set[str]:
    return {n.target.id for n in ast.walk(node) if isinstance(n, ast.NamedExpr)}


def _collect(nodes, with_reads: bool = True) -> _Names:
    names = _Names(with_reads)
    for node in nodes if isinstance(nodes, list) else [nodes]:
        names.visit(node)
    return names


def names(nodes) -> _Names:
    """`.bound`: what `assigned(nodes)` gives; `.read`: what `reads(nodes)` gives (one
    walk for both)."""
    return _collect(nodes)


def assigned(nodes) -> set[str]:
    """Names bound by `nodes` in the current scope."""
    return _collect(nodes, with_reads=False).bound


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


def all_names(tree, kinds: set | None = None) -> set[str]:
    """Every name `tree` binds or reads, in any scope (to pick names that clash with none).
    `kinds`: a set that gets the class of every node (for a pass to tell, from the same
    walk, whether the tree holds anything it rewrites)."""
    names = set()
    for node in walk(tree):
        if kinds is not None:
            kinds.add(node.__class__)
        if node.__class__ is ast.Name:  # most nodes: one test
            names.add(node.id)
        elif not isinstance(node, _NAMED):
            continue
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            names.update(node.names)
    return names


_NAMED = (ast.arg, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Global, ast.Nonlocal)


def scope_declarations(func) -> tuple[set[str], set[str]]:
    """(global names, nonlocal names) declared in `func`'s statements, nested blocks
    included, nested functions and classes not (their declarations are their own).
    Declarations are statements: expressions are not walked."""
    glob, nonloc = set(), set()
    for node in _statements(func.body, skip=_SCOPES):
        if isinstance(node, ast.Global):
            glob.update(node.names)
        elif isinstance(node, ast.Nonlocal):
            nonloc.update(node.names)
    return glob, nonloc


def own_statements(stmts) -> list:
    """Every statement in `stmts` and in the blocks nested in them, not in nested
    functions and classes (their statements are their own)."""
    return list(_statements(stmts, skip=_SCOPES))


def _statements(stmts, skip: tuple = ()):
    """Every statement in `stmts` and in the blocks nested in them, except the bodies of
    `skip` statements (expressions are not walked, so this is linear in the number of
    statements)."""
    stack = list(stmts)
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, skip):
            continue
        for field in _STATEMENT_LISTS:
            block = getattr(node, field, None)
            if block:
                stack.extend(block)


# Where statements nest: the blocks of compound statements, except handlers, match cases.
_STATEMENT_LISTS = ("body", "orelse", "finalbody", "handlers", "cases")


# -- liveness (backward) -------------------------------------------------------------------
def annotate(func: ast.FunctionDef) -> None:
    """Attach `live_out` and `defined_in` to every statement of `func` (see module doc),
    and `captured` / `closure_written` (`closure_names`) to `func`."""
    _live_block(func.body, set())
    args = func.args
    params = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
    params |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
    func.captured, func.closure_written = closure_names(func, params)
    _keep_captured_live(func)
    _defined_block(func.body, params, params)


def closure_names(func, params: set) -> tuple[set[str], set[str]]:
    """Names of `func` (its parameters or names it binds) that a nested function or lambda
    of `func` reads or writes (`nonlocal`): they live in a cell shared with the closure;
    and the ones a closure writes (any call may change them)."""
    own, stack = [], list(func.body)
    while stack:
        node = stack.pop()
        if isinstance(node, _SCOPES):
            own.append(node)
        else:
            stack.extend(children(node))
    mine = assigned(func.body) | params
    written = {n for scope in own for s in ast.walk(scope) if isinstance(s, ast.Nonlocal)
               for n in s.names} & mine
    return (set().union(*(free_reads(scope) for scope in own)) & mine) | written, written


def _keep_captured_live(func) -> None:
    """A name a nested function or lambda reads may be read whenever that closure is
    called, which no statement shows: it is live everywhere in `func` (so a branch or
    loop that rebinds it gives its new value back, as Python's shared cell does)."""
    captured = func.captured
    if not captured:
        return
    for node in _statements(func.body):
        for field in ("live_out", "branches_live_in", "live_head"):
            if hasattr(node, field):
                setattr(node, field, getattr(node, field) | captured)


def _live_block(stmts: list, live_out: set) -> set:
    live = set(live_out)
    for stmt in reversed(stmts):
        stmt.live_out = live
        live = _live_in(stmt, live)
    return live


def _live_in(stmt, out: set) -> set:
    if isinstance(stmt, ast.If):
        stmt.branches_live_in = _live_block(stmt.body, out) | _live_block(stmt.orelse, out)
        return reads(stmt.test) | stmt.branches_live_in
    # A loop tests its `break`/`return` flags before each iteration (see the passes).
    flags = set(getattr(stmt, "break_flags", ())) | {getattr(stmt, "return_flag", None)} - {None}
    if isinstance(stmt, ast.While):
        return _loop_live(stmt, out, reads(stmt.test) | flags, set())
    if isinstance(stmt, ast.For):
        targets = assigned(stmt.target)
        return reads(stmt.iter) | _loop_live(stmt, out, flags, targets)
    if isinstance(stmt, (ast.Return, ast.Raise)):
        return reads(stmt)
    if isinstance(stmt, (ast.Try, ast.With)) or _is_try_star(stmt):
        _annotate_nested(stmt, out | reads(stmt))
        # A `try` (or `with np.errstate`) becomes a call that takes the variables it
        # assigns (convert/passes/control_flow.py): it reads them, bound or not.
        state = assigned(stmt.body) | assigned(stmt.orelse) | assigned(stmt.finalbody) | \
            {n for h in stmt.handlers for n in assigned(h.body)} \
            if isinstance(stmt, ast.Try) else assigned(stmt.body)
        return out | reads(stmt) | state
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
    names = _collect(stmt)
    return (out - names.bound if _binds_definitely(stmt) else out) | names.read


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


def _binds_definitely(stmt) -> bool:
    """Whether a simple statement certainly binds the names it assigns."""
    if isinstance(stmt, ast.AnnAssign):
        return stmt.value is not None
    return isinstance(stmt, (ast.Assign, ast.AugAssign, ast.Import, ast.ImportFrom, ast.Expr))


# -- definite assignment (forward) ---------------------------------------------------------
# `defined_in`: names certainly bound before a statement *in the converted code*: an
# if/while/for statement binds all the variables the control-flow pass makes it return
# (possibly to `Undefined`). `maybe_in`: names that may be bound (over-approximation,
# always a superset of `defined_in`). Only compound statements get them (the control-flow
# pass asks only those): copying the growing sets at every statement was quadratic.
def _defined_block(stmts: list, defined: set, maybe: set) -> tuple[set, set]:
    current, possible = set(defined), set(maybe)
    for stmt in stmts:
        binds = assigned(stmt)
        if not _is_compound(stmt):
            # What a simple statement binds is in `binds`; `possible` covers the rest.
            current = _defined_out(stmt, current, possible, binds)
            possible |= binds
            continue
        stmt.defined_in, stmt.maybe_in = frozenset(current), frozenset(possible)
        current = _defined_out(stmt, current, possible, binds)
        possible = possible | binds | current
    return current, possible


def _is_compound(stmt) -> bool:
    return hasattr(stmt, "body") or isinstance(stmt, ast.Match)


def _defined_out(stmt, defined: set, maybe: set, binds: set) -> set:
    if isinstance(stmt, ast.If):
        body, _ = _defined_block(stmt.body, defined, maybe)
        orelse, _ = _defined_block(stmt.orelse, defined, maybe)
        return (body & orelse) | (binds & stmt.live_out)
    if isinstance(stmt, (ast.While, ast.For)):
        return _loop_defined(stmt, defined, maybe)
    if isinstance(stmt, ast.Try) or _is_try_star(stmt):
        return _try_defined(stmt, defined, maybe)
    if isinstance(stmt, ast.With):
        targets = assigned([i.optional_vars for i in stmt.items if i.optional_vars is not None])
        return _defined_block(stmt.body, defined | targets, maybe | targets)[0]
    if isinstance(stmt, ast.Match):
        return _match_defined(stmt, defined, maybe)
    if isinstance(stmt, ast.Delete):  # `del x` unbinds `x`; `del d[k]` leaves `d` bound
        return defined - {t.id for t in stmt.targets if isinstance(t, ast.Name)}
    if isinstance(stmt, (ast.Return, ast.Raise, ast.Break, ast.Continue)):
        return defined
    defined |= binds  # `defined` is the caller's own running set (see _defined_block)
    return defined


def _loop_defined(loop, defined: set, maybe: set) -> set:
    # The converter carries the variables assigned in the body and live at the loop head
    # (plus a `for` target live after the loop): they are parameters of the body helper
    # and results of the loop statement.
    targets = assigned(loop.target) if isinstance(loop, ast.For) else set()
    carried = (assigned(loop.body) & loop.live_head) | (targets & loop.live_out)
    possible = maybe | targets | assigned(loop.body)
    _defined_block(loop.body, defined | targets | carried, possible)
    _defined_block(loop.orelse, defined | carried, possible)
    return defined | carried


def _try_defined(stmt, defined: set, maybe: set) -> set:
    body, possible = _defined_block(stmt.body, defined, maybe)
    normal, _ = _defined_block(stmt.orelse, body, possible)
    outs = [normal]
    for handler in stmt.handlers:
        caught = {handler.name} if handler.name else set()
        out, _ = _defined_block(handler.body, defined | caught, possible | caught)
        if not always_exits(handler.body):
            outs.append(out)
    joined = set.intersection(*outs)
    final, _ = _defined_block(stmt.finalbody, defined, possible | assigned(stmt))
    return joined | final


def _match_defined(stmt: ast.Match, defined: set, maybe: set) -> set:
    outs = [] if any(_irrefutable(c) for c in stmt.cases) else [set(defined)]
    for case in stmt.cases:
        bound = assigned(case.pattern)
        out, _ = _defined_block(case.body, defined | bound, maybe | bound)
        if not always_exits(case.body):
            outs.append(out)
    return set.intersection(*outs) if outs else set(defined)


def _irrefutable(case: ast.match_case) -> bool:
    pattern = case.pattern
    while isinstance(pattern, ast.MatchAs) and pattern.pattern is not None:
        pattern = pattern.pattern
    if isinstance(pattern, ast.MatchOr):
        return case.guard is None and any(
            isinstance(p, ast.MatchAs) and p.pattern is None for p in pattern.patterns)
    return case.guard is None and isinstance(pattern, ast.MatchAs) and pattern.pattern is None


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
    # Statements nest only in statements: looking for one, skip the expressions.
    statements = all(issubclass(kind, ast.stmt) for kind in kinds)
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
        if statements:
            for field in _STATEMENT_LISTS:
                stack.extend(getattr(node, field, None) or ())
        else:
            stack.extend(children(node))
    return False


# -- lists ---------------------------------------------------------------------------------
_GROWING_METHODS = frozenset({"append", "extend"})
_LIST_VALUES = (ast.List, ast.Tuple, ast.ListComp)


def grown(nodes) -> set[str]:
    """Names whose list `nodes` grow in place (`hs.append(h)`, `hs.extend(more)`) in this
    scope: control flow carries them like the variables it assigns, so a graph loop or
    branch can give a list of another length (`runtime.stacked`)."""
    names = set()
    stack = list(nodes) if isinstance(nodes, list) else [nodes]
    while stack:
        node = stack.pop()
        if isinstance(node, _SCOPES):
            continue
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr in _GROWING_METHODS and isinstance(node.func.value, ast.Name):
            names.add(node.func.value.id)
        stack.extend(children(node))
    return names


def list_names(tree) -> set[str]:
    """Names that hold a Python list somewhere in `tree` (any scope): assigned a list or
    tuple display or a list comprehension, or grown in place. numpy calls of them go
    through `at__.call`, which stacks their traced elements as numpy would."""
    names = set()
    for node in walk(tree):
        kind = node.__class__
        if kind is ast.Assign and isinstance(node.value, _LIST_VALUES):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif kind is ast.Call and isinstance(node.func, ast.Attribute) and \
                node.func.attr in _GROWING_METHODS and isinstance(node.func.value, ast.Name):
            names.add(node.func.value.id)
    return names
