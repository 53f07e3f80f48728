"""ONNX forms of the structural ops: shapes, indexing and control flow (`cond` -> `If`,
`while_loop` -> `Loop`, `call` inlined). The table is `onnx_ops.CONVERTERS`."""

from __future__ import annotations

import numpy as np

from autotrace.errors import UnsupportedError
from autotrace.graph.builder import aval_of
from autotrace.ops.index import _expanded

INT64_MIN, INT64_MAX = np.iinfo(np.int64).min, np.iinfo(np.int64).max


def unsupported(node, why: str) -> UnsupportedError:
    """The error for a node whose op has an ONNX form, but not for these inputs (`node`
    None: a result of the function itself)."""
    if node is None:
        return UnsupportedError(f"cannot export a result to ONNX: {why}")
    where = f" at {node.origin}" if node.origin is not None else ""
    return UnsupportedError(f"cannot export `{node.op.name}` to ONNX: {why}{where}")


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
    # `x.shape[i]` binds the axis as an input (`F.dim(x, i)`), `dim_of` as a param
    axis = node.params["axis"] if "axis" in node.params else int(node.inputs[1])
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
    """zeros like `x` with `g` added at `x[index]` (repeated indices add up)."""
    g, x, extra = node.inputs[0], node.inputs[1], node.inputs[2:]
    return [_add_into(t, node, g, x, lambda iota: _select(t, node, iota, len(x.shape), extra))]


def place_range(t, node):
    """zeros like `like` with `g` at `like[start:stop]` along `axis` (take_range's adjoint)."""
    g, like, start, stop = node.inputs
    axis = node.params["axis"]
    bounds = [_shape_vector(t, [b]) for b in (start, stop)]
    return [_add_into(t, node, g, like,
                      lambda iota: t.op("Slice", [iota, *bounds, t.ints([axis])]))]


def _add_into(t, node, g, x, select) -> str:
    """Zeros shaped like `x` with `g` added where `select` picks: the positions it picks
    from an iota shaped like `x` are where a ScatterElements adds `g`."""
    dtype = node.outputs[0].dtype
    shape, size = t.op("Shape", [t.value(x)]), t.op("Size", [t.value(x)])
    zero, one = (t.constant(np.asarray(v, np.int64)) for v in (0, 1))
    iota = t.op("Reshape", [t.op("Range", [zero, size, one]), shape])
    picked = t.op("Reshape", [select(iota), t.ints([-1])])
    flat = t.op("Expand", [t.constant(np.zeros((), dtype)), t.op("Reshape", [size, t.ints([1])])])
    updates = t.op("Reshape", [t.value(g, dtype), t.ints([-1])])
    out = t.op("ScatterElements", [flat, picked, updates], axis=0, reduction="add")
    return t.op("Reshape", [out, shape])


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
        branches[attr] = t.subgraph(key, branch, node.outputs)
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
    t.open_scope()
    t.run_inline(body, names + captured)
    after_vars = [t.value(o, v.dtype) for o, v in zip(body.outputs, node.outputs)]
    (again,) = t.run_inline(cond, after_vars + captured)
    loop_test = t.op("Identity", [_truth(t, again, cond.outputs[0])])
    outs = [t.op("Identity", [a]) for a in after_vars]
    nodes = t.close_scope()
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


