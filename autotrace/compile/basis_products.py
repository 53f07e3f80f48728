"""Products with a Jacobian transform's identity basis (graph/basis.py), for the
simplifier: `I @ x` is `x`, and `(I * v) @ w` (the basis seed after elementwise VJPs)
is the row scaling `v[:, None] * w`, `w @ (I * v)` the column scaling `w * v`. Each rule
gives `(op, inputs, params)` or None; `simplify` applies it only where the new op gives
the node's exact type. An identity the user wrote is not a basis: its products stay
numpy's arithmetic (`[inf, 1] @ eye(2)` is `[inf, nan]`).
"""

from __future__ import annotations

import numpy as np

from autotrace.graph.basis import is_basis
from autotrace.graph.ir import Var
from autotrace.ops.registry import OPS

_MUL = OPS["mul"]  # (`einsum` is registered above this layer: looked up when a rule fires)


def is_identity(x) -> bool:
    """Whether `x` is a Jacobian transform's identity basis (graph/basis.py): a product
    with an identity the user wrote stays numpy's arithmetic (`inf * 0` is NaN)."""
    return is_basis(x) and x.ndim == 2 and x.shape[0] == x.shape[1]


def _scaled_identity(x, producers, depth: int = 4):
    """The factors `[v1, v2, ...]` when `x` is `((I * v1) * v2) ...` (either order in each
    product) for a constant identity `I` of `x`'s shape: the diagonal matrix of
    `v1 * v2 * ...` (what a Jacobian's batched identity seed becomes through elementwise
    VJPs); factors of a chain are vectors (n,). A product with it is exact as a row or
    column scaling: each entry is the factors' product (left to right, as the chain
    computes it) times one entry, plus exact zeros (up to the sign of a zero result, and a
    `0 * inf` the dense product would have spread as NaN)."""
    node = producers.get(x.uid) if isinstance(x, Var) else None
    if node is None or node.op is not _MUL or len(x.shape) != 2 or not depth:
        return None
    n = x.shape[0]
    for inner, v in (node.inputs, node.inputs[::-1]):
        if is_identity(inner) and inner.shape == x.shape:
            return [v]
        if isinstance(inner, Var) and inner.shape == x.shape and np.shape(v) == (n,):
            factors = _scaled_identity(inner, producers, depth - 1)
            if factors is not None and np.shape(factors[0]) == (n,):
                return factors + [v]
    return None


def _scaling(factors, w, label: str, w_labels: str):
    """One op for `factors[0] * factors[1] * ... * w`, the factors along `label`."""
    if len(factors) == 1:
        return (_MUL, (factors[0], w), {})
    terms = ",".join([label] * len(factors) + [w_labels])
    return (OPS["einsum"], (*factors, w), {"subscripts": f"{terms}->{w_labels}"})


def diagonal_times(a, w, producers):
    factors = _scaled_identity(a, producers)
    if factors is None or not isinstance(w, Var) or not w.shape or w.shape[0] != a.shape[0]:
        return None
    v = factors[0]
    if len(factors) == 1 and (np.shape(v) == (a.shape[0], 1) or np.ndim(v) == 0):
        return (_MUL, (v, w), {})  # a column or a scalar: plain broadcasting
    if len(w.shape) == 2 and np.shape(v) == (a.shape[0],):
        return (OPS["einsum"], (*factors, w), {"subscripts": ",".join("i" * len(factors)) +
                                          ",ij->ij"})  # v[:, None] * w in one op
    return _scaling(factors, w, "i", "i") if len(w.shape) == 1 else None


def times_diagonal(w, a, producers):
    factors = _scaled_identity(a, producers)
    n = a.shape[0]
    if factors is None or not isinstance(w, Var) or not w.shape or w.shape[-1] != n:
        return None
    v = factors[0]
    if len(factors) == 1:  # a column v would scale w's rows: kept
        return (_MUL, (w, v), {}) if np.shape(v) in ((n,), (1, n)) or np.ndim(v) == 0 else None
    return _scaling(factors, w, "j", "ij" if len(w.shape) == 2 else "j")
