"""Per-iteration loop state as differentiable values, and the reverse sweep over it.

Reverse mode through a `while_loop` needs each iteration's input state. `loop_history`
runs the loop and records, for every loop variable, the states it took *before* each
iteration, packed into one flat array plus a layout (`[offset, *shape]` per iteration, so
a variable may change shape between iterations; no rows when its shape is static):

    trips, y, y_record, y_layout = loop_history x x   # the while_loop's result, and the record
    y_k: f64[] = history_read y_record y_layout k     # state of `y` at iteration k

The record is an ordinary float array, so gradients flow into it: `history_read` and
`history_write` (a segment of zeros) are each other's VJPs, and `loop_history`'s own VJP
is a reverse sweep that adds the cotangent of each recorded state as it walks back. That
is what makes second and higher derivatives through a loop with a data-dependent trip
count exact.

Memory: the record holds every iteration's state, `trip count x state size`; a second
derivative also carries a cotangent of the same size through its reverse loop.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from autotrace import context
from autotrace.autodiff.backprop import is_float
from autotrace.autodiff.inline import graph_vjp
from autotrace.autodiff.loop_checkpoints import (
    history_replay,
    policy,
    refuse_derivative,
    run_checkpointed,
)
from autotrace.compile.codegen import emit_call, hoist_loop_bounds
from autotrace.control.common import run_graph
from autotrace.control.loop_trace import graph_while
from autotrace.errors import UnsupportedError
from autotrace.graph.ir import Var
from autotrace.ops import rules
from autotrace.ops.creation import zeros_like
from autotrace.ops.registry import OPS, Aval, Op, apply, register
from autotrace.ops.shapes import shape_of
from autotrace.tensor import is_tensor


# -- recording --------------------------------------------------------------------------------
def _history_impl(*inputs, cond, body, every=None):
    n = len(body.outputs)
    if every is not None:  # only some states kept (loop_checkpoints); one record object
        trips, *final, record = run_checkpointed(inputs, cond, body, every)
        layouts = (np.empty((0, 1 + len(v.shape)), np.int64) for v in body.inputs[:n])
        return (trips, *final, *(record,) * n, *layouts)
    state, captured = list(inputs[:n]), inputs[n:]
    states = []
    while run_graph(cond, *state, *captured)[0]:
        states.append(state)
        state = list(run_graph(body, *state, *captured))
    packed = [pack([s[k] for s in states], v) for k, v in enumerate(body.inputs[:n])]
    return (np.int64(len(states)), *state, *(d for d, _ in packed), *(lay for _, lay in packed))


def pack(values: list, var) -> tuple:
    """(flat data, layout) of one loop variable's states. The layout has a row
    `[offset, *shape]` per state, or no rows when `var`'s shape is static (state k is then
    at `k * size`)."""
    ndim = len(var.shape)
    if None not in var.shape:
        data = np.array(values, dtype=var.dtype).reshape(-1)
        return data, np.empty((0, 1 + ndim), np.int64)
    if not values:
        return np.empty(0, var.dtype), np.empty((0, 1 + ndim), np.int64)
    flat = [np.ravel(v) for v in values]
    offsets = np.cumsum([0] + [f.size for f in flat[:-1]])
    layout = np.array([[o, *np.shape(v)] for o, v in zip(offsets, values)], dtype=np.int64)
    return np.concatenate(flat).astype(var.dtype, copy=False), layout


DROP_UNREAD = True  # switched off to compare results with and without it (tests)


def _emit_history(node, em, indent: str) -> None:
    """Inline Python, like a `while_loop`, appending each state to a list as it goes.

    A variable whose record nothing reads (an int counter: the gradient needs no state of
    it) keeps no list and gets an empty placeholder; with a list kept, the trip count is
    its length (no counter to add to on every trip)."""
    if node.params.get("every") is not None:
        return emit_call(node, em, indent)
    cond, body = node.params["cond"], node.params["body"]
    n = len(body.outputs)
    names = [em.name(v) for v in node.outputs[1:1 + n]]
    kept = [not (DROP_UNREAD and em.graph is not None and _unread(node, k, n, em.graph))
            for k in range(n)]
    lists = [em.fresh(f"{name}_states") if keep else None for name, keep in zip(names, kept)]
    count = em.name(node.outputs[0])
    counted = not any(kept)
    if counted:
        em.emit(f"{count} = 0", indent, node)
    for name, states, x in zip(names, lists, node.inputs[:n]):
        em.emit(f"{name}, {states} = {em.value(x)}, []" if states else
                f"{name} = {em.value(x)}", indent, node)
    captured = [*node.outputs[1:1 + n], *node.inputs[n:]]
    for graph in (cond, body):
        for var, value in zip(graph.inputs, captured):
            em.alias(var, em.value(value))
    hoist_loop_bounds(em, cond, n, indent)
    em.emit("while True:", indent)
    inner = indent + "    "
    em.emit_graph(cond, inner)
    em.emit(f"if not {em.value(cond.outputs[0])}:", inner)
    em.emit("break", inner + "    ")
    for name, states in zip(names, lists):
        if states:
            em.emit(f"{states}.append({name})", inner)
    if counted:
        em.emit(f"{count} += 1", inner)
    em.emit_loop_body(body, inner)
    em.emit_next_state(names, body, inner)
    if not counted:
        em.emit(f"{count} = len({next(s for s in lists if s)})", indent)
    fn = em.bind(pack, "pack")
    for k, (states, var) in enumerate(zip(lists, body.inputs[:n])):
        data, layout = (em.name(v) for v in node.outputs[1 + n + k::n][:2])
        record = node.outputs[1 + n + k]
        no_layout = em.bind(_empty((0, 1 + len(var.shape)), np.int64), "no_layout")
        if states is None:  # read by nothing: a placeholder of the record's type
            empty = em.bind(_empty((0,), var.dtype), f"no_{var.dtype.name}_record")
            em.emit(f"{data}, {layout} = {empty}, {no_layout}", indent)
        elif _listed(var) and em.graph is not None and _read_only(record, em.graph):
            # the list is the record: no packed copy (1x memory)
            em.emit(f"{data}, {layout} = {states}, {no_layout}", indent)
        else:
            em.emit(f"{data}, {layout} = {fn}({states}, {em.bind(var, 'var')})", indent)


@functools.lru_cache(maxsize=None)
def _empty(shape: tuple, dtype) -> np.ndarray:
    """One read-only empty array per shape and dtype (generated code binds it once)."""
    out = np.empty(shape, dtype)
    out.flags.writeable = False
    return out


def _unread(node, k: int, n: int, graph) -> bool:
    """Whether nothing in `graph` reads the record (data and layout) of loop variable `k`
    of `node`: no node but a loop or branch that captures it without reading it (the
    reverse sweep's loop captures every record, its body reads only those it needs)."""
    return all(_unused(node.outputs[j + k], graph) for j in (1 + n, 1 + 2 * n))


def _unused(value, graph) -> bool:
    if any(o is value for o in graph.outputs):
        return False
    for node in graph.nodes:
        for p, x in enumerate(node.inputs):
            if x is value:
                subs = _captured_as(node, p)
                if subs is None or not all(_unused(g.inputs[q], g) for g, q in subs):
                    return False
    return True


def _listed(var) -> bool:
    """Whether generated numpy code may keep this loop variable's states as the list of
    the arrays themselves (static shape, not 0-d: state k is `data[k]`, nothing copied)
    rather than packed into one flat array. Eager and other evaluation paths always pack;
    `history_read` and `history_write` accept both."""
    return var.weak is None and len(var.shape) > 0 and None not in var.shape


def _read_only(record, graph) -> bool:
    """Whether `record` is only ever given to `history_read` / `history_write` as their
    data, in `graph` and the sub-graphs of its loops and branches that it is captured by
    (a record used as an array — a higher derivative's `zeros_like(record)` — is packed)."""
    if any(o is record for o in graph.outputs):
        return False
    for node in graph.nodes:
        for p, x in enumerate(node.inputs):
            if x is not record:
                continue
            if (node.op is history_read and p == 0) or (node.op is history_write and p == 1):
                continue
            subs = _captured_as(node, p)
            if subs is None or not all(_read_only(g.inputs[q], g) for g, q in subs):
                return False
    return True


def _captured_as(node, p: int):
    """[(sub-graph, input position)] that node input `p` binds to when it is captured (not
    loop-carried) by a `while_loop` or an operand of a `cond`; None otherwise."""
    op, params = node.op, node.params
    if op is OPS["while_loop"] and p >= len(params["body"].outputs):
        return [(params["cond"], p), (params["body"], p)]
    if op is OPS["cond"] and p >= 1:
        return [(params["then"], p - 1), (params["orelse"], p - 1)]
    return None


def _history_abstract(*avals, cond, body, every=None):
    carried = body.inputs[: len(body.outputs)]
    return (Aval((), np.dtype(np.int64)),
            *(Aval(v.shape, v.dtype, v.weak) for v in carried),
            *(Aval((None,), v.dtype) for v in carried),
            *(Aval((None, 1 + len(v.shape)), np.dtype(np.int64)) for v in carried))


def _history_vjp(cts, *rest, cond, body, every=None):
    """The record's cotangents (and the final state's) back to the loop's inputs."""
    inputs, outs = rest[:-1], rest[-1]
    n = len(body.outputs)
    record = Record(body, inputs[n:], outs[0], outs[1:1 + n], outs[1 + n:1 + 2 * n],
                    outs[1 + 2 * n:], every)
    return record.reverse_sweep(cts[1:1 + n], cts[1 + n:1 + 2 * n])


loop_history = register(Op("loop_history", _history_impl, _history_abstract, vjp=_history_vjp,
                           multiple_results=True, emit=_emit_history))


def _history_jvp(primals, tangents, cond, body, every=None):
    """Forward mode through a recorded loop (a loop gradient's JVP: forward over reverse).

    The tangents ride along as extra loop variables (as for `while_loop`), and the
    augmented loop is recorded: the record of a tangent state is the tangent of the
    state's record (reading and writing records is linear), so the tangent of every
    output comes from one recorded run.
    """
    if every is not None:
        refuse_derivative()
    n = len(body.outputs)
    floats = [is_float(v) for v in body.inputs[:n]]
    if all(t is None for t in tangents):
        return apply(loop_history, *primals, cond=cond, body=body), None
    while_loop = OPS["while_loop"]  # control/while_loop.py, which imports this module
    final, _ = while_loop.jvp(primals, tangents, cond=cond, body=body)
    node = next((x.symbol.node for x in final if is_tensor(x)), None)
    m = sum(floats)
    if node is None or node.op is not while_loop or len(node.outputs) != n + m:
        raise UnsupportedError(  # pragma: no cover - graph_while carries every variable
            "forward mode through this loop's gradient: the augmented loop changed shape")
    aug_cond, aug_body = node.params["cond"], node.params["body"]
    builder = context.current_builder()
    inputs = [builder.tensor(x) if isinstance(x, Var) else x for x in node.inputs]
    outs = apply(loop_history, *inputs, cond=aug_cond, body=aug_body)
    count, finals = outs[0], outs[1:1 + n + m]
    datas, layouts = outs[1 + n + m:1 + 2 * (n + m)], outs[1 + 2 * (n + m):]
    t_final, t_datas, k = [None] * n, [None] * n, 0
    for j, f in enumerate(floats):
        if f:
            t_final[j], t_datas[j] = finals[n + k], datas[n + k]
            k += 1
    primal = (count, *finals[:n], *datas[:n], *layouts[:n])
    return primal, (None, *t_final, *t_datas, *(None,) * n)


loop_history.jvp = _history_jvp


def record_loop(inputs, cond, body, names=()) -> Record:
    """Run a `while_loop` node's loop on `inputs` again, recording every iteration.

    `names`: the loop variables' names in the forward graph (the record is named after
    them: `trips`, `y_record`, `y_layout`).
    """
    n = len(body.outputs)
    every = policy(body)
    extra = {} if every is None else {"every": every}
    outs = apply(loop_history, *inputs, cond=cond, body=body, **extra)
    names = [names[k] if k < len(names) and names[k] else f"v{k}" for k in range(n)]
    labels = ["trips", *names, *(f"{m}_record" for m in names),
              *(f"{m}_layout" for m in names)]
    for out, label in zip(outs, labels):
        if out.symbol.name is None:
            out.symbol.name = label
    return Record(body, inputs[n:], outs[0], outs[1:1 + n], outs[1 + n:1 + 2 * n],
                  outs[1 + 2 * n:], every)


# -- reading and writing one iteration ---------------------------------------------------------
def _segment(layout, i, like) -> tuple[slice, tuple]:
    """(where state `i` is in the flat data, its shape); `like`: the static shape, or a
    value of the state's shape, used when the layout has no rows."""
    i = int(i)
    if len(layout):
        row = layout[i].tolist()
        shape = tuple(row[1:])
        return slice(row[0], row[0] + math.prod(shape)), shape
    shape = like if isinstance(like, tuple) else np.shape(like)
    size = math.prod(shape)
    return slice(i * size, (i + 1) * size), shape


def _read_impl(data, layout, i, shape, dtype, weak=None):
    if type(data) is list:  # generated code's record of static-shape states
        return data[int(i)]
    if not shape and not len(layout):
        return data[i]
    where, shape = _segment(layout, i, shape)
    return data[where].reshape(shape)[()]


def _write_impl(g, data, layout, i):
    size = (len(data) * np.size(data[0]) if data else 0,) if type(data) is list \
        else np.shape(data)
    out = np.zeros(size, dtype=np.result_type(g))
    out[_segment(layout, i, g)[0]] = np.ravel(g)
    return out


def _emit_read(node, em, indent: str) -> None:
    """A slice of the data for a state of static shape (no layout rows: state `i` is the
    `i`-th run of `size` elements), so the reverse sweep pays no call per trip; `x =
    data[i]` for a 0-d state; a call when the shape varies by iteration (or is weak)."""
    data, _, i = (em.value(x) for x in node.inputs)
    out = node.outputs[0]
    if None in out.shape or node.params.get("weak") is not None:
        return emit_call(node, em, indent)
    if out.shape == ():
        em.emit(f"{em.name(out)} = {data}[{i}]", indent, node)  # 0-d: one per slot
        return
    # The record is the list of states when this code made it (`_listed`), else flat
    # data (a cotangent record, or one from another evaluation path).
    size = math.prod(out.shape)
    view = f"{data}[{i} * {size}:({i} + 1) * {size}]"
    if len(out.shape) > 1:
        view += f".reshape({out.shape!r})"
    em.emit(f"{em.name(out)} = {data}[{i}] if type({data}) is list else {view}", indent, node)


history_read = register(Op(
    "history_read", _read_impl,
    lambda data, layout, i, shape, dtype, weak=None: Aval(shape, dtype, weak),
    vjp=lambda g, data, layout, i, out, **_: (apply(history_write, g, data, layout, i),
                                              None, None),
    emit=_emit_read,
))
rules.linear(history_read)
history_write = register(Op(
    "history_write", _write_impl, lambda g, data, layout, i: Aval(data.shape, g.dtype),
    vjp=lambda gg, g, data, layout, i, out: (read(gg, layout, i, shape_of(g), g.dtype),
                                             None, None, None),
))
rules.linear(history_write)


def read(data, layout, i, shape, dtype, weak=None):
    """The state recorded in `data` for iteration `i` (static type: shape, dtype, weak)."""
    extra = {} if weak is None else {"weak": weak}
    return apply(history_read, data, layout, i, shape=tuple(shape), dtype=np.dtype(dtype),
                 **extra)


# -- the reverse sweep -------------------------------------------------------------------------
class Record:
    """A loop's recorded run: iteration `count`, final state, and per loop variable the
    data and layout of its states before each iteration."""

    def __init__(self, body, captured, count, final, datas, layouts, every=None):
        self.body, self.captured = body, list(captured)
        self.count, self.final = count, list(final)
        self.datas, self.layouts = list(datas), list(layouts)
        self.carried = body.inputs[: len(body.outputs)]
        self.every = every  # checkpointed (loop_checkpoints): datas are one Checkpoints

    def state(self, i) -> list:
        """The loop variables at the start of iteration `i` (named after them)."""
        if self.every is not None:
            values = list(apply(history_replay, self.datas[0], i, *self.captured,
                                body=self.body))
        else:
            values = [read(d, lay, i, v.shape, v.dtype, v.weak)
                      for d, lay, v in zip(self.datas, self.layouts, self.carried)]
        for value, var in zip(values, self.carried):
            value.symbol.name = value.symbol.name or var.name
        return values

    def reverse_sweep(self, ct_final, ct_datas=None) -> tuple:
        """Cotangents of the loop's inputs `(*init, *captured)` (None where not float).

        `ct_final`: cotangents of the final state; `ct_datas`: of each variable's record
        (None entries: zero). One reverse `while_loop` walks the iterations from the last
        to the first: `ct_k = J_body(state_k)^T ct_(k+1) + ct_record[k]`.
        """

        n = len(self.carried)
        ct_datas = list(ct_datas) if ct_datas is not None else [None] * n
        if self.every is not None and any(c is not None for c in ct_datas):
            refuse_derivative()
        state_w = [k for k in range(n) if is_float(self.carried[k])]
        cap_w = [j for j, c in enumerate(self.captured) if is_float(c) and is_tensor(c)]
        wanted = state_w + [n + j for j in cap_w]
        out = [None] * (n + len(self.captured))
        if not wanted:
            return tuple(out)

        def reverse_body(i, *carry):
            ct_out = [None] * n
            for k, c in zip(state_w, carry):
                ct_out[k] = c
            grads = graph_vjp(self.body, [*self.state(i), *self.captured], ct_out, wanted)
            new_state = [g if ct_datas[k] is None else g + read(
                ct_datas[k], self.layouts[k], i, self.carried[k].shape, self.carried[k].dtype)
                for k, g in zip(state_w, grads)]
            new_cap = [a + g for a, g in zip(carry[len(state_w):], grads[len(state_w):])]
            return (i - 1, *new_state, *new_cap)

        init = (self.count - 1,
                *(zeros_like(self.final[k]) if ct_final[k] is None else ct_final[k]
                  for k in state_w),
                *(zeros_like(self.captured[j]) for j in cap_w))
        names = ("iteration", *(f"d{self.carried[k].name or k}" for k in state_w),
                 *(f"d{_name(self.captured[j], j)}" for j in cap_w))
        swept = graph_while(lambda i, *_: i >= 0, reverse_body, init,
                            names, "while")
        for k, g in zip(wanted, swept[1:]):
            out[k] = g
        return tuple(out)


def _name(x, j: int) -> str:
    var = getattr(x, "symbol", None)
    return getattr(var, "name", None) or f"captured{j}"
