"""Captured state: what a traced function reads from outside its arguments, read live.

Python code reads state through globals, closure cells and attributes (`self.W`,
`cfg.scale`, `m.W` of an object passed in). While a function is traced, a
`CaptureScope` (one per trace, on the root graph builder) knows the *roots* the code can
reach that state from: the objects among the call's arguments, objects a method or
partial is bound to, and the globals and closure cells of every user function that runs
in the trace. From them it walks the names the code mentions (attribute names, string
keys, list/tuple items), up to `MAX_DEPTH` steps, and records a `Source` -- a path that
can be read again -- for what it finds:

* an **array** (ndarray or numpy scalar) that reaches an op becomes an implicit graph
  input, a `Capture`: every call reads it again through its path (rebinding `m.W = ...`
  or writing `m.W[0, 0] = ...` changes the next result, as in Python); its type, shape
  and dtype are checked on every call, and a change traces again;
* a **Python value** (bool, int, float, str, bytes, None) the code mentions is a `Guard`:
  its value is part of the signature, checked on every call (a change traces again,
  and the retracing warning names it, e.g. `cfg.scale` or global `SCALE`);
* a **list, tuple or dict** on the path of either is guarded by its length (code that
  iterates it unrolls that many times).

Checks run in the concrete function's compiled entry (`prelude`): a read and a compare
per capture, on the hit path. A failed check calls the traced function's miss handler,
which finds (or traces) the concrete function for the state now.

Limits: the walk follows instance and class dictionaries only (never runs a property),
skips library modules and objects, and identifies arrays by identity: an array computed
from captured arrays by plain numpy before it reaches a traced value (`np.sum(self.W)`
on its own) is a constant of the trace.
"""

from __future__ import annotations

import inspect
import types
from dataclasses import dataclass

import numpy as np

from autotrace.errors import CONVERTED_CODES, is_library_file
from autotrace.signature import leaf_key

MAX_DEPTH = 4  # attribute / item steps from a root
MAX_VISITS = 20000  # objects walked per trace
MAX_ITEMS = 64  # lists, tuples and dicts longer than this are not walked
_GUARDED = (bool, int, float, str, bytes, type(None))
_ARRAYS = (np.ndarray, np.generic)
_CONTAINERS = (list, tuple, dict)
_OPAQUE = (types.FunctionType, types.BuiltinFunctionType, types.MethodType,
           types.CodeType, type, property, staticmethod, classmethod)


@dataclass(frozen=True, eq=False)
class Source:
    """A path from a root to a value: `kind` is "arg" (`root` = the argument's leaf
    index), "object" (`root` = a bound object), "global" (`root` = the globals dict),
    "cell" (`root` = a closure cell) or "value" (`root` is the value: a snapshot, as a
    loaded or standalone function holds it); `steps` are ("attr", name) / ("item", key)."""

    kind: str
    root: object
    label: str  # the root's name: argument path, `self`, global or closure name
    steps: tuple = ()

    def _identity(self) -> tuple:
        root = self.root if self.kind == "arg" else id(self.root)
        return (self.kind, root, self.label, self.steps)

    def __eq__(self, other) -> bool:
        return isinstance(other, Source) and self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash(self._identity())

    def child(self, step) -> Source:
        return Source(self.kind, self.root, self.label, self.steps + (step,))

    @property
    def name(self) -> str:
        """The user's spelling: `m.W`, `cfg.scale`, `params['w']`, `layers[0]`."""
        text = self.label
        for kind, key in self.steps:
            text += f".{key}" if kind == "attr" else f"[{key!r}]"
        return text

    def describe(self) -> str:
        """For messages: `m.W`, global `SCALE`, closure variable `scale`."""
        if self.kind == "global":
            return f"global `{self.name}`"
        if self.kind == "cell":
            return f"closure variable `{self.name}`"
        return f"`{self.name}`"

    @property
    def var_name(self) -> str:
        """A name for the graph input: `m_W`, `SCALE`, `params_w`."""
        parts = [self.label] + [str(key) for _, key in self.steps]
        return "_".join(p.replace(".", "_") for p in parts)

    def read(self, leaves):
        """The value now (raises whatever Python raises when the path is gone)."""
        if self.kind == "arg":
            value = leaves[self.root]
        elif self.kind in ("object", "value"):
            value = self.root
        elif self.kind == "global":
            value = self.root[self.label]
        else:
            value = self.root.cell_contents
        for kind, key in self.steps:
            value = getattr(value, key) if kind == "attr" else value[key]
        return value

    def expr(self, params: list, bind) -> str:
        """Python expression reading the value in the compiled entry (`params`: its
        parameter names; `bind(obj, prefix)`: a namespace name for `obj`)."""
        if self.kind == "arg":
            text = params[self.root]
        elif self.kind in ("object", "value"):
            text = bind(self.root, "captured")
        elif self.kind == "global":
            text = f"{bind(self.root, 'globals')}[{self.label!r}]"
        else:
            text = f"{bind(self.root, 'cell')}.cell_contents"
        for kind, key in self.steps:
            text += f".{key}" if kind == "attr" else f"[{key!r}]"
        return text


