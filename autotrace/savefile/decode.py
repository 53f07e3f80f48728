"""Load a concrete function saved by `autotrace.savefile.encode` (docs/export.md).

Loading parses JSON and rebuilds `Var`s, `Node`s (ops looked up by registry name) and
`Graph`s, then compiles the graph as a trace does; nothing in the file is run as Python.
A file of another format version, or one that does not have the documented shape, is a
`ValueError` naming the file and what is wrong.
"""

from __future__ import annotations

import base64
import binascii
import builtins
import inspect
import json

import numpy as np

from autotrace.autodiff.graph_function import GraphFunction
from autotrace.captures import frozen_capture
from autotrace.concrete import ConcreteFunction
from autotrace.function import TracedFunction
from autotrace.graph.ir import Graph, Node, Origin, Var
from autotrace.ops.effects import Slot
from autotrace.ops.registry import OPS
from autotrace.savefile.encode import (
    _FUNCTION_MODULES,
    _PY_TYPES,
    _WEAK_TYPES,
    EXCEPTION_TYPES,
    FORMAT,
    VERSION,
)
from autotrace.signature import LEAF, TensorSpec, TreeDef, leaf_key
from autotrace.version import __version__


class _Malformed(Exception):
    pass


def load(path):
    """The `ConcreteFunction` saved at `path` by `cf.save(path)`.

    It runs, prints, renders and differentiates like the one saved; it has no Python
    function behind it (its signature is the saved one).

    Raises:
        ValueError: `path` is not an autotrace save file, is of another format version, or
            is malformed (the message names the file and the problem).
    """
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not an autotrace save file: invalid JSON ({e})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f'{path}: not an autotrace save file (no "format": "{FORMAT}")')
    version = data.get("version")
    if version != VERSION:
        raise ValueError(f"{path}: saved in format version {version!r}, but autotrace "
                         f"{__version__} reads version {VERSION} only")
    try:
        return _Decoder(data).function()
    except _Malformed as e:
        raise ValueError(f"{path}: malformed autotrace save file: {e}") from None
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as e:
        raise ValueError(f"{path}: malformed autotrace save file: "
                         f"{type(e).__name__}: {e}") from None


def _expect(ok: bool, message: str) -> None:
    if not ok:
        raise _Malformed(message)


def _tag(x, where: str):
    _expect(isinstance(x, dict) and len(x) == 1, f"{where}: expected a one-key object, "
                                                 f"got {json.dumps(x)[:60]}")
    return next(iter(x.items()))


