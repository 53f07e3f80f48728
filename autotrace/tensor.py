"""Tensors: symbolic (graph-time) `Tensor`, eager `EagerTensor` and mutable `Variable`,
and the eager trace.

All three are `core.Tracer`s: a `Tensor` belongs to the graph being built (a child
builder captures its ancestors' tensors), an `EagerTensor` to the eager trace, a
`Variable` to the graph being built if any (captured by reference), else the eager trace.
All three share `TensorBase`, one mixin of numpy-style operators and methods that route
every operation through the op registry (`autotrace.ops`). numpy functions reach the
registry through `__array_ufunc__` / `__array_function__`, so `np.sin(x)`, `x @ w` and
`np.where(c, x, y)` work unchanged on traced values.
"""

from __future__ import annotations

import numpy as np

from autotrace import context, mutation
from autotrace import ops as F
from autotrace.core import Trace, Tracer, innermost_graph_trace
from autotrace.errors import TracingError, UnsupportedError, at_user_line
from autotrace.ops.registry import FUNCTION_DISPATCH, UFUNC_DISPATCH

_BINARY = {
    "add": "add", "sub": "subtract", "mul": "multiply", "truediv": "true_divide",
    "floordiv": "floor_divide", "mod": "remainder", "pow": "power", "matmul": "matmul",
    "and": "bitwise_and", "or": "bitwise_or", "xor": "bitwise_xor",
    "lshift": "left_shift", "rshift": "right_shift",
}  # fmt: skip
_COMPARE = {
    "eq": "equal", "ne": "not_equal", "lt": "less", "le": "less_equal",
    "gt": "greater", "ge": "greater_equal",
}  # fmt: skip
_VIEW_METHODS = {"reshape", "transpose", "squeeze", "swapaxes", "ravel", "diagonal"}
_UNARY = {"neg": "negative", "pos": "positive", "abs": "absolute", "invert": "invert"}
_METHODS = (
    "sum", "mean", "prod", "max", "min", "argmax", "argmin", "any", "all", "var", "std",
    "reshape", "transpose", "squeeze", "swapaxes", "flatten", "ravel",
    "astype", "clip", "round", "dot", "copy", "conj",
    "cumsum", "cumprod", "repeat", "argsort", "trace", "diagonal",
    "nonzero", "take",
)  # fmt: skip


