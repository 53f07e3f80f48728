"""`Op` and `Aval`: what an operation is, independent of how it is evaluated.

An op holds its numpy impl, its shape/dtype rule and its derivative and batching rules;
it knows no tensor type. `op(*args, **params)` is `core.bind`: the trace stack decides
what applying it means for these arguments.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from autotrace.core.trace import bind

PY_TYPE_OF_KIND = {"b": bool, "i": int, "u": int, "f": float, "c": complex}


@dataclass(frozen=True)
class Aval:
    """Abstract value: what a shape rule sees of an input (never the data)."""

    shape: tuple
    dtype: np.dtype
    weak: type | None = None  # the Python scalar type for weakly typed constants

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def promote_arg(self):
        """Argument for `np.result_type` with NEP 50 weak-scalar semantics."""
        return self.weak(0) if self.weak else self.dtype

    @property
    def ufunc_arg(self):
        """Argument for `ufunc.resolve_dtypes`, which takes Python types for weak scalars
        (int, float, complex; a Python bool is just numpy's bool)."""
        return self.weak if self.weak in (int, float, complex) else self.dtype


@dataclass(eq=False)
class Op:
    """A registered operation.

    Args:
        name: registry key and the name printed in graph text.
        impl: numpy implementation `impl(*inputs, **params)`.
        abstract: shape/dtype rule `abstract(*avals, **params) -> Aval | tuple[Aval, ...]`.
        vjp: `vjp(ct, *inputs, out, **params) -> tuple` (one entry per input, None for no
            gradient). `ct` and `out` are tuples when the op has several results; an
            entry of `ct` is None when no cotangent reached that result. Written
            with registry ops, so it works on numpy values, eager and symbolic tensors.
            None means the op is not differentiable (its outputs carry no gradient).
        jvp: `jvp(primals, tangents, **params) -> (out, tangent_out)` (tuples for several
            results). An entry of `tangents` is None for an input with no tangent (a
            constant, an integer); the rule treats it as zero and may return None for a
            zero tangent. Shared rule shapes: `autotrace/ops/rules.py`.
        batch: `batch(args, dims, **params) -> (out, out_dims)`: the op applied to
            arguments with a batch axis at `dims[i]` (None: not batched). None: the
            batching trace falls back to a loop over the batch.
        multiple_results: impl returns a tuple.
        emit: optional code generator `emit(node, names, emitter) -> list[str]` for ops that
            are not a single call (control flow).
        no_gradient: for an op without a gradient whose float inputs must not be
            differentiated (a random draw): `no_gradient(**params) -> str`, the message of
            the `UnsupportedError` raised when a gradient would flow through them, instead
            of the zero that other non-differentiable ops give.
    """

    name: str
    impl: Callable
    abstract: Callable
    vjp: Callable | None = None
    multiple_results: bool = False
    emit: Callable | None = None
    differentiable: bool = True
    effect: bool = False  # side effects (print, assert): never removed or reordered
    doc: str = ""
    numpy_names: tuple = field(default_factory=tuple)
    jvp: Callable | None = None
    batch: Callable | None = None
    no_gradient: Callable | None = None

    def __repr__(self) -> str:
        return f"<op {self.name}>"

    @property
    def propagates_weak(self) -> bool:
        """Elementwise ufuncs of Python scalars give Python scalars (see `Var.weak`)."""
        return isinstance(self.impl, np.ufunc)

    def __call__(self, *args, **params):
        return bind(self, *args, **params)


def weak_result(avals, result: Aval) -> Aval:
    """Outputs of an op whose inputs are all weak (Python scalars) are weak too."""
    if avals and all(a.weak is not None for a in avals) and result.shape == ():
        return Aval((), result.dtype, PY_TYPE_OF_KIND.get(result.dtype.kind))
    return result