class _Decoder:
    def __init__(self, data: dict):
        self.data = data
        self.vars = [self._var(v, k) for k, v in enumerate(_list(data, "vars"))]
        self.origins = [Origin(o["file"], o["line"], o["source"], o["function"])
                        for o in _list(data, "origins")]
        self.graph_data = _list(data, "graphs")
        self.graphs: dict[int, Graph] = {}

    def function(self):
        data = self.data
        name = data["name"]
        _expect(isinstance(name, str), '"name" must be a string')
        signature = inspect.Signature([self._param(p) for p in _list(data, "signature")])
        traced = TracedFunction(_stub(name, signature), autograph=False)
        tree = _tree(data["inputs"])
        template = [self._template_entry(t) for t in _list(data, "template")]
        _expect(len(template) == tree.num_leaves,
                f'"template" has {len(template)} entries for {tree.num_leaves} input leaves')
        graph = self.graph(data["graph"])
        n_specs = sum(isinstance(t, TensorSpec) for t in template)
        values = [self.value(v, '"captures"') for v in data.get("captures", [])]
        _expect(n_specs + len(values) == len(graph.inputs),
                f"{n_specs} tensor inputs in \"template\" and {len(values)} captured "
                f"arrays for {len(graph.inputs)} graph inputs")
        live = [frozen_capture(value, var)
                for value, var in zip(values, graph.inputs[n_specs:])]
        result = self.value(data["result"], '"result"')
        return ConcreteFunction(traced, graph, tree, template, result, [], live=live)

    # -- tables ---------------------------------------------------------------------------
    def _var(self, v: dict, k: int) -> Var:
        shape = v["shape"]
        _expect(isinstance(shape, list) and all(d is None or type(d) is int for d in shape),
                f"var {k}: bad shape {shape!r}")
        weak = v["weak"]
        _expect(weak is None or weak in _WEAK_TYPES, f"var {k}: bad weak type {weak!r}")
        return Var(tuple(shape), _dtype(v["dtype"], values=True), v["name"],
                   weak=_WEAK_TYPES[weak] if weak else None)

    def var(self, k) -> Var:
        _expect(type(k) is int and 0 <= k < len(self.vars), f"no var {k!r}")
        return self.vars[k]

    def graph(self, k) -> Graph:
        _expect(type(k) is int and 0 <= k < len(self.graph_data), f"no graph {k!r}")
        g = self.graphs.get(k)
        if g is None:
            d = self.graph_data[k]
            g = self.graphs[k] = Graph(d["name"], [self.var(i) for i in d["inputs"]])
            g.nodes = [self.node(n, f"graph {d['name']} node {i}")
                       for i, n in enumerate(d["nodes"])]
            g.outputs = [self.value(o, f"graph {d['name']} outputs") for o in d["outputs"]]
        return g

    def node(self, n: dict, where: str) -> Node:
        op = OPS.get(n["op"])
        _expect(op is not None, f"{where}: unknown op {n['op']!r}")
        inputs = [self.value(x, where) for x in n["inputs"]]
        params = {k: self.value(v, f"{where} param {k!r}") for k, v in n["params"].items()}
        outputs = [self.var(v) for v in n["outputs"]]
        origin = n["origin"]
        _expect(origin is None or (type(origin) is int and 0 <= origin < len(self.origins)),
                f"{where}: no origin {origin!r}")
        node = Node(op, inputs, params, outputs, None if origin is None else self.origins[origin])
        for v in outputs:
            v.node = node
        return node

    # -- values ---------------------------------------------------------------------------
    def value(self, x, where: str):  # noqa: C901 - one branch per kind of value
        if x is None or type(x) in (bool, int, float, str):
            return x
        tag, body = _tag(x, where)
        if tag == "float":
            _expect(body in ("nan", "inf", "-inf"), f"{where}: bad float {body!r}")
            return float(body)
        if tag == "complex":
            return complex(self.value(body[0], where), self.value(body[1], where))
        if tag == "bytes":
            return base64.b64decode(body, validate=True)
        if tag == "var":
            return self.var(body)
        if tag == "graph":
            return self.graph(body)
        if tag == "tuple":
            return tuple(self.value(i, where) for i in body)
        if tag == "list":
            return [self.value(i, where) for i in body]
        if tag == "dict":
            return {self.value(k, where): self.value(v, where) for k, v in body}
        if tag == "slice":
            return slice(*(self.value(i, where) for i in body))
        if tag == "ellipsis":
            return Ellipsis
        if tag == "dtype":
            return _dtype(body)
        if tag == "array":
            return _array(body, where)
        if tag == "scalar":
            return _array(body, where)[()]
        if tag == "type":
            return _type(body, where)
        if tag == "slot":
            _expect(isinstance(body, list) and all(t is None or t in _WEAK_TYPES for t in body),
                    f"{where}: a slot lists Python scalar type names or null")
            return Slot([None if t is None else _WEAK_TYPES[t] for t in body])
        if tag == "exception":
            kind = getattr(builtins, body[0], None)
            _expect(isinstance(kind, type) and issubclass(kind, BaseException),
                    f"{where}: {body[0]!r} is not a built-in exception")
            return kind(*(self.value(a, where) for a in body[1]))
        if tag == "function":
            module, _, name = body.partition(".")
            fn = getattr(_FUNCTION_MODULES.get(module), name, None)
            _expect(callable(fn), f"{where}: no function {body!r}")
            return fn
        if tag == "call":
            return _saved_function(self.graph(body[0]), body[1])
        raise _Malformed(f"{where}: unknown value kind {tag!r}")

    def _param(self, p: dict) -> inspect.Parameter:
        kind = getattr(inspect.Parameter, p["kind"], None)
        _expect(isinstance(kind, type(inspect.Parameter.POSITIONAL_ONLY)),
                f"bad parameter kind {p['kind']!r}")
        default = self.value(p["default"], f"default of {p['name']}") if "default" in p \
            else inspect.Parameter.empty
        return inspect.Parameter(p["name"], kind, default=default)

    def _template_entry(self, t: dict):
        tag, body = _tag(t, '"template"')
        if tag == "spec":
            weak = body["weak"]
            _expect(weak is None or weak in _WEAK_TYPES, f"bad weak type {weak!r}")
            return TensorSpec(tuple(body["shape"]), _dtype(body["dtype"]), body["name"],
                              weak=_WEAK_TYPES[weak] if weak else None)
        _expect(tag == "value", f'"template": unknown entry kind {tag!r}')
        return leaf_key(self.value(body, '"template"'))


