"""Nested arguments <-> flat leaves, cache keys, and `TensorSpec`.

A call's arguments are flattened structurally (tuples, lists, dicts, namedtuples; `None`
is a leaf). Each leaf contributes to the cache key:

* arrays, numpy scalars, eager tensors and `TensorSpec`s: (shape, dtype);
* Python scalars, strings, None: (type, value) -- a new value means a new trace;
* any other object: its identity, held weakly where possible.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

_PY_VALUES = (bool, int, float, complex, str, bytes, type(None))


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

    def __post_init__(self):
        object.__setattr__(self, "shape", tuple(None if d is None else int(d) for d in self.shape))
        object.__setattr__(self, "dtype", np.dtype(self.dtype))

    @classmethod
    def from_value(cls, value) -> TensorSpec:
        arr = value if hasattr(value, "shape") and hasattr(value, "dtype") else np.asarray(value)
        return cls(tuple(arr.shape), arr.dtype)

    def is_compatible_with(self, value) -> bool:
        shape = tuple(np.shape(value))
        return np.dtype(value.dtype) == self.dtype and len(shape) == len(self.shape) and all(
            s is None or s == d for s, d in zip(self.shape, shape)
        )


# -- pytrees ------------------------------------------------------------------------------
@dataclass(frozen=True)
class TreeDef:
    """Structure of a nested value: `kind` in leaf/tuple/list/dict/namedtuple."""

    kind: str
    meta: Any = None
    children: tuple = ()

    @property
    def num_leaves(self) -> int:
        return 1 if self.kind == "leaf" else sum(c.num_leaves for c in self.children)


LEAF = TreeDef("leaf")


def flatten(obj) -> tuple[list, TreeDef]:
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
    leaves.append(obj)
    return LEAF


def unflatten(tree: TreeDef, leaves: Sequence):
    it = iter(leaves)
    return _unflatten(tree, it)


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
    return tree.meta(*items)


def leaf_paths(tree: TreeDef, prefix: str) -> list[str]:
    """Readable names for the leaves: `x`, `params_w`, `xs_0`."""
    if tree.kind == "leaf":
        return [prefix]
    keys = tree.meta if tree.kind == "dict" else range(len(tree.children))
    out = []
    for key, child in zip(keys, tree.children):
        out += leaf_paths(child, f"{prefix}_{key}")
    return out


# -- keys ---------------------------------------------------------------------------------
def is_array_like(x) -> bool:
    """Leaves that become graph inputs: arrays, numpy scalars, tensors, specs."""
    from autotrace.tensor import TensorBase

    return isinstance(x, (np.ndarray, np.generic, TensorBase, TensorSpec))


def leaf_spec(x) -> TensorSpec:
    from autotrace.tensor import Tensor

    if isinstance(x, TensorSpec):
        return x
    if isinstance(x, Tensor):
        return TensorSpec(x.var.shape, x.var.dtype)
    return TensorSpec(tuple(np.shape(x)), x.dtype)


def leaf_key(x):
    """Cache-key component of one leaf (see module docstring)."""
    if isinstance(x, _PY_VALUES):
        return (type(x), x)
    if is_array_like(x):
        spec = leaf_spec(x)
        return (spec.shape, spec.dtype)
    return ("id", _IdentityKey(x))


class _IdentityKey:
    """Hashes by identity; holds the object weakly when it can."""

    __slots__ = ("ref", "ident")

    def __init__(self, obj):
        self.ident = id(obj)
        try:
            self.ref = weakref.ref(obj)
        except TypeError:
            self.ref = lambda obj=obj: obj

    def __hash__(self) -> int:
        return self.ident

    def __eq__(self, other) -> bool:
        return isinstance(other, _IdentityKey) and self.ident == other.ident and (
            self.ref() is not None and self.ref() is other.ref()
        )


def describe_leaf(x) -> str:
    """Short text of a leaf for retracing warnings."""
    if isinstance(x, _PY_VALUES):
        return repr(x)
    if is_array_like(x):
        spec = leaf_spec(x)
        from autotrace.graph.ir import type_str

        return type_str(spec.shape, spec.dtype)
    return f"<{type(x).__name__} object>"
