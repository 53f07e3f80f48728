"""Captured state: what a traced function reads from outside its arguments, read live.

Python code reads state through globals, closure cells and attributes (`self.W`,
`cfg.scale`, `m.W` of an object passed in). While a function is traced, a
`CaptureScope` (capture_scope.py: one per trace, on the root graph builder) knows the
*roots* the code can reach that state from: the objects among the call's arguments,
objects a method or partial is bound to, and the globals and closure cells of every user
function that runs in the trace. From them it walks the names the code mentions
(attribute names, string keys, list/tuple items), up to `MAX_DEPTH` steps, and records a
`Source` -- a path that can be read again -- for what it finds:

* an **array** (ndarray or numpy scalar) that reaches an op becomes an implicit graph
  input, a `Capture`: every call reads it again through its path (rebinding `m.W = ...`
  or writing `m.W[0, 0] = ...` changes the next result, as in Python); its type, shape
  and dtype are checked on every call, and a change traces again;
* a **Python value** (bool, int, float, complex, str, bytes, None) the code mentions is
  a `Guard`: its value is part of the signature, checked on every call (a change traces
  again, and the retracing warning names it, e.g. `cfg.scale` or global `SCALE`);
* a **list, tuple or dict** on the path of either is guarded by its length (code that
  iterates it unrolls that many times).

Checks run in the concrete function's compiled entry (`prelude`): a read and a compare
per capture, on the hit path. A failed check calls the traced function's miss handler,
which finds (or traces) the concrete function for the state now.

Reads of captured arrays in converted code (`at__.live`) give their graph inputs, so
what the code computes from them is graph ops (`CaptureScope.read`); a trace that needs a
Python value of one traces again reading numpy arrays, and those (and, in code that is not
converted, all captured arrays) get a content guard: their bytes are compared on every
call, up to `content_guard_bytes()` (larger: `TracingError`). Arrays the trace writes in
place are read live and written back (`runtime/inplace.py`), so they are guarded by
identity only.

Limits: the walk follows instance and class dictionaries only (never runs a property) and
skips library modules and objects; arrays are identified by identity. An array the code
mentions that no op took is content-guarded too (a larger one gives a
`StaleCaptureWarning` when traced).
"""

from __future__ import annotations

import types
from dataclasses import dataclass

import numpy as np

from autotrace.signature import leaf_key

MAX_DEPTH = 4  # attribute / item steps from a root
MAX_VISITS = 20000  # objects walked per trace
MAX_ITEMS = 64  # lists, tuples and dicts longer than this are not walked
_GUARDED = (bool, int, float, complex, str, bytes, type(None))
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
    """A Python value (`key`: its signature key, see `leaf_key`), with `length` the length
    of a container, or with `identity` the very array `value` (one the code mentions that
    is not a graph input: numpy made a view of it while tracing, which the graph holds and
    which sees writes into the array but not a rebinding; or plain numpy read it: then
    also its bytes, `contents`), read through `source` and checked on every call."""

    source: Source
    key: object
    value: object
    length: bool = False
    identity: bool = False
    contents: bytes | None = None  # with `identity`: the array's bytes when traced

    def mismatch(self, value) -> str | None:
        if self.identity:
            if value is not self.value:
                return (f"captured array {self.source.describe()} was rebound (the trace "
                        "read it with plain numpy: a view of it, `.T` or a slice, or a value "
                        "computed from it)")
            if self.contents is not None and not same_contents(value, self.contents):
                return (f"captured array {self.source.describe()} was written in place (the "
                        "trace read it with plain numpy, so its values are constants of the "
                        "graph)")
            return None
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
        if self.identity:
            test = f"{name} is not {bind(v, 'traced_array')}"
            if self.contents is not None:
                test += f" or not {bind(same_contents, 'same_contents')}({name}, " \
                        f"{bind(self.contents, 'traced_bytes')})"
            return test
        if self.length:
            return f"type({name}) is not {bind(self.value, self.value.__name__)} or " \
                   f"len({name}) != {self.key}"
        if v is None or type(v) is bool:
            return f"{name} is not {v!r}"
        kind = bind(type(v), type(v).__name__)
        # First by identity: the object read while tracing, most often still there.
        same = f"{name} is not {bind(v, 'traced_' + type(v).__name__)} and "
        if type(v) is complex or type(v) is float and (v != v or v == 0.0):  # by their bits
            return same + f"{bind(leaf_key, 'leaf_key')}({name}) != {bind(self.key, 'key')}"
        literal = repr(v) if type(v) is not float or abs(v) != float("inf") else \
            bind(v, "inf")
        return same + f"(type({name}) is not {kind} or {name} != {literal})"


CONTENT_GUARD_BYTES = 1 << 20  # default limit of `content_guard_bytes`
_limit = [CONTENT_GUARD_BYTES]


def content_guard_bytes(n: int | None = None) -> int:
    """The largest captured array (in bytes) that a trace which read it as numpy compares
    by content on every call (larger: `TracingError`); `n` sets it (`at.config`)."""
    if n is not None:
        if int(n) < 0:
            raise ValueError(f"content_guard_bytes must be >= 0, got {n}")
        _limit[0] = int(n)
    return _limit[0]


def contents_of(array, limit: int | None = None) -> bytes | None:
    """The bytes a content guard compares (`same_contents`), for a numeric or bool ndarray
    of at most `limit` bytes (default: `content_guard_bytes()`); else None."""
    if type(array) is not np.ndarray or array.dtype.kind not in "biufc" or \
            array.nbytes > (_limit[0] if limit is None else limit):
        return None
    return array.tobytes()


def same_contents(array, contents: bytes) -> bool:
    """`array` holds exactly the bytes `contents` (bit for bit: `nan` matches `nan`, `-0.0`
    is not `0.0`). A copy and a memcmp: about 40 us per MiB, 0.05 us for a few floats
    (faster than comparing a memoryview, which goes element by element)."""
    return array.tobytes() == contents


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
