"""Read a function's source as an AST whose line numbers are those of the user's file.

The whole file is parsed once per content (C speed; tokenizing a def's block with
`inspect.getblock` is the fallback when the file does not parse as a whole). A def is
found by its first line and name; decorators are removed later (the converted function
is re-created without them); a lambda is found by line, parameters and, when several
share a line, column. The nodes returned are shared: copy before changing them.

The text read must be the code that runs: a file edited after its module was imported
(without a reload) holds other code, and converting it would trace a function that is not
the one called. So the def found is compiled again, alone, and compared with the live code
object (`StaleSource` when they differ).
"""

from __future__ import annotations
import __future__

import ast
import collections
import copy
import functools
import inspect
import textwrap
import types
from dataclasses import dataclass

from autotrace.convert.templates import clone
from autotrace.convert.visitor import children, statements
from autotrace.errors import ConversionError


class SourceUnavailable(ConversionError):
    """The function's source cannot be read (built in, defined in a REPL, C code, ...)."""


class StaleSource(ConversionError):
    """The source on disk is not the code that runs (the file was edited after import)."""


@dataclass
class FunctionSource:
    node: ast.FunctionDef | ast.Lambda
    filename: str
    lines: list[str]  # the whole file, for error messages


def function_source(fn) -> FunctionSource:
    """Parse `fn`'s source; raise `SourceUnavailable` with the reason when it cannot.

    The returned node is the caller's to change: a def is handed over by the file's index
    (which parses the file again if that def, or one around it or in it, is asked for
    again), a lambda is a copy.
    """
    code = getattr(fn, "__code__", None)
    if code is None:
        raise SourceUnavailable(f"{fn!r} is not a Python function (no __code__)")
    try:
        lines, _ = inspect.findsource(code)
    except (OSError, TypeError) as e:
        raise SourceUnavailable(
            f"cannot read the source of {fn.__qualname__}: {e}. autotrace converts functions "
            "from their source; define it in a file (not an interactive prompt or exec())."
        ) from None
    if code.co_name == "<lambda>":
        node = _find_lambda(lines, code)
    else:
        node = _find_def(lines, code)
        if node is None:  # the file as a whole does not parse: read the def's own block
            node = _parse_block(lines, code, fn)
    try:
        imported = _file_index(code.co_filename, "".join(lines)).imported
    except SyntaxError:  # only the def's block was read
        imported = None
    check_current(node, code, imported)
    return FunctionSource(node, code.co_filename, lines)


def _find_def(lines: list, code):
    """The def of `code` in its file (parsed once per file content), handed over; None
    when the file does not parse; `StaleSource` when it parses but holds no such def on
    that line."""
    text = "".join(lines)
    try:
        index = _file_index(code.co_filename, text)
    except SyntaxError:
        return None
    node = index.def_of(code)
    if index.overlaps_taken(_first_line(node), node.end_lineno):  # handed over before (and
        # changed since), or around or in one that was: parse the file again
        index = _file_index(code.co_filename, text, fresh=True)
        node = index.def_of(code)
    index.take(node)
    return node


def _parse_block(lines: list, code, fn):
    block = inspect.getblock(lines[code.co_firstlineno - 1:])
    tree = _parse(textwrap.dedent("".join(block)), code.co_filename, code.co_firstlineno)
    node = tree.body[0]
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        raise SourceUnavailable(f"the source of {fn.__qualname__} is not a def statement")
    ast.increment_lineno(node, code.co_firstlineno - 1)
    return node


def _parse(text: str, filename: str, firstlineno: int) -> ast.Module:
    try:
        return ast.parse(text)
    except SyntaxError as e:
        raise SourceUnavailable(
            f"{filename}:{firstlineno}: the function's source does not parse on its own "
            f"({e.msg})"
        ) from None


class _FileIndex:
    """The defs of a parsed file by first line (the first decorator's, else the def's), its
    lambdas by line (found when first asked for: they are expressions, so the whole tree is
    walked for them), and the names its module-level imports bind (they change how calls
    compile).

    Defs are handed over (`take`), not copied: the converter changes the nodes it gets.
    The line spans of those handed over are kept; a def or lambda that overlaps one (in
    it, or around it) is read from a new parse of the file.
    """

    def __init__(self, tree: ast.Module):
        self.tree, self.defs = tree, {}
        for node in statements(tree):  # defs are statements: expressions are not walked
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.defs.setdefault(_first_line(node), []).append(node)
        self.imported = _imported_names(tree)
        self._taken: list[tuple] = []  # (first line, last line) of the defs handed over
        self._taken_nodes: set[int] = set()

    def def_of(self, code):
        """The def that compiles to `code`: its first line and name (`StaleSource` when
        there is none)."""
        found = [n for n in self.defs.get(code.co_firstlineno, []) if n.name == code.co_name]
        if not found:
            raise _stale(code)
        return found[0]

    def take(self, node) -> None:
        self._taken.append((_first_line(node), node.end_lineno))
        self._taken_nodes.add(id(node))

    def overlaps_taken(self, first: int, last: int) -> bool:
        """Lines `first`..`last` overlap a def handed over."""
        return any(a <= last and first <= b for a, b in self._taken)

    @functools.cached_property
    def lambdas(self) -> dict:
        lambdas: dict = {}
        stack = [self.tree]
        while stack:  # `walk`, not entering the defs handed over (changed since)
            node = stack.pop()
            if id(node) in self._taken_nodes:
                continue
            if isinstance(node, ast.Lambda):
                lambdas.setdefault(node.lineno, []).append(node)
            stack.extend(children(node))
        return lambdas


