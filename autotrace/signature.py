"""Nested arguments <-> flat leaves, cache keys, and `TensorSpec`.

A call's arguments are flattened structurally (tuples, lists, dicts, namedtuples,
dataclasses and types given to `register_pytree`; `None` is a leaf). Each leaf
contributes to the cache key:

* arrays, numpy scalars, eager tensors and `TensorSpec`s: (shape, dtype) -- a numpy
  scalar and a 0-d array of one dtype share a trace (the compiled code runs numpy on the
  value it is given, so results keep numpy's own types);
* Python scalars, strings, bytes, None, slices: (type, value) -- a new value means a new
  trace, and `1`, `1.0` and `True` are different keys (floats by their exact bits: `-0.0`
  is not `0.0`, and `nan` matches `nan`);
* numpy random generators (`Generator`, `RandomState`): their class -- a generator is a
  run-time input of the graph, like an array (`GeneratorSpec`), so a new generator object
  does not trace again (its draws run on it, see `runtime/random.py`);
* any other object: its identity, held weakly where possible (see `IdentityKey`).
"""

from __future__ import annotations

import functools
import inspect
import types
import weakref
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from autotrace.graph.ir import type_str
from autotrace.pytree import (  # noqa: F401 - register_pytree is public through here
    _on_register,
    children_of,
    is_node_type,
    rebuild,
    register_pytree,
)
from autotrace.tensor import Tensor, TensorBase

_PY_VALUES = (bool, int, float, complex, str, bytes, type(None))
ID = "id"  # first element of an identity leaf key


@dataclass(frozen=True)
class TensorSpec:
    """Shape and dtype of an argument; `None` in `shape` matches any size.

    Example:
        >>> TensorSpec(shape=(None, 3), dtype=np.float32)
        TensorSpec(shape=(None, 3), dtype=dtype('float32'), name=None)
    """

    shape: tuple
    dtype: Any = np.float64
    name: str | None = None
    # A Python scalar type: the input is that Python number at run time (numpy's weak
    # promotion), e.g. a differentiated Python float (`PYTHON_FLOAT`).
    weak: type | None = field(default=None, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "shape", tuple(None if d is None else int(d) for d in self.shape))
        object.__setattr__(self, "dtype", np.dtype(self.dtype))

    @classmethod
    def from_value(cls, value) -> TensorSpec:
        arr = value if hasattr(value, "shape") and hasattr(value, "dtype") else np.asarray(value)
        return cls(tuple(arr.shape), arr.dtype)

    def is_compatible_with(self, value) -> bool:
        """`value` (array, numpy scalar, tensor or spec) has this dtype and a matching shape;
        for a `weak` spec: `value` is a Python number of that type."""
        if self.weak is not None:
            return type(value) is self.weak or (
                isinstance(value, TensorSpec) and value.weak is self.weak)
        if not is_array_like(value):
            return False
        spec = leaf_spec(value)
        return spec.weak is None and spec.dtype == self.dtype and \
            shape_generalizes(self.shape, spec.shape)


PYTHON_FLOAT = TensorSpec((), np.float64, weak=float)
WEAK = "weak"  # first element of the leaf key of a `weak` spec
GENERATOR = "generator"  # first element of the leaf key of a numpy random generator
_GENERATOR_TYPES = (np.random.Generator, np.random.RandomState)


@dataclass(frozen=True)
class GeneratorSpec:
    """A numpy random generator argument (`kind`: `np.random.Generator` or `RandomState`):
    a graph input holding the caller's generator object, whose draws run on it."""

    kind: type


class GeneratorStandIn:
    """Base of what stands for a generator while tracing (`runtime.random.TracedGenerator`):
    `kind` is the class of the generator it stands for."""

    __slots__ = ()
    kind: type


def generator_kind(x) -> type | None:
    """The generator class of a generator argument (a numpy `Generator` or `RandomState`, or
    a `GeneratorStandIn` while tracing), else None."""
    if isinstance(x, GeneratorStandIn):
        return x.kind
    return type(x) if type(x) in _GENERATOR_TYPES else None