@dataclass
class Capture:
    """An array read through `source` on every call: graph input `var`, of exactly
    `kind` (ndarray, or one numpy scalar type), `shape` and `dtype`."""

    source: Source
    kind: type
    shape: tuple
    dtype: np.dtype
    var: object = None
    value: object = None  # the array read while tracing (what a snapshot falls back to)

    def snapshot(self):
        """The value now where it can be read without the call's arguments, else the one
        read while tracing."""
        if self.source.kind != "arg":
            try:
                value = self.source.read(None)
                if self.mismatch(value) is None:
                    return value
            except Exception:  # noqa: S110 - a gone path: the traced value stands
                pass
        return self.value

    def frozen(self) -> Capture:
        """This capture with its value now as a constant source (for save files and
        standalone modules, which cannot read this process's state)."""
        return Capture(Source("value", self.snapshot(), self.source.var_name), self.kind,
                       self.shape, self.dtype, self.var, self.value)

    def mismatch(self, value) -> str | None:
        """Why `value` cannot be this capture's input now (None if it can)."""
        if type(value) is not self.kind or value.shape != self.shape or \
                value.dtype != self.dtype:
            return (f"captured array {self.source.describe()} changed from "
                    f"{_describe(self.kind, self.shape, self.dtype)} to {_describe_value(value)}")
        return None


@dataclass
class Guard:
    """A Python value (`key`: its signature key, see `leaf_key`) or, with `length`, the
    length of a container, read through `source` and checked on every call."""

    source: Source
    key: object
    value: object
    length: bool = False

    def mismatch(self, value) -> str | None:
        if self.length:
            if type(value) is not self.value or len(value) != self.key:
                return (f"the length of {self.source.describe()} changed from {self.key} "
                        f"to {len(value) if isinstance(value, _CONTAINERS) else value!r}")
            return None
        if type(value) not in _GUARDED or leaf_key(value) != self.key:
            return f"captured {self.source.describe()} changed from {self.value!r} to {value!r}"
        return None

    def condition(self, name: str, bind) -> str:
        """Python condition, true when the value in `name` fails this guard."""
        v = self.value
        if self.length:
            return f"type({name}) is not {bind(self.value, self.value.__name__)} or " \
                   f"len({name}) != {self.key}"
        if v is None or type(v) is bool:
            return f"{name} is not {v!r}"
        kind = bind(type(v), type(v).__name__)
        # First by identity: the object read while tracing, most often still there.
        same = f"{name} is not {bind(v, 'traced_' + type(v).__name__)} and "
        if type(v) is float and (v != v or v == 0.0):  # nan, -0.0: by their exact bits
            return same + f"{bind(leaf_key, 'leaf_key')}({name}) != {bind(self.key, 'key')}"
        literal = repr(v) if type(v) is not float or abs(v) != float("inf") else \
            bind(v, "inf")
        return same + f"(type({name}) is not {kind} or {name} != {literal})"


def frozen_capture(value, var) -> Capture:
    """A capture of the constant `value` as graph input `var` (a loaded function's)."""
    _expect_array(value, var)
    return Capture(Source("value", value, var.name or "captured"), type(value),
                   tuple(value.shape), value.dtype, var, value)


