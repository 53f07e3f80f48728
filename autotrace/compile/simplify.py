"""Light graph optimization: algebraic identities, cheaper equivalent ops (`STRENGTH`:
`x**2` -> `x*x`, negations folded into `+`/`-`, static `unbroadcast` -> `sum`), common
subexpressions, dead code; then a gradient's `g*a + g*b` as `g*(a + b)` (factoring.py).

Run on every concrete function's graph before it is printed or compiled, so a gradient
graph reads like the chain rule (`mul ones d` is just `d`) and runs no wasted kernels.
Identities only fire when the result has exactly the type the node had (same dtype, same
statically known shape), so numpy's broadcasting and promotion are never changed. Nodes
with side effects (print, assert, raise) are never removed, merged or reordered.
"""

from __future__ import annotations

import struct
import warnings

import numpy as np

from autotrace.compile.basis_products import diagonal_times, is_identity, times_diagonal
from autotrace.compile.factoring import factor_sums
from autotrace.graph.builder import aval_of
from autotrace.graph.ir import Graph, Node, Var
from autotrace.ops.registry import OPS
from autotrace.ops.shape import fresh_copy

# The rule tables key by the ops themselves (`OPS[name]` fails loudly for a renamed op,
# where a name string would silently never match). Ops registered above this layer
# (control flow, loop records) are looked up when a graph is simplified (`_upper`).
_ADD, _SUB, _MUL, _DIV, _POW, _NEG, _POS = (OPS[n] for n in (
    "add", "sub", "mul", "div", "pow", "neg", "pos"))
_CAST, _COPY, _FULL_LIKE, _SUM = OPS["cast"], OPS["copy"], OPS["full_like"], OPS["sum"]
_RESHAPE_LIKE, _BROADCAST_LIKE, _UNBROADCAST = (OPS[n] for n in (
    "reshape_like", "broadcast_like", "unbroadcast"))
_BROADCAST_TO, _MATMUL = OPS["broadcast_to"], OPS["matmul"]

_FILL_PRESERVING = frozenset(OPS[n] for n in (
    "expand_dims", "squeeze", "reshape", "reshape_like", "broadcast_to", "broadcast_like",
    "transpose", "cast"))


def _upper(name: str):
    """An op registered above this layer (`call`, `while_loop`, `loop_history`,
    `history_write`): registered by the time any graph is simplified."""
    return OPS[name]


def _const_value(x, producers: dict):
    """The constant every element of `x` equals: a literal, a `full_like` fill value, or
    either of those seen through shape ops (`expand_dims(ones)` is still all ones)."""
    while isinstance(x, Var):
        node = producers.get(x.uid)
        if node is None:
            return None
        if node.op is _FULL_LIKE:
            fill = node.inputs[1]
            return None if isinstance(fill, Var) else fill
        if node.op not in _FILL_PRESERVING:
            return None
        x = node.inputs[0]
    return x


def _is(value, target) -> bool:
    if value is None or isinstance(value, (bool, np.bool_)):
        return False
    if type(value) in (int, float, complex):  # what numpy's comparison gives, without it
        return value == target
    try:
        arr = np.asarray(value)
        return arr.dtype.kind in "iufc" and bool(np.all(arr == target))
    except (TypeError, ValueError):
        return False


def _same_type(a, out: Var) -> bool:
    # 0-d results are excluded: numpy returns a scalar there, the input may be a 0-d array.
    return isinstance(a, Var) and a.dtype == out.dtype and a.weak == out.weak and \
        a.shape == out.shape and None not in a.shape and out.shape != ()