def is_input_leaf(x) -> bool:
    """A leaf given to a concrete function's lookup that becomes a graph input: a
    `TensorSpec`, or a generator (see `GeneratorSpec`)."""
    return isinstance(x, TensorSpec) or generator_kind(x) is not None


def is_input_spec(t) -> bool:
    """A template entry that is a graph input: a `TensorSpec` or a `GeneratorSpec`."""
    return isinstance(t, (TensorSpec, GeneratorSpec))


def shape_generalizes(general: tuple, shape: tuple) -> bool:
    """Same rank, and every dim of `general` is None or equal (None in `shape` needs None)."""
    return len(general) == len(shape) and all(g is None or g == s for g, s in zip(general, shape))


# -- call signatures ---------------------------------------------------------------------
def call_signature(fn, positional: int = 0) -> inspect.Signature:
    """The signature a traced `fn` binds its arguments with.

    Python code (functions, methods, partials of them, objects with a Python `__call__`):
    `inspect.signature`, whose defaults are applied to every call. Builtins, ufuncs and
    other C callables: `(args_0, ..., /, *args, **kwargs)` with `positional` leading
    parameters (those an `input_signature` covers), so a call passes exactly what the
    caller passed (their own signatures list defaults that cannot all be passed, like a
    ufunc's `signature=None` next to `dtype=None`).
    """
    if is_python_code(fn):
        return inspect.signature(fn)
    P = inspect.Parameter
    return inspect.Signature([P(f"args_{i}", P.POSITIONAL_ONLY) for i in range(positional)]
                             + [P("args", P.VAR_POSITIONAL), P("kwargs", P.VAR_KEYWORD)])


def is_python_code(fn) -> bool:
    """`fn` runs Python bytecode: a function, or a method/partial/callable object of one."""
    while True:
        if getattr(fn, "python_function", None) is not None:  # a TracedFunction
            fn = fn.python_function
        elif isinstance(fn, functools.partial):
            fn = fn.func
        elif isinstance(fn, types.MethodType):
            fn = fn.__func__
        elif isinstance(fn, types.FunctionType):
            return True
        else:
            return not inspect.isclass(fn) and isinstance(
                inspect.getattr_static(type(fn), "__call__", None), types.FunctionType)


def callable_name(fn) -> str:
    """A name for any callable: its `__name__`, a partial's function's, or its type's."""
    name = getattr(fn, "__name__", None)
    if isinstance(name, str):
        return name
    if isinstance(fn, functools.partial):
        return f"partial_{callable_name(fn.func)}"
    return type(fn).__name__


# -- pytrees ------------------------------------------------------------------------------
@dataclass(frozen=True)
class TreeDef:
    """Structure of a nested value: `kind` in leaf/tuple/list/dict/namedtuple/dataclass/
    custom (`meta`: the class and field names, or the class and the aux data)."""

    kind: str
    meta: Any = None
    children: tuple = ()

    @property
    def num_leaves(self) -> int:
        return 1 if self.kind == "leaf" else sum(c.num_leaves for c in self.children)

    def __str__(self) -> str:
        """Python-like picture of the structure, `*` per leaf: `(*, [*, *], {'w': *})`."""
        if self.kind == "leaf":
            return "*"
        items = [str(c) for c in self.children]
        if self.kind == "dict":
            return "{" + ", ".join(f"{k!r}: {v}" for k, v in zip(self.meta, items)) + "}"
        if self.kind == "list":
            return "[" + ", ".join(items) + "]"
        if self.kind == "dataclass":
            text = ", ".join(f"{k}={v}" for k, v in zip(self.meta[1], items))
            return f"{self.meta[0].__name__}({text})"
        if self.kind == "custom":
            return f"{self.meta[0].__name__}({', '.join(items)})"
        text = ", ".join(items) + ("," if len(items) == 1 and self.kind == "tuple" else "")
        return f"{self.meta.__name__}({text})" if self.kind == "namedtuple" else f"({text})"


