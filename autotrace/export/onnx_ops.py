"""The ONNX form of each op: `CONVERTERS[op](translator, node) -> output names`.

An op missing from the table has no ONNX form (`export_onnx` names them all). Inputs are
cast to the dtypes numpy computes in (`ufunc.resolve_dtypes`, so a weak Python scalar
takes its partner's dtype) and results to the node's dtype. Composite forms follow numpy's
definitions (floor `mod` takes the divisor's sign, `maximum` propagates NaN, `any` of
nothing is False). Shapes, indexing and control flow live in `onnx_structure`.
"""

from __future__ import annotations

import numpy as np

# The table names ops of every layer; these modules register the ones above `ops/`.
from autotrace.autodiff import custom as _custom  # noqa: F401
from autotrace.autodiff import history as _history  # noqa: F401
from autotrace.control import call as _call  # noqa: F401
from autotrace.control import cond as _cond  # noqa: F401
from autotrace.control import while_loop as _while  # noqa: F401
from autotrace.export import onnx_structure as st
from autotrace.export.onnx_structure import unsupported
from autotrace.graph.builder import aval_of
from autotrace.ops.einsum import tensordot_subscripts
from autotrace.ops.registry import OPS


def _loop_dtypes(node) -> tuple[list, list]:
    """(input dtypes, output dtypes) numpy's ufunc loop uses for this node."""
    ufunc = node.op.impl
    args = tuple(aval_of(x).ufunc_arg for x in node.inputs)
    if all(isinstance(a, type) for a in args):  # Python numbers only: Python's arithmetic
        args = tuple(np.dtype(a) for a in args)
    dtypes = ufunc.resolve_dtypes(args + (None,) * ufunc.nout)
    return list(dtypes[:ufunc.nin]), list(dtypes[ufunc.nin:])


def ufunc(build, kinds: str = "iuf"):
    """An elementwise op: `build` is an ONNX op type or `build(t, dtype, *names)`."""
    def convert(t, node):
        ins, outs = _loop_dtypes(node)
        if any(d.kind not in kinds for d in ins):
            raise unsupported(node, f"no ONNX form on {', '.join(map(str, ins))} values")
        names = [t.value(x, d) for x, d in zip(node.inputs, ins)]
        out = t.op(build, names) if isinstance(build, str) else build(t, ins[0], *names)
        return [t.cast(out, outs[0], node.outputs[0].dtype)]

    return convert


def logical(op_type: str):
    """`logical_*`: the inputs' truth values (nonzero), as numpy takes them."""
    return lambda t, node: [t.op(op_type, [t.value(x, bool) for x in node.inputs])]


def _const(t, dtype, value) -> str:
    return t.constant(np.asarray(value, dtype=dtype))


def _nan_safe(op_type: str):
    """`maximum`/`minimum`: NaN wins, as in numpy."""
    def build(t, dtype, a, b):
        out = t.op(op_type, [a, b])
        if dtype.kind != "f":
            return out
        nan = t.op("Or", [t.op("IsNaN", [a]), t.op("IsNaN", [b])])
        return t.op("Where", [nan, t.op("Add", [a, b]), out])

    return build


def _mod(t, dtype, a, b):
    if dtype.kind != "f":
        return t.op("Mod", [a, b], fmod=0)
    r = t.op("Mod", [a, b], fmod=1)
    zero = _const(t, dtype, 0)
    wrong_sign = t.op("Xor", [t.op("Less", [r, zero]), t.op("Less", [b, zero])])
    fix = t.op("And", [t.op("Not", [t.op("Equal", [r, zero])]), wrong_sign])
    return t.op("Where", [fix, t.op("Add", [r, b]), r])


