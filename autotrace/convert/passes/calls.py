"""Calls -> `at__.call(f, ...)` where `f` may be user code that needs converting.

    y = helper(x)          ->   y = at__.call(helper, x)
    y = self.layer(x)      ->   y = at__.call(self.layer, x)
    y = np.sin(x)          ->   y = np.sin(x)                 (numpy: dispatches by itself)
    s = np.sum([1, a])     ->   s = at__.call(np.sum, [1, a])   (numpy of a list display)
    n = len(x)             ->   n = at__.len(x)               (also print, range, enumerate, zip,
                                                               bool)

The callee is resolved statically where the function's globals, closure and builtins
say what it is: numpy, the standard library and autotrace are left alone (the few numpy
functions that do not dispatch on arrays, like `np.arange`, go through `at__.call`). A
method call on a local value is left alone when its name is an array or container method
(`x.sum()`, `items.append(v)`); other unresolved calls go through `at__.call`, which
decides at run time.
"""

from __future__ import annotations

import ast
import builtins
import types

import numpy as np

from autotrace.convert.analysis import assigned, list_names
from autotrace.convert.templates import replace_expr
from autotrace.convert.visitor import Transformer

BUILTIN_OVERLOADS = {"print", "range", "enumerate", "zip", "len", "bool", "isinstance"}
_VALUE_METHODS = frozenset().union(
    *(dir(t) for t in (np.ndarray, list, dict, str, set, tuple, bytes, int, float)))
_UNKNOWN = object()
_LIST_DISPLAYS = (ast.List, ast.Tuple, ast.ListComp)
_SEQUENCE_CALLS = (builtins.sum, np.stack, np.concatenate, np.vstack, np.hstack)


class Calls(Transformer):
    def __init__(self, fn: types.FunctionType, local_names: set, lists: set = frozenset()):
        self.fn = fn
        self.locals = local_names
        self.lists = lists  # names that hold Python lists (`analysis.list_names`)

    def visit_FunctionDef(self, node):
        return node  # nested scopes are handled by `_Scopes` with their own locals

    def visit_Lambda(self, node):
        return node

    def visit_Call(self, node: ast.Call):
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Name) and func.id in BUILTIN_OVERLOADS and \
                self._resolve(func) is getattr(builtins, func.id):
            node.func = ast.copy_location(replace_expr(f"at__.{func.id}"), func)
            return node
        if not (self._needs_conversion(func) or self._numpy_of_list(func, node.args) or
                self._sum_of_list(func, node.args)):
            return node
        call = replace_expr("at__.call(f)", f=func)
        call.args += node.args
        call.keywords = node.keywords
        return ast.copy_location(call, node)

    def _needs_conversion(self, func: ast.expr) -> bool:
        from autotrace.runtime.calls import EFFECT_OVERLOADS, NUMPY_OVERLOADS, _is_user_code
        from autotrace.runtime.random import is_random_call

        if _is_runtime(func):
            return False
        target = self._resolve(func)
        if target is _UNKNOWN:
            return not (isinstance(func, ast.Attribute) and func.attr in _VALUE_METHODS)
        if _hashable(target) and (target in NUMPY_OVERLOADS or target in EFFECT_OVERLOADS) \
                or is_random_call(target):
            return True  # numpy that does not dispatch, effects; random draws run at run time
        return _is_user_code(target, fileless=True) or _is_user_class_instance(target)

    def _numpy_of_list(self, func: ast.expr, args: list) -> bool:
        """`np.sum([1, a * a])`: numpy would make the list an array before tensors in it
        could dispatch (`at__.call` stacks it; see `runtime.sequences`)."""
        from autotrace.runtime.sequences import is_numpy_function

        return any(isinstance(a, _LIST_DISPLAYS) or self._is_list(a) for a in args) and \
            is_numpy_function(self._resolve(func))

    def _sum_of_list(self, func: ast.expr, args: list) -> bool:
        """`sum(hs)` or `np.stack(hs)` of a local variable: a list that grew in graph control
        flow is iterated only when the graph runs (`runtime.stacked`)."""
        return bool(args) and isinstance(args[0], ast.Name) and args[0].id in self.locals \
            and self._resolve(func) in _SEQUENCE_CALLS

    def _is_list(self, node: ast.expr) -> bool:
        return isinstance(node, ast.Name) and node.id in self.lists and node.id in self.locals

    def _resolve(self, node: ast.expr):
        """The object a dotted name refers to, or `_UNKNOWN` (locals, calls, ...)."""
        if isinstance(node, ast.Attribute):
            base = self._resolve(node.value)
            if base is _UNKNOWN or not isinstance(base, (types.ModuleType, type)):
                return _UNKNOWN
            return getattr(base, node.attr, _UNKNOWN)
        # Locals and closure variables are decided at run time: the converted code is
        # shared by every function made from this code object, whose cells may differ.
        if not isinstance(node, ast.Name) or node.id in self.locals or \
                node.id in self.fn.__code__.co_freevars:
            return _UNKNOWN
        if node.id in self.fn.__globals__:
            return self.fn.__globals__[node.id]
        return getattr(builtins, node.id, _UNKNOWN)


def _is_runtime(func: ast.expr) -> bool:
    return isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and \
        func.value.id == "at__"


def _hashable(x) -> bool:
    try:
        hash(x)
    except TypeError:
        return False
    return True


def _is_user_class_instance(obj) -> bool:
    from autotrace.runtime.calls import _is_user_code

    call = type(obj).__call__ if callable(obj) else None
    return isinstance(call, types.FunctionType) and _is_user_code(call)


def _params(args: ast.arguments) -> set:
    params = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
    return params | {a.arg for a in (args.vararg, args.kwarg) if a is not None}


def _locals(func: ast.FunctionDef) -> set:
    return _params(func.args) | assigned(func.body)


class _Scopes(Transformer):
    """Apply `Calls` per function scope (nested defs see their own locals)."""

    def __init__(self, fn, enclosing: set, lists: set):
        self.fn = fn
        self.enclosing = enclosing
        self.lists = lists

    def visit_FunctionDef(self, node: ast.FunctionDef):
        local = self.enclosing | _locals(node)
        inner = _Scopes(self.fn, local, self.lists)
        node.body = [inner.visit(s) for s in node.body]
        node.body = [Calls(self.fn, local, self.lists).visit(s) for s in node.body]
        return node

    def visit_Lambda(self, node: ast.Lambda):
        local = self.enclosing | _params(node.args)
        node.body = _Scopes(self.fn, local, self.lists).visit(node.body)  # nested lambdas
        node.body = Calls(self.fn, local, self.lists).visit(node.body)
        return node


def transform(node: ast.FunctionDef, ctx) -> ast.FunctionDef:
    return _Scopes(ctx.fn, set(), list_names(node)).visit(node)
