"""ONNX forms of the structural ops: shapes, indexing and control flow (`cond` -> `If`,
`while_loop` -> `Loop`, `call` inlined). The table is `onnx_ops.CONVERTERS`."""

from __future__ import annotations

import numpy as np

from autotrace.export.onnx import unsupported
from autotrace.ops.index import _expanded
from autotrace.ops.registry import aval_of

INT64_MIN, INT64_MAX = np.iinfo(np.int64).min, np.iinfo(np.int64).max


# -- shapes -----------------------------------------------------------------------------
def _shape_vector(t, parts) -> str:
    """A 1-d int64 tensor from ints and 0-d traced values."""
    if all(isinstance(p, (int, np.integer)) for p in parts):
        return t.ints(parts)
    pieces = [t.ints([p]) if isinstance(p, (int, np.integer)) else
              t.op("Reshape", [t.value(p, np.int64), t.ints([1])]) for p in parts]
    return t.op("Concat", pieces, axis=0)


def reshape(t, node):
    dims = iter(node.inputs[1:])
    parts = [d if isinstance(d, int) else next(dims) for d in node.params["shape"]]
    return [t.op("Reshape", [t.value(node.inputs[0]), _shape_vector(t, parts)], allowzero=1)]


def unbroadcast(t, node):
    """Sum `g` down to `like`'s shape. An axis whose `like` dim is unknown is summed when
    that dim is 1 at run time (the reduction's axes are then computed by the model)."""
    g, like = node.inputs
    lead = len(g.shape) - len(like.shape)
    axes, maybe = list(range(lead)), []
    for i, d in enumerate(like.shape):
        if d == 1 and g.shape[lead + i] != 1:
            axes.append(lead + i)
        elif d is None and g.shape[lead + i] != 1:
            maybe.append(i)
    x, shape = t.value(g), t.op("Shape", [t.value(like)])
    if maybe:
        ones = [t.op("Equal", [t.op("Gather", [shape, t.ints([i])], axis=0), t.ints([1])])
                for i in maybe]
        keep = t.op("Concat", [t.constant(np.ones(len(axes), bool)), *ones], axis=0)
        chosen = t.op("Compress", [t.ints(axes + [lead + i for i in maybe]), keep], axis=0)
        x = t.op("ReduceSum", [x, chosen], keepdims=1, noop_with_empty_axes=1)
    elif axes:
        x = t.op("ReduceSum", [x, t.ints(axes)], keepdims=1)
    return [t.op("Reshape", [x, shape])]


def identity(t, node):
    return [t.op("Identity", [t.value(node.inputs[0], node.outputs[0].dtype)])]


def axes_op(op_type: str):
    """expand_dims / squeeze (no axes: the value itself)."""
    def convert(t, node):
        x, axes = t.value(node.inputs[0]), node.params["axis"]
        return [t.op(op_type, [x, t.ints(axes)]) if axes else t.op("Identity", [x])]

    return convert


def flip(t, node):
    x, axes = t.value(node.inputs[0]), node.params["axis"]
    if not axes:
        return [t.op("Identity", [x])]
    k = len(axes)
    return [t.op("Slice", [x, t.ints([-1] * k), t.ints([INT64_MIN] * k), t.ints(axes),
                           t.ints([-1] * k)])]


def dim(t, node):
    axis = node.params["axis"]
    x = t.value(node.inputs[0])
    return [t.op("Squeeze", [t.op("Shape", [x], start=axis, end=axis + 1), t.ints([0])])]


def split(t, node):
    x, axis = t.value(node.inputs[0]), node.params["axis"]
    bounds = [0, *node.params["indices"], INT64_MAX]
    return [t.op("Slice", [x, t.ints([lo]), t.ints([hi]), t.ints([axis])])
            for lo, hi in zip(bounds[:-1], bounds[1:])]


def take_range(t, node):
    x, start, stop = node.inputs
    bounds = [_shape_vector(t, [b]) for b in (start, stop)]
    return [t.op("Slice", [t.value(x), *bounds, t.ints([node.params["axis"]])])]


def tile(t, node):
    x, reps = node.inputs[0], tuple(node.params["reps"])
    name, ndim = t.value(x), len(x.shape)
    if len(reps) > ndim:
        name = t.op("Unsqueeze", [name, t.ints(range(len(reps) - ndim))])
    reps = (1,) * (ndim - len(reps)) + reps
    return [t.op("Tile", [name, t.ints(reps)])]


def cumsum(t, node):
    x, axis = t.value(node.inputs[0], node.outputs[0].dtype), node.params["axis"]
    if axis is None:
        x, axis = t.op("Reshape", [x, t.ints([-1])]), 0
    return [t.op("CumSum", [x, t.constant(np.asarray(axis, np.int64))])]


# -- indexing ---------------------------------------------------------------------------
def getitem(t, node):
    x = node.inputs[0]
    return [_select(t, node, t.value(x), len(x.shape), node.inputs[1:])]


def scatter_add(t, node):
    """zeros like `x` with `g` added at `x[index]` (repeated indices add up): the positions
    `x[index]` selects from an iota shaped like `x` are where a ScatterElements adds `g`."""
    g, x, extra = node.inputs[0], node.inputs[1], node.inputs[2:]
    dtype = node.outputs[0].dtype
    shape, size = t.op("Shape", [t.value(x)]), t.op("Size", [t.value(x)])
    zero, one = (t.constant(np.asarray(v, np.int64)) for v in (0, 1))
    iota = t.op("Reshape", [t.op("Range", [zero, size, one]), shape])
    picked = t.op("Reshape", [_select(t, node, iota, len(x.shape), extra), t.ints([-1])])
    flat = t.op("Expand", [t.constant(np.zeros((), dtype)), t.op("Reshape", [size, t.ints([1])])])
    updates = t.op("Reshape", [t.value(g, dtype), t.ints([-1])])
    out = t.op("ScatterElements", [flat, picked, updates], axis=0, reduction="add")
    return [t.op("Reshape", [out, shape])]


