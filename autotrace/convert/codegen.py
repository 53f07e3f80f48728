"""Print converted ASTs as text, and compile them into functions bound like the original.

Printing goes through `to_source` only (astor, with `ast.unparse` as the fallback if astor
cannot print a node). Compiling uses the AST itself, whose line numbers are the user's:
tracebacks through converted code show the user's file and line.
"""

from __future__ import annotations

import ast
import types
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import astor

from autotrace.errors import CONVERTED_CODES

RUNTIME_NAME = "at__"
_FACTORY = "__autotrace_factory"


def to_source(node: ast.AST) -> str:
    """Python text of `node`. astor first (the project's printer), `ast.unparse` if it fails."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            text = astor.to_source(node)
    except Exception:  # astor does not know every node kind of every Python version
        text = ast.unparse(node) + "\n"
    return text


def compile_code(node: ast.FunctionDef, freevars: tuple, filename: str) -> types.CodeType:
    """Code object of converted `node`, whose free variables are the runtime and `freevars`.

    The def is wrapped in a factory whose parameters are the runtime module and the
    original function's free variables, so the compiler treats them as closure variables;
    `make_function` then supplies the original function's own cells (live, not copied).
    """
    factory = ast.FunctionDef(
        name=_FACTORY,
        args=ast.arguments(
            posonlyargs=[], args=[ast.arg(arg=n) for n in (RUNTIME_NAME, *freevars)],
            kwonlyargs=[], kw_defaults=[], defaults=[], vararg=None, kwarg=None,
        ),
        body=[node, ast.Return(value=ast.Name(id=node.name, ctx=ast.Load()))],
        decorator_list=[],
        returns=None,
        type_comment=None,
    )
    ast.copy_location(factory, node)
    module = ast.Module(body=[factory], type_ignores=[])
    ast.fix_missing_locations(module)
    code = compile(module, filename, "exec", dont_inherit=True)
    inner = _const_code(_const_code(code, _FACTORY), node.name)
    _register(inner)
    return inner


def _register(code: types.CodeType) -> None:
    """Mark converted code (and the helpers nested in it) as user code for origins."""
    CONVERTED_CODES.add(code)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _register(const)


def make_function(code: types.CodeType, fn: types.FunctionType, runtime) -> types.FunctionType:
    """A function running `code` with `fn`'s globals, closure cells, defaults and metadata."""
    cells = dict(zip(fn.__code__.co_freevars, fn.__closure__ or ()))
    cells[RUNTIME_NAME] = types.CellType(runtime)
    closure = tuple(cells[name] for name in code.co_freevars)
    new = types.FunctionType(code, fn.__globals__, fn.__name__, fn.__defaults__, closure)
    new.__kwdefaults__ = fn.__kwdefaults__
    new.__dict__.update(fn.__dict__)
    new.__qualname__ = fn.__qualname__
    new.__module__ = fn.__module__
    new.__doc__ = fn.__doc__
    return new


def _const_code(code: types.CodeType, name: str) -> types.CodeType:
    for const in code.co_consts:
        if isinstance(const, types.CodeType) and const.co_name == name:
            return const
    raise AssertionError(f"code object {name} not found")
