"""Checks for numpy functions that autotrace writes as compositions of registry ops (no op
of their own, so the registry-driven tests do not see them), and for results that are
tuples or lists of arrays.

* `check_tree(fn, *args)`: `oracle.check` on every leaf of a tuple / list result, and the
  same container type and length as numpy's.
* `check_composed(case, shapes)`: what test_grad_ops / test_jvp_ops / test_vmap_ops check
  for an op, for one `op_cases.common.Case`: VJPs against finite differences (order 2 for
  smooth cases) in float64 and float32, the JVP against central differences, and vmap
  against a Python loop over the examples.
"""

from __future__ import annotations

import numpy as np
from oracle import check, quiet

import autotrace as at


def check_tree(fn, *args, eager: bool = True):
    """numpy's result of `fn(*args)` (a tuple or list of arrays) against autotrace's."""
    with quiet():
        expected = fn(*args)
    if not isinstance(expected, (tuple, list)):
        return check(fn, *args, eager=eager)
    got = at.trace(fn, autograph=False)(*args)
    assert type(got) is type(expected) and len(got) == len(expected), (type(got), len(got))
    for k in range(len(expected)):
        check(lambda *a, k=k: fn(*a)[k], *args, eager=eager)
    return expected


def _leaves(out) -> list:
    return list(out) if isinstance(out, (list, tuple)) else [out]


def _total(fn):
    def total(*xs):
        result = 0.0
        for k, leaf in enumerate(_leaves(fn(*xs))):
            result = result + (leaf * np.cos(np.arange(1.0, 1.0 + np.size(leaf)) + k).reshape(
                np.shape(leaf))).sum()
        return result

    return total


def check_composed(case, shapes, batch: bool = True) -> None:
    """Gradients (reverse and forward) and batching of one case, as for registry ops."""
    for seed in (0, 1):
        args = case.inputs(shapes, np.float64, seed)
        at.check_grads(case.fn, args, order=2 if case.smooth else 1, seed=seed)
    args32 = case.inputs(shapes, np.float32)
    at.check_grads(case.fn, args32, order=1, rtol=case.rtol32, atol=case.rtol32)
    grads = at.grad(_total(case.fn), argnums=tuple(range(len(shapes))))(*args32)
    for g, x in zip(grads, args32):
        assert g.dtype == np.float32 and np.shape(g) == x.shape, (g.dtype, np.shape(g))
    _check_jvp(case, shapes)
    if batch:
        _check_vmap(case, shapes)


def _check_jvp(case, shapes, eps: float = 1e-6) -> None:
    args = case.inputs(shapes, np.float64, 0)
    rng = np.random.default_rng(100)
    tangents = tuple(rng.standard_normal(np.shape(x)) for x in args)
    out, t_out = at.jvp(case.fn, args, tangents)
    for got, want in zip(_leaves(out), _leaves(case.fn(*args))):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    plus = case.fn(*[x + eps * t for x, t in zip(args, tangents)])
    minus = case.fn(*[x - eps * t for x, t in zip(args, tangents)])
    for got, p, m in zip(_leaves(t_out), _leaves(plus), _leaves(minus)):
        want = (np.asarray(p) - np.asarray(m)) / (2 * eps)
        assert np.shape(got) == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def _check_vmap(case, shapes, batch: int = 3) -> None:
    examples = [case.inputs(shapes, np.float64, seed) for seed in range(batch)]
    stacked = tuple(np.stack([e[i] for e in examples]) for i in range(len(shapes)))
    got = at.vmap(case.fn)(*stacked)
    per_example = [case.fn(*e) for e in examples]
    for k, leaf in enumerate(_leaves(got)):
        want = np.stack([np.asarray(_leaves(p)[k]) for p in per_example])
        assert np.shape(leaf) == want.shape and np.result_type(leaf) == want.dtype
        np.testing.assert_allclose(leaf, want, rtol=1e-12, atol=1e-12)