def _expect_array(value, var) -> None:
    if not isinstance(value, _ARRAYS) or tuple(value.shape) != tuple(var.shape) or \
            value.dtype != var.dtype:
        raise ValueError(f"captured value {_describe_value(value)} does not fit its graph "
                         f"input {var.type_str()}")


def _describe(kind, shape, dtype) -> str:
    # lazy import: graph.ir's type text; keeps this module's imports to the signature layer
    from autotrace.graph.ir import type_str

    text = type_str(shape, dtype)
    return text if kind is np.ndarray else f"{text} ({kind.__name__})"


def _describe_value(value) -> str:
    if isinstance(value, _ARRAYS):
        return _describe(type(value), value.shape, value.dtype)
    return f"{type(value).__name__} {value!r}" if isinstance(value, _GUARDED) else \
        f"a {type(value).__name__}"


class CaptureScope:
    """The captured state of one trace (see the module docstring). Lives on the root
    `GraphBuilder` as `capture_scope` while the trace runs."""

    def __init__(self, leaves, paths):
        self._arg_roots = [(i, x, p) for i, (x, p) in enumerate(zip(leaves, paths))
                           if _walkable(x)]
        self._object_roots: list = []  # (object, label)
        self._global_roots: dict = {}  # id(globals) -> (globals, names)
        self._cell_roots: dict = {}  # id(cell) -> (cell, name)
        self._names: set = set()  # attribute names and str keys the code mentions
        self._seen_codes: set = set()
        self._arrays: dict = {}  # id(array) -> (array, Source)
        self._guards: dict = {}  # Source -> Guard
        self._parents: dict = {}  # Source -> the container Sources on its path
        self._dirty = True
        self.captures: list[Capture] = []
        self.noted: list = []  # what `note` was given, in order
        self._by_source: dict = {}  # Source -> (Capture, Tensor)

    # -- what the trace runs ------------------------------------------------------------
    def note(self, fn) -> None:
        """A callable the trace runs (the traced function, or a user function it calls):
        its bound objects, globals and closure cells become roots."""
        before = (len(self._seen_codes), len(self._object_roots))
        self._note(fn)
        if (len(self._seen_codes), len(self._object_roots)) != before:
            self.noted.append(fn)

    def _note(self, fn) -> None:
        while True:
            if getattr(fn, "python_function", None) is not None:
                fn = fn.python_function
            elif isinstance(fn, types.MethodType):
                self._add_object(fn.__self__, _first_param(fn.__func__))
                fn = fn.__func__
            elif hasattr(fn, "func") and hasattr(fn, "args") and hasattr(fn, "keywords"):
                for x in list(fn.args) + list(fn.keywords.values()):
                    if _walkable(x):
                        self._add_object(x, type(x).__name__)
                fn = fn.func
            elif isinstance(fn, types.FunctionType):
                break
            else:
                call = inspect.getattr_static(type(fn), "__call__", None)
                if not isinstance(call, types.FunctionType):
                    return
                self._add_object(fn, "self")
                fn = call
        code = fn.__code__
        if id(code) in self._seen_codes or is_library_file(code.co_filename):
            return
        self._seen_codes.add(id(code))
        names, keys = _mentioned(code)
        self._names |= names | keys
        globs = self._global_roots.setdefault(id(fn.__globals__), (fn.__globals__, set()))
        globs[1].update(n for n in names if n in fn.__globals__)
        if code not in CONVERTED_CODES and fn.__closure__:  # a nested def's cells are locals
            for name, cell in zip(code.co_freevars, fn.__closure__):
                self._cell_roots.setdefault(id(cell), (cell, name))
        self._walk()  # now: Python values are read as the code is about to read them

    def _add_object(self, obj, label: str) -> None:
        if _walkable(obj) and all(o is not obj for o, _ in self._object_roots):
            self._object_roots.append((obj, label))
            self._walk()

    # -- the walk -----------------------------------------------------------------------
    def _walk(self) -> None:
        """Find arrays, guarded values and containers reachable through mentioned names
        (breadth first, so the shortest path wins; values found earlier keep their
        first reading)."""
        self._dirty = False
        queue = [(Source("arg", i, p), x) for i, x, p in self._arg_roots]
        queue += [(Source("object", o, label), o) for o, label in self._object_roots]
        for globs, names in self._global_roots.values():
            queue += [(Source("global", globs, n), globs[n]) for n in sorted(names)
                      if n in globs]
        for cell, name in self._cell_roots.values():
            try:
                queue.append((Source("cell", cell, name), cell.cell_contents))
            except ValueError:  # empty cell
                pass
        visited: set = set()
        for source, value in queue:  # grows while iterating
            if len(visited) > MAX_VISITS:
                break
            if isinstance(value, _ARRAYS):
                self._arrays.setdefault(id(value), (value, source))
                continue
            if type(value) in _GUARDED:
                if source.steps or source.kind in ("global", "cell"):
                    self._guards.setdefault(source, Guard(source, leaf_key(value), value))
                continue
            if id(value) in visited or len(source.steps) >= MAX_DEPTH:
                continue
            visited.add(id(value))
            for step, child in self._children(value):
                child_source = source.child(step)
                if isinstance(value, _CONTAINERS):
                    self._parents.setdefault(child_source, (source, value))
                elif source in self._parents:
                    self._parents.setdefault(child_source, self._parents[source])
                queue.append((child_source, child))

    def _children(self, value):
        """(step, value) pairs worth walking into."""
        if isinstance(value, (list, tuple)):
            if type(value) in (list, tuple) or hasattr(value, "_fields"):
                return [(("item", i), x) for i, x in enumerate(value)] \
                    if len(value) <= MAX_ITEMS else []
            return []
        if type(value) is dict:
            if len(value) > MAX_ITEMS:
                return [(("item", k), value[k]) for k in self._names if k in value]
            return [(("item", k), v) for k, v in value.items() if type(k) in (str, int)]
        if not _walkable(value):
            return []
        out = []
        for name in sorted(self._names):
            found = _static_attr(value, name)
            if found is not _MISSING:
                out.append((("attr", name), found))
        return out

    # -- used by the builder ------------------------------------------------------------
    def capture(self, array, builder):
        """The graph input (a Tensor of the root `builder`) for `array` if it was read
        from captured state, else None (a constant made by the trace)."""
        if self._dirty:
            self._walk()
        found = self._arrays.get(id(array))
        if found is None or found[0] is not array:
            return None
        source = found[1]
        known = self._by_source.get(source)
        if known is not None:
            return known[1]
        capture = Capture(source, type(array), tuple(array.shape), array.dtype, value=array)
        tensor = builder.add_input(capture.shape, capture.dtype, source.var_name)
        capture.var = tensor.symbol
        self.captures.append(capture)
        self._by_source[source] = (capture, tensor)
        return tensor

    def guards(self) -> list[Guard]:
        """Guards of the finished trace: mentioned Python values, and the lengths of the
        containers on the path of a capture or guard."""
        if self._dirty:
            self._walk()
        out = dict(self._guards)
        for source in [c.source for c in self.captures] + list(self._guards):
            parent = self._parents.get(source)
            while parent is not None:
                psource, container = parent
                if psource not in out and (psource.steps or psource.kind != "arg"):
                    out[psource] = Guard(psource, len(container), type(container), length=True)
                parent = self._parents.get(psource)
        return list(out.values())


