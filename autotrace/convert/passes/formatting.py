"""String formatting and logging calls -> `at__` calls that know traced values.

    f"loss {x:.4f}"        ->   at__.fstring(False, 'loss ', (x, -1, '.4f'))
    "%s" % x               ->   at__.percent(False, '%s', x)
    "{:.2f}".format(x)     ->   at__.str_format(False, '{:.2f}', x)
    str(x)                 ->   at__.format_call(False, str, x)     (also repr, ascii, format)
    logger.info(s, x)      ->   at__.log_call(logger.info, s, x)    (debug, warning, ...)

The first argument says whether the string is an argument of `print(...)` or of a
(possibly) logging call, where a string of traced values is formatted at run time; see
`autotrace.runtime.formatting`. Runs before the arithmetic pass (which would turn `%`
into `at__.mod`).
"""

from __future__ import annotations

import ast

from autotrace.convert.templates import runtime_call
from autotrace.convert.visitor import Transformer

FORMATTERS = {"str", "repr", "ascii", "format"}
LOG_METHODS = {"debug", "info", "warning", "warn", "error", "critical", "exception", "log",
               "fatal"}
_NOT_LOGGERS = {"np", "numpy", "math", "cmath", "jnp", "torch", "scipy"}  # `np.log(x)`


class Formatting(Transformer):
    def visit_FunctionDef(self, node):
        self.generic_visit(node)  # nested functions are converted with their parent
        return node

    def visit_Call(self, node: ast.Call):
        func = node.func
        effect = _is_print(func) or _maybe_logging(func)
        node.func = self.visit(func)
        node.args = [self._arg(a, effect) for a in node.args]
        for kw in node.keywords:
            kw.value = self._arg(kw.value, effect)
        if isinstance(func, ast.Name) and func.id in FORMATTERS:
            return self._formatter(node, False)
        if _is_str_format(func):
            return self._str_format(node, False)
        if _maybe_logging(func):
            new = runtime_call("log_call", node.func, *node.args)
            new.keywords = node.keywords
            return ast.copy_location(new, node)
        return node

    def _arg(self, arg: ast.expr, effect: bool) -> ast.expr:
        if not effect:
            return self.visit(arg)
        if isinstance(arg, ast.JoinedStr):
            return self._fstring(arg, True)
        if _is_percent(arg):
            return self._percent(arg, True)
        if isinstance(arg, ast.Call) and isinstance(arg.func, ast.Name) and \
                arg.func.id in FORMATTERS:
            arg.args = [self.visit(a) for a in arg.args]
            return self._formatter(arg, True)
        if isinstance(arg, ast.Call) and _is_str_format(arg.func):
            arg.args = [self.visit(a) for a in arg.args]
            for kw in arg.keywords:
                kw.value = self.visit(kw.value)
            return self._str_format(arg, True)
        if isinstance(arg, ast.BinOp) and isinstance(arg.op, ast.Mod):
            return self._percent(arg, True)  # `fmt % x`: Python's `%` unless `fmt` is a str
        return self.visit(arg)

    def visit_JoinedStr(self, node: ast.JoinedStr):
        return self._fstring(node, False)

    def visit_BinOp(self, node: ast.BinOp):
        if _is_percent(node):
            return self._percent(node, False)
        self.generic_visit(node)
        return node

    def _fstring(self, node: ast.JoinedStr, effect: bool) -> ast.expr:
        parts = []
        for v in node.values:
            if isinstance(v, ast.FormattedValue):
                spec = ast.Constant("") if v.format_spec is None else self.visit(v.format_spec)
                parts.append(ast.Tuple([self.visit(v.value), ast.Constant(v.conversion), spec],
                                       ast.Load()))
            else:
                parts.append(v)
        return ast.copy_location(runtime_call("fstring", ast.Constant(effect), *parts), node)

    def _percent(self, node: ast.BinOp, effect: bool) -> ast.expr:
        new = runtime_call("percent", ast.Constant(effect), self.visit(node.left),
                           self.visit(node.right))
        return ast.copy_location(new, node)

    def _str_format(self, node: ast.Call, effect: bool) -> ast.expr:
        new = runtime_call("str_format", ast.Constant(effect), node.func.value, *node.args)
        new.keywords = node.keywords
        return ast.copy_location(new, node)

    def _formatter(self, node: ast.Call, effect: bool) -> ast.expr:
        new = runtime_call("format_call", ast.Constant(effect), node.func, *node.args)
        new.keywords = node.keywords
        return ast.copy_location(new, node)


def _is_str_format(func: ast.expr) -> bool:
    return isinstance(func, ast.Attribute) and func.attr == "format" and \
        isinstance(func.value, ast.Constant) and isinstance(func.value.value, str)


def _is_print(func: ast.expr) -> bool:
    return isinstance(func, ast.Name) and func.id == "print"


def _maybe_logging(func: ast.expr) -> bool:
    return isinstance(func, ast.Attribute) and func.attr in LOG_METHODS and \
        not (isinstance(func.value, ast.Name) and func.value.id in _NOT_LOGGERS)


def _is_percent(node: ast.expr) -> bool:
    return isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and \
        isinstance(node.left, (ast.Constant, ast.JoinedStr)) and \
        isinstance(getattr(node.left, "value", ""), str)


def transform(node: ast.AST, ctx) -> ast.AST:
    return Formatting().visit(node)