LEAF = TreeDef("leaf")


def flatten(obj) -> tuple[list, TreeDef]:
    """(leaves in order, structure) of a nested value."""
    leaves: list = []
    tree = _flatten(obj, leaves)
    return leaves, tree


def _flatten(obj, leaves: list) -> TreeDef:
    kind = type(obj)
    if kind is tuple or kind is list:
        return TreeDef(kind.__name__, None, tuple(_flatten(x, leaves) for x in obj))
    if kind is dict:
        return TreeDef("dict", tuple(obj), tuple(_flatten(v, leaves) for v in obj.values()))
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return TreeDef("namedtuple", kind, tuple(_flatten(x, leaves) for x in obj))
    node = children_of(obj) if kind is not TensorSpec else None
    if node is not None:
        return TreeDef(node[0], node[1], tuple(_flatten(x, leaves) for x in node[2]))
    leaves.append(obj)
    return LEAF


def unflatten(tree: TreeDef, leaves: Sequence):
    """Inverse of `flatten`."""
    return _unflatten(tree, iter(leaves))


def _unflatten(tree: TreeDef, it):
    if tree.kind == "leaf":
        return next(it)
    items = [_unflatten(c, it) for c in tree.children]
    if tree.kind == "tuple":
        return tuple(items)
    if tree.kind == "list":
        return items
    if tree.kind == "dict":
        return dict(zip(tree.meta, items))
    if tree.kind in ("dataclass", "custom"):
        return rebuild(tree.kind, tree.meta, items)
    return tree.meta(*items)


def leaf_paths(tree: TreeDef, prefix: str) -> list[str]:
    """Readable names for the leaves: `x`, `params_w`, `xs_0`."""
    if tree.kind == "leaf":
        return [prefix]
    if tree.kind == "dict":
        keys = tree.meta
    elif tree.kind == "namedtuple":
        keys = tree.meta._fields
    elif tree.kind == "dataclass":
        keys = tree.meta[1]
    else:
        keys = range(len(tree.children))
    out = []
    for key, child in zip(keys, tree.children):
        out += leaf_paths(child, f"{prefix}_{key}")
    return out


# -- keys ---------------------------------------------------------------------------------
def is_array_like(x) -> bool:
    """Leaves that become graph inputs: arrays, numpy scalars, tensors, specs."""

    return isinstance(x, (np.ndarray, np.generic, TensorBase, TensorSpec))


def leaf_spec(x) -> TensorSpec:
    """The `TensorSpec` of an array-like leaf."""

    if isinstance(x, TensorSpec):
        return x
    if isinstance(x, Tensor):
        return TensorSpec(x.symbol.shape, x.symbol.dtype)
    return TensorSpec(tuple(np.shape(x)), x.dtype)


def leaf_key(x):
    """Cache-key component of one leaf (see module docstring)."""
    if is_array_like(x):  # before the Python types: np.float64 is a float subclass
        spec = leaf_spec(x)
        return (spec.shape, spec.dtype) if spec.weak is None else (WEAK, spec.weak)
    kind = type(x)
    if kind is float:
        return (float, x.hex())
    if kind is complex:
        return (complex, x.real.hex(), x.imag.hex())
    if kind in _PY_VALUES:
        return (kind, x)
    if kind is slice:
        return (slice, (x.start, x.stop, x.step))
    gen = generator_kind(x)
    if gen is not None:
        return (GENERATOR, gen)
    return (ID, IdentityKey(x))


def is_array_key(key) -> bool:
    """The key of an array-like leaf: (shape tuple, dtype)."""
    return type(key[0]) is tuple


