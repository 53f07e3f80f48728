"""One type for a variable that two code paths (branches, loop iterations) give values to.

Rules, in Python's and numpy's terms:

* the same Python object on both paths stays that Python object (no graph value);
* Python scalars become a graph value that is still a Python scalar at run time ("weak"),
  so numpy promotion against it is unchanged (`float32_array * i` stays float32);
* a Python scalar meeting an array takes the array's dtype when numpy would (NEP 50);
* a Python number keeps its type: an `int` on one path and a `float` (or a `bool` and an
  `int`) on the other is an error, as are arrays of two dtypes (one graph, one type);
* arrays must agree on dtype and rank; dims that differ become unknown (numpy runs it);
* a variable unbound on one path is unbound after the merge (`Undefined`: using it raises
  `UnboundLocalError` naming it and the statement);
* anything else (None vs array, a list vs an array, different nestings) is an error naming
  the variable, both values, and the statement.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from autotrace.errors import TracingError
from autotrace.graph.ir import type_str
from autotrace.ops.shape import astype
from autotrace.runtime.undefined import Undefined
from autotrace.tensor import EagerTensor, Tensor

_PY_SCALARS = (bool, int, float, complex)
_PY_ORDER = (bool, int, float, complex)
LOOP = ("before the loop", "after one iteration")  # the labels of a loop's two paths


@dataclass(frozen=True)
class Leaf:
    """A variable's value as merging sees it: `kind` const/tensor/undefined plus its type.
    Used both for what one path gives and for the type the paths are merged into."""

    kind: str
    value: object = None
    shape: tuple = ()
    dtype: np.dtype | None = None
    weak: type | None = None

    def describe(self) -> str:
        if self.kind == "undefined":
            return "unassigned"
        if self.kind == "const" and not isinstance(self.value, _PY_SCALARS + (np.ndarray,)):
            return f"the Python value {self.value!r}"
        if self.weak is not None:
            return f"a Python {self.weak.__name__}"
        text = type_str(self.shape, self.dtype)
        return f"{'an' if text[0] in 'aeiou' else 'a'} {text} array"

    @property
    def is_value(self) -> bool:
        return self.kind == "tensor" or (self.kind == "const" and (
            isinstance(self.value, _PY_SCALARS + (np.ndarray, np.generic))))


def classify(x) -> Leaf:
    if isinstance(x, Undefined):
        return Leaf("undefined", x)
    if isinstance(x, Tensor):
        return Leaf("tensor", x, x.symbol.shape, x.symbol.dtype, x.symbol.weak)
    if isinstance(x, EagerTensor):
        x = x.numpy()
    if isinstance(x, (np.ndarray, np.generic)):
        return Leaf("const", x, np.shape(x), x.dtype)
    if isinstance(x, _PY_SCALARS):
        return Leaf("const", x, (), np.result_type(x), type(x))
    return Leaf("const", x)


def same_constant(a, b) -> bool:
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, (np.ndarray, np.generic)):
        return a.shape == b.shape and a.dtype == b.dtype and bool(np.array_equal(a, b))
    try:
        return bool(a == b)
    except Exception:
        return False


def single(leaf: Leaf) -> Leaf:
    """The type of a variable only one path gives (a loop's initial value, or the branch
    that does not raise)."""
    if leaf.kind == "undefined":
        return Leaf("undefined", leaf.value)
    if leaf.is_value:
        return Leaf("tensor", None, leaf.shape, leaf.dtype, leaf.weak)
    return Leaf("const", leaf.value)


def join(name: str, a: Leaf, b: Leaf, labels: tuple[str, str], where: str) -> Leaf:
    """Merge what two paths give `name`; raise a `TracingError` that says why not."""
    if a.kind == "undefined" or b.kind == "undefined":
        missing, other = (a, b) if a.kind == "undefined" else (b, a)
        if not missing.value.placeholder:
            return Leaf("undefined")
        if other.kind == "undefined":  # unset on both paths: still a placeholder
            return Leaf("undefined", missing.value) if other.value.placeholder else other
        return single(other)
    if a.kind == "const" and b.kind == "const" and same_constant(a.value, b.value):
        return Leaf("const", a.value)
    if not (a.is_value and b.is_value):
        raise _mismatch(name, a, b, labels, where, "")
    if a.shape is not None and b.shape is not None and len(a.shape) != len(b.shape):
        raise _mismatch(name, a, b, labels, where,
                        "Its rank must be the same on both paths.")
    shape = tuple(x if x == y else None for x, y in zip(a.shape, b.shape))
    dtype, weak = _join_dtypes(name, a, b, labels, where)
    return Leaf("tensor", None, shape, dtype, weak)


def _join_dtypes(name, a: Leaf, b: Leaf, labels, where):
    """The one dtype rule: both paths give the same Python number type or the same array
    dtype, or a Python number that numpy keeps as the array's dtype (NEP 50)."""
    if a.weak and b.weak:
        if a.weak is not b.weak:
            raise _type_change(name, a, b, labels, where)
        return np.result_type(a.weak(0)), a.weak
    if a.weak or b.weak:
        strong, other = (b, a) if a.weak else (a, b)
        if np.result_type(strong.dtype, other.weak(0)) == strong.dtype:
            return strong.dtype, None
        raise _mismatch(name, a, b, labels, where, f"numpy would not keep the Python "
                        f"{other.weak.__name__} as {strong.dtype}.")
    if a.dtype != b.dtype:
        raise _type_change(name, a, b, labels, where)
    return a.dtype, None


