"""`cf.source` as a standalone module: the generated function plus everything it reads.

The compiled code of a concrete function reads its namespace: op implementations (`_sum`),
constants (`_c`), dtypes, index keys. `standalone_source` writes each as Python text in
front of the function: numpy callables as `np.<name>`, arrays from their raw bytes (exact,
NaN payloads included), and autotrace's own helpers by their source (what they read in
turn, recursively; decorators and annotations dropped), so the module imports numpy (and
the standard library where a helper does) and nothing else.

What has no such text (a `Variable`, a user object, a closure over one) raises
`UnsupportedError` naming it.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import linecache
import math
import re
import sys
import textwrap
import types

import numpy as np

from autotrace.errors import UnsupportedError
from autotrace.graph.ir import Var
from autotrace.graph.names import PYTHON_RESERVED, NameAllocator
from autotrace.ops.effects import Live, Slot

_STATIC_TYPE = """

class _StaticType:
    \"\"\"The static type of a graph value (shape, dtype, weak), as helpers read it.\"\"\"

    def __init__(self, shape, dtype, weak):
        self.shape, self.dtype, self.weak = shape, dtype, weak

"""
_LITERALS = (bool, int, str, bytes, type(None))


def standalone_source(fn, name: str) -> str:
    """A module defining compiled function `fn` (its `.source`, reading its globals) and
    what it needs; `name` names the function in messages. Checking mode's assertions
    (`AUTOTRACE_CHECK=1`) are left out."""
    module = _Module(name)
    # Checking mode's `_check(value, var)` lines compare with the graph's Vars: left out.
    source = "".join(line for line in fn.source.splitlines(keepends=True)
                     if not line.lstrip().startswith("_check("))
    tree = ast.parse(source)
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    namespace = fn.__globals__
    for key in namespace:
        module.names.take(key)
    for key in sorted(used & set(namespace)):
        if key != "np" and not key.startswith("__"):
            module.define(namespace[key], key)
    head = "\n".join([*sorted(module.imports), "import numpy as np"])
    text = "\n".join([head, "", *module.lines, "", "", source])
    return re.sub(r"\n{4,}", "\n\n\n", text)


class _Module:
    """Module-level definitions, in dependency order."""

    def __init__(self, name: str):
        self.name = name
        self.lines: list[str] = []
        self.imports: set[str] = set()
        self.names = NameAllocator(PYTHON_RESERVED)  # module-level names
        self._names: dict[int, str] = {}
        self._alive: list = []  # the objects keyed by id above

    def fresh(self, base: str) -> str:
        return self.names.fresh(re.sub(r"\W", "_", base) or "_v")

    def name_of(self, obj, preferred: str) -> str:
        """An expression for `obj`: a literal, `np.<name>`, or a module-level name."""
        text = self.expression(obj)
        if text is not None:
            return text
        if type(obj) in (tuple, slice):  # immutable: written in place
            return self.value_text(obj, preferred)
        name = self._names.get(id(obj))
        if name is None:
            name = self.fresh(preferred if preferred.startswith("_") else "_" + preferred)
            self.define(obj, name)
        return name

    def define(self, obj, name: str) -> None:
        """Write `name = <obj>` (or a `def`/`class` named `name`)."""
        self.names.take(name)
        self._names[id(obj)] = name
        self._alive.append(obj)
        text = self.expression(obj)
        if text is None:
            text = self.value_text(obj, name)
        if text is not None:
            self.lines.append(f"{name} = {text}")

    def expression(self, obj) -> str | None:  # noqa: C901 - one branch per kind
        """Text for values that need no definition of their own; None for the others."""
        kind = type(obj)
        if kind in _LITERALS:
            return repr(obj)
        if kind is float:
            return repr(obj) if math.isfinite(obj) else f"float({repr(obj)!r})"
        if kind is complex:
            return f"complex({self.expression(obj.real)}, {self.expression(obj.imag)})"
        if obj is Ellipsis:
            return "..."
        if obj is np:
            return "np"
        if isinstance(obj, types.ModuleType):
            return self.module(obj)
        if kind in (tuple, list, dict, slice):
            return None
        if getattr(builtins, getattr(obj, "__name__", "") or "", None) is obj:
            return obj.__name__
        name = getattr(obj, "__name__", None)
        if isinstance(name, str) and getattr(np, name, None) is obj and not isinstance(
                obj, (np.ndarray, np.generic)):
            return f"np.{name}"
        if isinstance(name, str) and getattr(sys.modules.get(getattr(obj, "__module__", "")
                                                             or ""), name, None) is obj \
                and getattr(obj, "__module__", "") in sys.stdlib_module_names:
            return f"{self.module(sys.modules[obj.__module__])}.{name}"
        return None

    def module(self, mod: types.ModuleType) -> str:
        top = mod.__name__
        if top.startswith("numpy."):
            return "np." + top.removeprefix("numpy.")
        if top.split(".")[0] not in sys.stdlib_module_names:
            raise UnsupportedError(f"cannot make a standalone module of {self.name}: it "
                                   f"reads the module {top}")
        self.imports.add(f"import {top}")
        return top

    def value_text(self, obj, name: str) -> str | None:
        """The right-hand side defining `obj`; None when a `def`/`class` was written."""
        kind = type(obj)
        if kind is tuple or kind is list:
            items = [self.name_of(x, name) for x in obj]
            if kind is list:
                return "[" + ", ".join(items) + "]"
            return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
        if kind is dict:
            return "{" + ", ".join(f"{self.name_of(k, name)}: {self.name_of(v, name)}"
                                   for k, v in obj.items()) + "}"
        if kind is slice:
            return "slice(" + ", ".join(self.name_of(x, name)
                                        for x in (obj.start, obj.stop, obj.step)) + ")"
        if isinstance(obj, np.dtype) and obj.kind not in "OV":
            return f"np.dtype({obj.str!r})"
        if kind is np.ndarray and obj.shape == () and obj.dtype.kind in "biuf" \
                and np.isfinite(obj):  # a typed scalar (codegen.typed_scalar)
            return f"np.array({obj.item()!r}, dtype={obj.dtype.str!r})"
        if kind is np.ndarray and obj.dtype.kind not in "OV":
            data = np.ascontiguousarray(obj).tobytes().hex()
            return (f"np.frombuffer(bytes.fromhex({data!r}), dtype={obj.dtype.str!r})"
                    f".reshape({obj.shape!r}).copy()")
        if isinstance(obj, np.generic) and obj.dtype.kind not in "OV":
            data = obj.tobytes().hex()
            return f"np.frombuffer(bytes.fromhex({data!r}), dtype={obj.dtype.str!r})[0]"
        if isinstance(obj, Var):  # helpers read a graph value's static type only
            if "_StaticType" not in self.names:
                self.names.take("_StaticType")
                self.lines.append(_STATIC_TYPE)
            return (f"_StaticType({obj.shape!r}, {self.name_of(obj.dtype, 'dtype')}, "
                    f"{self.name_of(obj.weak, 'weak')})")
        if isinstance(obj, BaseException) and getattr(builtins, kind.__name__, None) is kind:
            return f"{kind.__name__}({', '.join(self.name_of(a, name) for a in obj.args)})"
        if _is_ours(obj) and isinstance(obj, (types.FunctionType, type)):
            self.code(obj, name)
            return None
        if isinstance(obj, Slot) and obj.render is None and not any(
                isinstance(t, Live) for t in obj.pytypes):  # a print argument's place
            types_ = ", ".join(self.name_of(t, "pytype") for t in obj.pytypes)
            return f"{self.name_of(Slot, 'Slot')}(({types_},))"
        if _is_ours(type(obj)) and getattr(obj, "__dict__", None) == {}:
            return f"{self.name_of(type(obj), type(obj).__name__)}()"  # a marker object
        raise UnsupportedError(f"cannot make a standalone module of {self.name}: it reads "
                               f"{_describe(obj)}, which has no source text")

    def code(self, obj, name: str) -> None:
        """Write the source of an autotrace function or class as `name`, with the names
        it reads defined first (renamed where they would collide)."""
        node = _definition_ast(obj)
        if isinstance(node, ast.Lambda):
            node = ast.Assign([ast.Name(name, ast.Store())], node, lineno=0)
        else:
            if node.decorator_list:
                raise UnsupportedError(f"cannot make a standalone module of {self.name}: "
                                       f"{obj.__qualname__} is decorated")
            node.name = name
        _strip_annotations(node)
        renames = {}
        for ident in sorted(_free_names(node)):
            found, value = _lookup(obj, ident)
            if found:
                renames[ident] = self.name_of(value, ident)
        _Rename(renames).visit(node)
        self.lines.append(f"\n\n{ast.unparse(ast.fix_missing_locations(node))}\n\n")


def _is_ours(obj) -> bool:
    return (getattr(obj, "__module__", None) or "").split(".")[0] == "autotrace"


def _describe(obj) -> str:
    if callable(obj):
        return f"the Python callable {getattr(obj, '__qualname__', None) or repr(obj)}"
    return f"a {type(obj).__name__} object"


def _definition_ast(obj):
    """The `def`/`class` (or `lambda`) node that made `obj`, from its module's source."""
    if isinstance(obj, types.FunctionType) and obj.__name__ == "<lambda>":
        code = obj.__code__
        source = "".join(linecache.getlines(code.co_filename))
        args = list(code.co_varnames[:code.co_argcount + code.co_kwonlyargcount])
        found = [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Lambda)
                 and n.lineno == code.co_firstlineno
                 and [a.arg for a in n.args.posonlyargs + n.args.args + n.args.kwonlyargs]
                 == args]
        if len(found) > 1:  # several on one line: the one that compiles to this code
            found = [n for n in found if _same_code(n, code)]
        if len(found) != 1:
            raise UnsupportedError(f"cannot find the source of a lambda at "
                                   f"{code.co_filename}:{code.co_firstlineno}")
        return found[0]
    tree = ast.parse(textwrap.dedent(inspect.getsource(obj)))
    return tree.body[0]