class IdentityKey:
    """Hashes by identity; holds the object weakly when it can, strongly otherwise.

    A weakly held key stops matching anything once its object dies.
    """

    __slots__ = ("ref", "ident", "weak")

    def __init__(self, obj):
        self.ident = id(obj)
        try:
            self.ref = weakref.ref(obj)
            self.weak = True
        except TypeError:
            self.ref = lambda obj=obj: obj
            self.weak = False

    def __hash__(self) -> int:
        return self.ident

    def __eq__(self, other) -> bool:
        if not isinstance(other, IdentityKey) or self.ident != other.ident:
            return False
        obj = self.ref()
        return obj is not None and obj is other.ref()

    def __repr__(self) -> str:
        obj = self.ref()
        return "<dead object>" if obj is None else describe_leaf(obj)


def describe_leaf(x) -> str:
    """Short text of a leaf for messages: `f64[3]`, `2.0`, `<Model object>`."""
    if is_array_like(x):

        spec = leaf_spec(x)
        return f"a Python {spec.weak.__name__}" if spec.weak else type_str(spec.shape, spec.dtype)
    if isinstance(x, _PY_VALUES + (slice,)):
        return repr(x)
    if isinstance(x, GeneratorSpec):
        return f"a numpy {x.kind.__name__}"
    return f"<{type(x).__name__} object>"


def describe_key(key) -> str:
    """Short text of a leaf key (the inverse picture of `leaf_key`)."""
    if is_array_key(key):

        return type_str(*key)
    if key[0] == ID:
        return repr(key[1])
    if key[0] == WEAK:
        return f"a Python {key[1].__name__}"
    if key[0] == GENERATOR:
        return f"a numpy {key[1].__name__}"
    if key[0] is float:
        return repr(float.fromhex(key[1]))
    if key[0] is complex:
        return repr(complex(float.fromhex(key[1]), float.fromhex(key[2])))
    if key[0] is slice:
        return repr(slice(*key[1]))
    return repr(key[1])


# -- fast keys ----------------------------------------------------------------------------
# The hit path keys flat positional arguments without flattening or binding: per argument
# two entries, (shape, dtype) for arrays and numpy scalars, (type, value) for plain Python
# values, (GENERATOR, class) for numpy random generators, (ID, id) for other objects (the
# cache evicts those keys when the object dies).
# Anything else (containers, tensors, complex, ndarray subclasses) has no fast key.
_ARRAY, _VALUE, _OBJECT, _GENERATOR = range(4)
_KINDS: dict[type, int | None] = {}


def _classify(kind: type) -> int | None:

    if kind is np.ndarray or issubclass(kind, np.generic):
        return _ARRAY
    if kind in (bool, int, float, str, bytes, type(None)):
        return _VALUE
    if kind in _GENERATOR_TYPES:
        return _GENERATOR
    if issubclass(kind, (tuple, list, dict, complex, slice, np.ndarray, TensorBase,
                         TensorSpec)) or is_node_type(kind):
        return None
    return _OBJECT


_on_register.append(_KINDS.clear)  # a type registered later changes its class


def fast_key(args: tuple) -> tuple | None:
    """Hashable key of flat positional `args`, or None when they need the full path."""
    key = []
    append = key.append
    for a in args:
        if type(a) is np.ndarray:
            append(a.shape)
            append(a.dtype)
            continue
        kind = _KINDS.get(type(a), -1)
        if kind == _ARRAY:
            append(a.shape)
            append(a.dtype)
        elif kind == _VALUE:
            append(type(a))
            append(a)
        elif kind == _OBJECT:
            append(ID)
            append(id(a))
        elif kind == _GENERATOR:
            append(GENERATOR)
            append(type(a))
        elif kind == -1:
            _KINDS[type(a)] = _classify(type(a))
            return fast_key(args)
        else:
            return None
    return tuple(key)


def fast_key_objects(args: tuple) -> list:
    """The arguments a fast key holds by identity."""
    return [a for a in args if _KINDS.get(type(a)) == _OBJECT]


def fast_key_is_exact(args: tuple) -> bool:
    """False when equal fast keys could still differ as cache keys (`0.0` vs `-0.0`, nan)."""
    return all(type(a) is not float or (a == a and a != 0.0) for a in args)
