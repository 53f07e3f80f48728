"""Python objects (not numbers or arrays) inside a graph `try` statement.

A graph `try` traces each part once: its Python-level effects happen while tracing, and
the values the parts bind to Python objects are fixed then. Where that would make a
handler, `finally` or the code after the statement see something else than the plain
function does, the trace stops with a `TracingError` naming the variable and the lines:

* `Ambiguous`: the value a handler (or `finally`, as an exception escapes) reads for a
  variable that the body rebinds to a Python object at some statement: which one it holds
  depends on where the body raised, at run time. Any use of it is refused (passing it on
  is not).
* `Watch`: the lists, dicts, sets and user objects a part reaches through the names it
  reads (closure cells, globals) and changes in place (`hs.append(v)`, `self.n += 1`,
  `cfg["k"] = v`): the change happens once, while tracing, and every part is traced
  whatever path a call takes. Refused for the body, the handlers and `else`; the trace
  of `finally` made for the exception path (runtime/graph_try.py) has its changes undone,
  so `finally`'s Python effects happen once, as for any traced code.
"""

from __future__ import annotations

import sys
import types as pytypes

import numpy as np

from autotrace.errors import TracingError
from autotrace.runtime.undefined import Undefined


class Ambiguous(Undefined):
    """A variable whose Python value inside a `try` depends on where the body raised."""

    __slots__ = ("message",)

    def __init__(self, name: str, message: str):
        super().__init__(name)
        self.message = message

    def fail(self):
        raise TracingError(self.message)


def ambiguous(name: str, before, value, where: str, save_where: str) -> Ambiguous:
    return Ambiguous(name, (
        f"`{name}` is {_describe(before)} before the `try` at {where} but the Python "
        f"value {value!r} after {save_where}, so an `except` or `finally` that reads it "
        "would see one or the other depending on where the body raised, which is decided "
        "when the graph runs while Python objects are fixed while tracing. Read it after "
        "the statement only when the body completed, or give it a number or an array."))


def _describe(value) -> str:
    if isinstance(value, Undefined):
        return "unassigned"
    return f"the Python value {value!r}" if not isinstance(value, (int, float, complex,
                                                                  np.ndarray, np.generic)) \
        else "a number or array"


# -- objects changed in place -----------------------------------------------------------------
_MAX_ITEMS = 256  # larger containers are compared by length and identity of their ends
_SKIP_MODULES = ("autotrace", "numpy", "builtins")


def _user_object(obj) -> bool:
    """An instance of a user-defined class (its attributes are compared)."""
    if isinstance(obj, (pytypes.ModuleType, type, pytypes.FunctionType, pytypes.MethodType,
                        pytypes.BuiltinFunctionType, np.ndarray, np.generic)):
        return False
    module = (type(obj).__module__ or "").split(".")[0]
    if module in _SKIP_MODULES or module in sys.stdlib_module_names:
        return False
    return hasattr(obj, "__dict__")


def _fingerprint(obj):
    """What an in-place change of `obj` changes (None: not watched)."""
    if type(obj) is list:
        items = obj if len(obj) <= _MAX_ITEMS else obj[:8] + obj[-8:]
        return ("list", len(obj), tuple(map(id, items)))
    if type(obj) is dict:
        return ("dict", len(obj), tuple((k, id(v)) for k, v in list(obj.items())[:_MAX_ITEMS]))
    if type(obj) is set:
        return ("set", len(obj), frozenset(map(id, obj)) if len(obj) <= _MAX_ITEMS else None)
    if _user_object(obj):
        return ("object", tuple((k, id(v)) for k, v in vars(obj).items()))
    return None


def _children(obj) -> list:
    if type(obj) is list:
        return obj[:_MAX_ITEMS]
    if type(obj) is dict:
        return list(obj.values())[:_MAX_ITEMS]
    if _fingerprint(obj) is not None and _user_object(obj):
        return list(vars(obj).values())
    return []


def _names_read(fn) -> list[tuple[str, object]]:
    """(name, value) of the closure cells and globals the helper `fn` (and the helpers
    nested in it) reads."""
    out = []
    cells = dict(zip(fn.__code__.co_freevars, fn.__closure__ or ()))
    for name, cell in cells.items():
        try:
            out.append((name, cell.cell_contents))
        except ValueError:  # an empty cell (unbound yet)
            continue
    codes, seen = [fn.__code__], set()
    while codes:
        code = codes.pop()
        for name in code.co_names:
            if name in fn.__globals__ and name not in seen:
                seen.add(name)
                out.append((name, fn.__globals__[name]))
        codes += [c for c in code.co_consts if isinstance(c, pytypes.CodeType)]
    return out


class Watch:
    """The watched objects the helpers `fns` reach, two levels deep, and their state."""

    def __init__(self, fns):
        self.entries = []  # (path, object, fingerprint)
        seen = set()
        for fn in fns:
            if fn is None:
                continue
            for name, value in _names_read(fn):
                self._add(name, value, seen, 2)

    def _add(self, path, obj, seen, depth) -> None:
        if id(obj) in seen:
            return
        mark = _fingerprint(obj)
        if mark is None:
            return
        seen.add(id(obj))
        self.entries.append((path, obj, mark))
        if depth > 1:
            for child in _children(obj):
                self._add(f"{path}'s item or attribute", child, seen, depth - 1)

    def changed(self) -> str | None:
        """The path of the first watched object changed since the snapshot."""
        for path, obj, mark in self.entries:
            if _fingerprint(obj) != mark:
                return path
        return None

    def check(self, part: str, where: str) -> None:
        path = self.changed()
        if path is not None:
            raise TracingError(
                f"`{path}` (a Python {_kind(self, path)}) is changed in place inside the "
                f"{part} of the `try` at {where}. A graph `try` traces every part once, "
                "whatever path a call takes, so the change would happen once, while "
                "tracing, and an `except`, `finally` or the code after the statement would "
                "not see it as Python does. Change it before or after the statement, or "
                "keep the value in a variable the statement assigns (arrays and numbers "
                "are carried exactly).")


def _kind(watch, path) -> str:
    for p, obj, _ in watch.entries:
        if p == path:
            return type(obj).__name__ if type(obj) in (list, dict, set) else \
                f"{type(obj).__name__} object"
    return "object"  # pragma: no cover


class undone:
    """Context: the in-place changes to `Watch` objects made inside are undone on exit."""

    def __init__(self, watch: Watch):
        self.watch = watch
        self.saved = []

    def __enter__(self):
        for _, obj, _ in self.watch.entries:
            if type(obj) is list:
                self.saved.append((obj, list(obj)))
            elif type(obj) is dict:
                self.saved.append((obj, dict(obj)))
            elif type(obj) is set:
                self.saved.append((obj, set(obj)))
            else:
                self.saved.append((obj, dict(vars(obj))))
        return self

    def __exit__(self, *exc):
        for obj, copy in self.saved:
            if type(obj) is list:
                obj[:] = copy
            elif type(obj) in (dict, set):
                obj.clear()
                obj.update(copy)
            else:
                vars(obj).clear()
                vars(obj).update(copy)
        return False
