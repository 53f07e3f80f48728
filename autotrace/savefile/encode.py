"""Save and load concrete functions: the IR as JSON text (docs/export.md, "Save and load").

    {"format": "autotrace-function", "version": 1, "name": "f",
     "signature": [...], "inputs": <tree>, "template": [...], "result": <value>,
     "vars": [...], "origins": [...], "graphs": [...]}

`vars` and `origins` are tables that nodes refer to by index; `graphs[0]` is the function's
graph and sub-graphs (branches, loop bodies, called functions) are referred to by index
too. Ops are stored by registry name (`OPS`) with their params. Every value has one JSON
form: ints, finite floats (`2.0`, Python's exact shortest repr), bools, strings and null
are themselves; everything else is a one-key object naming its kind (`{"float": "nan"}`,
`{"tuple": [...]}`, `{"array": {...}}`), so Python int vs float vs bool, numpy dtypes and
float bits survive exactly. Nothing loaded is executed
as Python: a load rebuilds the `Graph` and compiles it as a trace does.

What has no saved form (a graph that captured a Python object or a `Variable`, a
custom-gradient closure, a `print` to a file object) raises `UnsupportedError` naming it.
"""

from __future__ import annotations

import base64
import builtins
import inspect
import json
import math

import numpy as np

from autotrace.autodiff.graph_function import GraphFunction
from autotrace.errors import UnsupportedError
from autotrace.graph.ir import Graph, Node, Origin, Var
from autotrace.ops.effects import Slot
from autotrace.ops.random import RANDOM_OPS, describe
from autotrace.signature import ID, GeneratorSpec, TensorSpec, TreeDef, unflatten

FORMAT = "autotrace-function"
VERSION = 1
_WEAK_TYPES = {"bool": bool, "int": int, "float": float, "complex": complex}
_PY_TYPES = {**_WEAK_TYPES, "str": str, "bytes": bytes}
# Exception classes a `try` node may catch: the built-in ones and numpy's LinAlgError.
EXCEPTION_TYPES = {name: t for name, t in vars(builtins).items()
                   if isinstance(t, type) and issubclass(t, BaseException)}
EXCEPTION_TYPES["LinAlgError"] = np.linalg.LinAlgError
_FUNCTION_MODULES = {"math": math, "numpy": np}


class _Unsaveable(Exception):
    """A value without a saved form; `save` turns it into an `UnsupportedError`."""


