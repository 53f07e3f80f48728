"""Gradient-descent optimizers: `SGD`, `Momentum`, `Adam`, and `clip_by_global_norm`.

Two ways to use one, as in optax and in Keras:

* **Functional, over pytrees** (dicts, lists, tuples, namedtuples of arrays):
  `state = opt.init(params)`, then each step
  `params, state = opt.update(grads, state, params)`. `update` returns the *new
  parameters* (not optax's increments) and a new state; nothing is modified in place. The
  state is a namedtuple of arrays (`state.count`, the step number, is an int64 array), so
  a whole training step, optimizer included, can be one traced function: it traces once,
  not once per step.
* **Over `Variable`s**: `opt.apply_gradients(zip(grads, variables))` updates each
  variable in place with its `assign` method (a plain numpy array is written in place),
  keeping the optimizer's state per variable inside `opt`; `opt.iterations` counts the
  calls. Gradients that are None (unconnected) are skipped.

The updates are written with numpy operations only, so they run on arrays and on traced
values alike. `learning_rate` is a float or a function of the step number (1, 2, ...),
for schedules.

Example:
    >>> opt = at.optimizers.Adam(learning_rate=0.1)
    >>> state = opt.init(params)
    >>> for _ in range(100):
    ...     grads = at.grad(loss)(params, x, y)
    ...     params, state = opt.update(grads, state, params)
"""

from __future__ import annotations

from typing import Callable, NamedTuple, Union

import numpy as np

from autotrace import context
from autotrace.signature import flatten, unflatten

LearningRate = Union[float, Callable]


class Optimizer:
    """Base class: a subclass names its per-parameter slots and writes one leaf's step."""

    slots: tuple[str, ...] = ()
    State: type = tuple

    def __init__(self, learning_rate: LearningRate):
        self.learning_rate = learning_rate
        self.iterations = 0
        self._variable_slots: dict = {}  # id(variable) -> (variable, slot values)

    def init(self, params):
        """The state before the first step: count 0, every slot zeros like `params`."""
        leaves, tree = flatten(params)
        zeros = [unflatten(tree, [np.zeros_like(p) for p in leaves]) for _ in self.slots]
        return self.State(np.zeros((), np.int64), *zeros)

    def update(self, grads, state, params):
        """One step: `(new_params, new_state)`; `grads` has the structure of `params`.

        A None gradient leaves its parameter (and its slots) unchanged.
        """
        count = state[0] + 1
        p_leaves, tree = flatten(params)
        g_leaves = _leaves_like(grads, tree, "grads")
        slot_leaves = [_leaves_like(s, tree, f"state.{name}")
                       for name, s in zip(self.slots, state[1:])]
        lr = self._rate(count)
        new_p, new_slots = [], [[] for _ in self.slots]
        for i, (g, p) in enumerate(zip(g_leaves, p_leaves)):
            old = tuple(s[i] for s in slot_leaves)
            p, new = (p, old) if g is None else self.step(g, p, old, count, lr)
            new_p.append(p)
            for column, value in zip(new_slots, new):
                column.append(value)
        return unflatten(tree, new_p), self.State(
            count, *(unflatten(tree, column) for column in new_slots))

    def apply_gradients(self, grads_and_vars) -> None:
        """Update each variable of `(gradient, variable)` pairs in place (Keras style).

        Raises:
            RuntimeError: called while tracing (an in-place update would happen once, at
                trace time, not on every call of the graph).
        """
        if context.current_builder() is not None:
            raise RuntimeError(
                "apply_gradients() updates Variables in place, which a traced function "
                "cannot do on every call (the optimizer's state lives in Python); inside "
                "@at.trace write the step with the Variables' methods "
                "(`w.assign_sub(lr * g)`), or use the functional form "
                "`params, state = opt.update(grads, state, params)` and return them.")
        pairs = [(g, v) for g, v in grads_and_vars if g is not None]
        self.iterations += 1
        count = np.asarray(self.iterations, np.int64)
        lr = self._rate(count)
        for g, v in pairs:
            value = np.asarray(v)
            _, old = self._variable_slots.get(
                id(v), (v, tuple(np.zeros_like(value) for _ in self.slots)))
            new_value, new = self.step(np.asarray(g), value, old, count, lr)
            self._variable_slots[id(v)] = (v, new)
            if hasattr(v, "assign"):
                v.assign(new_value)
            else:
                v[...] = new_value

    def step(self, g, p, slots: tuple, count, lr) -> tuple:
        """One parameter's `(new value, new slots)` at step `count` (1 for the first)."""
        raise NotImplementedError

    def _rate(self, count):
        return self.learning_rate(count) if callable(self.learning_rate) else \
            self.learning_rate

    def __repr__(self) -> str:
        return f"{type(self).__name__}(learning_rate={self.learning_rate!r})"