# op -> rules giving the value replacing the node's single output, or None.
# Each rule gets (inputs, output var, producers).
RULES = {
    _MUL: [
        lambda i, o, p: i[0] if _is(_const_value(i[1], p), 1) else None,  # x*1 -> x
        lambda i, o, p: i[1] if _is(_const_value(i[0], p), 1) else None,  # 1*x -> x
    ],
    _DIV: [lambda i, o, p: i[0] if _is(_const_value(i[1], p), 1) else None],  # x/1 -> x
    _ADD: [
        lambda i, o, p: i[0] if _is(_const_value(i[1], p), 0) else None,  # x+0 -> x
        lambda i, o, p: i[1] if _is(_const_value(i[0], p), 0) else None,  # 0+x -> x
    ],
    _SUB: [lambda i, o, p: i[0] if _is(_const_value(i[1], p), 0) else None],  # x-0 -> x
    _POW: [lambda i, o, p: i[0] if _is(_const_value(i[1], p), 1) else None],  # x**1 -> x
    _NEG: [lambda i, o, p: _neg_of(i[0], p)],  # --x -> x
    _CAST: [lambda i, o, p: i[0]],  # cast to its own type -> x (checked by _same_type)
    _RESHAPE_LIKE: [lambda i, o, p: i[0]],  # same shape -> x
    _BROADCAST_LIKE: [lambda i, o, p: i[0]],
    _UNBROADCAST: [lambda i, o, p: i[0]],
    _POS: [lambda i, o, p: i[0]],
    _MATMUL: [
        lambda i, o, p: i[1] if is_identity(i[0]) else None,  # I @ x -> x
        lambda i, o, p: i[0] if is_identity(i[1]) else None,  # x @ I -> x
    ],
}


def _neg_of(x, producers):
    node = producers.get(x.uid) if isinstance(x, Var) else None
    return node.inputs[0] if node is not None and node.op is _NEG else None


# op -> rules rewriting a node in place into cheaper ops, as (op, inputs, params) or
# None; each gets (inputs, producers). A rewrite applies only when the new op's
# abstract rule gives the node's exact shape and dtype, so promotion never changes.
STRENGTH = {
    _POW: [
        lambda i, p: (_MUL, (i[0], i[0]), {}) if _is(_const_value(i[1], p), 2) else None,
        # x**2 -> x*x (what ndarray.__pow__ computes too)
        lambda i, p: (_FULL_LIKE, (i[0], 1), {}) if _is(_const_value(i[1], p), 0) else None,
        # x**0 -> ones (nan**0 is 1 as well)
    ],
    _ADD: [
        lambda i, p: _with_neg(_SUB, i[0], i[1], p),  # a + -b -> a - b
        lambda i, p: _with_neg(_SUB, i[1], i[0], p),  # -a + b -> b - a
    ],
    _SUB: [lambda i, p: _with_neg(_ADD, i[0], i[1], p)],  # a - -b -> a + b
    _MUL: [
        lambda i, p: _neg_times_constant(i[0], i[1], p),  # -a * c -> a * -c
        lambda i, p: _neg_times_constant(i[1], i[0], p),  # c * -a -> a * -c
    ],
    _UNBROADCAST: [lambda i, p: _sum_to_shape(*i)],  # unbroadcast(g, x) -> sum(g, axis=...)
    _MATMUL: [
        lambda i, p: diagonal_times(i[0], i[1], p),  # (I * v) @ w -> v[:, None] * w
        lambda i, p: times_diagonal(i[0], i[1], p),  # w @ (I * v) -> w * v
    ],
}
STRENGTH_REDUCTION = True  # the tests switch it off to compare results with and without


def _with_neg(op: str, a, negated, producers):
    b = _neg_of(negated, producers)
    return None if b is None else (op, (a, b), {})


def _neg_times_constant(negated, c, producers):
    a = _neg_of(negated, producers)
    if a is None or not isinstance(a, Var) or a.dtype.kind not in "fc" or \
            not isinstance(c, (float, int, np.floating, np.integer)) or isinstance(c, bool):
        return None  # (unsigned ints cannot take -c)
    return (_MUL, (a, -c), {})


def _sum_to_shape(g, like):
    """`unbroadcast` with static shapes as one direct sum: over the leading axes, or over
    the axes `like` has as 1 (keepdims). Mixed cases keep the general op."""
    if not (_static(g) and _static(like)) or like.shape == ():
        return None  # a 0-d result would become a numpy scalar
    lead = len(g.shape) - len(like.shape)
    ones = tuple(lead + k for k, d in enumerate(like.shape) if d == 1 and g.shape[lead + k] != 1)
    if lead and not ones:
        return (_SUM, (g,), {"axis": tuple(range(lead)), "keepdims": False})
    if ones and not lead:
        return (_SUM, (g,), {"axis": ones, "keepdims": True})
    return None