def _list(data: dict, key: str) -> list:
    value = data.get(key)
    _expect(isinstance(value, list), f'"{key}" must be a list')
    return value


def _dtype(text, values: bool = False) -> np.dtype:
    """A saved dtype; `values`: of a graph value, which may be a Python object (the
    run-time state and the caught exception of a `try` node)."""
    _expect(isinstance(text, str), f"bad dtype {text!r}")
    try:
        dtype = np.dtype(text)
    except TypeError:
        raise _Malformed(f"bad dtype {text!r}") from None
    # Only the encoder's own spelling of a value's Python-object dtype is read.
    _expect(dtype.kind != "V" and (dtype.kind != "O" or values and text == "|O"),
            f"dtype {text!r} has no saved form")
    return dtype


def _array(body: dict, where: str) -> np.ndarray:
    dtype = _dtype(body["dtype"])
    shape = tuple(body["shape"])
    try:
        data = base64.b64decode(body["data"], validate=True)
    except binascii.Error:
        raise _Malformed(f"{where}: array data is not base64") from None
    size = int(np.prod(shape, dtype=np.int64))
    _expect(len(data) == size * dtype.itemsize,
            f"{where}: {len(data)} bytes of data for an array of {dtype}{list(shape)}")
    return np.frombuffer(data, dtype=dtype).reshape(shape).copy()


def _type(name, where: str) -> type:
    if name in _PY_TYPES:
        return _PY_TYPES[name]
    if name in EXCEPTION_TYPES:
        return EXCEPTION_TYPES[name]
    kind = getattr(np, name.removeprefix("numpy."), None) if name.startswith("numpy.") else None
    _expect(isinstance(kind, type) and issubclass(kind, np.generic),
            f"{where}: unknown type {name!r}")
    return kind


def _tree(x) -> TreeDef:
    if x == "*":
        return LEAF
    tag, body = _tag(x, '"inputs"')
    if tag == "dict":
        return TreeDef("dict", tuple(_plain_key(k) for k, _ in body),
                       tuple(_tree(c) for _, c in body))
    _expect(tag in ("tuple", "list"), f'"inputs": unknown structure {tag!r}')
    return TreeDef(tag, None, tuple(_tree(c) for c in body))


def _plain_key(k):
    _expect(k is None or type(k) in (bool, int, str), f"unsupported dict key {k!r}")
    return k


def _saved_function(graph: Graph, text: str):
    """The function a `call` node runs: its graph, compiled; printed as it was saved."""

    _expect(isinstance(text, str), f"bad call description {text!r}")
    cls = type("SavedFunction", (GraphFunction,), {"__repr__": lambda self: text})
    return cls(graph)


def _stub(name: str, signature: inspect.Signature):
    """The Python function a loaded concrete function stands for: its signature only."""
    def loaded(*args, **kwargs):
        raise TypeError(f"{name} was loaded from a file and has no Python function; call "
                        "the loaded concrete function")

    loaded.__signature__ = signature
    loaded.__name__ = loaded.__qualname__ = name
    return loaded
