"""Python lists (and tuples) holding traced values where numpy wants one array:
`np.array([[a, b], [c, 1.0]])`, `np.asarray(list_of_arrays)`, `np.sum([1, a * a, 2])`.

numpy turns such a list into an array before the function sees it, so the tensors inside
never dispatch; here the list becomes a stacked tensor (the `stack` op, differentiable)
whose dtype and shape are what numpy gives the same list of values. Both are found by
asking numpy itself about a stand-in list (zeros of each tensor's shape and dtype, a
Python number for a traced Python number), so Python numbers mixed in promote exactly as
in `np.array` and ragged lists fail as numpy fails.
"""

from __future__ import annotations

import numpy as np

from autotrace.runtime.values import is_traced

# numpy functions that take a sequence of arrays (their elements dispatch by themselves).
_SEQUENCE_FUNCTIONS = frozenset(
    getattr(np, n) for n in ("concatenate", "stack", "hstack", "vstack", "dstack",
                             "column_stack", "block", "select", "broadcast_arrays",
                             "meshgrid", "einsum", "choose", "lexsort", "piecewise"))
_SEQUENCE_FUNCTIONS |= {np.linalg.multi_dot}


def holds_traced(x) -> bool:
    """A list/tuple with a traced value somewhere inside (at any depth)."""
    return type(x) in (list, tuple) and any(is_traced(v) or holds_traced(v) for v in x)


def _stand_in(x):
    if is_traced(x):
        if x.symbol.weak is not None:
            return x.symbol.weak(0)
        return np.zeros(tuple(1 if d is None else d for d in x.shape), x.dtype)[()]
    if type(x) in (list, tuple):
        return [_stand_in(v) for v in x]
    return x


def stacked(x, dtype=None):
    """`np.array(x, dtype)` for a nested list/tuple `x` holding traced values."""
    from autotrace.ops.join import stack
    from autotrace.ops.shape import astype

    dtype = np.array(_stand_in(x), dtype=dtype).dtype

    def build(v):
        if type(v) in (list, tuple):
            return stack([build(e) for e in v]) if v else np.zeros((0,), dtype)
        if is_traced(v):
            return v if v.dtype == dtype and v.symbol.weak is None else astype(v, dtype)
        return np.asarray(v, dtype)

    return build(x)


def array_like_args(f, args: tuple) -> tuple:
    """`args` of numpy's `f` with the array-like ones that are lists of traced values
    stacked: every input of a ufunc, the first argument of other numpy functions (their
    `a`), never the sequences of arrays of `np.concatenate` and its kind."""
    if f in _SEQUENCE_FUNCTIONS:
        return args
    n = len(args) if isinstance(f, np.ufunc) else min(1, len(args))
    return tuple(stacked(a) if k < n and holds_traced(a) else a for k, a in enumerate(args))


def is_numpy_function(f) -> bool:
    return isinstance(f, np.ufunc) or (getattr(f, "__module__", None) or "").startswith("numpy")