def _reduce_strength(node: Node, producers: dict) -> None:
    """Apply the first `STRENGTH` rule whose new op gives the node's exact type."""
    rules = STRENGTH.get(node.op) if STRENGTH_REDUCTION else None
    if not rules or len(node.outputs) != 1 or node.outputs[0].weak is not None:
        return
    out = node.outputs[0]
    for rule in rules:
        new = rule(node.inputs, producers)
        if new is None:
            continue
        op, inputs, params = new
        try:
            aval = op.abstract(*map(aval_of, inputs), **params)
        except (TypeError, ValueError):
            continue
        if aval.shape == out.shape and aval.dtype == out.dtype and aval.weak is None:
            node.op, node.inputs, node.params = op, inputs, params
            return


def simplify(graph: Graph) -> Graph:
    """Simplify `graph` in place (and its sub-graphs); returns it."""
    aliases = _fuse_recorded_loops(graph)
    results = {x.uid for x in graph.outputs if isinstance(x, Var)}  # stay computed values
    producers: dict[int, Node] = {}
    uniform: dict = {}  # uid -> the value every element has, or None (`_uniform_value`)
    seen: dict = {}
    kept = []
    for node in graph.nodes:
        node.inputs = tuple(_resolve(x, aliases) for x in node.inputs)
        for sub in node.subgraphs():
            simplify(sub)
        _specialize(node, producers, uniform)
        _reduce_strength(node, producers)
        replacement = _fold(node, results)
        if replacement is None:
            replacement = _rewrite(node, producers)
        if replacement is not None:
            aliases[node.outputs[0].uid] = replacement
            _keep_name(node.outputs[0], replacement)
            continue
        key = _cse_key(node)
        if key is not None and key in seen:
            for old, new in zip(node.outputs, seen[key].outputs):
                aliases[old.uid] = new
                _keep_name(old, new)
            continue
        if key is not None:
            seen[key] = node
        for v in node.outputs:
            producers[v.uid] = node
        if STRENGTH_REDUCTION and node.op in _UNIFORM_SOURCES and len(node.outputs) == 1:
            _uniform_value(node.outputs[0], producers, uniform)  # in order: no deep recursion
        kept.append(node)
    inputs = {v.uid for v in graph.inputs}
    originals = list(graph.outputs)
    graph.outputs = [_resolve(x, aliases) for x in graph.outputs]
    for i, (old, new) in enumerate(zip(originals, graph.outputs)):
        if _became_input(old, new, inputs):
            kept.append(_fresh_copy(new, old))
            graph.outputs[i] = kept[-1].outputs[0]
    graph.nodes = _live_nodes(kept, graph.outputs)
    if factor_sums(graph):  # g*a + g*b -> g*(a + b) in a gradient's sums
        graph.nodes = _live_nodes(graph.nodes, graph.outputs)
    return graph


def _fuse_recorded_loops(graph: Graph) -> dict:
    """A `while_loop` that a `loop_history` node runs again on the same inputs (to record
    its iterations for a gradient) runs once: the record takes the loop's place and gives
    its final state. Returns aliases from the loop's outputs to the record's."""
    history, loop = _upper("loop_history"), _upper("while_loop")
    records = {_loop_key(n): n for n in graph.nodes if n.op is history}
    if not records:
        return {}
    aliases: dict[int, object] = {}
    placed: set[int] = set()
    nodes = []
    for node in graph.nodes:
        record = records.get(_loop_key(node)) if node.op is loop else None
        if record is not None:
            finals = record.outputs[1:1 + len(node.outputs)]
            for old, new in zip(node.outputs, finals):
                aliases[old.uid] = new
                new.name = old.name or new.name
            node = record
        if node.op is history:
            if node.uid in placed:
                continue
            placed.add(node.uid)
        nodes.append(node)
    graph.nodes = nodes
    return aliases


