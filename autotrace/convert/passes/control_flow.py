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
helper. A variable that may be unbound before the statement starts as
`at__.Undefined('name')`. An `if` whose every path returns becomes
`return at__.if_return(...)`. The runtime decides per call whether the condition is a
Python value (plain Python) or a traced tensor (a graph `cond` / `while_loop`).
"""

from __future__ import annotations

import ast

from autotrace.convert import analysis
from autotrace.convert.templates import at_line, name_tuple, replace, replace_expr

GENERATED = "_autotrace_generated"


class ControlFlow(ast.NodeTransformer):
    def __init__(self):
        self.outer: list[dict] = [{}]  # per scope: name -> "global" | "nonlocal"

    # -- scopes ---------------------------------------------------------------------------
    def visit_FunctionDef(self, node: ast.FunctionDef):
        if getattr(node, GENERATED, False):
            self.generic_visit(node)
            return node
        analysis.annotate(node)
        glob, nonloc = analysis.scope_declarations(node)
        self.outer.append({**dict.fromkeys(glob, "global"), **dict.fromkeys(nonloc, "nonlocal")})
        self.generic_visit(node)
        self.outer.pop()
        return node

    def visit_Lambda(self, node):
        return node

    # -- if -------------------------------------------------------------------------------
    def visit_If(self, node: ast.If):
        in_body, in_else = analysis.assigned(node.body), analysis.assigned(node.orelse)
        changed = _ordered(in_body | in_else, node.body + node.orelse)
        outer = [(n, self.outer[-1][n]) for n in changed if n in self.outer[-1]]
        changed = [n for n in changed if n not in self.outer[-1]]
        live_in = analysis.live_in(node.body, node.live_out) | analysis.live_in(
            node.orelse, node.live_out)
        params = [n for n in changed if n in live_in]
        if analysis.always_exits(node.body) and analysis.always_exits(node.orelse):
            return self._if(node, params, None, outer, [])
        outputs = [n for n in changed if n in node.live_out]
        one_sided = [n for n in outputs if not (n in in_body and n in in_else)]
        return self._if(node, params, outputs, outer, one_sided)

    def _if(self, node: ast.If, params: list, outputs: list | None, outer: list,
            one_sided: list):
        """`outputs=None`: every path returns (the helpers return the function's value)."""
        returns = [_return(outputs, node)] if outputs else []
        helpers = [_helper("if_true", params, node.body + returns, node, outer)]
        false_name = "None"
        if node.orelse or outputs is None or not params == outputs:
            orelse = node.orelse or [ast.Pass()]
            helpers.append(_helper("if_false", params, orelse + returns, node, outer))
            false_name = "if_false"
        args = "" if outputs is None or params == outputs else f", {tuple(outputs)!r}"
        entry = "if_return" if outputs is None else "if_stmt"
        call = replace_expr(
            f"at__.{entry}(test, if_true, {false_name}, state{args}{_outer_kwarg(outer)})",
            test=node.test, state=_state(params))
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
        loop_vars, outer = self._loop_vars(node, analysis.assigned(node.body), set())
        cond = _helper("loop_cond", loop_vars, [ast.Return(value=node.test)], node, [])
        body = _helper("loop_body", loop_vars, node.body + [_return(loop_vars, node)], node,
                       outer)
        call = replace_expr(f"at__.while_stmt(loop_cond, loop_body, state{_outer_kwarg(outer)})",
                            state=_state(loop_vars))
        return self._loop_result(node, loop_vars, [cond, body], call)

    # -- for ------------------------------------------------------------------------------
    def visit_For(self, node: ast.For):
        targets = analysis.assigned(node.target)
        flag = getattr(node, "break_flag", None)
        extra = {flag} if flag else set()
        loop_vars, outer = self._loop_vars(node, analysis.assigned(node.body),
                                           (targets & node.live_out) | extra)
        body_stmts = list(node.body)
        if isinstance(node.target, ast.Name) and node.target.id not in loop_vars:
            item = node.target.id
        else:
            item = "item"
            (unpack,) = replace("target = item", target=node.target)
            body_stmts.insert(0, at_line(unpack, node))
        body = _helper("loop_body", [item, *loop_vars],
                       body_stmts + [_return(loop_vars, node)], node, outer)
        helpers = [body]
        extra_test = ""
        if flag:
            test = replace_expr(f"not {flag}")
            helpers.insert(0, _helper("loop_test", loop_vars, [ast.Return(value=test)], node,
                                      []))
            extra_test = ", extra_test=loop_test"
        call = replace_expr(
            f"at__.for_stmt(iterable, loop_body, state{extra_test}{_outer_kwarg(outer)})",
            iterable=node.iter, state=_state(loop_vars))
        return self._loop_result(node, loop_vars, helpers, call)

    def _loop_vars(self, node, assigned: set, also: set):
        names = _ordered(assigned | also, [node])
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


def _return(names: list, at: ast.AST) -> ast.Return:
    return at_line(ast.Return(value=name_tuple(names)), at)


def _state(names: list) -> ast.expr:
    return ast.Tuple(elts=[ast.Name(id=n, ctx=ast.Load()) for n in names], ctx=ast.Load())


def _outer_kwarg(outer: list) -> str:
    return f", outer={tuple(n for n, _ in outer)!r}" if outer else ""


def _undefined(names: list, node) -> list:
    defined = getattr(node, "defined_in", frozenset())
    out = []
    for n in names:
        if n not in defined:
            (stmt,) = replace(f"{n} = at__.Undefined('{n}')")
            out.append(at_line(stmt, node))
    return out


def transform(node: ast.FunctionDef, ctx) -> ast.FunctionDef:
    return ControlFlow().visit(node)
