"""Checkpointed loop records: a `while` loop's gradient in memory ~sqrt(trips).

A loop gradient needs every iteration's input state. Stored in full (autodiff/history.py)
that is `trips x state size`. With checkpoints (`at.checkpoint(f, every=...)`) the forward
run keeps only some states; the reverse sweep rebuilds the others from the nearest
checkpoint before them, one segment at a time:

* `every=k`: states 0, k, 2k, ... are kept; memory trips/k + k states, one extra forward
  pass in all.
* `every="sqrt"`: the trip count is not known until the loop ends, so the spacing adapts:
  it starts at 1 and doubles, dropping every other checkpoint, whenever more than
  2 x spacing are kept. At the end about sqrt(2 trips) checkpoints are kept, segments are
  about sqrt(trips / 2) long: memory O(sqrt(trips)) states, one extra forward pass.

The reverse sweep walks the iterations from the last to the first, so each segment is
replayed once (`history_replay` keeps the current one). The record is an opaque value
(`Checkpoints`), read only by `history_replay`; it is not differentiable, so a second
derivative through a checkpointed loop is refused.
"""

from __future__ import annotations

import weakref

import numpy as np

from autotrace.control.common import run_graph
from autotrace.errors import UnsupportedError
from autotrace.ops.registry import OPS, Aval, Op, register


class Checkpoints:
    """The kept states of one loop run: `states[j]` is the state (a list over the loop
    variables) before iteration `j * spacing`; `trips` iterations ran."""

    def __init__(self, every):
        self.every = every
        self.spacing = 1 if every == "sqrt" else int(every)
        self.states: list[list] = []
        self.trips = 0
        self._segment: tuple[int, list] | None = None  # (index, its states) being swept

    def __repr__(self) -> str:
        return (f"<loop checkpoints: {len(self.states)} of {self.trips} states, every "
                f"{self.spacing}>")

    def static_check(self, var) -> None:
        """Checking mode (`AUTOTRACE_CHECK`): the record is this object, not an array."""

    def keep(self, trip: int, state: list) -> None:
        """Called before iteration `trip` with its input state."""
        if trip % self.spacing:
            return
        self.states.append(state)
        if self.every == "sqrt" and len(self.states) > 2 * self.spacing:
            self.states = self.states[::2]
            self.spacing *= 2

    def state(self, i: int, body, captured) -> list:
        """The state before iteration `i`, replaying its segment from its checkpoint."""
        j = i // self.spacing
        if self._segment is None or self._segment[0] != j:
            self._segment = None  # free the previous segment before building the next
            state = self.states[j]
            segment = [state]
            last = min(self.trips, (j + 1) * self.spacing) - 1
            for _ in range(j * self.spacing, last):
                state = list(run_graph(body, *state, *captured))
                segment.append(state)
            self._segment = (j, segment)
        return self._segment[1][i - j * self.spacing]


def run_checkpointed(inputs, cond, body, every) -> tuple:
    """Run the loop keeping checkpoints: (trips, *final state, Checkpoints)."""
    n = len(body.outputs)
    state, captured = list(inputs[:n]), inputs[n:]
    record = Checkpoints(every)
    while run_graph(cond, *state, *captured)[0]:
        record.keep(record.trips, state)
        record.trips += 1
        state = list(run_graph(body, *state, *captured))
    return (np.int64(record.trips), *state, record)


_POLICY: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # loop body -> every


def checkpoint_loops(graph, every) -> None:
    """Make the gradients of `graph`'s `while` loops (nested ones too) checkpointed."""
    for node in graph.walk():
        if node.op is OPS["while_loop"]:
            _POLICY[node.params["body"]] = every


def policy(body):
    """The `every` that `checkpoint_loops` set for a loop with this body, or None."""
    return _POLICY.get(body)


def check_every(every):
    """`every` as given to `checkpoint`: a positive int or "sqrt"; ValueError otherwise."""
    if every == "sqrt":
        return every
    if isinstance(every, (int, np.integer)) and not isinstance(every, bool) and every >= 1:
        return int(every)
    raise ValueError(f"checkpoint(every=...) takes a positive int or 'sqrt', not {every!r}")


# -- reading a state back -------------------------------------------------------------------
def _replay_impl(record, i, *captured, body):
    return tuple(record.state(int(i), body, captured))


def _replay_abstract(record, i, *captured, body):
    carried = body.inputs[: len(body.outputs)]
    return tuple(Aval(v.shape, v.dtype, v.weak) for v in carried)


def refuse_derivative(*args, **kwargs):
    raise UnsupportedError(
        "a second derivative (or forward mode) through a `while` loop whose gradient is "
        "checkpointed (`checkpoint(f, every=...)`) is not supported: the checkpoints are "
        "not differentiable. Drop `every=` for higher derivatives (the full record is).")


history_replay = register(Op("history_replay", _replay_impl, _replay_abstract,
                             vjp=refuse_derivative, multiple_results=True))
history_replay.jvp = refuse_derivative