def _floordiv(t, dtype, a, b):
    """numpy's floor division: exact for ints; for floats its `divmod` (fmod, adjusted),
    so `inf // 2` is NaN and `x // 0` is `x / 0` as in numpy."""
    if dtype.kind != "f":
        return t.op("Div", [t.op("Sub", [a, t.op("Mod", [a, b], fmod=0)]), b])
    zero, one = _const(t, dtype, 0), _const(t, dtype, 1)
    r = t.op("Mod", [a, b], fmod=1)
    div = t.op("Div", [t.op("Sub", [a, r]), b])
    fix = t.op("And", [t.op("Not", [t.op("Equal", [r, zero])]),
                       t.op("Xor", [t.op("Less", [r, zero]), t.op("Less", [b, zero])])])
    div = t.op("Where", [fix, t.op("Sub", [div, one]), div])
    low = t.op("Floor", [div])
    up = t.op("Greater", [t.op("Sub", [div, low]), _const(t, dtype, 0.5)])
    out = t.op("Where", [up, t.op("Add", [low, one]), low])
    return t.op("Where", [t.op("Equal", [b, zero]), t.op("Div", [a, b]), out])


def _log_base(base: float):
    return lambda t, d, a: t.op("Div", [t.op("Log", [a]), _const(t, d, np.log(base))])


def _scale(factor: float):
    """`x * factor` in the loop dtype (numpy's deg2rad and friends)."""
    return lambda t, d, a: t.op("Mul", [a, _const(t, d, factor)])


def _by_kind(bool_op: str, int_op: str):
    return lambda t, d, *names: t.op(bool_op if d.kind == "b" else int_op, list(names))


def _isfinite(t, d, a):
    return t.op("Not", [t.op("Or", [t.op("IsNaN", [a]), t.op("IsInf", [a])])])


# -- reductions -------------------------------------------------------------------------
def _axes_of(node, t):
    return t.ints(node.params["axis"])


def reduction(op_type: str):
    """sum/prod/mean/max/min: computed in the result dtype, as numpy does; max/min of
    floats are NaN where a NaN was reduced (onnxruntime skips NaNs)."""
    def convert(t, node):
        dtype = node.outputs[0].dtype
        x = t.value(node.inputs[0], dtype)
        if not node.params["axis"]:
            return [t.op("Identity", [x])]
        keep = int(node.params["keepdims"])
        out = t.op(op_type, [x, _axes_of(node, t)], keepdims=keep)
        if op_type not in ("ReduceMax", "ReduceMin") or dtype.kind != "f":
            return [out]
        nan = _const(t, dtype, np.nan)
        return [t.op("Where", [_has_nan(t, node, x, keep), nan, out])]

    return convert


def _has_nan(t, node, x, keepdims: int) -> str:
    """Whether a NaN is among the values each output element reduces."""
    flags = t.cast(t.op("IsNaN", [x]), bool, np.int32)
    count = t.op("ReduceMax", [flags, _axes_of(node, t)], keepdims=keepdims)
    return t.cast(count, np.int32, bool)


def _any_all(want_all: bool):
    """any: some element true; all: no element false (both right on empty inputs)."""
    def convert(t, node):
        x = t.value(node.inputs[0], bool)
        if not node.params["axis"]:
            return [t.op("Identity", [x])]
        x = t.op("Not", [x]) if want_all else x
        count = t.op("ReduceSum", [t.cast(x, bool, np.int64), _axes_of(node, t)],
                     keepdims=int(node.params["keepdims"]))
        hit = t.op("Greater", [count, _const(t, np.int64, 0)])
        return [t.op("Not", [hit]) if want_all else hit]

    return convert


def _variance(take_root: bool):
    def convert(t, node):
        dtype = node.outputs[0].dtype
        x = t.value(node.inputs[0], dtype)
        axes, keep = _axes_of(node, t), int(node.params["keepdims"])
        centered = t.op("Sub", [x, t.op("ReduceMean", [x, axes], keepdims=1)])
        total = t.op("ReduceSum", [t.op("Mul", [centered, centered]), axes], keepdims=keep)
        count = t.op("Div", [t.op("Size", [x]), t.op("Size", [total])])
        count = t.op("Sub", [t.cast(count, np.int64, dtype), _const(t, dtype, node.params["ddof"])])
        out = t.op("Div", [total, count])
        return [t.op("Sqrt", [out]) if take_root else out]

    return convert


