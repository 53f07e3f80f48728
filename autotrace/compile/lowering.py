"""Code generation for a non-numpy backend: each op translated onto its array namespace.

`BackendEmitter` writes the same straight-line code as the numpy `Emitter`, with three
differences that keep results equal to numpy's (values, dtypes per numpy promotion):

* an op in `LOWERINGS` is called as `_op(backend, *inputs, **params)` over the backend's
  array API namespace; inputs are first cast to the dtype numpy computes in (so Python
  scalars and mixed dtypes promote as numpy does, not as torch does), and each result is
  cast to the node's static dtype when the library gave another one;
* values that are Python scalars at run time (`Var.weak`) and side effects (print, assert,
  raise) run numpy's own impl, on inputs brought back to numpy;
* constant arrays are moved onto the backend once, when the code is made.

An op with no translation raises `BackendError` naming it, while the code is generated.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Callable

import numpy as np

from autotrace.autodiff import custom as _custom  # noqa: F401 - registers ops named below
from autotrace.compile import lowering_math as lm
from autotrace.compile.backends import Backend, BackendError
from autotrace.compile.codegen import Emitter, check_value, compile_graph, emit_call
from autotrace.compile.lowering_index import (
    _getitem,
    _mask_on_dask,
    _place_range,
    _ranged,
    _scatter,
    _scatter_add,
    _setitem,
    _setitem_refuse,
)
from autotrace.control.call import call as call_op
from autotrace.control.cond import cond
from autotrace.control.while_loop import while_loop
from autotrace.graph.ir import Node, Var
from autotrace.ops.registry import OPS, Op

# op name -> array API function name, for ops that are one elementwise function call.
_ELEMENTWISE = {
    "abs": "abs", "add": "add", "arccos": "acos", "arccosh": "acosh", "arcsin": "asin",
    "arcsinh": "asinh", "arctan": "atan", "arctan2": "atan2", "arctanh": "atanh",
    "bitand": "bitwise_and", "bitor": "bitwise_or", "bitxor": "bitwise_xor",
    "ceil": "ceil", "conj": "conj", "cos": "cos", "cosh": "cosh", "div": "divide",
    "eq": "equal", "exp": "exp", "expm1": "expm1", "floor": "floor",
    "floordiv": "floor_divide", "ge": "greater_equal", "gt": "greater", "hypot": "hypot",
    "invert": "bitwise_invert", "isfinite": "isfinite", "isinf": "isinf", "isnan": "isnan",
    "le": "less_equal", "log": "log", "log10": "log10", "log1p": "log1p", "log2": "log2",
    "logical_and": "logical_and", "logical_not": "logical_not", "logical_or": "logical_or",
    "logical_xor": "logical_xor", "lshift": "bitwise_left_shift", "lt": "less",
    "matmul": "matmul", "maximum": "maximum", "minimum": "minimum", "mod": "remainder",
    "mul": "multiply", "ne": "not_equal", "neg": "negative", "pos": "positive",
    "pow": "pow", "rint": "round", "copysign": "copysign", "logaddexp": "logaddexp",
    "nextafter": "nextafter", "signbit": "signbit", "real": "real", "imag": "imag",
    "float_power": "pow", "rshift": "bitwise_right_shift", "sign": "sign",
    "sin": "sin", "sinh": "sinh", "sqrt": "sqrt", "square": "square", "sub": "subtract",
    "tan": "tan", "tanh": "tanh", "trunc": "trunc",
}  # fmt: skip
# How inputs are cast first: to the result dtype, to their common (promoted) dtype
# (comparisons, predicates, abs of complex), or to bool (logical ops).
_PROMOTED = {"abs", "eq", "ne", "lt", "le", "gt", "ge", "isfinite", "isinf", "isnan",
             "signbit", "real", "imag"}
_BOOL = {"logical_and", "logical_or", "logical_xor", "logical_not"}


def _call(name):
    def run(b, *xs):
        return getattr(b.xp, name)(*xs)

    run.__name__ = name
    return run


def _reduce(name, axis_free):
    """Reduction `name`; `axis_free(b, x)`: the result of reducing over no axis."""
    def run(b, x, axis=(), keepdims=False, **kw):
        if axis == ():  # numpy reduces nothing; the array API would reduce everything
            return axis_free(b, x)
        if "ddof" in kw:
            kw["correction"] = kw.pop("ddof")
        return getattr(b.xp, name)(x, axis=axis, keepdims=keepdims, **kw)

    run.__name__ = name
    return run


def _same(b, x):
    return x


def _zeros(b, x):
    return b.xp.zeros_like(x)


def _arg_reduce(name):
    def run(b, x, axis=None, keepdims=False):
        if axis is None and x.ndim > 1:
            x = b.xp.reshape(x, (-1,))
        return getattr(b.xp, name)(x, axis=axis, keepdims=keepdims)

    run.__name__ = name
    return run


def _reshape(b, x, *dims, shape=()):
    it = iter(dims)
    return b.xp.reshape(x, tuple(d if isinstance(d, int) else int(next(it)) for d in shape))


def _expand_dims(b, x, axis):
    axes = axis if isinstance(axis, tuple) else (axis,)
    ndim = x.ndim + len(axes)
    for a in sorted(a % ndim for a in axes):
        x = b.xp.expand_dims(x, axis=a)
    return x


def _split(b, x, indices, axis):
    n = x.shape[axis]
    if isinstance(indices, int):
        if n % indices:
            raise ValueError("array split does not result in an equal division")
        cuts = list(range(0, n + 1, n // indices))
    else:
        cuts = [0, *(min(max(i if i >= 0 else i + n, 0), n) for i in indices), n]
    return tuple(x[_ranged(axis, lo, max(lo, hi))] for lo, hi in zip(cuts, cuts[1:]))


def _unbroadcast(b, g, like):
    shape = tuple(like.shape)
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, d in enumerate(shape)
                                      if d == 1 and g.shape[lead + i] != 1)
    out = b.xp.sum(g, axis=axes) if axes else g
    return b.xp.reshape(out, shape)


def _clip(b, x, lo, hi):
    return b.xp.clip(x, min=lo, max=hi)


@dataclass(frozen=True)
class Lowering:
    """How one op runs on a backend.

    Attributes:
        impl: `impl(backend, *inputs, **params)` over `backend.xp`.
        cast: how inputs are cast first: "out" (to the node's result dtype), "promote"
            (to their common dtype), "bool", None (as they are), or one of these per input.
        dtype: pass the node's result dtype as the `dtype` param (creation ops).
        needs: namespace functions it calls that not every library has.
        refuse: `refuse(node, backend) -> reason or None` for params it cannot run.
    """

    impl: Callable
    cast: str | tuple | None = None
    dtype: bool = False
    needs: tuple = ()
    refuse: Callable | None = None


def _array_repeats(dask_only: bool):
    def refuse(node, backend) -> str | None:
        if isinstance(node.params["repeats"], int) or (dask_only and backend.name != "dask"):
            return None
        return "with per-element repeats"

    return refuse


def _repeat(b, x, repeats, axis):
    if not isinstance(repeats, int):  # the array API takes per-element repeats as an array
        repeats = b.move(np.asarray(repeats, dtype=np.int64))
    return b.xp.repeat(x, repeats, axis=axis)


def _diagonal(b, x, offset, axis1, axis2):
    return b.xp.linalg.diagonal(b.xp.moveaxis(x, (axis1, axis2), (-2, -1)), offset=offset)


def _linalg(name: str, refuse_params: Callable | None = None):
    """`xp.linalg.<name>` for the numpy.linalg ops with one answer and one meaning across
    array API libraries (inv, solve, det, slogdet, svdvals, eigvalsh; `solve`'s right side
    is always a stack of matrices): refused where the namespace lacks it, where
    `refuse_params(node, backend)` gives a reason (a numpy parameter the array API lacks),
    and on Dask for stacked matrices (dask.array.linalg takes 2-D ones). The op's params
    are numpy's and are not passed on: a value the array API function would not compute
    is one `refuse_params` refuses. The other numpy.linalg ops are refused (not in
    `LOWERINGS`): factorizations' sign conventions and triangle arguments differ (Dask's
    cholesky through array-api-compat returns the upper factor)."""
    def run(b, *xs, **params):
        return getattr(b.xp.linalg, name)(*xs)

    def refuse(node, backend) -> str | None:
        if not hasattr(getattr(backend.xp, "linalg", None), name):
            return f"(no linalg.{name} in its array API namespace)"
        reason = refuse_params(node, backend) if refuse_params else None
        if reason:
            return reason
        stacked = any(isinstance(x, Var) and len(x.shape) > 2 for x in node.inputs)
        if backend.name == "dask" and stacked:
            return "on stacked matrices (dask.array.linalg takes 2-D matrices)"
        return None

    run.__name__ = name
    return Lowering(run, "out", refuse=refuse)


def _repeat_sum(b, g, like, repeats, axis):
    n, shape = like.shape[axis], tuple(g.shape)
    return b.xp.sum(b.xp.reshape(g, shape[:axis] + (n, repeats) + shape[axis + 1:]),
                    axis=axis + 1)


def _tile_sum(b, g, like, reps):
    from autotrace.ops.tiling import _aligned

    shape, reps = _aligned(tuple(like.shape), reps)
    split = tuple(v for r, s in zip(reps, shape) for v in (r, s))
    summed = b.xp.sum(b.xp.reshape(g, split), axis=tuple(range(0, len(split), 2)))
    return b.xp.reshape(summed, tuple(like.shape))


def _cbrt(b, x):
    fn = getattr(b.xp, "cbrt", None)
    return fn(x) if fn is not None else b.xp.sign(x) * b.xp.abs(x) ** (1 / 3)


def _call_fn(b, *inputs, fn, run):
    """A called concrete function's graph, compiled for the backend when the caller was."""
    values = [b.move(v.numpy()) for v in fn.variables]
    return run(*inputs[: len(inputs) - len(fn.variables)], *values)


