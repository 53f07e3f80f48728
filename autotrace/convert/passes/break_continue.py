"""`break` / `continue` -> flags folded into the loop condition, and loop `else`.

    while i < n:                       break_ = False
        if x[i] < 0:                   while not break_ and i < n:
            break              ->          if x[i] < 0:
        i += 1                                 break_ = True
                                           if not break_:
                                               i += 1

`continue` sets `continue_` (reset at the top of the body) and guards the rest of the
body the same way. A `for` loop gets its flags as `extra_test` (see the control-flow pass:
they are recorded on the node as `break_flags`). A loop that may `return` (see the returns
pass) stops on its `return_flag` the same way. A loop's `else` runs after it when the
flags are unset. Flags are plain variables: Python values in Python loops, traced bools in
graph loops, so the same code serves both.
"""

from __future__ import annotations

import ast

from autotrace.convert import analysis
from autotrace.convert.passes.flags import rewrite_exits
from autotrace.convert.templates import fresh_name, replace
from autotrace.convert.visitor import StatementTransformer, statements, walk
from autotrace.errors import ConversionError


class BreakContinue(StatementTransformer):  # loops are statements
    def __init__(self, taken: set, ctx):
        self.taken = set(taken)
        self.ctx = ctx

    def _fresh(self, base: str) -> str:
        """`break_`, then `break_1`, `break_2`... (one flag per loop, none of the user's)."""
        name = fresh_name(base, self.taken)
        self.taken.add(name)
        return name

    def visit_While(self, node: ast.While):
        if any(isinstance(n, ast.NamedExpr) for n in walk(node.test)):
            node = self._test_in_body(node)
        return self._loop(node)

    def _test_in_body(self, node: ast.While) -> ast.While:
        """`while (n := f()) > 0: body` -> `while True: if not (n := f()) > 0: break` + body:
        the helper that tests the condition cannot rebind `n` for the body."""
        if node.orelse:
            raise ConversionError(
                f'File "{self.ctx.filename}", line {node.lineno}: an assignment expression '
                "(`:=`) in the condition of a `while` that has an `else` clause is not "
                "supported. Assign the value before the loop and at the end of its body."
                f"\n    {self.ctx.line(node.lineno)}"
            )
        (guard,) = replace("if not test:\n    break", test=node.test)
        node.body = [ast.copy_location(guard, node.test)] + node.body
        node.test = ast.copy_location(ast.Constant(value=True), node.test)
        return node

    def visit_For(self, node: ast.For):
        return self._loop(node)

    def _loop(self, node):
        self.generic_visit(node)  # inner loops first: their break/continue are theirs
        has_break = analysis.contains(node.body, (ast.Break,), stop_at_loops=True)
        has_continue = analysis.contains(node.body, (ast.Continue,), stop_at_loops=True)
        before, flags = [], []
        if has_continue:
            flag = self._fresh("continue_")
            node.body = replace(f"{flag} = False") + _rewrite(node.body, ast.Continue, flag)
            ast.copy_location(node.body[0], node)
        if has_break:
            flag = self._fresh("break_")
            before = [ast.copy_location(s, node) for s in replace(f"{flag} = False")]
            node.body = _rewrite(node.body, ast.Break, flag)
            flags.append(flag)
        returns = getattr(node, "return_flag", None)  # set by the returns pass
        if returns and returns in analysis.assigned(node.body):  # not if only after `break`
            flags.append(returns)
        after = node.orelse
        if flags:
            if isinstance(node, ast.While):
                test = [] if _is_true(node.test) else [node.test]
                node.test = ast.copy_location(_all_unset(flags, test), node.test)
            else:
                node.break_flags = flags
            if node.orelse:
                after = [ast.copy_location(_unless(flags, node.orelse), node.orelse[0])]
        node.orelse = []
        return before + [node] + after if before or after else node


def _unless(flags: list, body: list) -> ast.If:
    """`if not flag_1 and not flag_2: body`."""
    (guard,) = replace("if test:\n    pass", test=_all_unset(flags))
    guard.body = body
    return guard


def _all_unset(flags: list, then: list = ()) -> ast.expr:
    """`not a and not b` (or `not a`), followed by the tests `then`."""
    tests = [_not(f) for f in flags] + list(then)
    return tests[0] if len(tests) == 1 else ast.BoolOp(op=ast.And(), values=tests)


def _is_true(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _not(flag: str) -> ast.expr:
    return ast.UnaryOp(op=ast.Not(), operand=ast.Name(id=flag, ctx=ast.Load()))


def _rewrite(stmts: list, kind, flag: str) -> list:
    """Replace `break`/`continue` (of this loop) by `flag = True`; guard what follows."""
    return rewrite_exits(stmts, kind, flag, lambda stmt: replace(f"{flag} = True"),
                         enter_loops=False)


def transform(node: ast.FunctionDef, ctx) -> ast.FunctionDef:
    if not any(isinstance(s, (ast.While, ast.For)) for s in statements(node)):
        return node  # no loop: nothing to rewrite, no flag to name
    names = analysis.names(node.body)
    return BreakContinue(names.bound | names.read, ctx).visit(node)
