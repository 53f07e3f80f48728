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

import numpy as np

from autotrace.compile.backends import Backend, BackendError
from autotrace.compile.codegen import Emitter, check_value, emit_call
from autotrace.graph.ir import Node, Var

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
    "pow": "pow", "rint": "round", "rshift": "bitwise_right_shift", "sign": "sign",
    "sin": "sin", "sinh": "sinh", "sqrt": "sqrt", "square": "square", "sub": "subtract",
    "tan": "tan", "tanh": "tanh", "trunc": "trunc",
}  # fmt: skip
# How inputs are cast first: to the result dtype, to their common (promoted) dtype
# (comparisons, predicates, abs of complex), or to bool (logical ops).
_PROMOTED = {"abs", "eq", "ne", "lt", "le", "gt", "ge", "isfinite", "isinf", "isnan"}
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


def _getitem(b, x, *inputs, index):
    from autotrace.ops.index import build_key

    return x[build_key(index, inputs)]


def _scatter_add(b, g, x, *inputs, index):
    from autotrace.ops.index import build_key

    out = b.xp.zeros(tuple(x.shape), dtype=g.dtype, device=b.device)
    out[build_key(index, inputs)] = g
    return out


def _ranged(axis, start, stop) -> tuple:
    return (slice(None),) * axis + (slice(start, stop),)


def _place_range(b, g, like, start, stop, axis):
    out = b.xp.zeros(tuple(like.shape), dtype=g.dtype, device=b.device)
    out[_ranged(axis, start, stop)] = g
    return out


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


def _einsum(b, *ops, subscripts, optimize=False):
    fn = getattr(b.xp, "einsum", None)
    if fn is None:
        raise BackendError(f"op `einsum` is not available on the {b.name} backend")
    return fn(subscripts, *ops)


def _clip(b, x, lo, hi):
    return b.xp.clip(x, min=lo, max=hi)


# op name -> (impl(backend, *inputs, **params), how inputs are cast, result dtype as the
# `dtype` param). Cast: "out" (the node's result dtype), "promote", "bool", None (as is).
LOWERINGS: dict[str, tuple] = {
    name: (_call(fn), "promote" if name in _PROMOTED else "bool" if name in _BOOL else "out",
           False)
    for name, fn in _ELEMENTWISE.items()
}
LOWERINGS.update({
    "where": (lambda b, c, x, y: b.xp.where(c, x, y), ("bool", "out", "out"), False),
    "reciprocal": (lambda b, x: 1 / x, "out", False),
    "exp2": (lambda b, x: b.xp.pow(b.xp.asarray(2, dtype=x.dtype, device=b.device), x),
             "out", False),
    "clip": (_clip, None, False),
    "sum": (_reduce("sum", _same), "out", False),
    "prod": (_reduce("prod", _same), "out", False),
    "mean": (_reduce("mean", _same), "out", False),
    "max": (_reduce("max", _same), None, False),
    "min": (_reduce("min", _same), None, False),
    "var": (_reduce("var", _zeros), "out", False),
    "std": (_reduce("std", _zeros), "out", False),
    "any": (_reduce("any", lambda b, x: x != 0), None, False),
    "all": (_reduce("all", lambda b, x: x != 0), None, False),
    "argmax": (_arg_reduce("argmax"), None, False),
    "argmin": (_arg_reduce("argmin"), None, False),
    "getitem": (_getitem, None, False),
    "scatter_add": (_scatter_add, None, False),
    "place_range": (_place_range, None, False),
    "take_range": (lambda b, x, start, stop, axis: x[_ranged(axis, start, stop)], None, False),
    "reshape": (_reshape, None, False),
    "reshape_like": (lambda b, x, like: b.xp.reshape(x, tuple(like.shape)), None, False),
    "transpose": (lambda b, x, axes: b.xp.permute_dims(
        x, tuple(axes) if axes is not None else tuple(reversed(range(x.ndim)))), None, False),
    "expand_dims": (_expand_dims, None, False),
    "squeeze": (lambda b, x, axis: b.xp.squeeze(x, axis=axis), None, False),
    "broadcast_to": (lambda b, x, shape: b.xp.broadcast_to(x, tuple(shape)), None, False),
    "broadcast_like": (lambda b, x, like: b.xp.broadcast_to(x, tuple(like.shape)), None,
                       False),
    "unbroadcast": (_unbroadcast, None, False),
    "tensordot": (lambda b, x, y, axes: b.xp.tensordot(x, y, axes=axes), "out", False),
    "einsum": (_einsum, "out", False),
    "concatenate": (lambda b, *xs, axis: b.xp.concat(xs, axis=axis), "out", False),
    "split": (_split, None, False),
    "cast": (lambda b, x, dtype: b.cast(x, dtype), None, False),
    "cumsum": (lambda b, x, axis, dtype: b.xp.cumulative_sum(x, axis=axis), "out", False),
    "full_like": (lambda b, x, value, dtype=None: b.xp.full_like(x, value, dtype=dtype),
                  None, True),
    "arange": (lambda b, start, stop, step, dtype=None: b.xp.arange(
        start, stop, step, dtype=dtype, device=b.device), None, True),
    "eye": (lambda b, n, m, k, dtype: b.xp.eye(n, m, k=k, dtype=dtype, device=b.device),
            None, True),
    "flip": (lambda b, x, axis: b.xp.flip(x, axis=axis), None, False),
    "sort": (lambda b, x, axis: b.xp.sort(x, axis=axis), None, False),
    "argsort": (lambda b, x, axis, kind=None: b.xp.argsort(x, axis=axis, stable=True), None,
                False),
    "repeat": (lambda b, x, repeats, axis: b.xp.repeat(x, repeats, axis=axis), None, False),
    "tile": (lambda b, x, reps: b.xp.tile(x, tuple(reps)), None, False),
    "copy": (lambda b, x: b.xp.asarray(x, copy=True), None, False),
    "stop_gradient": (_same, None, False),
    "custom_vjp": (lambda b, value, *args, grad_fn: value, None, False),
    "size": (lambda b, x: math.prod(x.shape), None, False),
    "dim": (lambda b, x, axis: x.shape[axis], None, False),
    "python_scalar": (lambda b, x: x, None, False),
})
_CONTROL = {"cond", "while_loop"}