def _arg_extremum(op_type: str):
    """argmax/argmin; over floats the first NaN wins, as in numpy."""
    def convert(t, node):
        x, axis, keep = t.value(node.inputs[0]), node.params["axis"], node.params["keepdims"]
        values = [x]
        if node.inputs[0].dtype.kind == "f":
            values.append(t.cast(t.op("IsNaN", [x]), bool, np.int32))
        if axis is None:
            values = [t.op("Reshape", [v, t.ints([-1])]) for v in values]
        found = [t.op(op_type if k == 0 else "ArgMax", [v], axis=axis or 0,
                      keepdims=int(keep and axis is not None)) for k, v in enumerate(values)]
        if len(found) == 2:
            flag = t.op(
                "ReduceMax", [values[1], t.ints([axis or 0])],
                keepdims=int(keep and axis is not None))
            found = [t.op("Where", [t.cast(flag, np.int32, bool), found[1], found[0]])]
        if axis is None:
            return [t.op("Reshape", [found[0], t.ints(node.outputs[0].shape)])]
        return found

    return convert


# -- linear algebra, creation, joins ------------------------------------------------------
def _cast_all(op_type: str, **fixed):
    """Inputs cast to the result dtype, then one ONNX op (params passed as attributes)."""
    def convert(t, node):
        dtype = node.outputs[0].dtype
        if dtype.kind == "b":
            raise unsupported(node, "no ONNX form on bool values")
        attrs = {k: node.params[v] for k, v in fixed.items()}
        return [t.op(op_type, [t.value(x, dtype) for x in node.inputs], **attrs)]

    return convert


def _tensordot(t, node):

    a, b = node.inputs
    eq = tensordot_subscripts(len(aval_of(a).shape), len(aval_of(b).shape), node.params["axes"])
    dtype = node.outputs[0].dtype
    return [t.op("Einsum", [t.value(a, dtype), t.value(b, dtype)], equation=eq)]


def _where(t, node):
    c, a, b = node.inputs
    dtype = node.outputs[0].dtype
    return [t.op("Where", [t.value(c, bool), t.value(a, dtype), t.value(b, dtype)])]


def _clip(t, node):
    dtype = node.outputs[0].dtype
    x, lo, hi = (t.value(v, dtype) for v in node.inputs)
    return [_nan_safe("Min")(t, dtype, _nan_safe("Max")(t, dtype, x, lo), hi)]


def _round(t, node):
    dtype, decimals = node.outputs[0].dtype, node.params.get("decimals", 0)
    x = t.value(node.inputs[0], dtype)
    if dtype.kind in "iu":
        return [t.op("Identity", [x])]
    if not decimals:
        return [t.op("Round", [x])]
    scale = _const(t, dtype, 10.0 ** abs(decimals))
    up, down = ("Mul", "Div") if decimals > 0 else ("Div", "Mul")
    return [t.op(down, [t.op("Round", [t.op(up, [x, scale])]), scale])]


def _full_like(t, node):
    x, value = node.inputs
    fill = t.value(value, node.outputs[0].dtype)
    return [t.op("Expand", [fill, t.op("Shape", [t.value(x)])])]


def _arange(t, node):
    dtype = node.outputs[0].dtype
    return [t.op("Range", [t.value(x, dtype) for x in node.inputs])]


def _eye(t, node):
    if any(not isinstance(v, (int, np.integer)) for v in node.inputs):
        raise unsupported(node, "eye of a size known only at run time")
    return [t.constant(node.op.impl(*node.inputs, **node.params))]


def _det(t, node):
    """numpy.linalg.det of float32 values: ONNX `Det` (onnxruntime implements it for
    float32 only, so float64 is refused rather than computed in single precision). The
    other numpy.linalg ops have no ONNX operator and are refused by name."""
    dtype = node.outputs[0].dtype
    if dtype != np.float32:
        raise unsupported(node, f"no ONNX form on {dtype} values (Det runs on float32)")
    return [t.op("Det", [t.value(node.inputs[0], dtype)])]


