"""Random draws as graph ops that draw when the graph runs, not when it is traced.

* `random_draw(gen, *values, method, args, out)` calls `gen.<method>(...)`: a method of a
  numpy `Generator` or `RandomState` (the legacy `np.random.<fn>` functions are methods of
  numpy's global `RandomState`). `args` (`Arguments`) are the call's arguments, each
  `Slot` in them filled from `values` (traced arguments, traced entries of `size`), as for
  `print` (`ops.effects`). `out` is the result's type, found while tracing
  (`runtime.random`).
* `random_make(*values, factory, args)` makes a generator at run time
  (`np.random.default_rng(seed)` inside a traced function): a value of dtype object that
  `random_draw` takes as `gen`.
* `random_seed(gen, *values, args)` calls `gen.seed(...)` at run time: a `RandomState`, or
  the `np.random` module (`np.random.seed(0)` inside a traced function).

All three are effects: never removed, merged, folded or reordered, so a draw whose result
is unused still advances its generator, and draws happen in Python's order, per iteration
of a graph loop and only on the branch taken. They are not differentiable: a draw's value
is a constant for gradients, and a gradient through a draw's float arguments
(`rng.normal(mu, sigma)`; write `mu + sigma * rng.standard_normal(...)`) is refused
(`Op.no_gradient`). vmap refuses them (`REFUSED_UNDER_VMAP`): one draw for the batch, or one
per example, would not match anything the plain function does.
"""

from __future__ import annotations

import numpy as np

from autotrace.core import Aval
from autotrace.errors import UnsupportedError
from autotrace.graph.ir import type_str
from autotrace.ops.effects import Slot, fill
from autotrace.ops.registry import Op, register

OBJECT = np.dtype(object)


class Arguments:
    """A call's arguments: `template` (positional, then keyword values; `Slot`s where
    traced values go) and the keyword names `keys`. Without slots the call's arguments are
    built once."""

    __slots__ = ("template", "keys", "_fixed")

    def __init__(self, template: tuple, keys: tuple):
        self.template, self.keys = tuple(template), tuple(keys)
        self._fixed = None if any(isinstance(t, Slot) for t in template) else \
            self._split(list(self.template))

    def _split(self, filled: list) -> tuple:
        n = len(filled) - len(self.keys)
        return tuple(filled[:n]), dict(zip(self.keys, filled[n:]))

    def call(self, fn, values):
        """`fn(*args, **kwargs)` with the slots filled from `values`."""
        if self._fixed is not None:
            return fn(*self._fixed[0], **self._fixed[1])
        args, kwargs = self._split(fill(self.template, values))
        return fn(*args, **kwargs)

    def __repr__(self) -> str:
        n = len(self.template) - len(self.keys)
        parts = [repr(t) for t in self.template[:n]]
        parts += [f"{k}={t!r}" for k, t in zip(self.keys, self.template[n:])]
        return "(" + ", ".join(parts) + ")"


class DrawType(Aval):
    """A draw's result type (the `out` param), shown as graph text shows types."""

    def __repr__(self) -> str:
        return self.weak.__name__ if self.weak is not None else type_str(self.shape, self.dtype)


def _draw_impl(gen, *values, method, args, out):
    result = args.call(getattr(gen, method), values)
    if out.weak is not None:
        return np.asarray(result)[()]  # a numpy scalar; generated code takes `.item()`
    return result


def _draw_abstract(gen, *avals, method, args, out):
    return out


def _refuse_batch(trace, op, values, dims, params):
    raise UnsupportedError(
        f"vmap cannot batch a random draw (`{params.get('method', op.name)}`): drawing once "
        "per example would not match the plain function. Draw the whole batch at once "
        "outside vmap (`rng.normal(size=(n, ...))`) and pass it in.")


def _no_gradient(method, **params) -> str:
    return (f"cannot differentiate through the random draw `{method}`: a draw is not a "
            "differentiable function of its arguments. For a gradient with respect to a "
            "location or scale, draw the standard variable and transform it (`mu + sigma * "
            "rng.standard_normal(shape)`), or stop the gradient (`at.stop_gradient`)")


random_draw = register(Op(
    "random_draw", _draw_impl, _draw_abstract, differentiable=False, effect=True,
    batch=_refuse_batch, no_gradient=_no_gradient,
    doc="`gen.<method>(...)` of a numpy Generator or RandomState, drawn at run time"))


def _make_impl(*values, factory, args):
    return args.call(factory, values)


random_make = register(Op(
    "random_make", _make_impl, lambda *avals, **params: Aval((), OBJECT),
    differentiable=False, effect=True, batch=_refuse_batch,
    doc="a numpy Generator (or RandomState, bit generator) made at run time"))


def _seed_impl(gen, *values, args):
    args.call(gen.seed, values)
    return ()


random_seed = register(Op(
    "random_seed", _seed_impl, lambda *avals, **params: (), multiple_results=True,
    differentiable=False, effect=True, batch=_refuse_batch,
    doc="`RandomState.seed(...)` or `np.random.seed(...)` at run time"))


def describe(node) -> str:
    """`normal at model.py:7  y = rng.normal(mu)`: a random node for messages."""
    what = node.params.get("method") or getattr(node.params.get("factory"), "__name__", None) \
        or "seed"
    return f"`{what}`" + (f" at {node.origin.short()}" if node.origin is not None else "")


def refuse_under_vmap(graph) -> None:
    """vmap of a function that draws random numbers: `UnsupportedError` naming the draw."""
    for node in graph.walk():
        if node.op in REFUSED_UNDER_VMAP:
            raise UnsupportedError(
                f"vmap cannot batch the random draw {describe(node)}: drawing once for the "
                "whole batch or once per example would not match the plain function. Draw "
                "the batch's numbers outside vmap and pass them in as a batched argument.")


def refuse_replay(graph) -> None:
    """A gradient that replays `graph` (a graph branch or loop body, or a traced function
    called under a `GradientTape`) would draw again: `UnsupportedError` naming the draw."""
    for node in graph.walk():
        if node.op in RANDOM_OPS:
            raise UnsupportedError(
                f"cannot take this gradient: it replays `{graph.name}` (a branch or loop "
                "body on traced values, or a traced function called under a GradientTape), "
                f"which draws random numbers ({describe(node)}): the replay would draw new "
                "ones and advance the generator again. Draw before the `if`/loop and use "
                "the numbers inside it, or draw outside the traced function and pass them in.")


RANDOM_OPS = frozenset({random_draw, random_make, random_seed})
# Ops that vmap refuses instead of batching (tests/op_cases/random.py names them too).
REFUSED_UNDER_VMAP = RANDOM_OPS
