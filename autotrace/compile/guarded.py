"""Guarded entries: the hit path for one call signature, as one generated function.

The table path of a cached call builds a key of the arguments (shape and dtype per array,
type and value per Python value), looks it up in the hit-path table and calls the compiled
entry found there. A guarded entry is the same for the signature of the latest hit, in one
function: the key's checks written out (`type(a) is ndarray`, `a.dtype is float32`,
`a.ndim == 1`, `len(a) == 1`), the call counters, then the compiled entry's body, inlined:

    def seed(a=_g_miss, b=_g_miss, *_g_rest):
        if _g_rest or type(a) is not _g_ndarray or ... or len(b) != 1:
            return _g_miss
        _g_stamp.last_call = _g_traced._calls = _g_traced._calls + 1
        v0 = a + b
        ...

`TracedFunction.__call__` and `ConcreteFunction.__call__` try theirs first. Arguments the
checks do not accept return the marker `MISS` and the caller takes the table path, so the
checks may be stricter than the key (dtypes are compared by identity: an equal dtype
object that is not the one of the key misses), never looser: they accept only calls whose
key equals the one the entry was made for. Only keys of exact `np.ndarray`s and Python
values (bool, int, float, str, None) are written out; other arguments (objects keyed by
identity, generators, numpy scalars, subclasses) keep the table path.

A guarded entry is valid while its key leads to its compiled entry: the tables are
`HitTable`s, and every change of one drops its owner's guarded entry (back to `cold`).
A long body is not inlined (compiling it twice would cost more than the call it saves):
the guarded entry calls the compiled entry instead.
"""

from __future__ import annotations

import itertools

import numpy as np

from autotrace.errors import register_line_map

MISS = object()  # what a guarded entry returns for arguments it does not accept
INLINE_MAX_LINES = 100  # longer compiled bodies are called, not inlined
MAX_PER_ENTRY = 64  # guarded entries kept per compiled entry (one per key)
_VALUES = (bool, int, float, str, type(None))
_files = itertools.count(1)


class HitTable(dict):
    """A hit-path table (fast key -> compiled entry, or the keys a concrete function
    accepts). Every change of it drops its owner's guarded entry (`owner._hot`), which
    is valid only while its key leads to its compiled entry."""

    __slots__ = ("_owner",)

    def __init__(self, owner):
        super().__init__()
        self._owner = owner

    def _changed(self) -> None:
        """Called after each change: a guarded entry made meanwhile (another thread) saw
        the table before it, and is dropped now."""
        self._owner._hot = cold

    def __setitem__(self, key, value) -> None:
        super().__setitem__(key, value)
        self._changed()

    def __delitem__(self, key) -> None:
        try:
            super().__delitem__(key)
        finally:
            self._changed()

    def pop(self, *args):
        try:
            return super().pop(*args)
        finally:
            self._changed()

    def popitem(self):
        try:
            return super().popitem()
        finally:
            self._changed()

    def setdefault(self, key, default=None):
        try:
            return super().setdefault(key, default)
        finally:
            self._changed()

    def update(self, *args, **kwargs) -> None:
        try:
            super().update(*args, **kwargs)
        finally:
            self._changed()

    def clear(self) -> None:
        super().clear()
        self._changed()


def cold(*args):
    """The guarded entry of a function that has none: accepts nothing."""
    return MISS


def guarded_entry(entry, args: tuple, key: tuple, traced=None):
    """The guarded entry running compiled `entry` for calls whose fast key is `key` (that
    of `args`), counting calls on `traced` (if given) as the table path does; None when
    `args` have a kind the checks do not cover. Made once and kept on `entry`."""
    made = entry.__dict__.setdefault("guarded", {})
    hot = made.get((key, traced is None), MISS)
    if hot is MISS:
        if len(made) >= MAX_PER_ENTRY:
            made.clear()
        hot = made[key, traced is None] = _make(entry, args, key, traced)
    return hot


def _make(entry, args: tuple, key: tuple, traced):
    namespace = dict(entry.__globals__)
    extra = {"_g_miss": MISS, "_g_ndarray": np.ndarray, "_g_stamp": entry.stamp,
             "_g_traced": traced}
    lines = entry.source.splitlines()
    params = _params(lines[0])
    if params is None or len(args) > len(params):
        return None
    names = params[:len(args)]
    checks = _checks(names, args, key, extra)
    if checks is None or any(k in namespace for k in (*extra, "_g_entry")):
        return None
    namespace.update(extra)
    fname = lines[0][4:lines[0].index("(")]
    head = [f"def {fname}({''.join(f'{p}=_g_miss, ' for p in names)}*_g_rest):",
            f"    if {' or '.join(['_g_rest', *checks])}:",
            "        return _g_miss"]
    if traced is not None:
        head.append("    _g_stamp.last_call = _g_traced._calls = _g_traced._calls + 1")
    head += [f"    {p} = None" for p in params[len(args):]]  # the entry's defaults
    if len(lines) <= INLINE_MAX_LINES:
        body, shift = lines[1:], len(head) - 1
    else:
        body, shift = [f"    return _g_entry({', '.join(params)})"], None
        namespace["_g_entry"] = entry
    source = "\n".join(head + body) + "\n"
    filename = f"<autotrace {fname} guarded #{next(_files)}>"
    exec(compile(source, filename, "exec"), namespace)
    hot = namespace[fname]
    hot.source = source
    hot.line_nodes = {} if shift is None else \
        {line + shift: node for line, node in entry.line_nodes.items()}
    register_line_map(filename, hot, source)
    return hot


def _params(def_line: str) -> list[str] | None:
    """The parameter names of a compiled entry's `def` line (`def f(a, b, n=None):`)."""
    inside = def_line[def_line.index("(") + 1:def_line.rindex(")")]
    params = [p.split("=")[0].strip() for p in inside.split(",") if p.strip()]
    return params if all(p.isidentifier() for p in params) else None


def _checks(names: list[str], args: tuple, key: tuple, extra: dict) -> list[str] | None:
    """The conditions, any of which rejects a call (types first: the rest read `.dtype`,
    `.ndim`, `len`), or None for an argument kind they do not cover."""
    types, values = [], []
    for i, (name, arg) in enumerate(zip(names, args)):
        first, second = key[2 * i], key[2 * i + 1]
        if type(arg) is np.ndarray:
            shape, dtype = first, second
            extra[f"_g_d{i}"] = dtype
            types.append(f"type({name}) is not _g_ndarray")
            values.append(f"{name}.dtype is not _g_d{i}")
            if len(shape) <= 1:
                values.append(f"{name}.ndim != {len(shape)}")
                values += [f"len({name}) != {shape[0]}"] if shape else []
            else:
                values.append(f"{name}.shape != {shape!r}")
        elif first in _VALUES and first is type(arg) and second is arg:
            if first is float and not np.isfinite(arg):
                return None  # no literal (nan, inf)
            extra[f"_g_t{i}"] = first
            types.append(f"type({name}) is not _g_t{i}")
            values.append(f"{name} is not {arg!r}" if first in (bool, type(None)) else
                          f"{name} != {arg!r}")
        else:
            return None
    return types + values