# -- saving -------------------------------------------------------------------------------
def save(cf, path) -> None:
    """Write concrete function `cf` to `path` as JSON (see the module docstring).

    Raises:
        UnsupportedError: `cf` holds something that has no saved form (named).
    """
    text = to_text(dumps(cf))
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def to_text(data: dict) -> str:
    """JSON text with one table entry (var, origin, node) per line, for readable diffs."""
    def rows(items, indent: str) -> str:
        return "[" + ",".join(f"\n{indent}{item}" for item in items) + "]"

    def one(value) -> str:
        return json.dumps(value, allow_nan=False)  # non-finite floats are tagged values

    lines = []
    for key, value in data.items():
        if key in ("signature", "template", "vars", "origins"):
            text = rows(map(one, value), "  ")
        elif key == "graphs":
            text = rows(("{" + ", ".join(f"{one(k)}: {one(v)}" for k, v in g.items()
                                         if k != "nodes")
                         + ', "nodes": ' + rows(map(one, g["nodes"]), "    ") + "}"
                         for g in value), "  ")
        else:
            text = one(value)
        lines.append(f" {one(key)}: {text}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def dumps(cf) -> dict:
    """The JSON-ready dict of concrete function `cf`."""
    name = cf.graph.name
    if cf.variables:
        raise UnsupportedError(f"cannot save {name}: it captures {len(cf.variables)} "
                               "Variable(s), whose values live in this process; pass them as "
                               "arguments instead")
    if cf._written:
        paths = cf._traced._paths(cf._tree)
        written = ", ".join(f"`{paths[pos]}`" for pos, _ in cf._written)
        raise UnsupportedError(f"cannot save {name}: it writes its argument(s) {written} in "
                               "place, which the saved format does not record; return the "
                               "new value instead")
    enc = _Encoder(name)
    graph_id = enc.graph(cf.graph)
    signature = [_param(p, enc) for p in cf._traced._signature.parameters.values()]
    paths = cf._traced._paths(cf._tree)
    template = [_template_entry(t, path, enc) for t, path in zip(cf._template, paths)]
    result = enc.value(_result_structure(cf), "the result")
    data = {"format": FORMAT, "version": VERSION, "name": name, "signature": signature,
            "inputs": _tree(cf._tree, name), "template": template, "result": result,
            "graph": graph_id, "vars": enc.vars, "origins": enc.origins, "graphs": enc.graphs}
    if cf.captures:  # captured arrays (graph inputs after the arguments): their values now
        data["captures"] = [enc.value(c.snapshot(), f"captured `{c.source.name}`")
                            for c in cf.captures]
    return data


def _result_structure(cf):
    return unflatten(cf._out_tree, cf._out_leaves)


def _param(p: inspect.Parameter, enc) -> dict:
    out = {"name": p.name, "kind": p.kind.name}
    if p.default is not p.empty:
        out["default"] = enc.value(p.default, f"the default of `{p.name}`")
    return out


def _template_entry(t, path: str, enc) -> dict:
    if isinstance(t, GeneratorSpec):
        raise UnsupportedError(f"cannot save {enc.name}: argument `{path}` is a numpy "
                               f"{t.kind.__name__}, which a save file cannot hold")
    if isinstance(t, TensorSpec):
        return {"spec": {"shape": list(t.shape), "dtype": t.dtype.str, "name": t.name,
                         "weak": t.weak.__name__ if t.weak else None}}
    if t[0] == ID:
        raise UnsupportedError(f"cannot save {enc.name}: argument `{path}` is {t[1]!r}, a "
                               "Python object baked into the graph by identity")
    return {"value": enc.value(_key_value(t), f"argument `{path}`")}


def _key_value(key):
    """The Python value a (non-array) leaf key stands for."""
    kind, rest = key[0], key[1:]
    if kind is float:
        return float.fromhex(rest[0])
    if kind is complex:
        return complex(float.fromhex(rest[0]), float.fromhex(rest[1]))
    if kind is slice:
        return slice(*rest[0])
    return rest[0]


def _tree(tree: TreeDef, name: str):
    if tree.kind == "leaf":
        return "*"
    children = [_tree(c, name) for c in tree.children]
    if tree.kind == "dict":
        for k in tree.meta:
            if not (k is None or type(k) in (bool, int, str)):
                raise UnsupportedError(f"cannot save {name}: its arguments hold a dict with "
                                       f"the key {k!r} (only str, int, bool, None keys)")
        return {"dict": [[k, c] for k, c in zip(tree.meta, children)]}
    if tree.kind == "namedtuple":
        raise UnsupportedError(f"cannot save {name}: its arguments hold a namedtuple "
                               f"({tree.meta.__name__}), a class of this process")
    return {tree.kind: children}


class _Encoder:
    """Tables of vars, origins and graphs, filled while encoding."""

    def __init__(self, name: str):
        self.name = name
        self.vars: list = []
        self.origins: list = []
        self.graphs: list = []
        self._var_ids: dict[int, int] = {}
        self._origin_ids: dict[Origin, int] = {}
        self._graph_ids: dict[int, int] = {}
        self._where = ""

    def var(self, v: Var) -> int:
        k = self._var_ids.get(id(v))
        if k is None:
            k = self._var_ids[id(v)] = len(self.vars)
            self.vars.append({"shape": list(v.shape), "dtype": v.dtype.str, "name": v.name,
                              "weak": v.weak.__name__ if v.weak else None})
        return k

    def origin(self, origin: Origin | None):
        if origin is None:
            return None
        k = self._origin_ids.get(origin)
        if k is None:
            k = self._origin_ids[origin] = len(self.origins)
            self.origins.append({"file": origin.filename, "line": origin.lineno,
                                 "source": origin.source, "function": origin.function})
        return k

    def graph(self, g: Graph) -> int:
        k = self._graph_ids.get(id(g))
        if k is not None:
            return k
        k = self._graph_ids[id(g)] = len(self.graphs)
        self.graphs.append(None)
        self.graphs[k] = {"name": g.name, "inputs": [self.var(v) for v in g.inputs],
                          "nodes": [self.node(n) for n in g.nodes],
                          "outputs": [self.value(o, f"an output of graph {g.name}")
                                      for o in g.outputs]}
        return k

    def node(self, n: Node) -> dict:
        if n.op in RANDOM_OPS:
            raise UnsupportedError(
                f"cannot save {self.name}: it draws random numbers at run time ({describe(n)}), "
                "and a save file holds no generator. Draw outside the function and pass the "
                "numbers in as an argument.")
        where = f"`{n.op.name}` node" + (f" at {n.origin.short()}" if n.origin else "")
        return {"op": n.op.name, "inputs": [self.value(x, f"an input of the {where}")
                                            for x in n.inputs],
                "params": {k: self.value(v, f"param `{k}` of the {where}")
                           for k, v in n.params.items()},
                "outputs": [self.var(v) for v in n.outputs], "origin": self.origin(n.origin)}

    def value(self, x, what: str):
        try:
            return self._value(x)
        except _Unsaveable as e:
            raise UnsupportedError(f"cannot save {self.name}: {what} is {e}, which has no "
                                   "saved form") from None

    def _value(self, x):  # noqa: C901 - one branch per kind of value
        kind = type(x)
        if x is None or kind in (bool, int, str):
            return x
        if kind is float:
            return x if math.isfinite(x) else {"float": repr(x)}
        if kind is complex:
            return {"complex": [self._value(x.real), self._value(x.imag)]}
        if kind is bytes:
            return {"bytes": base64.b64encode(x).decode("ascii")}
        if isinstance(x, Var):
            return {"var": self.var(x)}
        if isinstance(x, Graph):
            return {"graph": self.graph(x)}
        if kind is tuple or kind is list:
            return {kind.__name__: [self._value(i) for i in x]}
        if kind is dict:
            return {"dict": [[self._value(k), self._value(v)] for k, v in x.items()]}
        if kind is slice:
            return {"slice": [self._value(x.start), self._value(x.stop), self._value(x.step)]}
        if x is Ellipsis:
            return {"ellipsis": None}
        if isinstance(x, np.dtype):
            return {"dtype": _dtype_text(x)}
        if isinstance(x, np.ndarray) and kind is np.ndarray:
            return {"array": _array(x)}
        if isinstance(x, np.generic):
            return {"scalar": _array(np.asarray(x))}
        if isinstance(x, type):
            return {"type": _type_name(x)}
        if isinstance(x, Slot):
            if x.render is not None or any(t is not None and t not in _WEAK_TYPES.values()
                                           for t in x.pytypes):
                raise UnsupportedError(
                    f"cannot save a string formatted at run time ({x!r}, from print or "
                    "logging): its formatting is Python code, which a save file does not hold")
            return {"slot": [None if t is None else t.__name__ for t in x.pytypes]}
        if isinstance(x, BaseException) and _builtin(type(x).__name__) is type(x):
            return {"exception": [type(x).__name__, [self._value(a) for a in x.args]]}
        if _function_name(x) is not None:
            return {"function": _function_name(x)}
        if _is_graph_function(x):
            if x.variables:
                raise _Unsaveable("a function that captures Variables")
            # The repr is kept so that the loaded graph prints as the saved one did.
            return {"call": [self.graph(x.graph), repr(x)]}
        raise _Unsaveable(_describe(x))


def _dtype_text(d: np.dtype) -> str:
    if d.kind in "OV" or d.names is not None:
        raise _Unsaveable(f"dtype {d}")
    return d.str


def _array(x: np.ndarray) -> dict:
    _dtype_text(x.dtype)
    data = np.ascontiguousarray(x).tobytes()
    return {"dtype": x.dtype.str, "shape": list(x.shape),
            "data": base64.b64encode(data).decode("ascii")}


def _type_name(t: type) -> str:
    if _PY_TYPES.get(t.__name__) is t:
        return t.__name__
    if EXCEPTION_TYPES.get(t.__name__) is t:  # caught by a `try` node
        return t.__name__
    if issubclass(t, np.generic) and getattr(np, t.__name__, None) is t:
        return "numpy." + t.__name__
    raise _Unsaveable(f"the class {t.__qualname__}")


def _function_name(fn) -> str | None:
    """`math.tanh`, `numpy.sin`: functions and ufuncs of math and numpy, stored by name."""
    name = getattr(fn, "__name__", None)
    for module_name, module in _FUNCTION_MODULES.items():
        if isinstance(name, str) and getattr(module, name, None) is fn:
            return f"{module_name}.{name}"
    return None


def _is_graph_function(x) -> bool:
    return isinstance(x, GraphFunction)


def _builtin(name: str):
    return getattr(builtins, name, None)


def _describe(x) -> str:
    if callable(x):
        return f"the Python callable {getattr(x, '__qualname__', None) or repr(x)}"
    return f"a {type(x).__name__} object ({x!r})"
