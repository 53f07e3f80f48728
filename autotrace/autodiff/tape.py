"""`GradientTape`: TensorFlow's contract, on numpy values and on traced values.

A tape records the op applications that involve a watched value, at the level where it
was opened: outside any trace it records eager ops (on `Variable`s and eager tensors,
including whole calls of traced functions); inside a traced function it records that
function's graph nodes, so `tape.gradient(e, c)` builds the gradient into the graph.
`Variable`s are watched when accessed unless `watch_accessed_variables=False`; so are a
traced function's float arguments for a tape opened inside it (TensorFlow watches the
Variables passed into a `tf.function`; autotrace treats every float argument alike, so
one graph serves arrays and Variables).

Example:
    >>> a, b = Variable([2.0]), Variable([1.0])
    >>> with GradientTape(persistent=True) as tape:
    ...     e = (a + b) * (b + 1)
    >>> tape.gradient(e, a), tape.gradient(e, b)
    (array([2.]), array([5.]))
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np

from autotrace import context
from autotrace.autodiff.backprop import Entry, backprop, key_of
from autotrace.autodiff.jacobian import tape_batch_jacobian, tape_jacobian
from autotrace.core import Tracer
from autotrace.graph.ir import Var
from autotrace.ops.creation import ones_like, zeros_like
from autotrace.signature import flatten, unflatten
from autotrace.tensor import EagerTensor, Tensor, Variable

UNCONNECTED = ("none", "zero")


class GradientTape:
    """Record operations to differentiate them later.

    Args:
        persistent: allow several `gradient`/`jacobian` calls (otherwise one).
        watch_accessed_variables: watch every `Variable` an operation reads.
    """

    def __init__(self, persistent: bool = False, watch_accessed_variables: bool = True):
        self.persistent = persistent
        self.watch_accessed_variables = watch_accessed_variables
        self._entries: list[Entry] = []
        self._watched: dict = {}  # key -> the watched value (kept alive while watched)
        # id of a watched traced value -> (it, its key when watched): a source written in
        # place since (`x[0] = v`) is differentiated as it was when watched
        self._watched_as: dict = {}
        self._recording = False
        self._used = False
        self._builder = None

    # -- context ------------------------------------------------------------------------
    def __enter__(self) -> GradientTape:
        self._builder = context.current_builder()
        context.tapes().append(self)
        self._recording = True
        return self

    def __exit__(self, *exc) -> None:
        context.tapes().remove(self)
        self._recording = False

    @contextmanager
    def stop_recording(self):
        """Context manager: operations inside are not recorded by this tape."""
        self._recording = False
        try:
            yield
        finally:
            self._recording = True

    def reset(self) -> None:
        """Forget everything recorded and watched so far (as a new tape would)."""
        self._entries.clear()
        self._watched.clear()
        self._watched_as.clear()
        self._used = False

    # -- recording ----------------------------------------------------------------------
    def watch(self, value) -> None:
        """Watch a tensor, a `Variable`, or a nested structure of them."""
        leaves, _ = flatten(value)
        for x in leaves:
            key = self._key(x)
            self._watched[key] = x
            if isinstance(x, Tensor):
                self._watched_as[id(x)] = (x, key)

    def watched_variables(self) -> tuple:

        return tuple(v for v in self._watched.values() if isinstance(v, Variable))

    def record(self, op, inputs, params, outputs, origin=None) -> None:
        """Called for every op application at this tape's level (see module doc)."""
        if context.current_builder() is not self._builder:
            return
        hit = False
        for x in inputs:
            k = key_of(x) if isinstance(x, (Var, Tracer)) else None
            if k is None:
                continue
            if k in self._watched:
                hit = True
            elif self.watch_accessed_variables and self._is_variable(x):
                self._watched[k] = x
                hit = True
        if hit:
            self._entries.append(Entry(op, tuple(inputs), params, tuple(outputs), origin))
            for o in outputs:
                self._watched.setdefault(key_of(o), o)

    def _is_variable(self, x) -> bool:
        if isinstance(x, Var):
            return self._builder is not None and x.uid in self._builder.variable_vars
        return getattr(x, "_is_variable", False)

    def _source_key(self, x):
        watched = self._watched_as.get(id(x))
        return watched[1] if watched is not None and watched[0] is x else self._key(x)

    def _key(self, x):
        # A Variable read while tracing: its value at the start (every later read, after an
        # assign, passes its gradient back to it; ops/state.py).
        if self._builder is not None and getattr(x, "_is_variable", False):
            return key_of(self._builder._capture(x, x, None))
        return key_of(x)

    # -- gradients ----------------------------------------------------------------------
    def gradient(self, target, sources, output_gradients=None,
                 unconnected_gradients: str = "none"):
        """d(sum of `target`)/d`sources`, weighted by `output_gradients` if given.

        Args:
            target: a tensor or a nested structure of tensors.
            sources: a tensor, `Variable`, or nested structure of them.
            output_gradients: cotangents for the targets (default: ones).
            unconnected_gradients: "none" (None for sources the target does not depend
                on) or "zero" (zeros shaped like the source).

        Returns:
            Gradients with the structure of `sources`: numpy arrays outside a trace (eager
            tensors when an outer tape is recording, for higher order), traced values
            inside one.
        """
        if unconnected_gradients not in UNCONNECTED:
            raise ValueError(f"unconnected_gradients must be one of {UNCONNECTED}, "
                             f"got {unconnected_gradients!r}")
        self._check_reusable()
        targets, _ = flatten(target)
        source_leaves, source_tree = flatten(sources)
        seeds = self._seeds(targets, output_gradients)
        wanted = [self._source_key(s) for s in source_leaves]
        was_recording, self._recording = self._recording, False
        try:
            found = backprop(self._entries, seeds, set(wanted), self._builder,
                             _prefix(targets))
        finally:
            self._recording = was_recording
        # A source the tape never watched is unconnected, even if a recorded op read it.
        grads = [self._finish(found.get(k) if k in self._watched else None, s,
                              unconnected_gradients) for k, s in zip(wanted, source_leaves)]
        return unflatten(source_tree, grads)

    def jacobian(self, target, sources, unconnected_gradients: str = "none"):
        """Jacobian of `target` w.r.t. each source: shape target.shape + source.shape."""

        return tape_jacobian(self, target, sources, unconnected_gradients)

    def batch_jacobian(self, target, source, unconnected_gradients: str = "none"):
        """Per-example Jacobians: `target[b]` w.r.t. `source[b]` for every `b` of axis 0,
        shape `(B, *target.shape[1:], *source.shape[1:])` (TensorFlow's contract: example
        `b` of the target depends on example `b` of the source only). One backward pass on
        a batched cotangent.

        Example:
            >>> x = Variable(np.ones((4, 3)))
            >>> with GradientTape() as tape:
            ...     y = x * 2.0
            >>> tape.batch_jacobian(y, x).shape
            (4, 3, 3)
        """
        return tape_batch_jacobian(self, target, source, unconnected_gradients)

    def _as_value(self, x):
        """`x` as something ops accept at this tape's level (a captured var for a Variable
        read inside a trace)."""
        if self._builder is not None and getattr(x, "_is_variable", False):
            return self._builder.tensor(self._builder.to_input(x))
        return x

    def _check_reusable(self) -> None:
        if self._used and not self.persistent:
            raise RuntimeError(
                "A non-persistent GradientTape can only be used to compute one set of "
                "gradients (or jacobians). Create it with GradientTape(persistent=True) to "
                "call gradient() several times."
            )
        self._used = True

    def _seeds(self, targets, output_gradients) -> dict:

        if output_gradients is None:
            cts = []
            for t in targets:
                origin = t.symbol.node.origin if hasattr(t, "builder") and t.symbol.node else None
                if self._builder is not None and origin is not None:
                    with self._builder.override_origin(origin):
                        cts.append(ones_like(t))
                else:
                    cts.append(ones_like(t))
        else:
            cts, _ = flatten(output_gradients)
            if len(cts) != len(targets):
                raise ValueError(f"output_gradients has {len(cts)} entries for "
                                 f"{len(targets)} targets")
        seeds: dict = {}
        for t, ct in zip(targets, cts):
            k = self._key(t)
            seeds[k] = ct if k not in seeds else seeds[k] + ct
        return seeds

    def _finish(self, g, source, unconnected: str):

        if g is None:
            if unconnected == "none":
                return None
            g = zeros_like(self._as_value(source))
        if self._builder is None and not context.active_tapes():
            if isinstance(g, EagerTensor):
                return g.numpy()
            # A transform's value (batched cotangents of a vectorized Jacobian) stays one.
            return g if isinstance(g, Tracer) else np.asarray(g)
        return g


def _prefix(targets: list) -> str:
    """`de_` for cotangents of target `e`; `d` when the target has no name."""

    if len(targets) == 1 and isinstance(targets[0], Tensor) and targets[0].symbol.name:
        return f"d{targets[0].symbol.name}_d"
    return "d"
