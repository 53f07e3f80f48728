"""Guarded entries: a traced function's hit path for one call signature, as one function.

A cached call of a `TracedFunction` used to build a key of its arguments (shape, dtype per
array), look it up in the hit-path table and call the compiled entry it found. A guarded
entry does the same in one generated function for the signature of the latest hit: the
key's checks written out (`type(a) is ndarray and a.dtype is float32 and a.ndim == 1 and
len(a) == 1`), the call counters, then the compiled entry's own body, inlined:

    def seed(a=_g_miss, b=_g_miss, *_g_rest):
        if _g_rest or type(a) is not _g_ndarray or ... or len(b) != 1:
            return _g_miss
        _g_entry.last_call = _g_traced._calls = _g_traced._calls + 1
        v0 = a + b
        ...

Arguments the checks do not accept return the marker `MISS`, and the caller takes the
table path, so the checks may be stricter than the table's key (a dtype is compared by
identity: an equal dtype object that is not numpy's own one just misses), never looser:
they accept exactly the calls whose key equals the one the entry was made for. Only keys
of exact `np.ndarray`s and Python values (bool, int, float, str, None) are written out;
other arguments (objects keyed by identity, generators, numpy scalars) keep the table.

A long body is not inlined (compiling it twice costs more than the call it saves): the
guarded entry calls the compiled entry instead.
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


def cold(*args):
    """The guarded entry of a function that has none: accepts nothing."""
    return MISS


def guarded_entry(entry, args: tuple, key: tuple, traced):
    """The guarded entry running compiled `entry` for calls whose fast key is `key` (that
    of `args`), counting calls on `traced` as the table path does; None when `args` have
    a kind the checks do not cover. Made once per (entry, key) and kept on `entry`."""
    made = entry.__dict__.setdefault("guarded", {})
    hot = made.get(key, MISS)
    if hot is MISS:
        if len(made) >= MAX_PER_ENTRY:
            made.clear()
        hot = made[key] = _make(entry, args, key, traced)
    return hot


def _make(entry, args: tuple, key: tuple, traced):
    namespace = dict(entry.__globals__)
    extra = {"_g_miss": MISS, "_g_ndarray": np.ndarray, "_g_entry": entry,
             "_g_traced": traced}
    lines = entry.source.splitlines()
    params = _params(lines[0])
    if params is None or len(args) > len(params):
        return None
    names = params[:len(args)]
    checks = _checks(names, args, key, extra)
    if checks is None or any(k in namespace for k in extra):
        return None
    namespace.update(extra)
    fname = lines[0][4:lines[0].index("(")]
    head = [f"def {fname}({''.join(f'{p}=_g_miss, ' for p in names)}*_g_rest):",
            f"    if {' or '.join(['_g_rest', *checks])}:",
            "        return _g_miss",
            "    _g_entry.last_call = _g_traced._calls = _g_traced._calls + 1"]
    head += [f"    {p} = None" for p in params[len(args):]]  # the entry's defaults
    if len(lines) <= INLINE_MAX_LINES:
        body, shift = lines[1:], len(head) - 1
    else:
        body, shift = [f"    return _g_entry({', '.join(names)})"], None
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