def _leaves_like(value, tree, what: str) -> list:
    leaves, got = flatten(value)
    if got != tree:
        raise ValueError(f"{what} has structure {got}, but params have {tree}")
    return leaves


class SGDState(NamedTuple):
    count: np.ndarray


class SGD(Optimizer):
    """Plain gradient descent: `p - lr * g`."""

    State = SGDState

    def step(self, g, p, slots, count, lr):
        return p - lr * g, ()


class MomentumState(NamedTuple):
    count: np.ndarray
    velocity: object


class Momentum(Optimizer):
    """Gradient descent with momentum: `v = momentum * v + g; p - lr * v`; with
    `nesterov=True` the step is `p - lr * (g + momentum * v)` (the new `v`)."""

    slots = ("velocity",)
    State = MomentumState

    def __init__(self, learning_rate: LearningRate, momentum: float = 0.9,
                 nesterov: bool = False):
        super().__init__(learning_rate)
        self.momentum = momentum
        self.nesterov = nesterov

    def step(self, g, p, slots, count, lr):
        v = self.momentum * slots[0] + g
        direction = g + self.momentum * v if self.nesterov else v
        return p - lr * direction, (v,)


class AdamState(NamedTuple):
    count: np.ndarray
    mu: object
    nu: object


class Adam(Optimizer):
    """Adam (Kingma & Ba) with bias correction, at step t = count:

        m = b1 * m + (1 - b1) * g;   v = b2 * v + (1 - b2) * g**2
        p - lr * (m / (1 - b1**t)) / (sqrt(v / (1 - b2**t)) + eps)
    """

    slots = ("mu", "nu")
    State = AdamState

    def __init__(self, learning_rate: LearningRate = 1e-3, b1: float = 0.9,
                 b2: float = 0.999, eps: float = 1e-8):
        super().__init__(learning_rate)
        self.b1, self.b2, self.eps = b1, b2, eps

    def step(self, g, p, slots, count, lr):
        m = self.b1 * slots[0] + (1 - self.b1) * g
        v = self.b2 * slots[1] + (1 - self.b2) * g * g
        # The corrections are cast to the parameter's dtype: a float64 0-d array would
        # otherwise promote float32 parameters (numpy 2 treats arrays as strong types).
        m_hat = m / (1 - self.b1 ** count).astype(p.dtype)
        v_hat = v / (1 - self.b2 ** count).astype(p.dtype)
        return p - lr * m_hat / (np.sqrt(v_hat) + self.eps), (m, v)


def clip_by_global_norm(grads, max_norm: float):
    """Scale a pytree of gradients so their joint L2 norm is at most `max_norm`.

    Returns `(clipped, global_norm)`: every leaf times
    `max_norm / max(global_norm, max_norm)`, where `global_norm` is
    `sqrt(sum of every leaf's squared entries)` (TensorFlow's `clip_by_global_norm`).
    None leaves stay None.
    """
    leaves, tree = flatten(grads)
    present = [g for g in leaves if g is not None]
    norm = np.sqrt(sum((g * g).sum() for g in present)) if present else np.float64(0.0)
    scale = max_norm / np.maximum(norm, max_norm)
    clipped = [None if g is None else g * scale.astype(g.dtype) for g in leaves]
    return unflatten(tree, clipped), norm
