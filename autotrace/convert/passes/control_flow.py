"""`if` / `while` / `for` -> helper functions and `at__.if_stmt` / `while_stmt` / `for_stmt`.

    if x > 0:                              def if_true():
        y = x * 2                              y = x * 2
    else:                          ->          return y
        y = -x                             def if_false():
                                               y = -x
                                               return y
                                           y = at__.if_stmt(x > 0, if_true, if_false, ())

Each helper takes the variables its statement may change *and* reads first (so Python
scoping keeps working), and returns the variables that are live afterwards: branch
outputs and loop-carried variables come from liveness, so temporaries stay local to the
helper. A variable unbound before the statement starts as `at__.Undefined('name')` (one
that may be bound keeps its value: `locals().get(...)`). An `if` whose every path returns
becomes `return at__.if_return(...)`. Statements inside a `try` pass `try_line=` (graph
control flow is refused there). Helper names (`if_true`, `loop_body`, ...) get a suffix
when the user's code uses the name. The runtime decides per call whether the condition is
a Python value (plain Python) or a traced tensor (a graph `cond` / `while_loop`).
"""

from __future__ import annotations

import ast
import os

from autotrace.convert import analysis
from autotrace.convert.aliases import NONE, item_assigned, scope_key
from autotrace.convert.passes.try_parts import (
    BoundReads,
    no_args,
    reads_after_tries,
    reraising,
    saved,
)
from autotrace.convert.templates import (
    at_line,
    fresh_name,
    name_tuple,
    replace,
    replace_expr,
    state_tuple,
)
from autotrace.convert.visitor import StatementTransformer, statements
from autotrace.runtime.where import CELL_PARAM

GENERATED = "_autotrace_generated"
LOOP_ITEM = "_autotrace_loop_item"  # on a generated loop body: its first parameter