def _first_line(node) -> int:
    """A def's first line: its first decorator's, else its own; a lambda's own."""
    return min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", ())])


_INDEXES: collections.OrderedDict = collections.OrderedDict()  # (file, text) -> _FileIndex
_INDEXES_MAX = 64


def _file_index(filename: str, text: str, fresh: bool = False) -> _FileIndex:
    """Defs and lambdas of a whole file by line (parsed once per file content, or again
    when `fresh`); the last `_INDEXES_MAX` files are kept. `SyntaxError` if it does not
    parse."""
    key = (filename, text)
    index = None if fresh else _INDEXES.get(key)
    if index is None:
        index = _INDEXES[key] = _FileIndex(ast.parse(text))
        if len(_INDEXES) > _INDEXES_MAX:
            _INDEXES.popitem(last=False)
    _INDEXES.move_to_end(key)
    return index


def _imported_names(tree: ast.Module) -> tuple:
    names, todo = [], list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names += [(a.asname or a.name).split(".")[0] for a in node.names if a.name != "*"]
        elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            todo += [n for n in ast.iter_child_nodes(node) if isinstance(n, ast.stmt)]
    return tuple(names)


def _find_lambda(lines: list, code) -> ast.Lambda:
    """The lambda of `code`: same first line, same parameters, same column if several."""
    where = f"{code.co_filename}:{code.co_firstlineno}"
    text = "".join(lines)
    try:
        index = _file_index(code.co_filename, text)
        line = code.co_firstlineno
        if index.overlaps_taken(line, line):  # in a def handed over: parse the file again
            index = _file_index(code.co_filename, text, fresh=True)
        candidates = index.lambdas.get(line, [])
    except SyntaxError as e:
        raise SourceUnavailable(f"{where}: the file does not parse ({e.msg})") from None
    params = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
    found = [n for n in candidates
             if tuple(a.arg for a in n.args.args + n.args.kwonlyargs) == tuple(params)]
    if len(found) > 1:
        found = [n for n in found if _spans(n.body, code)] or found
    if len(found) != 1:
        problem = "no lambda" if not found else "several lambdas that cannot be told apart"
        raise SourceUnavailable(f"{where}: {problem} with parameters {params} found; give "
                                "the function a name with def")
    return clone(found[0])  # the def around it may be handed over later


def _spans(body: ast.expr, code) -> bool:
    """Every located instruction of `code` lies within `body` (tells apart lambdas that
    share a line and parameters; the first instruction, RESUME, has no column)."""
    start, end = (body.lineno, body.col_offset), (body.end_lineno, body.end_col_offset)
    located = [(line, col, end_line, end_col) for line, end_line, col, end_col
               in code.co_positions() if line is not None and col is not None and end_col]
    return bool(located) and all(start <= (line, col) and (end_line, end_col) <= end
                                 for line, col, end_line, end_col in located)


# -- the text read is the code that runs --------------------------------------------------
_CHECK = "__autotrace_check"
_FUTURE_FLAGS = sum(getattr(__future__, name).compiler_flag  # distinct bits
                    for name in __future__.all_feature_names)


def check_current(node: ast.FunctionDef | ast.Lambda, code, imported: tuple | None) -> None:
    """Raise `StaleSource` unless `node`, compiled alone, gives `code` (same bytecode,
    names, constants and lines, recursively through nested functions).

    `imported`: the names the file's module-level imports bind (None if unknown).
    """
    compiled = _compile_alone(node, code, imported or ())
    if imported is None or _rewritten(code):  # pytest rewrites asserts: lines only
        same = compiled is not None and set(_lines(compiled)) == set(_lines(code))
    else:  # nested classes hold their qualified names, which start with the function's
        names = (getattr(compiled, "co_qualname", ""), getattr(code, "co_qualname", ""))
        same = _fingerprint(compiled, names) == _fingerprint(code, names)
    if not same:
        raise _stale(code)


