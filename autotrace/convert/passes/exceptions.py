"""`assert` and `raise` -> runtime calls that also work on graph paths.

    assert x > 0, f"bad {x}"   ->   at__.assert_(x > 0, lambda: f'bad {x}')
    raise ValueError("neg")    ->   at__.raise_(ValueError('neg'))

For Python values both behave exactly like the statements. A traced assert test becomes a
graph assertion raising `AssertionError(message)` at run time; a `raise` inside a branch
of a graph `cond` raises at run time on the path that reaches it (runtime/raising.py).
The message of an assert stays lazy; a constant one is passed as is. `raise X from Y`
passes the cause (a graph `try`'s caught exception is a run-time value); a bare `raise`
keeps Python's statement (inside a handler the control-flow pass made it
`at__.reraise`). Runs after the control-flow pass, which needs to
see `raise` statements to know which paths exit.
"""

from __future__ import annotations

import ast

from autotrace.convert.passes.logical import _thunk
from autotrace.convert.templates import replace
from autotrace.convert.visitor import StatementTransformer


class Exceptions(StatementTransformer):  # asserts and raises are statements
    def visit_Assert(self, node: ast.Assert):
        self.generic_visit(node)
        if node.msg is None:
            (new,) = replace("at__.assert_(test)", test=node.test)
        else:
            msg = node.msg if isinstance(node.msg, ast.Constant) else _thunk(node.msg)
            (new,) = replace("at__.assert_(test, msg)", test=node.test, msg=msg)
        return ast.copy_location(new, node)

    def visit_Raise(self, node: ast.Raise):
        self.generic_visit(node)
        if node.exc is None:
            return node
        if node.cause is not None:
            (new,) = replace("at__.raise_(exc, cause)", exc=node.exc, cause=node.cause)
        else:
            (new,) = replace("at__.raise_(exc)", exc=node.exc)
        return ast.copy_location(new, node)


def transform(node: ast.FunctionDef, ctx) -> ast.FunctionDef:
    return Exceptions().visit(node)
