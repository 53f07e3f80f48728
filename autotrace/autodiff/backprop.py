"""Reverse-mode accumulation over recorded op applications (one engine for everything).

An *entry* is one recorded application: the op, its inputs and outputs (graph `Var`s
while tracing, eager tensors otherwise), its params and the origin of the node. The
sweep walks entries backwards from the targets, asks each op's VJP rule for input
cotangents, fits them to the input's shape (undoing broadcasting) and dtype, and adds
them up. VJP rules are written with registry ops, so while tracing the sweep *builds
graph nodes*: a backward pass is a graph, printable and differentiable again.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np

from autotrace.compile.factoring import mark as mark_sum
from autotrace.errors import UnsupportedError
from autotrace.graph.ir import Origin, Var
from autotrace.ops.registry import OPS
from autotrace.ops.shape import astype, broadcast_like, unbroadcast
from autotrace.ops.shapes import shape_of
from autotrace.tensor import Tensor, TensorBase

_MUL = OPS["mul"]
MERGE_SQUARES = True  # `_square_cotangents`; the tests switch it off to compare results


@dataclass
class Entry:
    op: object
    inputs: tuple
    params: dict
    outputs: tuple
    origin: Origin | None = None


def key_of(x):
    """Identity of a differentiable value: its Var while tracing, the object otherwise."""

    if isinstance(x, Var):
        return ("var", x.uid)
    if isinstance(x, Tensor):
        return ("var", x.symbol.uid)
    return ("obj", id(x))


def as_value(x, builder):
    """A Var in a recorded entry, as a tensor the VJP rules can compute with."""
    return builder.tensor(x) if isinstance(x, Var) else x


def is_float(x) -> bool:
    dtype = getattr(x, "dtype", None)
    if dtype is None:
        return isinstance(x, (float, complex))
    return np.dtype(dtype).kind in "fc"


def backprop(entries: list, seeds: dict, wanted: set, builder, prefix: str = "d") -> dict:
    """Cotangents for the keys in `wanted`, given `seeds` (key -> cotangent of a target).

    Only entries on a path from a wanted key to a seeded key are visited. New traced
    cotangents are named `{prefix}{name}` after the value they belong to (`de_dc`).
    """
    relevant, reached = _forward_reach(entries, wanted)
    cts = dict(seeds)
    for entry in reversed(entries):
        if id(entry) not in relevant:
            continue
        out_cts = [cts.get(key_of(o)) for o in entry.outputs]
        if all(c is None for c in out_cts):
            continue
        if entry.op.vjp is None:
            if entry.op.no_gradient is not None:
                _refuse_gradient(entry, [x for x in entry.inputs if _differentiable_input(x)
                                         and key_of(x) in reached])
            continue
        with _origin(builder, entry):
            _accumulate(entry, out_cts, cts, builder, prefix)
    return {k: cts.get(k) for k in wanted}


def _accumulate(entry: Entry, out_cts: list, cts: dict, builder, prefix: str) -> None:
    """Add the entry's input cotangents into `cts`."""

    inputs = tuple(as_value(x, builder) for x in entry.inputs)
    outputs = tuple(as_value(x, builder) for x in entry.outputs)
    cotangents = _square_cotangents(entry, inputs, out_cts)
    if cotangents is None:
        cotangents = _vjp(entry, inputs, outputs, out_cts)
    for x, g in zip(entry.inputs, cotangents):
        if g is None or not _differentiable_input(x):
            continue
        k = key_of(x)
        g = fit(g, as_value(x, builder))
        if k in cts:
            g = cts[k] + g
            if isinstance(g, Tensor):
                mark_sum(g.symbol)  # ours to factor (compile/factoring.py)
        cts[k] = g
        name = x.name if isinstance(x, Var) else None
        if isinstance(g, Tensor) and g.symbol.name is None and name and \
                not _passed_through(g, out_cts):
            g.symbol.name = f"{prefix}{name}"


def _square_cotangents(entry: Entry, inputs, out_cts):
    """`x * x` sends `g * x` back to `x` twice, which the sweep would add up; it sends
    `x * (g + g)` once instead (what a person writes: one product, and where `g` is a
    constant, `g + g` folds: `d(0.5 * x*x)` is `x * 1.0`, which is `x`). `g + g` is
    exact, so the values are the same (`2 * (g*x)` either way) except where `g * x`
    overflows or underflows and `x * 2g` does not. None for any other entry."""
    if not MERGE_SQUARES or entry.op is not _MUL or entry.params or len(entry.inputs) != 2 or \
            not isinstance(entry.inputs[0], (Var, TensorBase)) or \
            key_of(entry.inputs[0]) != key_of(entry.inputs[1]) or out_cts[0] is None:
        return None
    g = out_cts[0]
    return (inputs[0] * (g + g), None)


def _passed_through(g, out_cts) -> bool:
    """`g` is an output's cotangent itself (an `add` passes it on): it is named after the
    value it belongs to first, not after every input it reaches."""
    return any(getattr(c, "symbol", None) is g.symbol for c in out_cts if c is not None)


def _vjp(entry: Entry, inputs, outputs, out_cts):
    """The op's rule; for several results `ct` is a tuple whose entry is None for a result
    no cotangent reached (the rule treats it as zero, without materializing zeros)."""
    if entry.op.multiple_results:
        return entry.op.vjp(tuple(out_cts), *inputs, outputs, **entry.params)
    return entry.op.vjp(out_cts[0], *inputs, outputs[0], **entry.params)


def _origin(builder, entry: Entry):
    """While tracing, gradient nodes carry the origin of the node they differentiate."""
    return builder.override_origin(entry.origin) if builder is not None else nullcontext()


def _differentiable_input(x) -> bool:

    return (isinstance(x, (Var, TensorBase))) and is_float(x)


def _forward_reach(entries: list, wanted: set) -> tuple[set, set]:
    """(ids of the entries that depend on a wanted key, the only ones whose VJPs matter;
    the keys of the values that depend on one)."""
    reached = set(wanted)
    relevant = set()
    for entry in entries:
        if any(key_of(x) in reached for x in entry.inputs if _is_traceable(x)):
            relevant.add(id(entry))
            reached.update(key_of(o) for o in entry.outputs)
    return relevant, reached


def _refuse_gradient(entry: Entry, through: list) -> None:
    """A gradient reached an op that refuses one (`Op.no_gradient`) through `through`."""
    if through:
        where = f" (at {entry.origin.short()})" if entry.origin is not None else ""
        raise UnsupportedError(f"{entry.op.no_gradient(**entry.params)}{where}")


def _is_traceable(x) -> bool:

    return isinstance(x, (Var, TensorBase))


def fit(g, x):
    """Cotangent `g` shaped and typed like `x` (undo broadcasting, cast)."""

    g_shape, x_shape = shape_of(g), shape_of(x)
    if g_shape != x_shape or None in x_shape:
        if len(g_shape) < len(x_shape):
            g = broadcast_like(g, x)
        else:
            g = unbroadcast(g, x)  # sums broadcast axes; a no-op at run time if none
    dtype = np.dtype(getattr(x, "dtype", None) or np.result_type(x))
    weak = isinstance(g, Tensor) and g.symbol.weak is not None
    if np.dtype(getattr(g, "dtype", None) or np.result_type(g)) != dtype or weak:
        g = astype(g, dtype)
    return g