def _type_change(name, a: Leaf, b: Leaf, labels, where: str) -> TracingError:
    """A number or array whose type differs between the paths (`int` vs `float`, `bool` vs
    `int`, int64 vs float64), with the fix: one type before a loop, or on both branches."""
    def assign(value: str) -> str:
        return f"`{value}`" if name.startswith("the ") else f"`{name} = {value}`"

    if a.weak:
        wide = max(a.weak, b.weak, key=_PY_ORDER.index)
        narrow = min(a.weak, b.weak, key=_PY_ORDER.index)
        advice = f"Start it as a Python {wide.__name__} before the loop, e.g. " \
            f"{assign(repr(wide(0)))} (not {assign(repr(narrow(0)))})." if labels == LOOP \
            else f"Give it a Python {wide.__name__} on both paths, e.g. " \
            f"{assign(wide.__name__ + '(...)')}."
    elif labels == LOOP:
        advice = f"Cast it before the loop (e.g. `{name} = {name}.astype(np.{b.dtype})`) " \
            "or inside the body."
    else:
        example = f"`.astype(np.{a.dtype})`" if name.startswith("the ") else \
            assign(f"{name}.astype(np.{a.dtype})")
        advice = f"Cast one of them, e.g. {example}."
    return _mismatch(name, a, b, labels, where, advice)


def _quoted(name: str) -> str:
    """`x` for a variable; a description such as "the result" as it is (capitalized: it
    starts the message)."""
    return name.capitalize() if name.startswith("the ") else f"`{name}`"


def _mismatch(name, a: Leaf, b: Leaf, labels, where: str, advice: str) -> TracingError:
    return TracingError(
        f"{_quoted(name)} is {a.describe()} {labels[0]} but {b.describe()} {labels[1]} "
        f"({where}). "
        f"A graph needs one type per variable when the path depends on a tensor. {advice}"
        .rstrip()
    )


def to_value(leaf, joined: Leaf):
    """A path's value converted to the merged type (constants cast; tensors as they are)."""
    if isinstance(leaf, Tensor):
        if joined.weak is None and leaf.symbol.weak is not None:

            return astype(leaf, joined.dtype)
        return leaf
    if isinstance(leaf, EagerTensor):
        leaf = leaf.numpy()
    if isinstance(leaf, Undefined):  # a placeholder: never read on this path
        leaf = np.zeros(tuple(d or 0 for d in joined.shape), joined.dtype) if joined.shape \
            else 0
    if joined.weak is not None:
        return joined.weak(leaf)
    if isinstance(leaf, np.ndarray):
        return leaf.astype(joined.dtype)
    return joined.dtype.type(leaf)


def branch_output(child, leaf, joined: Leaf):
    """What sub-graph `child` outputs for `leaf`, converted to the joined type."""
    value = to_value(leaf, joined)
    return child.to_input(value) if isinstance(value, Tensor) else value


def align_placeholders(a, b) -> tuple:
    """(a, b) with each placeholder (`Undefined(..., placeholder=True)`, the converter's
    `retval` before a `return` ran) replaced by placeholders in the structure the other
    side has there, so `return x, i` on one path meets the unset value on the other."""
    if _is_placeholder(a) and _is_structure(b):
        return _placeholders_like(b), b
    if _is_placeholder(b) and _is_structure(a):
        return a, _placeholders_like(a)
    if type(a) is type(b) and type(a) in (tuple, list) and len(a) == len(b):
        pairs = [align_placeholders(x, y) for x, y in zip(a, b)]
        return type(a)(p[0] for p in pairs), type(b)(p[1] for p in pairs)
    if type(a) is dict and type(b) is dict and list(a) == list(b):
        pairs = {k: align_placeholders(a[k], b[k]) for k in a}
        return {k: p[0] for k, p in pairs.items()}, {k: p[1] for k, p in pairs.items()}
    return a, b


def _is_placeholder(x) -> bool:
    return isinstance(x, Undefined) and x.placeholder


def _is_structure(x) -> bool:
    return type(x) in (tuple, list, dict)


def _placeholders_like(x):
    if type(x) is dict:
        return {k: _placeholders_like(v) for k, v in x.items()}
    if type(x) in (tuple, list):
        return type(x)(_placeholders_like(v) for v in x)
    return Undefined("retval", placeholder=True)