_BY_NAME: dict[str, Lowering] = {
    name: Lowering(_call(fn), "promote" if name in _PROMOTED else
                   "bool" if name in _BOOL else "out")
    for name, fn in _ELEMENTWISE.items()
}
_BY_NAME.update({
    "where": Lowering(lambda b, c, x, y: b.xp.where(c, x, y), ("bool", "out", "out")),
    "reciprocal": Lowering(lambda b, x: 1 / x, "out"),
    "exp2": Lowering(lambda b, x: b.xp.pow(b.xp.asarray(2, dtype=x.dtype, device=b.device),
                                           x), "out"),
    "cbrt": Lowering(_cbrt, "out"),
    "clip": Lowering(_clip),
    "sum": Lowering(_reduce("sum", _same), "out"),
    "prod": Lowering(_reduce("prod", _same), "out"),
    "mean": Lowering(_reduce("mean", _same), "out"),
    "max": Lowering(_reduce("max", _same)),
    "min": Lowering(_reduce("min", _same)),
    "var": Lowering(_reduce("var", _zeros), "out"),
    "std": Lowering(_reduce("std", _zeros), "out"),
    "any": Lowering(_reduce("any", lambda b, x: x != 0)),
    "all": Lowering(_reduce("all", lambda b, x: x != 0)),
    "argmax": Lowering(_arg_reduce("argmax")),
    "argmin": Lowering(_arg_reduce("argmin")),
    "getitem": Lowering(_getitem, refuse=_mask_on_dask(1)),
    "scatter_add": Lowering(_scatter_add, refuse=_scatter),
    "setitem": Lowering(_setitem, refuse=_setitem_refuse),
    "place_range": Lowering(_place_range),
    "take_range": Lowering(lambda b, x, start, stop, axis: x[_ranged(axis, start, stop)]),
    "reshape": Lowering(_reshape),
    "reshape_like": Lowering(lambda b, x, like: b.xp.reshape(x, tuple(like.shape))),
    "transpose": Lowering(lambda b, x, axes: b.xp.permute_dims(
        x, tuple(axes) if axes is not None else tuple(reversed(range(x.ndim))))),
    "expand_dims": Lowering(_expand_dims),
    "squeeze": Lowering(lambda b, x, axis: b.xp.squeeze(x, axis=axis)),
    "broadcast_to": Lowering(lambda b, x, shape: b.xp.broadcast_to(x, tuple(shape))),
    "broadcast_like": Lowering(lambda b, x, like: b.xp.broadcast_to(x, tuple(like.shape))),
    "unbroadcast": Lowering(_unbroadcast),
    "tensordot": Lowering(lambda b, x, y, axes: b.xp.tensordot(x, y, axes=axes), "out"),
    "einsum": Lowering(lambda b, *ops, subscripts, optimize=False: b.xp.einsum(subscripts,
                                                                               *ops),
                       "out", needs=("einsum",)),
    "concatenate": Lowering(lambda b, *xs, axis: b.xp.concat(xs, axis=axis), "out"),
    "split": Lowering(_split),
    "cast": Lowering(lambda b, x, dtype: b.cast(x, dtype)),
    "cumsum": Lowering(lambda b, x, axis, dtype: b.xp.cumulative_sum(x, axis=axis), "out",
                       needs=("cumulative_sum",)),
    "cumprod": Lowering(lambda b, x, axis, dtype: b.xp.cumulative_prod(x, axis=axis), "out",
                        needs=("cumulative_prod",)),
    "full_like": Lowering(lambda b, x, value, dtype=None: b.xp.full_like(x, value,
                                                                         dtype=dtype),
                          dtype=True),
    "arange": Lowering(lambda b, start, stop, step, dtype=None: b.xp.arange(
        start, stop, step, dtype=dtype, device=b.device), dtype=True),
    "eye": Lowering(lambda b, n, m, k, dtype: b.xp.eye(n, m, k=k, dtype=dtype,
                                                       device=b.device), dtype=True),
    "diagonal": Lowering(_diagonal, needs=("linalg", "moveaxis")),
    "flip": Lowering(lambda b, x, axis: b.xp.flip(x, axis=axis)),
    "sort": Lowering(lambda b, x, axis: b.xp.sort(x, axis=axis)),
    "argsort": Lowering(lambda b, x, axis, kind=None: b.xp.argsort(x, axis=axis,
                                                                    stable=True)),
    "take_along_axis": Lowering(lambda b, x, idx, axis: b.xp.take_along_axis(x, idx,
                                                                             axis=axis),
                                needs=("take_along_axis",)),
    "repeat": Lowering(_repeat, needs=("repeat",), refuse=_array_repeats(True)),
    "repeat_sum": Lowering(_repeat_sum, refuse=_array_repeats(False)),
    "tile": Lowering(lambda b, x, reps: b.xp.tile(x, tuple(reps)), needs=("tile",)),
    "tile_sum": Lowering(_tile_sum),
    "copy": Lowering(lambda b, x: b.xp.asarray(x, copy=True)),
    "stop_gradient": Lowering(_same),
    "custom_vjp": Lowering(lambda b, value, *args, grad_fn: value),
    "size": Lowering(lambda b, x: math.prod(x.shape)),
    "dim": Lowering(lambda b, x, axis: x.shape[axis]),
    "python_scalar": Lowering(lambda b, x: x),
    "call": Lowering(_call_fn),
    "inv": _linalg("inv"),
    "solve": _linalg("solve"),
})
def _pad(b, x, *constant, pairs, mode, values=None):
    """`np.pad` axis by axis as numpy does: a `take` of numpy's positions (edge, reflect,
    symmetric, wrap) or a concatenation with blocks of the constant."""
    xp = b.xp
    for axis, (before, after) in enumerate(pairs):
        if not before and not after:
            continue
        if mode != "constant":
            positions = np.pad(np.arange(x.shape[axis]), (before, after), mode=mode)
            x = xp.take(x, xp.asarray(positions, device=b.device), axis=axis)
            continue
        parts = []
        for width, side in ((before, 0), (after, 1)):
            shape = tuple(width if i == axis else d for i, d in enumerate(x.shape))
            fill = constant[0] if constant else b.move(
                np.asarray(values[axis][side]).astype(b.numpy_dtype(x.dtype)))
            parts.append(xp.broadcast_to(b.cast(fill, b.numpy_dtype(x.dtype)), shape))
        x = xp.concat([parts[0], x, parts[1]], axis=axis)
    return x