# -- loop records (reverse mode through loops: autodiff/history.py) ------------------------------
def loop_history(t, node):
    """A `Loop` that also appends each state, before each trip, to a flat record per loop
    variable (plus a layout row `[offset, *shape]` when the variable's shape is not static)
    and counts the trips: outputs `(trips, *state, *records, *layouts)`."""
    cond, body = node.params["cond"], node.params["body"]
    n = len(body.outputs)
    carried = body.inputs[:n]
    init = [t.value(x, v.dtype) for x, v in zip(node.inputs[:n], carried)]
    captured = [t.value(x) for x in node.inputs[n:]]
    (test,) = t.run_inline(cond, init + captured)
    start = _truth(t, test, cond.outputs[0])
    starts = [t.constant(np.asarray(0, np.int64)),
              *(t.constant(np.empty(0, v.dtype)) for v in carried),
              *(t.constant(np.empty((0, 1 + len(v.shape)), np.int64)) for v in carried)]
    count, state = t.fresh("trips"), [t.fresh(v.name or "state") for v in carried]
    records, layouts = [t.fresh("record") for _ in carried], [t.fresh("layout") for _ in carried]
    t.open_scope()
    new_records, new_layouts = [], []
    for v, name, record, layout in zip(carried, state, records, layouts):
        flat = t.op("Reshape", [name, t.ints([-1])])
        new_records.append(t.op("Concat", [record, flat], axis=0))
        if None in v.shape:
            row = t.op("Concat", [t.op("Reshape", [t.op("Size", [record]), t.ints([1])]),
                                  t.op("Shape", [name])], axis=0)
            layout = t.op("Concat", [layout, t.op("Unsqueeze", [row, t.ints([0])])], axis=0)
        new_layouts.append(t.op("Identity", [layout]))
    new_count = t.op("Add", [count, t.constant(np.asarray(1, np.int64))])
    t.run_inline(body, state + captured)
    after = [t.value(o, v.dtype) for o, v in zip(body.outputs, carried)]
    (again,) = t.run_inline(cond, after + captured)
    outs = [t.op("Identity", [_truth(t, again, cond.outputs[0])]), new_count,
            *(t.op("Identity", [a]) for a in after), *new_records, *new_layouts]
    nodes = t.close_scope()
    info = t.helper.make_tensor_value_info
    i64 = t.elem_type(np.int64)
    ins = [info(t.fresh("trip"), i64, []), info(t.fresh("cond_in"), t.elem_type(bool), []),
           info(count, i64, []), *(t.value_info(s, v) for s, v in zip(state, carried)),
           *(info(r, t.elem_type(v.dtype), [None]) for r, v in zip(records, carried)),
           *(info(lay, i64, [None, 1 + len(v.shape)]) for lay, v in zip(layouts, carried))]
    out_types = [(bool, []), (np.int64, []), *((v.dtype, v.shape) for v in carried),
                 *((v.dtype, [None]) for v in carried),
                 *((np.int64, [None, 1 + len(v.shape)]) for v in carried)]
    out_infos = [info(o, t.elem_type(d), list(s)) for o, (d, s) in zip(outs, out_types)]
    graph = t.helper.make_graph(nodes, t.fresh("body"), ins, out_infos)
    return t.op("Loop", ["", start, *starts[:1], *init, *starts[1:]], n_out=1 + 3 * n,
                body=graph)


def _segment(t, layout, i, shape):
    """(start, stop, shape) of recorded state `i`: from the layout row when the shape is
    not static, else at `i * size`."""
    i = t.value(i, np.int64)
    if None not in shape:
        size = t.constant(np.asarray(int(np.prod(shape)), np.int64))
        begin = t.op("Reshape", [t.op("Mul", [i, size]), t.ints([1])])
        return begin, t.op("Add", [begin, size]), t.ints(shape)
    row = t.op("Gather", [t.value(layout), i], axis=0)
    begin = t.op("Slice", [row, t.ints([0]), t.ints([1])])
    dims = t.op("Slice", [row, t.ints([1]), t.ints([INT64_MAX])])
    return begin, t.op("Add", [begin, t.op("ReduceProd", [dims], keepdims=1)]), dims


def history_read(t, node):
    data, layout, i = node.inputs
    begin, end, dims = _segment(t, layout, i, node.params["shape"])
    return [t.op("Reshape", [t.op("Slice", [t.value(data), begin, end]), dims])]


def history_write(t, node):
    g, data, layout, i = node.inputs
    begin, end, _ = _segment(t, layout, i, tuple(g.shape))
    return [_add_into(t, node, g, data, lambda iota: t.op("Slice", [iota, begin, end]))]