def _select(t, node, name: str, ndim: int, extra) -> str:
    """`name[index]` for the node's `index` param (and its extra inputs `extra`)."""
    index, kinds = _expanded(node.params["index"], [aval_of(e) for e in extra], ndim)
    if "array" in kinds or "mask" in kinds:
        return _advanced(t, node, name, index, kinds, extra)
    starts, ends, steps, axes, ints, news, axis, pos = [], [], [], [], [], [], 0, 0
    for item, kind in zip(index, kinds):
        if kind == "new":
            news.append(pos)
            pos += 1
            continue
        if kind == "slice" and item != slice(None):
            step = _bound(item.step, extra, 1)
            backward = isinstance(step, int) and step < 0
            if not isinstance(step, int):
                raise unsupported(node, "a slice step known only at run time")
            starts.append(_bound(item.start, extra, INT64_MAX if backward else 0))
            ends.append(_bound(item.stop, extra, INT64_MIN if backward else INT64_MAX))
            steps.append(step)
            axes.append(axis)
        elif kind == "int":
            ints.append((axis, _bound(item, extra, None)))
        pos += kind == "slice"
        axis += 1
    if axes:
        name = t.op("Slice", [name, _shape_vector(t, starts), _shape_vector(t, ends),
                              t.ints(axes), t.ints(steps)])
    for ax, i in reversed(ints):
        at = t.constant(np.asarray(i, np.int64)) if isinstance(i, int) else t.value(i, np.int64)
        name = t.op("Gather", [name, at], axis=ax)
    if news:
        name = t.op("Unsqueeze", [name, t.ints(news)])
    return name if axes or ints or news else t.op("Identity", [name])


def _bound(part, extra, default):
    if part is None:
        return default
    return extra[part[1]] if isinstance(part, tuple) else part


def _advanced(t, node, name, index, kinds, extra):
    """One integer array (a Gather) or one 1-d mask (a Compress); the rest full slices."""
    others = [i for i, k in zip(index, kinds) if k not in ("array", "mask")]
    if len(others) != len(index) - 1 or any(i != slice(None) for i in others):
        raise unsupported(node, "advanced indexing beyond one index array or 1-d mask "
                                "with full slices")
    axis = [k in ("array", "mask") for k in kinds].index(True)
    item, kind = index[axis], kinds[axis]
    key = extra[item[1]]
    if kind == "array":
        return t.op("Gather", [name, t.value(key, np.int64)], axis=axis)
    if len(aval_of(key).shape) != 1:
        raise unsupported(node, "a boolean mask of more than one dimension")
    return t.op("Compress", [name, t.value(key, bool)], axis=axis)


# -- control flow ---------------------------------------------------------------------------
def cond(t, node):
    if not node.outputs:
        return []
    pred = _truth(t, t.value(node.inputs[0]), node.inputs[0])
    branches = {}
    for key, attr in (("then", "then_branch"), ("orelse", "else_branch")):
        branch = node.params[key]
        for inner, outer in zip(branch.inputs, node.inputs[1:]):
            t.bind(inner, t.value(outer))
        branches[attr] = t.subgraph(f"{key}", branch, [], branch.outputs, node.outputs)
    outs = t.op("If", [pred], n_out=len(node.outputs), **branches)
    return outs if len(node.outputs) != 1 else [outs]


def while_loop(t, node):
    cond, body = node.params["cond"], node.params["body"]
    n = len(node.outputs)
    init = [t.value(x, v.dtype) for x, v in zip(node.inputs[:n], node.outputs)]
    captured = [t.value(x) for x in node.inputs[n:]]
    (test,) = t.run_inline(cond, init + captured)
    start = _truth(t, test, cond.outputs[0])
    state = [t.value_info(t.fresh(v.name or "state"), v) for v in node.outputs]
    names = [s.name for s in state]
    t._scopes.append([])
    t.run_inline(body, names + captured)
    after_vars = [t.value(o, v.dtype) for o, v in zip(body.outputs, node.outputs)]
    (again,) = t.run_inline(cond, after_vars + captured)
    loop_test = t.op("Identity", [_truth(t, again, cond.outputs[0])])
    outs = [t.op("Identity", [a]) for a in after_vars]
    nodes = t._scopes.pop()
    ints = t.helper.make_tensor_value_info(t.fresh("trip"), t.elem_type(np.int64), [])
    flag = t.helper.make_tensor_value_info(t.fresh("cond_in"), t.elem_type(bool), [])
    out_infos = [t.helper.make_tensor_value_info(loop_test, t.elem_type(bool), [])] + [
        t.value_info(o, v) for o, v in zip(outs, node.outputs)]
    graph = t.helper.make_graph(nodes, t.fresh("body"), [ints, flag, *state], out_infos)
    results = t.op("Loop", ["", start, *init], n_out=n, body=graph)
    return results if n != 1 else [results]


def _truth(t, name, x) -> str:
    """A 0-d bool from a loop test (a bool constant or a size-1 value)."""
    if not hasattr(x, "shape"):
        return t.cast(name, np.asarray(x).dtype, bool)
    out = t.cast(name, x.dtype, bool)
    return t.op("Reshape", [out, t.ints([])]) if x.shape else out


def call(t, node):
    fn = node.params["fn"]
    return t.run_inline(fn.graph, [t.value(x) for x in node.inputs])