def _loop_key(node: Node) -> tuple:
    return (id(node.params["cond"]), id(node.params["body"]),
            tuple(_hashable(x) for x in node.inputs))


# -- constant folding -------------------------------------------------------------------------
FOLD_MAX = 4096  # elements; larger constants stay run-time computations
# Inputs that only give a shape: a Var of fully known static shape is as good as a constant.
_SHAPE_TEMPLATES = {_FULL_LIKE: 0, _BROADCAST_LIKE: 1, _RESHAPE_LIKE: 1, _UNBROADCAST: 1}
_ARITHMETIC = frozenset({_ADD, _SUB, _MUL, _DIV})


def _fold(node: Node, results: set):
    """The constant that a node with constant inputs computes (small results only), so a
    gradient seed `full_like(loss, 1)` no longer keeps the loss alive, and what it feeds
    folds too (`broadcast_like(1.0, err) / 256` is one constant). Values in `results`
    (the graph's outputs) stay computed."""
    if len(node.outputs) != 1 or node.op.effect or node.subgraphs() or \
            _not_folded(node.op) or node.outputs[0].uid in results:
        return None
    args = list(node.inputs)
    k = _SHAPE_TEMPLATES.get(node.op)
    if k is not None and _static(args[k]):
        args[k] = np.empty(args[k].shape, args[k].dtype)
    if any(isinstance(x, Var) or np.size(x) > FOLD_MAX for x in args):
        return None
    try:
        with np.errstate(all="raise"):
            value = node.op.impl(*args, **node.params)
    except Exception:  # the error (or warning) belongs to run time
        return None
    out = node.outputs[0]
    ok = np.size(value) <= FOLD_MAX and _has_type(value, out)
    return value if ok else None


def _not_folded(op) -> bool:
    """`call` runs compiled code; `copy` must give a fresh array on every call."""
    return op is _COPY or op is _upper("call")


def _has_type(value, var: Var) -> bool:
    if var.weak is not None:
        return type(value) is var.weak
    return hasattr(value, "dtype") and value.dtype == var.dtype and np.shape(value) == var.shape


def _static(x) -> bool:
    return isinstance(x, Var) and None not in x.shape


def _specialize(node: Node, producers: dict, uniform: dict) -> None:
    """Rewrite a node in place into a cheaper equivalent:

    * `broadcast_like(x, like)` with `like`'s shape known -> `broadcast_to(x, shape)`
      (no run-time dependency on `like`);
    * arithmetic with a constant array of equal elements, when the other operand alone
      has the result's shape -> the same with a numpy scalar (`1/256 * err`);
    * the same for a computed value whose elements are all one known constant
      (`_uniform_value`: a broadcast seed `ones * 3`), when `STRENGTH_REDUCTION` is on:
      `(ones * 0.5) * x` -> `0.5 * x`, and the full-size `ones * 0.5` dies.

    Exact: the ufunc computes the same products of the same element values (a scalar
    broadcasts to what the array held), in the same dtype (the scalar has the array's
    dtype, both strongly typed), with the same floating-point warnings; the uniform
    value itself is only known where computing it raised none.
    """

    if node.op is _BROADCAST_LIKE and _static(node.inputs[1]):
        node.op, node.params = _BROADCAST_TO, {"shape": node.inputs[1].shape}
        node.inputs = node.inputs[:1]
    elif node.op in _ARITHMETIC and len(node.inputs) == 2:
        out = node.outputs[0]
        node.inputs = tuple(_scalar_if_uniform(x, other, out)
                            for x, other in zip(node.inputs, node.inputs[::-1]))
        if STRENGTH_REDUCTION and out.weak is None and out.shape != ():
            a, b = node.inputs  # one at a time: `u + u` keeps one array operand
            a = _scalar_if_uniform_var(a, b, out, producers, uniform)
            node.inputs = (a, _scalar_if_uniform_var(b, a, out, producers, uniform))


