"""Shapes of JVP rules shared by the op families (JAX's `defjvp`, `deflinear`).

A JVP rule is `jvp(primals, tangents, **params) -> (out, tangent_out)`; an entry of
`tangents` is None for an input with no tangent (a constant, an integer, a value the
transform does not follow), and so may be `tangent_out` (a tuple for several results).
Each op family declares its rule right after the op's block, with one of:

* `elementwise(op)`: derived from the VJP. An elementwise op's Jacobian is diagonal (after
  broadcasting), so its VJP applied to a tangent, `vjp(t_i, ...)[i] = t_i * dz/dx_i`, is
  the JVP's term for input i.
* `linear(op)`: the op is linear in its float inputs jointly (reshape, sum, getitem,
  concatenate, ...): the tangent is the op applied to the tangents, zeros standing in for
  float inputs without one and the other inputs (indices, sizes) kept.
* `multilinear(op)`: linear in each float input separately (matmul, einsum): the sum over
  inputs of the op with that input replaced by its tangent.

Tangents are fitted to the output's shape and dtype centrally (autodiff/forward.py), as
cotangents are by the backprop engine.
"""

from __future__ import annotations

import numpy as np

from autotrace.core import Op, bind
from autotrace.ops.creation import zeros_like


def is_float(x) -> bool:
    dtype = getattr(x, "dtype", None)
    if dtype is None:
        return isinstance(x, (float, complex))
    return np.dtype(dtype).kind in "fc"


def elementwise(op: Op) -> Op:
    """JVP of an elementwise op from its VJP (see the module doc)."""
    vjp = op.vjp

    def jvp(primals, tangents, **params):
        out = bind(op, *primals, **params)
        total = None
        for i, t in enumerate(tangents):
            if t is None:
                continue
            term = vjp(t, *primals, out, **params)[i]
            if term is not None:
                total = term if total is None else total + term
        return out, total

    op.jvp = jvp
    return op


def linear(op: Op) -> Op:
    """JVP of an op linear in its float inputs: the op on the tangents."""

    def jvp(primals, tangents, **params):
        out = bind(op, *primals, **params)
        if all(t is None for t in tangents):
            return out, None
        args = [t if t is not None else zeros_like(x) if is_float(x) else x
                for x, t in zip(primals, tangents)]
        return out, bind(op, *args, **params)

    op.jvp = jvp
    return op


def multilinear(op: Op) -> Op:
    """JVP of an op linear in each input separately: one term per input with a tangent."""

    def jvp(primals, tangents, **params):
        out = bind(op, *primals, **params)
        total = None
        for i, t in enumerate(tangents):
            if t is not None:
                term = bind(op, *primals[:i], t, *primals[i + 1:], **params)
                total = term if total is None else total + term
        return out, total

    op.jvp = jvp
    return op