class BackendEmitter(Emitter):
    """An `Emitter` writing code over `backend`'s namespace (see the module doc)."""

    def __init__(self, backend: Backend, check: bool):
        super().__init__(check)
        self.backend = backend
        self._numpy_inputs = False
        self.namespace["_check"] = functools.partial(_check_backend, backend)
        self.namespace["_cast"] = backend.cast
        self.namespace["_np"] = backend.to_numpy
        self.namespace["_move"] = backend.move

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

    def emit_node(self, node: Node, indent: str) -> None:
        name = node.op.name
        if name in _CONTROL:
            node.op.emit(node, self, indent)
        elif node.op.effect or (node.outputs and all(v.weak is not None for v in node.outputs)):
            self._emit_numpy(node, indent)
        elif name in LOWERINGS:
            self._emit_lowered(node, indent, *LOWERINGS[name])
        else:
            raise BackendError(
                f"op `{name}` is not available on the {self.backend.name} backend"
                f"{_where(node)}; run this function on numpy (the default backend)")

    def _emit_numpy(self, node: Node, indent: str) -> None:
        """numpy's own code for the node, on inputs brought back to numpy."""
        self._numpy_inputs = True
        try:
            args = [f"_np({self.name(x)})" if isinstance(x, Var) and x.weak is None
                    else self.value(x) for x in node.inputs]
            emit_call(node, self, indent, args)
        finally:
            self._numpy_inputs = False

    def _emit_lowered(self, node: Node, indent: str, impl, cast, dtype_param) -> None:
        out_dtype = node.outputs[0].dtype
        casts = cast if isinstance(cast, tuple) else (cast,) * len(node.inputs)
        promoted = np.result_type(*(_promote_arg(x) for x in node.inputs)) \
            if "promote" in casts else None
        args = []
        for x, how in zip(node.inputs, casts):
            target = {"out": out_dtype, "promote": promoted, "bool": np.dtype(bool)}.get(how)
            args.append(self.value(x) if target is None else self._cast_arg(x, target))
        params = dict(node.params)
        if dtype_param:
            params["dtype"] = self.backend.dtype(out_dtype)
        args += [f"{k}={self.constant(v, k)}" for k, v in params.items()]
        fn = self.bind(functools.partial(impl, self.backend), node.op.name)
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


def _check_backend(backend: Backend, value, var: Var) -> None:
    """Checking mode: the run-time value (brought to numpy) matches the static type."""
    check_value(backend.to_numpy(value) if var.weak is None else value, var)


def _where(node: Node) -> str:
    return "" if node.origin is None else f" (at {node.origin.short()})"