_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class ControlFlow(StatementTransformer):  # expressions hold no statements: not walked
    def __init__(self, user_names: set, aliases: dict, library: bool = False):
        # autotrace's own code (a callable object of it differentiated as a function): its
        # `try` statements annotate or clean up, in Python, as they always did.
        self.library = library
        self.outer: list[dict] = [{}]  # per scope: name -> "global" | "nonlocal"
        self.try_lines: list[list[int]] = [[]]  # per scope: lines of the enclosing `try`s
        self.runs: list[list[tuple]] = [[]]  # per scope: (`at__run` name, state) of graph trys
        self.shared: list[set] = [set()]  # per scope: names in cells closures read
        self.written: list[set] = [set()]  # per scope: the ones closures write (`nonlocal`)
        self.lists: list[set] = [set()]  # per scope: the names it binds (its own lists)
        self.aliases = aliases  # `convert.aliases.by_scope`: other names for its lists
        self.scope_aliases: list = [NONE]
        self.user_names = user_names

    def name(self, base: str) -> str:
        """`base` (`if_true`, `loop_body`, `item`...), unless the user's code uses it."""
        return fresh_name(base, self.user_names)

    # -- scopes ---------------------------------------------------------------------------
    def visit_FunctionDef(self, node: ast.FunctionDef):
        if getattr(node, GENERATED, False):
            self.generic_visit(node)
            return node
        glob, nonloc = analysis.scope_declarations(node)
        self.outer.append({**dict.fromkeys(glob, "global"), **dict.fromkeys(nonloc, "nonlocal")})
        self.try_lines.append([])
        self.runs.append([])
        if analysis.contains(node.body, _CONVERTED):
            analysis.annotate(node)
            reads_after_tries(node.body, frozenset())
            self.shared.append(node.captured)
            self.written.append(node.closure_written)
            self.lists.append(analysis.assigned(node.body))
        else:  # straight-line code: what the analyses find is read by no statement
            self.shared.append(set())
            self.written.append(set())
            self.lists.append(set())
        self.scope_aliases.append(self.aliases.get(scope_key(node), NONE))
        self.generic_visit(node)
        self.scope_aliases.pop()
        self.lists.pop()
        self.written.pop()
        self.shared.pop()
        self.runs.pop()
        self.try_lines.pop()
        self.outer.pop()
        return node

    def visit_Lambda(self, node):
        return node

    def visit_ClassDef(self, node):
        """A class body runs once, in Python: only its methods are converted."""
        node.body = [self.visit(s) if isinstance(s, ast.FunctionDef) else s for s in node.body]
        return node

    def visit_Try(self, node: ast.Try):
        """`try` -> helpers for its parts and `at__.try_stmt(...)`: a real `try` when the
        graph runs (runtime/graph_try.py). After each statement of the body, the handlers
        and `else`, `at__.try_save` records the variables it changed, so a handler and
        `finally` see the values they had when the exception was raised."""
        if self.library:
            return self.visit_TryStar(node)
        caught = {h.name for h in node.handlers if h.name}
        blocks = [node.body, node.orelse, node.finalbody] + [h.body for h in node.handlers]
        every = [s for b in blocks for s in b]
        assigned = (analysis.assigned(every) | self.written[-1]) - caught
        changed = _ordered(assigned, every)
        outer = [(n, self.outer[-1][n]) for n in changed if n in self.outer[-1]]
        state = [n for n in changed if n not in self.outer[-1]]
        # Variables the body may leave unbound (not bound before it): their reads in the
        # handlers and `finally` are checked where they happen (`at__.bound`).
        defined = getattr(node, "defined_in", frozenset())
        unsure = {n for n in state if n in analysis.assigned(node.body) and n not in defined}
        # each `try` of a nesting its own `at__run`: an inner part saves into the outer's too
        run = self.name(f"at__run{len(self.runs[-1]) or ''}")
        runs = self.runs[-1] + [(run, state)]
        body_name = self.name("try_body")
        helpers = [self._helper(body_name, [run, *state],
                                saved(node.body, runs) + _return(state, node),
                                node, outer)]
        handlers = []
        for handler in node.handlers:
            name = handler.name or self.name("exception")
            fn = self.name("try_except")
            body = reraising(BoundReads(unsure - {name}).visit_block(handler.body), name)
            helpers.append(self._helper(fn, [run, name, *state],
                                        saved(body, runs) + _return(state, node),
                                        handler, outer))
            kinds = handler.type if handler.type is not None else \
                ast.Name(id="BaseException", ctx=ast.Load())
            handlers.append(ast.Tuple(elts=[
                ast.Lambda(args=no_args(), body=kinds), ast.Name(id=fn, ctx=ast.Load())],
                ctx=ast.Load()))
        else_name = final_name = "None"
        if node.orelse:
            else_name = self.name("try_else")
            helpers.append(self._helper(else_name, [run, *state],
                                        saved(node.orelse, runs)
                                        + _return(state, node), node, outer))
        if node.finalbody:
            final_name = self.name("try_finally")
            helpers.append(self._helper(final_name, state,
                                        BoundReads(unsure).visit_block(node.finalbody)
                                        + _return(state, node), node, outer))
        call = replace_expr(
            f"at__.try_stmt({body_name}, handlers, {else_name}, {final_name}, state)",
            handlers=ast.Tuple(elts=handlers, ctx=ast.Load()), state=state_tuple(state))
        if state:
            stmt = ast.Assign(targets=[name_tuple(state, ast.Store())], value=call)
        else:
            stmt = ast.Expr(value=call)
        new = _undefined(state, node) + helpers + [at_line(stmt, node)]
        self.runs[-1].append((run, state))
        try:
            return [self.visit(s) for s in new]
        finally:
            self.runs[-1].pop()

    def visit_TryStar(self, node):
        """`try`/`except*` (and a `try` of autotrace's own code) stays Python's: graph
        control flow inside it is refused (the graph runs after the `try` is gone)."""
        self.try_lines[-1].append(node.lineno)
        self.generic_visit(node)
        self.try_lines[-1].pop()
        return node

    def visit_With(self, node: ast.With):
        """`with np.errstate(...):` -> a helper run under the settings when the graph
        runs (`at__.errstate_stmt`); any other `with` stays Python's."""
        if not _is_errstate(node):
            self.generic_visit(node)
            return node
        assigned = analysis.assigned(node.body) | self.written[-1]
        changed = _ordered(assigned, node.body)
        outer = [(n, self.outer[-1][n]) for n in changed if n in self.outer[-1]]
        state = [n for n in changed if n not in self.outer[-1]]
        name = self.name("errstate_body")
        helper = self._helper(name, state, node.body + _return(state, node), node, outer)
        settings = ast.Call(func=ast.Name(id="dict", ctx=ast.Load()), args=[],
                            keywords=node.items[0].context_expr.keywords)
        call = replace_expr(f"at__.errstate_stmt(settings, {name}, state)",
                            settings=settings, state=state_tuple(state))
        if state:
            stmt = ast.Assign(targets=[name_tuple(state, ast.Store())], value=call)
        else:
            stmt = ast.Expr(value=call)
        new = _undefined(state, node) + [helper, at_line(stmt, node)]
        return [self.visit(s) for s in new]

    def _try_kwarg(self) -> str:
        return f", try_line={self.try_lines[-1][-1]}" if self.try_lines[-1] else ""

    def _aliased_kwarg(self, node: ast.stmt, stmts: list) -> str:
        """`aliased=((name, line, text), ...)`: where the lists `stmts` grow (the containers
        they change by item assignment) get another reference that the statement, as graph
        control flow, would not update."""
        changed = (analysis.grown(stmts) | item_assigned(stmts)) & self.lists[-1]
        sites = self.scope_aliases[-1].of(node, changed)
        return f", aliased={sites!r}" if sites else ""

    # -- if -------------------------------------------------------------------------------
    def visit_If(self, node: ast.If):
        # A call in either branch may run a closure that writes a name (`nonlocal`).
        in_body = self._changed(node.body) | self.written[-1]
        in_else = self._changed(node.orelse) | self.written[-1]
        changed = _ordered(in_body | in_else, node.body + node.orelse)
        outer = [(n, self.outer[-1][n]) for n in changed if n in self.outer[-1]]
        changed = [n for n in changed if n not in self.outer[-1]]
        live_in = node.branches_live_in
        params = [n for n in changed if n in live_in]
        if analysis.always_exits(node.body) and analysis.always_exits(node.orelse):
            return self._if(node, params, None, outer, [])
        outputs = [n for n in changed if n in node.live_out]
        one_sided = [n for n in outputs if not (n in in_body and n in in_else)]
        return self._if(node, params, outputs, outer, one_sided)

    def _changed(self, stmts: list) -> set:
        """Names `stmts` assign, and the lists they grow (`hs.append(h)`) that the function
        made itself (a list passed in is the caller's: a graph cannot grow that object)."""
        return analysis.assigned(stmts) | (analysis.grown(stmts) & self.lists[-1])

    def _if(self, node: ast.If, params: list, outputs: list | None, outer: list,
            one_sided: list):
        """`outputs=None`: every path returns (the helpers return the function's value)."""
        true_name, false_name = self.name("if_true"), "None"
        helpers = [self._helper(true_name, params, node.body + _return(outputs or [], node),
                                node, outer)]
        if node.orelse or outputs is None or not params == outputs:
            orelse = node.orelse or [ast.Pass()]
            false_name = self.name("if_false")
            helpers.append(self._helper(false_name, params,
                                        orelse + _return(outputs or [], node), node, outer))
        args = "" if outputs is None or params == outputs else f", {tuple(outputs)!r}"
        entry = "if_return" if outputs is None else "if_stmt"
        kwargs = _outer_kwarg(outer) + self._try_kwarg()
        if outputs is not None:
            kwargs += self._aliased_kwarg(node, node.body + node.orelse)
        call = replace_expr(
            f"at__.{entry}(test, {true_name}, {false_name}, state{args}{kwargs})",
            test=node.test, state=state_tuple(params))
        if outputs is None:
            stmt = ast.Return(value=call)
        elif outputs:
            stmt = ast.Assign(targets=[name_tuple(outputs, ast.Store())], value=call)
        else:
            stmt = ast.Expr(value=call)
        undefined = _undefined(params + [n for n in one_sided if n not in params], node)
        new = undefined + helpers + [at_line(stmt, node)]
        return [self.visit(s) for s in new]

    # -- while ----------------------------------------------------------------------------
    def visit_While(self, node: ast.While):
        loop_vars, outer = self._loop_vars(node, self._changed(node.body), set())
        cond_name, body_name = self.name("loop_cond"), self.name("loop_body")
        cond = self._helper(cond_name, loop_vars, [ast.Return(value=node.test)], node, [])
        body = self._helper(body_name, loop_vars, node.body + _return(loop_vars, node), node,
                            outer)
        kwargs = _outer_kwarg(outer) + self._try_kwarg() + self._aliased_kwarg(node, node.body)
        call = replace_expr(f"at__.while_stmt({cond_name}, {body_name}, state{kwargs})",
                            state=state_tuple(loop_vars))
        return self._loop_result(node, loop_vars, [cond, body], call)

    # -- for ------------------------------------------------------------------------------
    def visit_For(self, node: ast.For):
        targets = analysis.assigned(node.target)
        flags = getattr(node, "break_flags", [])
        extra = set(flags)
        loop_vars, outer = self._loop_vars(node, self._changed(node.body),
                                           (targets & node.live_out) | extra)
        body_stmts = list(node.body)
        if isinstance(node.target, ast.Name) and node.target.id not in loop_vars:
            item = node.target.id
        else:
            item = self.name("item")
            (unpack,) = replace("target = item", target=node.target, item=item)
            body_stmts.insert(0, at_line(unpack, node))
        body_name = self.name("loop_body")
        helpers = [self._helper(body_name, [item, *loop_vars],
                                body_stmts + _return(loop_vars, node), node, outer)]
        setattr(helpers[0], LOOP_ITEM, True)  # its first parameter is the loop's item
        extra_test = ""
        if flags:
            test_name = self.name("loop_test")
            test = replace_expr(" and ".join(f"not {f}" for f in flags))
            helpers.insert(0, self._helper(test_name, loop_vars, [ast.Return(value=test)], node,
                                           []))
            extra_test = f", extra_test={test_name}"
        kwargs = extra_test + _outer_kwarg(outer) + self._try_kwarg() + \
            self._aliased_kwarg(node, node.body)
        call = replace_expr(f"at__.for_stmt(iterable, {body_name}, state{kwargs})",
                            iterable=node.iter, state=state_tuple(loop_vars))
        return self._loop_result(node, loop_vars, helpers, call)

    def _helper(self, name: str, params: list, body: list, at: ast.AST,
                outer: list) -> ast.FunctionDef:
        """`_helper`, where a parameter that a closure of the function reads (a shared cell)
        comes in as `at__<name>` and is written to the cell first: a closure called in the
        helper sees the helper's value, as in Python (`nonlocal` is not a parameter).

            def if_true(at__t, a):
                nonlocal t
                t = at__t
        """
        shared = [p for p in params if p in self.shared[-1]]
        if not shared:
            return _helper(name, params, body, at, outer)
        renamed = {p: self.name(f"{CELL_PARAM}{p}") for p in shared}
        sync = [at_line(ast.Nonlocal(names=shared), at)]
        sync += [at_line(s, at) for p in shared for s in replace(f"{p} = {renamed[p]}")]
        return _helper(name, [renamed.get(p, p) for p in params], sync + body, at, outer)

    def _loop_vars(self, node, assigned: set, also: set):
        names = _ordered(assigned | also | self.written[-1], [node])
        outer = [(n, self.outer[-1][n]) for n in names if n in self.outer[-1]]
        carried = [n for n in names if n not in self.outer[-1] and (
            n in node.live_head or n in also)]
        return carried, outer

    def _loop_result(self, node, loop_vars, helpers, call):
        if loop_vars:
            stmt = ast.Assign(targets=[name_tuple(loop_vars, ast.Store())], value=call)
        else:
            stmt = ast.Expr(value=call)
        new = _undefined(loop_vars, node) + helpers + [at_line(stmt, node)]
        return [self.visit(s) for s in new]