def _same_code(node: ast.Lambda, code) -> bool:
    compiled = compile(ast.fix_missing_locations(ast.Expression(node)), code.co_filename,
                       "eval")
    inner = next(c for c in compiled.co_consts if isinstance(c, types.CodeType))
    return _fingerprint(inner) == _fingerprint(code)


def _fingerprint(code) -> tuple:
    """What a lambda reads and holds (its bytecode varies with how its module compiled)."""
    consts = tuple(c for c in code.co_consts if not isinstance(c, types.CodeType))
    return code.co_names, code.co_varnames, consts


def _strip_annotations(node) -> None:
    """Drop annotations (the modules use postponed annotations; here they would run)."""
    for n in ast.walk(node):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
            n.returns = None
        elif isinstance(n, ast.arg):
            n.annotation = None


def _free_names(node) -> set[str]:
    """Names read in `node` and bound nowhere inside it (conservatively: any binding)."""
    read, bound = set(), set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            (read if isinstance(n.ctx, ast.Load) else bound).add(n.id)
        elif isinstance(n, ast.arg):
            bound.add(n.arg)
        elif isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n is not node:
            bound.add(n.name)
        elif isinstance(n, ast.alias):
            bound.add((n.asname or n.name).split(".")[0])
        elif isinstance(n, ast.ExceptHandler) and n.name:
            bound.add(n.name)
    return read - bound


def _lookup(obj, ident: str):
    """(found, value) of a free name of `obj`: its closure, module, or builtins."""
    fn = obj if isinstance(obj, types.FunctionType) else None
    if fn is not None and ident in fn.__code__.co_freevars:
        cell = fn.__closure__[fn.__code__.co_freevars.index(ident)]
        return True, cell.cell_contents
    namespace = fn.__globals__ if fn is not None else vars(sys.modules[obj.__module__])
    if ident in namespace:
        return True, namespace[ident]
    return hasattr(builtins, ident), getattr(builtins, ident, None)


class _Rename(ast.NodeTransformer):
    def __init__(self, renames: dict):
        self.renames = renames

    def visit_Name(self, node: ast.Name):
        new = self.renames.get(node.id)
        if new is not None and new != node.id:
            return ast.copy_location(ast.parse(new, mode="eval").body, node)
        return node
