"""Print converted ASTs as text, and compile them into functions bound like the original.

Printing goes through `to_source` only (astor, with `ast.unparse` as the fallback if astor
cannot print a node). Compiling uses the AST itself, whose line numbers are the user's:
tracebacks through converted code show the user's file and line.
"""

from __future__ import annotations

import ast
import types
import warnings

try:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import astor
        from astor.code_gen import SourceGenerator, set_precedence
except ImportError:  # a declared dependency; without it (a bare checkout) ast.unparse prints
    astor = None
    SourceGenerator = object

from autotrace.convert.passes.control_flow import GENERATED
from autotrace.errors import CONVERTED_CODES, GENERATED_CODES

RUNTIME_NAME = "at__"
_FACTORY = "__autotrace_factory"
_INNER = "__autotrace_converted"


def to_source(node: ast.AST) -> str:
    """Python text of `node`. astor first (the project's printer), `ast.unparse` if it fails."""
    if astor is None:
        return ast.unparse(node) + "\n"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            text = astor.to_source(node, pretty_source=_pretty_source,
                                   source_generator_class=_Printer)
    except Exception:  # astor does not know every node kind of every Python version
        text = ast.unparse(node) + "\n"
    return text


def _pretty_source(parts: list) -> str:
    """One line per statement: astor's splitting of long lines breaks them at odd places
    (`x.\n max()`), which reads worse than a long line."""
    return "".join(parts)


class _Printer(SourceGenerator):
    """astor's printer with two touches: `lambda: x` (not `lambda : x`), and no blank line
    between a header and a def that starts its body."""

    def visit_Lambda(self, node: ast.Lambda):
        a = node.args
        if a.posonlyargs or a.args or a.vararg or a.kwonlyargs or a.kwarg:
            return super().visit_Lambda(node)
        with self.delimit(node) as delimiters:
            set_precedence(delimiters.p, node.body)
            self.write("lambda: ", node.body)

    def decorators(self, node, extra):
        first_in_body = bool(self.result) and str(self.result[-1]).endswith(":")
        super().decorators(node, 0 if first_in_body else extra)


def compile_code(node: ast.FunctionDef, freevars: tuple, filename: str) -> types.CodeType:
    """Code object of converted `node`, whose free variables are the runtime and `freevars`.

    The def is wrapped in a factory whose parameters are the runtime module and the
    original function's free variables, so the compiler treats them as closure variables;
    `make_function` then supplies the original function's own cells (live, not copied).
    Inside the factory the def gets a private name, so that the function's own name (a
    recursive call) still refers to what it refers to in the original: a global.
    """
    name = node.name
    params = (RUNTIME_NAME, *(n for n in freevars if n != RUNTIME_NAME))
    node.name = _INNER
    factory = ast.FunctionDef(
        name=_FACTORY,
        args=ast.arguments(
            posonlyargs=[], args=[ast.arg(arg=n) for n in params],
            kwonlyargs=[], kw_defaults=[], defaults=[], vararg=None, kwarg=None,
        ),
        body=[node, ast.Return(value=ast.Name(id=_INNER, ctx=ast.Load()))],
        decorator_list=[],
        returns=None,
        type_comment=None,
    )
    module = ast.Module(body=[factory], type_ignores=[])
    fill_locations(node)
    for new in ast.walk(factory.args):
        ast.copy_location(new, node)
    ast.copy_location(factory, node)
    ast.copy_location(factory.body[1], node)
    ast.copy_location(factory.body[1].value, node)
    code = compile(module, filename, "exec", dont_inherit=True)
    node.name = name
    inner = _const_code(_const_code(code, _FACTORY), _INNER).replace(co_name=name)
    helpers = {(n.name, n.lineno) for n in ast.walk(node)
               if isinstance(n, ast.FunctionDef) and getattr(n, GENERATED, False)}
    _register(inner, helpers)
    return inner


def fill_locations(node: ast.AST) -> None:
    """`ast.fix_missing_locations`, walking `_fields` directly (twice as fast): a node
    without a location takes its parent's."""
    stack = [(node, node.lineno, node.col_offset, node.end_lineno, node.end_col_offset)]
    while stack:
        parent, line, col, end_line, end_col = stack.pop()
        for field in parent._fields:
            value = getattr(parent, field, None)
            children = value if type(value) is list else (value,)
            for child in children:
                if not isinstance(child, _LOCATED):
                    if isinstance(child, ast.AST):
                        stack.append((child, line, col, end_line, end_col))
                    continue
                if getattr(child, "lineno", None) is None:
                    child.lineno, child.col_offset = line, col
                if getattr(child, "end_lineno", None) is None:
                    child.end_lineno, child.end_col_offset = end_line, end_col
                stack.append((child, child.lineno, child.col_offset, child.end_lineno,
                              child.end_col_offset))


_LOCATED = (ast.stmt, ast.expr, ast.excepthandler, ast.arg, ast.keyword, ast.alias,
            ast.pattern)


def _register(code: types.CodeType, helpers: set = frozenset()) -> None:
    """Mark converted code (and the helpers nested in it) as user code for origins, and
    the converter's own helpers among them (`helpers`: their names and lines) as such."""
    CONVERTED_CODES.add(code)
    if (code.co_name, code.co_firstlineno) in helpers:
        GENERATED_CODES.add(code)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _register(const, helpers)


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