def _stale(code) -> StaleSource:
    name = getattr(code, "co_qualname", code.co_name)
    return StaleSource(
        f'File "{code.co_filename}", line {code.co_firstlineno}: the source of {name} in the '
        "file is not the code that runs (the file was edited after it was imported). "
        "autotrace converts a function from its source text, and converting the new text "
        "would trace other code than the function called: reload the module "
        "(importlib.reload) or restart Python, then trace it again.")


def _compile_alone(node, code, imported: tuple):
    """The code object of `node` compiled in a scope like its own: the module's imports
    (calls of an imported module's attributes compile differently), a factory function
    whose parameters are `code`'s free variables, and inside it the class whose private
    names (`__x`) the function's are mangled with."""
    node = copy.copy(node)
    if isinstance(node, ast.Lambda):
        stmt = ast.Assign(targets=[ast.Name(_CHECK, ast.Store())], value=node)
    else:  # renamed: the function's own name must stay what it is in the file (a global)
        node.name = _CHECK
        stmt = node
    ast.copy_location(stmt, node)
    owner = _owner_class(getattr(code, "co_qualname", ""))
    free = [n for n in code.co_freevars if not (owner and n == "__class__")]
    if owner:
        stmt = ast.copy_location(ast.ClassDef(name=owner, bases=[], keywords=[], body=[stmt],
                                              decorator_list=[]), node)
    factory = ast.FunctionDef(
        name=_CHECK, args=ast.arguments(posonlyargs=[], args=[ast.arg(n) for n in free],
                                        kwonlyargs=[], kw_defaults=[], defaults=[]),
        body=[stmt], decorator_list=[], returns=None, type_comment=None)
    imports = [ast.Import(names=[ast.alias(name=n)]) for n in imported]
    module = ast.Module(body=imports + [ast.copy_location(factory, node)], type_ignores=[])
    _fix_missing_locations(module, located=node)
    compiled = compile(module, code.co_filename, "exec",
                       flags=code.co_flags & _FUTURE_FLAGS, dont_inherit=True)
    return _find_code(compiled, code.co_name if code.co_name == "<lambda>" else _CHECK,
                      depth=3 if owner else 2)


def _fix_missing_locations(tree, located) -> None:
    """`ast.fix_missing_locations(tree)`, not entering `located` (a parsed node, whose
    nodes all have their locations): walking the user's def was most of the check."""
    stack = [(tree, 1, 0, 1, 0)]
    while stack:
        node, line, col, end_line, end_col = stack.pop()
        attributes = node._attributes
        if "lineno" in attributes:
            if not hasattr(node, "lineno"):
                node.lineno = line
            else:
                line = node.lineno
        if "end_lineno" in attributes:
            if getattr(node, "end_lineno", None) is None:
                node.end_lineno = end_line
            else:
                end_line = node.end_lineno
        if "col_offset" in attributes:
            if not hasattr(node, "col_offset"):
                node.col_offset = col
            else:
                col = node.col_offset
        if "end_col_offset" in attributes:
            if getattr(node, "end_col_offset", None) is None:
                node.end_col_offset = end_col
            else:
                end_col = node.end_col_offset
        if node is not located:
            stack.extend((child, line, col, end_line, end_col)
                         for child in ast.iter_child_nodes(node))


def _find_code(code, name: str, depth: int):
    """The code object named `name` `depth` levels of nesting below `code`."""
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            if depth == 1 and const.co_name == name:
                return const
            found = _find_code(const, name, depth - 1) if depth > 1 else None
            if found is not None:
                return found
    return None


def _owner_class(qualname: str) -> str:
    """The class a function's private names are mangled with (from its qualified name):
    the innermost enclosing name that is neither a function (followed by `<locals>`) nor
    a compiler scope (`<listcomp>`)."""
    parts = qualname.split(".")[:-1]
    for i in reversed(range(len(parts))):
        following = parts[i + 1] if i + 1 < len(parts) else ""
        if not parts[i].startswith("<") and following != "<locals>":
            return parts[i]
    return ""


def _fingerprint(code, qualnames: tuple) -> tuple | None:
    """What of `code` its source decides, with qualified names starting `qualnames[0]`
    read as starting `qualnames[1]`."""
    if code is None:
        return None
    old, new = qualnames
    consts = tuple(
        _fingerprint(c, qualnames) if isinstance(c, types.CodeType) else
        (str, repr(new + c[len(old):])) if old and isinstance(c, str) and c.startswith(old + ".")
        else (type(c), repr(c)) for c in code.co_consts)
    return (code.co_code, code.co_names, code.co_varnames, code.co_freevars,
            code.co_cellvars, code.co_argcount, code.co_posonlyargcount,
            code.co_kwonlyargcount, consts, _lines(code))


def _lines(code) -> list | None:
    return None if code is None else [line for _, _, line in code.co_lines()]


def _rewritten(code) -> bool:
    """pytest's assertion rewriting changed this code (its helpers are `@py...` names)."""
    return any(name.startswith("@py") for name in code.co_names + code.co_varnames)