_BY_NAME = {
    # elementwise: arithmetic
    "add": ufunc("Add"), "sub": ufunc("Sub"), "mul": ufunc("Mul"), "div": ufunc("Div"),
    "floordiv": ufunc(_floordiv), "mod": ufunc(_mod), "pow": ufunc("Pow"),
    "maximum": ufunc(_nan_safe("Max")), "minimum": ufunc(_nan_safe("Min")),
    "neg": ufunc("Neg"), "pos": st.identity, "abs": ufunc("Abs"), "sign": ufunc("Sign"),
    "square": ufunc(lambda t, d, a: t.op("Mul", [a, a])),
    "reciprocal": ufunc("Reciprocal", "f"),
    "fabs": ufunc("Abs", "f"),
    **{name: ufunc(_scale(factor), "f") for name, factor in [
        ("deg2rad", np.pi / 180), ("radians", np.pi / 180), ("rad2deg", 180 / np.pi),
        ("degrees", 180 / np.pi)]},
    # elementwise: transcendental and rounding (floats)
    "exp": ufunc("Exp", "f"), "log": ufunc("Log", "f"), "sqrt": ufunc("Sqrt", "f"),
    "exp2": ufunc(lambda t, d, a: t.op("Pow", [_const(t, d, 2), a]), "f"),
    "log2": ufunc(_log_base(2.0), "f"), "log10": ufunc(_log_base(10.0), "f"),
    "cbrt": ufunc(lambda t, d, a: t.op("Mul", [t.op("Sign", [a]), t.op(
        "Pow", [t.op("Abs", [a]), _const(t, d, 1 / 3)])]), "f"),
    "sin": ufunc("Sin", "f"), "cos": ufunc("Cos", "f"), "tan": ufunc("Tan", "f"),
    "arcsin": ufunc("Asin", "f"), "arccos": ufunc("Acos", "f"), "arctan": ufunc("Atan", "f"),
    "sinh": ufunc("Sinh", "f"), "cosh": ufunc("Cosh", "f"), "tanh": ufunc("Tanh", "f"),
    "arcsinh": ufunc("Asinh", "f"), "arccosh": ufunc("Acosh", "f"),
    "arctanh": ufunc("Atanh", "f"),
    "floor": ufunc("Floor", "f"), "ceil": ufunc("Ceil", "f"), "rint": ufunc("Round", "f"),
    "trunc": ufunc(lambda t, d, a: t.op("Mul", [t.op("Sign", [a]), t.op(
        "Floor", [t.op("Abs", [a])])]), "f"),
    "isnan": ufunc("IsNaN", "f"), "isinf": ufunc("IsInf", "f"), "isfinite": ufunc(_isfinite, "f"),
    "round": _round, "clip": _clip, "where": _where,
    # elementwise: comparisons, logic, bits
    "eq": ufunc("Equal", "biuf"), "lt": ufunc("Less", "iuf"), "le": ufunc("LessOrEqual", "iuf"),
    "gt": ufunc("Greater", "iuf"), "ge": ufunc("GreaterOrEqual", "iuf"),
    "ne": ufunc(lambda t, d, a, b: t.op("Not", [t.op("Equal", [a, b])]), "biuf"),
    "logical_and": logical("And"), "logical_or": logical("Or"), "logical_xor": logical("Xor"),
    "logical_not": logical("Not"),
    "bitand": ufunc(_by_kind("And", "BitwiseAnd"), "biu"),
    "bitor": ufunc(_by_kind("Or", "BitwiseOr"), "biu"),
    "bitxor": ufunc(_by_kind("Xor", "BitwiseXor"), "biu"),
    "invert": ufunc(_by_kind("Not", "BitwiseNot"), "biu"),
    # reductions
    "sum": reduction("ReduceSum"), "prod": reduction("ReduceProd"),
    "mean": reduction("ReduceMean"), "max": reduction("ReduceMax"),
    "min": reduction("ReduceMin"), "any": _any_all(False), "all": _any_all(True),
    "var": _variance(False), "std": _variance(True),
    "argmax": _arg_extremum("ArgMax"), "argmin": _arg_extremum("ArgMin"),
    "cumsum": st.cumsum,
    # linear algebra
    "det": _det,
    # shapes and casts
    "reshape": st.reshape,
    "reshape_like": lambda t, n: [t.op("Reshape", [t.value(n.inputs[0]),
                                                   t.op("Shape", [t.value(n.inputs[1])])])],
    "transpose": lambda t, n: [t.op("Transpose", [t.value(n.inputs[0])],
                                    perm=list(n.params["axes"]))],
    "expand_dims": st.axes_op("Unsqueeze"), "squeeze": st.axes_op("Squeeze"),
    "broadcast_to": lambda t, n: [t.op("Expand", [t.value(n.inputs[0]),
                                                  t.ints(n.params["shape"])])],
    "broadcast_like": lambda t, n: [t.op("Expand", [t.value(n.inputs[0]),
                                                    t.op("Shape", [t.value(n.inputs[1])])])],
    "unbroadcast": st.unbroadcast,
    "cast": st.identity, "copy": st.identity, "python_scalar": st.identity, "conj": st.identity,
    "stop_gradient": st.identity, "custom_vjp": st.identity, "flip": st.flip, "tile": st.tile,
    "dim": st.dim, "size": lambda t, n: [t.op("Size", [t.value(n.inputs[0])])],
    # indexing, joins
    "getitem": st.getitem, "scatter_add": st.scatter_add, "take_range": st.take_range,
    "place_range": st.place_range,
    "concatenate": _cast_all("Concat", axis="axis"), "split": st.split,
    # linear algebra
    "matmul": _cast_all("MatMul"), "einsum": _cast_all("Einsum", equation="subscripts"),
    "tensordot": _tensordot,
    # creation
    "full_like": _full_like, "arange": _arange, "eye": _eye,
    # control flow
    "cond": st.cond, "while_loop": st.while_loop, "call": st.call,
    "loop_history": st.loop_history, "history_read": st.history_read,
    "history_write": st.history_write,
}  # fmt: skip