_MISSING = object()


def _walkable(x) -> bool:
    """Objects whose attributes or items may hold captured state: user objects, classes
    and modules, and containers; not arrays, Python values, functions, tensors, or the
    objects, classes and modules of libraries."""
    if isinstance(x, type):
        return not _is_library(x)
    if isinstance(x, types.ModuleType):
        return not is_library_file(getattr(x, "__file__", None) or "<builtin>")
    if isinstance(x, _ARRAYS + _GUARDED + _OPAQUE):
        return False
    return not (type(x).__module__ or "").startswith(("autotrace", "numpy"))


def _is_library(cls: type) -> bool:
    module = getattr(cls, "__module__", "") or ""
    return module in ("builtins", "abc") or module.startswith(("autotrace", "numpy"))


def _static_attr(obj, name: str):
    """`obj.name` without running descriptors (properties, methods): instance dict, then
    the class dictionaries; `_MISSING` if it is not a plain stored value."""
    try:
        own = object.__getattribute__(obj, "__dict__")
    except AttributeError:
        own = None
    if own is not None and type(own) is dict and name in own:
        value = own[name]
        return value if not isinstance(value, _OPAQUE) else _MISSING
    for cls in (obj.__mro__ if isinstance(obj, type) else type(obj).__mro__):
        if name in cls.__dict__:
            value = cls.__dict__[name]
            if hasattr(type(value), "__get__") or isinstance(value, _OPAQUE):
                if isinstance(value, types.MemberDescriptorType) and not isinstance(obj, type):
                    try:  # a __slots__ member
                        return value.__get__(obj, type(obj))
                    except AttributeError:
                        return _MISSING
                return _MISSING
            return value
    return _MISSING


