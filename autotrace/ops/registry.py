"""The op registry: every op is one `Op` (numpy impl + shape/dtype rule + VJP).

`apply(op, *args, **params)` is the single entry point through which every operation on a
tensor flows. It decides the mode from the arguments:

* a symbolic `Tensor` (or a `Variable` while tracing) among them -> add a node to the graph
  being built and return symbolic tensors;
* an eager `Tensor`/`Variable` among them -> run the numpy impl, wrap the results so that
  tapes can keep following them;
* plain numpy / Python values only -> run the numpy impl and return what numpy returns.

In every mode active `GradientTape`s are told about the application, so one backprop
engine serves eager code, traced code and graph transforms alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from autotrace import context

OPS: dict[str, Op] = {}
UFUNC_DISPATCH: dict[np.ufunc, Callable] = {}
FUNCTION_DISPATCH: dict[Callable, Callable] = {}

_PY_SCALARS = (bool, int, float, complex)


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
        multiple_results: impl returns a tuple.
        emit: optional code generator `emit(node, names, emitter) -> list[str]` for ops that
            are not a single call (control flow).
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

    def __repr__(self) -> str:
        return f"<op {self.name}>"

    @property
    def propagates_weak(self) -> bool:
        """Elementwise ufuncs of Python scalars give Python scalars (see `Var.weak`)."""
        return isinstance(self.impl, np.ufunc)

    def __call__(self, *args, **params):
        return apply(self, *args, **params)


def register(op: Op) -> Op:
    if op.name in OPS:
        raise ValueError(f"op {op.name!r} registered twice")
    OPS[op.name] = op
    return op


def dispatches(*numpy_callables):
    """Decorator: route these numpy functions/ufuncs to the decorated front-end function."""

    def deco(frontend):
        for fn in numpy_callables:
            table = UFUNC_DISPATCH if isinstance(fn, np.ufunc) else FUNCTION_DISPATCH
            table[fn] = frontend
        return frontend

    return deco


PY_TYPE_OF_KIND = {"b": bool, "i": int, "u": int, "f": float, "c": complex}


def weak_result(avals, result: Aval) -> Aval:
    """Outputs of an op whose inputs are all weak (Python scalars) are weak too."""
    if avals and all(a.weak is not None for a in avals) and result.shape == ():
        return Aval((), result.dtype, PY_TYPE_OF_KIND.get(result.dtype.kind))
    return result


def aval_of(x) -> Aval:
    """The abstract value of a graph input (`Var`) or a constant."""
    from autotrace.graph.ir import Var

    if isinstance(x, Var):
        return Aval(x.shape, x.dtype, x.weak)
    if type(x) in _PY_SCALARS:
        return Aval((), np.result_type(x), type(x) if type(x) is not bool else None)
    arr = np.asarray(x)
    return Aval(arr.shape, arr.dtype)


def apply(op: Op, *args, **params):
    """Apply `op` to `args`; see the module docstring for the three modes."""
    tensor_types = context.tensor_types()
    symbolic = False
    eager = False
    for a in args:
        if isinstance(a, tensor_types):
            if a._symbolic:
                symbolic = True
            else:
                eager = True
    builder = context.current_builder()
    if builder is not None and (symbolic or (eager and any(_is_variable(a) for a in args))):
        return builder.apply(op, args, params)  # the builder tells tapes about the node
    if symbolic:
        raise _leaked_tensor_error(op)
    if not eager:
        return op.impl(*args, **params)
    raw = op.impl(*[a.numpy() if isinstance(a, tensor_types) else a for a in args], **params)
    outputs = _wrap_eager(op, raw)
    for tape in context.active_tapes():
        tape.record(op, args, params, outputs if op.multiple_results else (outputs,))
    return outputs


def _is_variable(a) -> bool:
    return getattr(a, "_is_variable", False)


def _wrap_eager(op: Op, raw):
    from autotrace.tensor import EagerTensor

    if op.multiple_results:
        return tuple(EagerTensor(r) for r in raw)
    return EagerTensor(raw)


def _leaked_tensor_error(op: Op) -> Exception:
    from autotrace.errors import TracingError

    return TracingError(
        f"`{op.name}` received a symbolic tensor outside of the trace that created it. "
        "A value computed while tracing leaked out (stored in a global, an attribute or a "
        "list). Return it from the traced function instead."
    )