def _scalar_if_uniform_var(x, other, out: Var, producers: dict, uniform: dict):
    if not isinstance(x, Var) or x.weak is not None or not _static(other) or \
            other.weak is not None or other.shape != out.shape or other.dtype != out.dtype:
        return x
    value = _uniform_value(x, producers, uniform)
    return x if value is None else value


# Ops whose every element is one of their input 0's elements, unchanged (`cast` changes
# values, so it is not one of them).
_VALUE_PRESERVING = _FILL_PRESERVING - {_CAST}
_UNIFORM_SOURCES = _VALUE_PRESERVING | _ARITHMETIC | {_FULL_LIKE}


def _uniform_value(x: Var, producers: dict, uniform: dict):
    """The numpy scalar (of `x`'s dtype) that every element of the computed value `x`
    equals, or None: a constant broadcast or reshaped, a `full_like` fill, or arithmetic
    on such values and constants that raises no floating-point warning. Memoized in
    `uniform` by uid; `simplify` fills it node by node, so an input is already known."""
    if x.uid in uniform:
        return uniform[x.uid]
    uniform[x.uid] = None  # (no cycles in a graph; a guard all the same)
    node = producers.get(x.uid)
    value = None if node is None or len(node.outputs) != 1 or x.weak is not None \
        else _uniform_of_node(node, x, producers, uniform)
    if value is not None and (not isinstance(value, np.generic) or value.dtype != x.dtype):
        value = None
    uniform[x.uid] = value
    return value


def _uniform_of_node(node: Node, x: Var, producers: dict, uniform: dict):
    if node.op in _VALUE_PRESERVING:
        src = node.inputs[0]
        if isinstance(src, Var):
            return _uniform_value(src, producers, uniform)
        return _uniform_literal(src)
    if node.op is _FULL_LIKE:
        fill = node.inputs[1]
        if isinstance(fill, Var) or type(fill) not in (int, float) or x.dtype.kind not in "iuf":
            return None
        value = _computed(lambda: np.full_like(np.empty(1, x.dtype), fill)[0])
        return value if value is not None and value == fill else None  # exact fills only
    if node.op in _ARITHMETIC and not node.params and len(node.inputs) == 2:
        args = []
        for a in node.inputs:
            if isinstance(a, Var):
                a = _uniform_value(a, producers, uniform)
                if a is None:
                    return None
                args.append(np.full(1, a, a.dtype))  # an array: its dtype is not weak
            elif type(a) in (int, float) or isinstance(a, np.generic):
                args.append(a)
            else:
                a = _uniform_literal(a)
                if a is None:
                    return None
                args.append(np.full(1, a, a.dtype))
        result = _computed(lambda: node.op.impl(*args))
        if not isinstance(result, np.ndarray) or result.dtype != x.dtype:
            return None
        return result[0]
    return None


def _uniform_literal(value):
    """The first element of a constant array whose elements are all equal (bitwise-equal
    by value: a nan, a mix of 0.0 and -0.0 do not count), else None."""
    if isinstance(value, np.generic):
        value = np.asarray(value)
    if not isinstance(value, np.ndarray) or value.size == 0 or value.dtype.kind not in "biuf":
        return None
    first = value.flat[0]
    same = np.all(value == first) and (value.dtype.kind != "f" or
                                       np.all(np.signbit(value) == np.signbit(first)))
    return first if same else None


def _computed(fn):
    """`fn()`, or None where it raises or warns (that warning belongs to run time)."""
    try:
        with np.errstate(all="raise"), warnings.catch_warnings():
            warnings.simplefilter("error")
            return fn()
    except Exception:
        return None


def _scalar_if_uniform(x, other, out: Var):
    if not isinstance(x, np.ndarray) or x.size == 0 or not _static(other) or \
            other.shape != out.shape or other.dtype != out.dtype:
        return x
    first = x.flat[0]
    return x.dtype.type(first) if np.all(x == first) else x


def _became_input(old, new, inputs: set) -> bool:
    """An output computed by a node now resolves to an input of the graph."""
    return isinstance(old, Var) and old.uid not in inputs and isinstance(new, Var) and \
        new.uid in inputs