# -- building blocks -----------------------------------------------------------------------
def _is_errstate(node: ast.With) -> bool:
    """`with np.errstate(k=v, ...):` (keywords only, no `as`)."""
    if len(node.items) != 1 or node.items[0].optional_vars is not None:
        return False
    expr = node.items[0].context_expr
    return isinstance(expr, ast.Call) and not expr.args and all(
        k.arg is not None for k in expr.keywords) and (
        isinstance(expr.func, ast.Attribute) and expr.func.attr == "errstate"
        or isinstance(expr.func, ast.Name) and expr.func.id == "errstate")


def _ordered(names: set, stmts: list) -> list:
    """`names` in order of first appearance in `stmts` (deterministic generated code)."""
    seen = []
    for stmt in stmts:
        for node in ast.walk(stmt):
            name = node.id if isinstance(node, ast.Name) else getattr(node, "name", None) \
                if isinstance(node, (ast.FunctionDef, ast.ClassDef)) else None
            if name in names and name not in seen:
                seen.append(name)
    seen += sorted(names - set(seen))
    return seen


def _helper(name: str, params: list, body: list, at: ast.AST, outer: list) -> ast.FunctionDef:
    """A generated helper; `outer` lists (name, "global"|"nonlocal") it may rebind."""
    glob = [n for n, kind in outer if kind == "global"]
    nonloc = [n for n, kind in outer if kind == "nonlocal"]
    declare = ([ast.Global(names=glob)] if glob else []) + (
        [ast.Nonlocal(names=nonloc)] if nonloc else [])
    fn = ast.FunctionDef(
        name=name,
        args=ast.arguments(posonlyargs=[], args=[ast.arg(arg=p) for p in params],
                           kwonlyargs=[], kw_defaults=[], defaults=[], vararg=None, kwarg=None),
        body=declare + (body or [ast.Pass()]),
        decorator_list=[],
        returns=None,
        type_comment=None,
    )
    setattr(fn, GENERATED, True)
    return at_line(fn, at)