def _pad(t, node):
    """`np.pad`: ONNX `Pad` for one constant, else a `Gather` of numpy's positions per axis."""
    x, pairs, mode = node.inputs[0], node.params["pairs"], node.params["mode"]
    out = t.value(x)
    if mode == "constant":
        if "values" in node.params:
            values = {v for pair in node.params["values"] for v in pair}
            if len(values) > 1:
                raise unsupported(node, "constant_values that differ by side or axis")
            constant = t.constant(np.asarray(values.pop()).astype(x.dtype))
        else:
            constant = t.value(node.inputs[1], x.dtype)
        widths = t.ints([b for b, _ in pairs] + [a for _, a in pairs])
        return [t.op("Pad", [out, widths, constant], mode="constant")]
    for axis, (before, after) in enumerate(pairs):
        if before or after:
            positions = np.pad(np.arange(x.shape[axis]), (before, after), mode=mode)
            out = t.op("Gather", [out, t.constant(positions.astype(np.int64))], axis=axis)
    return [out]


_BY_NAME["pad"] = _pad


def _nonzero(t, node):
    """`np.nonzero`: ONNX `NonZero` gives the (ndim, count) int64 indices; one row each."""
    rows = t.op("NonZero", [t.value(node.inputs[0], bool)])  # nonzero is truth, NaN too
    return [t.op("Gather", [rows, t.constant(np.asarray(i, np.int64))], axis=0)
            for i in range(len(node.outputs))]


def _fill(t, node):
    """`np.full` with traced sizes: the fill value, cast, expanded to the run-time shape."""
    value, *dims = node.inputs
    it = iter(dims)
    parts = [d if isinstance(d, int) else next(it) for d in node.params["shape"]]
    dtype = node.params["dtype"]
    return [t.op("Expand", [t.value(value, dtype), st._shape_vector(t, parts)])]


_BY_NAME.update({"nonzero": _nonzero, "fill": _fill})
# Keyed by the ops themselves (a renamed op fails here, loudly).
CONVERTERS = {OPS[name]: convert for name, convert in _BY_NAME.items()}