class TensorBase(Tracer):
    """numpy-style operators and methods shared by symbolic and eager tensors."""

    __slots__ = ()
    __array_priority__ = 1000
    _symbolic = False
    _is_variable = False

    @property
    def T(self):
        out = F.transpose(self)
        mutation.note_view(self, out, F.transpose, None, "the transpose `x.T`")
        return out

    @property
    def ndim(self) -> int:
        return len(self._static_shape)

    def __getitem__(self, key):
        out = F.getitem(self, key)
        if _basic(key) and getattr(out, "ndim", 0):
            mutation.note_view(self, out, lambda b: F.getitem(b, key), key, "a slice")
        return out

    def sort(self, axis=-1, kind=None, order=None):
        """`ndarray.sort()`: sorts in place and returns None (a write, like `x[...] = v`,
        see `autotrace/mutation.py`)."""
        if not self._symbolic:
            raise TracingError(at_user_line(
                "x.sort() sorts in place and returns None; this value cannot be changed in "
                "place. Write `x = np.sort(x)` instead."))
        mutation.check_writable(self, "x.sort()")
        mutation.write(self, F.sort(self, axis=axis, kind=kind, order=order))

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method == "reduce" and ufunc in _UFUNC_REDUCTIONS:
            kwargs.setdefault("axis", 0)  # numpy's default for ufunc.reduce
            return getattr(F, _UFUNC_REDUCTIONS[ufunc])(*inputs, **kwargs)
        frontend = UFUNC_DISPATCH.get(ufunc) if method == "__call__" else None
        if frontend is None:
            return self._unsupported(_ufunc_name(ufunc) + _method_suffix(method),
                                     routable=method == "__call__")
        out = kwargs.get("out")
        out = out if isinstance(out, tuple) or out is None else (out,)
        if out is not None and all(isinstance(o, Tensor) for o in out):
            del kwargs["out"]  # into traced values: an in-place write (numpy arrays: refused)
            return mutation.ufunc_out(ufunc, inputs, out, frontend(*inputs, **kwargs))
        return frontend(*inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        frontend = FUNCTION_DISPATCH.get(func)
        if frontend is None:
            module = getattr(func, "__module__", None) or "numpy"
            return self._unsupported(f"{module}.{func.__name__}", func, args, kwargs)
        out = frontend(*args, **kwargs)
        if func in _VIEW_FUNCTIONS and args and args[0] is self:
            mutation.note_view(self, out, lambda b: frontend(b, *args[1:], **kwargs), None,
                               f"the view `np.{func.__name__}(x, ...)`")
        return out

    def _unsupported(self, what, func=None, args=(), kwargs=None, routable=True):
        how = (f"@at.defop(shape=..., vjp=..., dispatches={what})" if routable else
               "@at.defop(shape=..., vjp=...) and call it")
        raise UnsupportedError(
            at_user_line(
                f"{what} is not supported on traced values: autotrace has no op for it. "
                "Write it with supported numpy functions (see docs/ops.md), or define the "
                f"op yourself with {how} (docs/defop.md)."
            )
        )


_VIEW_FUNCTIONS = {np.reshape, np.transpose, np.squeeze, np.swapaxes, np.moveaxis,
                   np.ravel, np.expand_dims, np.diagonal, np.broadcast_to}


def _basic(key) -> bool:
    """A basic-indexing key (ints, slices, None, `...`): numpy gives a view."""
    items = key if isinstance(key, tuple) else (key,)
    return all(i is None or i is Ellipsis or isinstance(i, slice) or
               (isinstance(i, (int, np.integer)) and not isinstance(i, (bool, np.bool_)))
               for i in items)


def _ufunc_name(ufunc) -> str:
    """`numpy.sin`, or the bare name of a ufunc from elsewhere (scipy.special's `erf`)."""
    if ufunc is getattr(np, ufunc.__name__, None):
        return f"numpy.{ufunc.__name__}"
    return ufunc.__name__


def _method_suffix(method: str) -> str:
    return "" if method == "__call__" else f".{method}"


def _binary(name):
    fn = getattr(F, name)
    return (lambda self, other: fn(self, other)), (lambda self, other: fn(other, self))


def _unary(fn):
    return lambda self: fn(self)


def _method(fn):
    if fn.__name__ in _VIEW_METHODS:
        def method(self, *args, **kwargs):
            out = fn(self, *args, **kwargs)
            mutation.note_view(self, out, lambda b: fn(b, *args, **kwargs), None,
                               f"the view `x.{fn.__name__}(...)`")
            return out
    else:
        def method(self, *args, **kwargs):
            return fn(self, *args, **kwargs)

    method.__name__ = fn.__name__
    method.__doc__ = fn.__doc__
    return method


def _install_operators():
    for dunder, name in _BINARY.items():
        forward, reflected = _binary(name)
        setattr(TensorBase, f"__{dunder}__", forward)
        setattr(TensorBase, f"__r{dunder}__", reflected)
    for dunder, name in _COMPARE.items():
        setattr(TensorBase, f"__{dunder}__", _binary(name)[0])
    for dunder, name in _UNARY.items():
        setattr(TensorBase, f"__{dunder}__", _unary(getattr(F, name)))
    for method in _METHODS:
        setattr(TensorBase, method, _method(getattr(F, method)))
    TensorBase.__hash__ = object.__hash__
    TensorBase.__round__ = _round
    TensorBase.__pow__ = _pow
    TensorBase.real = property(lambda self: F.complex.real(self), doc="`x.real`")
    TensorBase.imag = property(lambda self: F.complex.imag(self), doc="`x.imag`")
    TensorBase.conjugate = _method(F.conj)
    TensorBase.__divmod__ = lambda self, other: F.ufuncs.divmod_(self, other)
    TensorBase.__rdivmod__ = lambda self, other: F.ufuncs.divmod_(other, self)


def _pow(self, exponent):
    """`x ** e`. numpy's `ndarray.__pow__` squares a bool *array* for a Python int 2
    (int8, numpy's `square`), where `np.power` and numpy bool scalars give int64; a 0-d
    bool value could be either at run time, so it is refused rather than guessed."""
    if type(exponent) is int and exponent == 2 and self.dtype == np.bool_:
        if self.ndim == 0:
            raise TracingError(at_user_line(
                "`x ** 2` on a 0-d bool value: numpy gives int8 for a 0-d array and int64 "
                "for a numpy bool scalar, and a traced value may be either. Write "
                "`np.square(x)` (int8) or `x.astype(np.int64) ** 2`."))
        return F.square(self)
    return F.power(self, exponent)


def _round(self, ndigits=None):
    """Builtin `round(x)`: numpy gives a Python int for a scalar with no `ndigits`, which a
    traced value cannot be; with `ndigits` it is `np.round`."""
    if ndigits is None and self._symbolic:
        raise _concrete_error(self, "was passed to round(), which must return a Python int",
                              "Use np.round(x) for a rounded array instead.")
    if ndigits is None:
        return round(self.numpy())
    return F.round(self, ndigits)


_UFUNC_REDUCTIONS = {np.add: "sum", np.multiply: "prod", np.maximum: "max", np.minimum: "min"}


class Tensor(TensorBase):
    """A symbolic value inside a graph being traced: has a static shape and dtype, no data."""

    # `symbol` is the graph `Var` this tensor stands for (not `var`: that is numpy's
    # variance method, which traced code must be able to call).
    # `view`: how this value derives from another as a numpy view (`mutation.View`);
    # `views`: weak references to the live views of this value.
    __slots__ = ("symbol", "builder", "view", "views", "__weakref__")
    _symbolic = True

    def __init__(self, var, builder):
        self.symbol = var
        self.builder = builder
        self.view = self.views = None

    def new_object(self) -> Tensor:
        """Another Python object for the same value (a copy: writes to one leave the
        other alone)."""
        return Tensor(self.symbol, self.builder)

    @property
    def _trace(self):
        return innermost_graph_trace() or self.builder

    @property
    def _static_shape(self) -> tuple:
        return self.symbol.shape

    @property
    def shape(self) -> tuple:
        """Known dims as ints; unknown dims as symbolic int64 scalars (like `tf.shape`)."""
        return tuple(F.dim(self, i) if d is None else d for i, d in enumerate(self.symbol.shape))

    @property
    def dtype(self) -> np.dtype:
        return self.symbol.dtype

    @property
    def size(self):
        if None in self.symbol.shape:
            return F.size(self)
        return int(np.prod(self.symbol.shape, dtype=np.int64))

    @property
    def name(self) -> str | None:
        return self.symbol.name

    def __repr__(self) -> str:
        label = f"{self.symbol.name}: " if self.symbol.name else ""
        return f"<Tensor {label}{self.symbol.type_str()}>"

    def __len__(self) -> int:
        if not self.symbol.shape:
            raise TypeError("len() of unsized object (a 0-d traced value)")
        if self.symbol.shape[0] is None:
            raise TracingError(
                at_user_line(
                    f"len() of {_label(self)}, whose first dimension is unknown until the "
                    f"graph runs. {_TRACING} len() must return a Python int while tracing: "
                    "use `x.shape[0]` (a traced int64 scalar) instead, or trace with a fixed "
                    "size for that dimension."
                )
            )
        return self.symbol.shape[0]

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __bool__(self):
        raise _concrete_error(
            self, "was used as a Python bool (by `bool(x)`, or by an `if`, `while`, `and`, "
            "`or`, `not` or `assert` that autotrace did not convert)",
            "Write the condition in the traced function itself with autograph on (the "
            "default of @at.trace; not autograph=False) so it becomes graph control flow, "
            "or compute both sides and pick with np.where(cond, a, b), or use "
            "at.cond(pred, true_fn, false_fn).")

    def __float__(self):
        raise _concrete_error(self, "was converted to a Python float by `float(x)`",
                              _KEEP_TENSOR)

    def __int__(self):
        raise _concrete_error(self, "was converted to a Python int by `int(x)`", _KEEP_TENSOR)

    def __index__(self):
        raise _concrete_error(
            self, "was used as a Python integer (a list index, a `range` bound or a size)",
            "Use sizes known at trace time (`x.shape[0]` of a fixed dimension), or pass the "
            "integer as a Python argument (Python values are part of the signature).")

    def __complex__(self):
        raise _concrete_error(self, "was converted to a Python complex by `complex(x)`",
                              _KEEP_TENSOR)

    def item(self, *args):
        raise _concrete_error(self, "was converted to a Python scalar by `x.item()`",
                              _KEEP_TENSOR)

    def tolist(self):
        raise _concrete_error(self, "was converted to a Python list by `x.tolist()`",
                              _KEEP_TENSOR)

    def __format__(self, spec):
        raise _concrete_error(
            self, f"was formatted into a string (`format(x, {spec!r})`, `str.format`)",
            "A string is fixed when the function is traced. Print it (`print(...)` and "
            "logging calls format their arguments at run time), or return the array.")

    def __array__(self, dtype=None, copy=None):
        raise _concrete_error(
            self, "was converted to a numpy array by `np.asarray(x)` or `np.array(x)`",
            "numpy functions and methods accept traced values directly: drop the "
            "conversion (use x.astype(dtype) or x.copy() if that was the point).")

    def __setitem__(self, key, value):
        mutation.setitem(self, key, value)


def _install_inplace():
    """`x += y` & co. on a traced value write into it, as on a numpy array."""
    for dunder, name in _BINARY.items():
        ufunc = getattr(np, name)
        setattr(Tensor, f"__i{dunder}__",
                lambda self, other, u=ufunc: mutation.augmented(self, u, other))


_install_inplace()


_TRACING = ("While tracing, a traced value is symbolic: it has a shape and a dtype but no "
            "value until the compiled graph runs.")
_KEEP_TENSOR = ("Keep it a tensor (numpy operations take it directly: `x * 2.0`, "
                "`np.maximum(x, 0)`), or compute the Python value outside the traced function "
                "and pass it in as an argument.")


def _label(t: Tensor) -> str:
    name = f"`{t.symbol.name}` " if t.symbol.name else ""
    return f"the traced value {name}({t.symbol.type_str()})"


def _concrete_error(tensor: Tensor, how: str, advice: str) -> TracingError:
    """The error for a traced value used where Python needs its concrete value."""
    label = _label(tensor)
    return TracingError(at_user_line(f"{label[0].upper()}{label[1:]} {how}. {_TRACING} {advice}"))


class EagerTrace(Trace):
    """Eager evaluation: run the numpy impl on the values, wrap the results so tapes can
    keep following them, and tell the recording tapes about the application."""

    level = 0

    def process(self, op, args, params):
        raw = op.impl(*[a._value if isinstance(a, EagerTensor) else a for a in args], **params)
        outputs = tuple(EagerTensor(r) for r in raw) if op.multiple_results else EagerTensor(raw)
        for tape in context.active_tapes():
            tape.record(op, args, params, outputs if op.multiple_results else (outputs,))
        return outputs


EAGER = EagerTrace()


class EagerTensor(TensorBase):
    """A concrete value produced by running ops eagerly; tapes can follow it."""

    __slots__ = ("_value", "__weakref__")
    _trace = EAGER

    def __init__(self, value):
        self._value = value.numpy() if isinstance(value, EagerTensor) else value

    def numpy(self):
        """The value as numpy returns it (an ndarray or a numpy scalar)."""
        return self._value

    @property
    def _static_shape(self) -> tuple:
        return np.shape(self._value)

    @property
    def shape(self) -> tuple:
        return np.shape(self._value)

    @property
    def dtype(self) -> np.dtype:
        return np.asarray(self._value).dtype

    @property
    def size(self) -> int:
        return int(np.size(self._value))

    def __repr__(self) -> str:
        value = np.asarray(self._value)
        text = np.array2string(value, separator=", ")
        return f"{type(self).__name__}({text}, dtype={value.dtype})"

    def __array__(self, dtype=None, copy=None):
        value = np.asarray(self._value)
        return value if dtype is None else value.astype(dtype)

    def __len__(self) -> int:
        return len(self._value)

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __bool__(self) -> bool:
        return bool(self._value)

    def __float__(self) -> float:
        return float(self._value)

    def __int__(self) -> int:
        return int(self._value)

    def __index__(self) -> int:
        return int(np.asarray(self._value).__index__())

    def item(self, *args):
        return np.asarray(self._value).item(*args)

    def tolist(self):
        return np.asarray(self._value).tolist()

    def _unsupported(self, what, func=None, args=(), kwargs=None):
        if func is None:
            return super()._unsupported(what)
        plain = [np.asarray(a) if isinstance(a, EagerTensor) else a for a in args]
        return func(*plain, **(kwargs or {}))


class Variable(EagerTensor):
    """Mutable state, watched automatically by `GradientTape`s (TensorFlow's contract).

    Example:
        >>> v = Variable([2.0])
        >>> v.assign(v * 3); v.numpy()
        array([6.])
    """

    __slots__ = ("name", "trainable")
    _is_variable = True

    @property
    def _trace(self):
        return innermost_graph_trace() or EAGER

    def __init__(self, value, name: str | None = None, dtype=None, trainable: bool = True):
        raw = value.numpy() if isinstance(value, EagerTensor) else value
        super().__init__(np.array(raw, dtype=dtype))
        self.name = name
        self.trainable = trainable

    def assign(self, value):
        """Replace the value (same shape and dtype); returns the variable.

        Inside a traced function the assign is a graph node that writes the variable each
        time the graph runs, in program order; reads after it see the new value."""
        if context.current_builder() is not None:
            return _graph_assign(self, value, "assign")
        new = np.asarray(value.numpy() if isinstance(value, EagerTensor) else value)
        old = self._value
        if new.shape != old.shape:
            raise ValueError(f"Variable.assign: shape {new.shape} does not match {old.shape}")
        self._value = new.astype(old.dtype, copy=True)
        return self

    def assign_add(self, delta):
        """`assign(value + delta)`."""
        if context.current_builder() is not None:
            return _graph_assign(self, delta, "add")
        return self.assign(self._value + np.asarray(delta))

    def assign_sub(self, delta):
        """`assign(value - delta)`."""
        if context.current_builder() is not None:
            return _graph_assign(self, delta, "sub")
        return self.assign(self._value - np.asarray(delta))

    def value(self) -> EagerTensor:
        return EagerTensor(self._value.copy())

    def __repr__(self) -> str:
        label = f" {self.name!r}" if self.name else ""
        text = np.array2string(self._value, separator=", ")
        return f"<Variable{label} {text} dtype={self.dtype}>"


def _graph_assign(variable, value, how: str):
    # lazy import: the runtime sits above the tensor layer (it builds graph nodes)
    from autotrace.runtime.variables import graph_assign

    return graph_assign(variable, value, how)


_install_operators()


def is_tensor(x) -> bool:
    """An eager or symbolic tensor (not a plain numpy value)."""
    return isinstance(x, TensorBase)