def _return(names: list, at: ast.AST) -> list:
    """`return a, b` of a helper's results (nothing when there are none)."""
    return [at_line(ast.Return(value=name_tuple(names)), at)] if names else []


def _outer_kwarg(outer: list) -> str:
    return f", outer={tuple(n for n, _ in outer)!r}" if outer else ""


def _undefined(names: list, node) -> list:
    """`n = at__.Undefined('n')` for the `names` unbound before `node`; a name that may or
    may not be bound keeps its value if it has one."""
    defined = getattr(node, "defined_in", frozenset())
    maybe = getattr(node, "maybe_in", frozenset())
    out = []
    for n in names:
        if n in defined:
            continue
        if n in maybe:
            (stmt,) = replace(f"{n} = locals().get('{n}', at__.Undefined('{n}'))")
        else:
            (stmt,) = replace(f"{n} = at__.Undefined('{n}')")
        out.append(at_line(stmt, node))
    return out


# The statements this pass rewrites: only they read the analyses (`analysis.annotate`) and
# name helpers (`all_names`, to pick names the user's code does not use).
_CONVERTED = (ast.If, ast.While, ast.For, ast.Try, ast.With) + \
    ((ast.TryStar,) if hasattr(ast, "TryStar") else ())


def transform(node: ast.FunctionDef, ctx) -> ast.FunctionDef:
    library = os.path.abspath(ctx.filename).startswith(_PACKAGE_DIR + os.sep)
    names = analysis.all_names(node) if any(
        isinstance(s, _CONVERTED) for s in statements(node)) else set()
    return ControlFlow(names, ctx.aliases, library).visit(node)