_BY_NAME["pad"] = Lowering(_pad, needs=("take",))
_BY_NAME.update({
    "deg2rad": Lowering(lm.radians, "out"), "radians": Lowering(lm.radians, "out"),
    "rad2deg": Lowering(lm.degrees, "out"), "degrees": Lowering(lm.degrees, "out"),
    "fabs": Lowering(lm.fabs, "out"), "fmax": Lowering(lm.fmax, "out"),
    "fmin": Lowering(lm.fmin, "out"), "heaviside": Lowering(lm.heaviside, "out"),
    "fmod": Lowering(lm.fmod, "out", needs=("fmod",)),
    "round": Lowering(lm.round_, refuse=lm.refuse_round),
    "searchsorted": Lowering(lm.searchsorted, needs=("searchsorted",)),
    "fft": Lowering(lm.fft, refuse=lm.refuse_fft),
    "rfft": Lowering(lm.rfft, refuse=lm.refuse_fft),
    "irfft": Lowering(lm.irfft, refuse=lm.refuse_fft),
})
_BY_NAME.update({"det": _linalg("det"), "slogdet": _linalg("slogdet"),
                 "svdvals": _linalg("svdvals", lm.refuse_svdvals),
                 "eigvalsh": _linalg("eigvalsh", lm.refuse_eigvalsh)})