_MENTIONED: dict = {}


def _mentioned(code: types.CodeType) -> tuple[set, set]:
    """(names, string constants) of `code` and the code nested in it."""
    found = _MENTIONED.get(id(code))
    if found is not None and found[0] is code:
        return found[1], found[2]
    names, keys, stack = set(), set(), [code]
    while stack:
        c = stack.pop()
        names.update(c.co_names)
        for const in c.co_consts:
            if isinstance(const, types.CodeType):
                stack.append(const)
            elif type(const) is str and const.isidentifier():
                keys.add(const)
            elif type(const) is tuple:
                keys.update(k for k in const if type(k) is str and k.isidentifier())
    _MENTIONED[id(code)] = (code, names, keys)
    return names, keys


def _first_param(fn) -> str:
    code = getattr(fn, "__code__", None)
    return code.co_varnames[0] if code is not None and code.co_argcount else "self"


def note_call(builder, fn) -> None:
    """Tell the trace `builder` belongs to that user code `fn` runs in it."""
    while builder.parent is not None:
        builder = builder.parent
    scope = getattr(builder, "capture_scope", None)
    if scope is not None:
        scope.note(fn)


# -- checking and reading in Python (the slow paths) -------------------------------------
def mismatch(captures, guards, leaves) -> str | None:
    """Why the captured state now does not match (None if it does)."""
    for c in captures:
        try:
            why = c.mismatch(c.source.read(leaves))
        except Exception as e:  # the path is gone: Python would raise it at that read
            why = f"captured array {c.source.describe()} cannot be read ({type(e).__name__})"
        if why is not None:
            return why
    for g in guards:
        try:
            why = g.mismatch(g.source.read(leaves))
        except Exception as e:
            why = f"captured {g.source.describe()} cannot be read ({type(e).__name__})"
        if why is not None:
            return why
    return None


def read(captures, leaves) -> list:
    return [c.source.read(leaves) for c in captures]


def prelude(captures, guards, em, params: list, miss: str) -> list[str]:
    """Lines at the top of a compiled entry: read each capture into its input's name,
    check the captures and guards, and call `miss` with the parameters on a mismatch."""
    if not captures and not guards:
        return []
    lines, tests = [], []
    for c in captures:
        name = em.name(c.var)
        lines.append(f"{name} = {c.source.expr(params, em.bind)}")
        kind, dtype = em.bind(c.kind, c.kind.__name__), em.bind(c.dtype, c.dtype.name)
        tests.append(f"type({name}) is not {kind} or {name}.shape != {c.shape!r}")
        tests.append(f"{name}.dtype is not {dtype} and {name}.dtype != {dtype}")
    for g in guards:
        name = em.fresh(g.source.var_name)
        lines.append(f"{name} = {g.source.expr(params, em.bind)}")
        tests.append(g.condition(name, em.bind))
    call = f"return {miss}({', '.join(params)})"
    body = ["try:"] + [f"    {line}" for line in lines] + \
        ["except Exception:", f"    {call}", f"if ({tests[0]}"] + \
        [f"        or {t}" for t in tests[1:]]
    body[-1] += "):"
    body.append(f"    {call}")
    for c in captures:
        name = em.name(c.var)
        if em.moved(name) != name:
            body.append(f"{name} = {em.moved(name)}")
    return body
