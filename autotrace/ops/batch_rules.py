"""Building blocks for the ops' own batching rules (the `batch=` slot of an `Op`).

A rule is called as `rule(trace, op, values, dims, params)` under `at.vmap` (and the
vectorized Jacobians): `values[k]` has the batch on axis 0 when `dims[k]` is 0, and is
shared by every example when it is None; the rule returns `(out, out_dims)` (an out_dim of
None: one value for every example). Rules bind ops on the stacked values, so a batch of
examples is one node, not one per example.

Each op's rule sits next to the op, in the op's module; this module holds what several of
them share: `per_example` (the exact fallback, one node per example, for the cases a rule
cannot vectorize) and `axis_batch` (ops along named axes that take one more axis).

Ops that stay on the per-example loop, and why:

* effects (`print`, `effect_call`, `assert`, `raise`, `raise_if`), the `try` construct
  (`try`, `try_save`, `reraise`, `raise_from`, `seterr`, `errstate`, and `unbound`, a
  variable a `try` path leaves unbound) and state
  (`assign_variable`, `variable_read`): they run, and fail, once per example, in example
  order, as the plain Python loop does; one vectorized call would print once, or raise for
  the batch instead of naming the first failing example.
* `custom_vjp` and the loop-gradient records (`loop_history`, `history_read`,
  `history_write`, `history_replay`): user rules and per-example trip counts.
* `math` (Python's `math` functions on a scalar): C's libm, which may differ from
  numpy's ufunc in the last bit, so a vectorized numpy call would not be exact.
* results whose shape depends on the values: `arange` / `eye` with batched bounds or sizes,
  `nonzero`, `unique_indices`, `bincount` (per-example lengths, so a batch stacks only when
  every example agrees), `take_range` / `place_range` / `fill` with batched bounds or sizes.
* `histogram_range` (one numpy error per example), `isin` with batched test values (an
  equality test of every pair would take memory quadratic in the sizes), and the cases
  the rules name: `searchsorted` with a batched sorted array, `setitem_winners` with
  batched index arrays, bool `convolve`, `getitem` / `scatter_add` with a batched mask
  (or `None`, `...`, or index arrays separated by a slice, beside batched index arrays).
"""

from __future__ import annotations

from typing import Callable

from autotrace.ops.registry import apply


def per_example(trace, op, values, dims, params):
    """`op` applied example by example, the results stacked (exact, one node each)."""
    from autotrace.autodiff.batch_trace import loop_rule  # lazy import: autodiff is above ops

    return loop_rule(trace, op, values, dims, params)


def batched_all(trace, values, dims) -> list:
    """Every value with the batch on axis 0 (a shared one broadcast to every example)."""
    return [trace.batched(x, d) for x, d in zip(values, dims)]


def results(op, out):
    """`out` with its batch dims: every result batched along axis 0."""
    return out, ((0,) * len(out) if op.multiple_results else 0)


def axis_batch(*keys: str, shared: tuple = ()) -> Callable:
    """The rule of an op along the axes `params[key]`: every input gets the batch axis and
    each non-negative axis moves up by one (a negative one counts from the end, where the
    batch axis changes nothing). Inputs at the positions `shared` (bounds, counts) must be
    the same for every example; a batched one loops."""

    def rule(trace, op, values, dims, params):
        if any(dims[k] is not None for k in shared if k < len(dims)):
            return per_example(trace, op, values, dims, params)
        args = [x if k in shared else trace.batched(x, d)
                for k, (x, d) in enumerate(zip(values, dims))]
        axes = {k: params[k] + 1 if params[k] >= 0 else params[k] for k in keys}
        return results(op, apply(op, *args, **dict(params, **axes)))

    rule.__doc__ = f"Batching rule: {', '.join(keys)} shifted past the batch axis."
    return rule