# Keyed by the ops themselves (a renamed op fails here, loudly).
LOWERINGS: dict[Op, Lowering] = {OPS[name]: low for name, low in _BY_NAME.items()}
_CONTROL = frozenset({cond, while_loop})  # emitted by their own `emit`, over backend code


class BackendEmitter(Emitter):
    """An `Emitter` writing code over `backend`'s namespace (see the module doc)."""

    reuses_buffers = False  # `out=` is numpy's: Dask arrays are immutable, torch differs
    hoists_bounds = False  # loop bounds stay the backend's arrays
    typed_scalars = False  # 0-d numpy arrays are numpy's: Python scalars promote the same

    def __init__(self, backend: Backend, check: bool):
        super().__init__(check)
        self.backend = backend
        self._numpy_inputs = False
        self.define("_check", functools.partial(_check_backend, backend))
        self.define("_cast", backend.cast)
        self.define("_cast_result", functools.partial(_cast_result, backend))
        self.define("_np", backend.to_numpy)
        self.define("_move", backend.move)

    def constant(self, x, prefix: str = "c") -> str:
        if isinstance(x, (np.ndarray, np.generic)) and not self._numpy_inputs:
            return self.bind(self.backend.move(x), prefix)
        return super().constant(x, prefix)

    def structure(self, value) -> str:
        if isinstance(value, np.ndarray):
            return f"_move({self.bind(value, 'c')})"  # a new array per call, as numpy's
        return super().structure(value)

    def captured(self, expr: str) -> str:
        return f"_move({expr}.numpy())"

    def moved(self, expr: str) -> str:
        return f"_move({expr})"

    def trip_start(self, names: list[str], indent: str) -> None:
        persist = getattr(self.backend, "persist", None)
        if persist is not None and names:
            targets = ", ".join(names) + ("," if len(names) == 1 else "")
            self.emit(f"{targets} = {self.bind(persist, 'persist')}({', '.join(names)})",
                      indent)

    def emit_node(self, node: Node, indent: str) -> None:
        if node.op in _CONTROL:
            node.op.emit(node, self, indent)
        elif node.op.effect or (node.outputs and all(v.weak is not None for v in node.outputs)):
            self._emit_numpy(node, indent)
        else:
            self._emit_lowered(node, indent, self._lowering(node))

    def _lowering(self, node: Node) -> Lowering:
        """The op's `Lowering` for this backend, or `BackendError` naming the op."""
        name, b = node.op.name, self.backend
        low = LOWERINGS.get(node.op)
        reason = None if low is None else (low.refuse(node, b) if low.refuse else None)
        missing = [] if low is None else [n for n in low.needs if not hasattr(b.xp, n)]
        if reason is None:
            unknown = [v.dtype for v in node.outputs if not b.has_dtype(v.dtype)]
            reason = f"with dtype {unknown[0]}" if unknown else None
        if low is None or reason or missing:
            why = f" {reason}" if reason else ""
            raise BackendError(
                f"op `{name}`{why} is not available on the {b.name} backend{_where(node)}; "
                "run this function on numpy (the default backend)")
        return low

    def _emit_numpy(self, node: Node, indent: str) -> None:
        """numpy's own code for the node, on inputs brought back to numpy; its array
        results (a `try` region's variables, a draw) are moved to the backend."""
        self._numpy_inputs = True
        try:
            args = [f"_np({self.name(x)})" if isinstance(x, Var) and x.weak is None
                    else self.value(x) for x in node.inputs]
            emit_call(node, self, indent, args)
        finally:
            self._numpy_inputs = False
        for v in node.outputs:
            if v.weak is None and v.dtype.kind != "O":
                self.emit(f"{self.name(v)} = _cast_result({self.name(v)}, "
                          f"{self.constant(v.dtype)})", indent, node)

    def _emit_lowered(self, node: Node, indent: str, low: Lowering) -> None:
        out_dtype = node.outputs[0].dtype
        cast = low.cast
        casts = cast if isinstance(cast, tuple) else (cast,) * len(node.inputs)
        promoted = np.result_type(*(_promote_arg(x) for x in node.inputs)) \
            if "promote" in casts else None
        args = []
        for x, how in zip(node.inputs, casts):
            target = {"out": out_dtype, "promote": promoted, "bool": np.dtype(bool)}.get(how)
            args.append(self.value(x) if target is None else self._cast_arg(x, target))
        params = dict(node.params)
        if low.dtype:
            params["dtype"] = self.backend.dtype(out_dtype)
        if node.op is call_op:  # the callee's graph, compiled for this backend now
            params["run"] = compile_graph(params["fn"].graph,
                                          emitter=BackendEmitter(self.backend, self.check))
        args += [f"{k}={self.constant(v, k)}" for k, v in params.items()]
        fn = self.bind(functools.partial(low.impl, self.backend), node.op.name)
        call = f"{fn}({', '.join(args)})"
        outs = [self.name(v) for v in node.outputs]
        if node.op.multiple_results:
            self.emit(f"{', '.join(outs)}{',' if len(outs) == 1 else ''} = {call}", indent, node)
            for v, out in zip(node.outputs, outs):
                self.emit(f"{out} = _cast({out}, {self.constant(v.dtype)})", indent, node)
        else:
            self.emit(f"{outs[0]} = _cast({call}, {self.constant(out_dtype)})", indent, node)

    def _cast_arg(self, x, dtype: np.dtype) -> str:
        if isinstance(x, Var):
            if x.weak is None and x.dtype == dtype:
                return self.name(x)
            return f"_cast({self.name(x)}, {self.constant(dtype)})"
        return self.bind(self.backend.cast(np.asarray(x, dtype=dtype), dtype), "c")


def _promote_arg(x):
    if isinstance(x, Var):
        return x.weak(0) if x.weak else x.dtype
    return x if type(x) in (bool, int, float, complex) else np.asarray(x).dtype


def _cast_result(backend: Backend, value, dtype):
    """A numpy-run node's result moved to the backend; an opaque run-time value (a
    variable a `try` left unbound: ops/unbound.py) stays as it is."""
    if hasattr(value, "static_check"):
        return value
    return backend.cast(value, dtype)


def _check_backend(backend: Backend, value, var: Var) -> None:
    """Checking mode: the run-time value's shape and dtype match the static type (read
    from the array's metadata: computing each Dask value would make the check quadratic)."""
    if var.weak is None and backend.is_array(value):
        value = SimpleNamespace(shape=tuple(value.shape),
                                dtype=backend.numpy_dtype(value.dtype))
    check_value(value, var)


def _where(node: Node) -> str:
    return "" if node.origin is None else f" (at {node.origin.short()})"