def _fresh_copy(var: Var, like: Var) -> Node:

    out = Var(var.shape, var.dtype, like.name, weak=var.weak)
    node = Node(fresh_copy, (var,), {}, (out,), like.node.origin if like.node else None)
    out.node = node
    return node


def _resolve(x, aliases: dict):
    while isinstance(x, Var) and x.uid in aliases:
        x = aliases[x.uid]
    return x


def _keep_name(old: Var, new) -> None:
    if isinstance(new, Var) and new.name is None and old.name is not None:
        new.name = old.name


# Ops whose result has the run-time shape of one input (position): `full_like(x, 0)` is
# shaped like x, `history_write(g, data, ...)` like data, and so on.
_SHAPED_LIKE_INPUT = {OPS[name]: k for name, k in {
    "full_like": 0, "broadcast_like": 1, "reshape_like": 1, "unbroadcast": 1,
    "scatter_add": 1, "place_range": 1, "diagonal_scatter": 1, "add_along_axis": 1,
    "repeat_sum": 1, "tile_sum": 1}.items()}
_TO_SHAPE_OF = frozenset({_BROADCAST_LIKE, _RESHAPE_LIKE, _UNBROADCAST})


def _already_shaped(node: Node, producers: dict):
    """`unbroadcast(g, like)` (or a reshape / broadcast to `like`) where `g` is known to have
    `like`'s run-time shape already, even with unknown dims: `g`."""
    g, like, out = node.inputs[0], node.inputs[1], node.outputs[0]
    producer = producers.get(g.uid) if isinstance(g, Var) else None
    if producer is None or g.dtype != out.dtype or g.weak != out.weak:
        return None
    k = 1 if producer.op is _upper("history_write") else _SHAPED_LIKE_INPUT.get(producer.op)
    return g if k is not None and producer.inputs[k] is like else None


def _rewrite(node: Node, producers: dict):
    if len(node.outputs) != 1 or node.op.effect:
        return None
    out = node.outputs[0]
    if node.op in _TO_SHAPE_OF:
        shaped = _already_shaped(node, producers)
        if shaped is not None:
            return shaped
    for rule in RULES.get(node.op, ()):
        candidate = rule(node.inputs, out, producers)
        if candidate is not None and _same_type(candidate, out):
            return candidate
    return None


def _cse_key(node: Node):
    if node.op.effect or any(_has_effects(g) for g in node.subgraphs()):
        return None
    try:
        inputs = tuple(_hashable(x) for x in node.inputs)
        params = tuple(sorted((k, _hashable(v)) for k, v in node.params.items()))
        key = (node.op, inputs, params)
        hash(key)
        return key
    except TypeError:
        return None


def _hashable(x):
    if isinstance(x, Var):
        return ("var", x.uid)
    if isinstance(x, (np.ndarray, Graph)) or callable(x):
        return ("id", id(x))
    if isinstance(x, slice):
        return ("slice", _hashable(x.start), _hashable(x.stop), _hashable(x.step))
    if isinstance(x, (tuple, list)):
        return tuple(_hashable(i) for i in x)
    if isinstance(x, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in x.items()))
    # Numbers by their bits: 0.0 == -0.0 but they differ (`x * -0.0`), and so do nans.
    if isinstance(x, np.generic):
        return (type(x).__name__, x.tobytes())
    if isinstance(x, (float, complex)):
        return (type(x).__name__, struct.pack("<dd", x.real, x.imag))
    return (type(x).__name__, x)


def _has_effects(graph: Graph) -> bool:
    return any(n.op.effect or any(_has_effects(g) for g in n.subgraphs()) for n in graph.nodes)


def _live_nodes(nodes: list, outputs: list) -> list:
    """Nodes that an output needs, plus every node with side effects (dead code removal)."""
    needed = {x.uid for x in outputs if isinstance(x, Var)}
    live = []
    for node in reversed(nodes):
        effect = node.op.effect or any(_has_effects(g) for g in node.subgraphs())
        if effect or any(v.uid in needed for v in node.outputs):
            live.append(node)
            needed.update(x.uid for x in node.inputs if isinstance(x, Var))
    live.reverse()
    return live
