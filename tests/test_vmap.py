"""`at.vmap` with Python control flow on per-example values, and its compositions with
`grad` and `jvp`. Oracle: the plain function in a Python loop over the examples."""

from __future__ import annotations

import numpy as np
import pytest
from corpus import branches, loops

import autotrace as at
from autotrace.signature import flatten

pytestmark = pytest.mark.filterwarnings("ignore::autotrace.RetracingWarning")


def loop_oracle(fn, *args):
    outs = [fn(*example) for example in zip(*args)]
    if isinstance(outs[0], tuple):
        return tuple(np.stack([o[k] for o in outs]) for k in range(len(outs[0])))
    return np.stack(outs)


def piecewise(x):
    if x.sum() > 0:
        y = np.sin(x) * x
    else:
        y = np.exp(x) - 1.0
    return y


def halvings(x):
    n = 0
    while np.abs(x).max() > 1.0:
        x = x / 2.0
        n = n + 1
    return x, n


def _raising(x):
    if x.sum() > 100:
        raise ValueError("too big")
    return x + 1


X = np.array([[1.0, 2.0, -0.5], [-1.0, -2.0, 0.5], [30.0, -0.1, 4.0], [0.2, 0.1, 0.0]])


def test_batched_if_selects_per_example():
    got = at.vmap(piecewise)(X)
    np.testing.assert_allclose(got, loop_oracle(piecewise, X))
    assert {bool(x.sum() > 0) for x in X} == {True, False}


def test_batched_while_runs_until_every_example_is_done():
    got_x, got_n = at.vmap(halvings)(X)
    want_x, want_n = loop_oracle(halvings, X)
    np.testing.assert_allclose(got_x, want_x)
    np.testing.assert_array_equal(got_n, want_n)
    assert len(set(want_n.tolist())) >= 3  # the trip counts differ per example


def test_one_graph_serves_new_batches():
    fn = at.vmap(piecewise)
    for batch in (X, -X, X[::-1] * 0.3):
        np.testing.assert_allclose(fn(batch), loop_oracle(piecewise, batch))
    assert fn.trace_count == 1


def test_in_axes_and_out_axes():
    w = np.array([[1.0, 0.5], [0.0, 2.0], [1.0, 1.0]])

    def f(x, w, k):
        return np.tanh(x @ w) * k

    got = at.vmap(f, in_axes=(1, None, None), out_axes=1)(X.T, w, 3.0)
    want = np.stack([f(x, w, 3.0) for x in X], axis=1)
    np.testing.assert_allclose(got, want)
    assert got.shape == (2, 4)


def test_effects_in_a_batched_branch_run_only_where_taken():
    np.testing.assert_allclose(at.vmap(_raising)(X[:2]), X[:2] + 1)
    with pytest.raises(ValueError, match="too big"):
        at.vmap(_raising)(X * 100)


def test_grad_of_vmap_and_vmap_of_grad():
    def loss(x):
        return (piecewise(x) ** 2).sum()

    per_example = np.stack([at.grad(loss)(x) for x in X])
    np.testing.assert_allclose(at.vmap(at.grad(loss))(X), per_example)
    np.testing.assert_allclose(at.grad(lambda xs: at.vmap(loss)(xs).sum())(X), per_example)


def test_grad_of_vmap_through_a_masked_loop():
    def f(x):
        x, _ = halvings(x)
        return (x * x).sum()

    per_example = np.stack([at.grad(f)(x) for x in X])
    np.testing.assert_allclose(at.grad(lambda xs: at.vmap(f)(xs).sum())(X), per_example)


def test_jvp_of_vmap_and_vmap_of_jvp():
    v = np.ones_like(X)
    want = np.stack([at.jvp(piecewise, (x,), (t,))[1] for x, t in zip(X, v)])
    _, got = at.jvp(at.vmap(piecewise), (X,), (v,))
    np.testing.assert_allclose(got, want)
    got = at.vmap(lambda x, t: at.jvp(piecewise, (x,), (t,))[1])(X, v)
    np.testing.assert_allclose(got, want)


def test_jvp_of_grad_under_vmap():
    def loss(x):
        return (np.sin(x) * x).sum()

    v = np.array([1.0, 0.0, 2.0])
    want = np.stack([at.hessian(loss)(x) @ v for x in X])
    got = at.vmap(lambda x: at.jvp(at.grad(loss), (x,), (v,))[1])(X)
    np.testing.assert_allclose(got, want, rtol=1e-10)


def test_batch_size_errors():
    with pytest.raises(ValueError, match="one known batch size, got sizes \\[3, 4\\]"):
        at.vmap(lambda x, y: x + y)(X, np.ones((3, 3)))
    with pytest.raises(ValueError, match="in_axes has 1 entries for 2 arguments"):
        at.vmap(lambda x, y: x + y, in_axes=(0,))(X, X)


def _stackable(case) -> bool:
    """All argument tuples: arrays of one shape/dtype per position, equal Python values."""
    first = case.inputs[0]
    for args in case.inputs[1:]:
        for a, b in zip(args, first):
            if isinstance(a, np.ndarray) != isinstance(b, np.ndarray):
                return False
            if isinstance(a, np.ndarray) and (a.shape != b.shape or a.dtype != b.dtype):
                return False
            if not isinstance(a, np.ndarray) and not (type(a) is type(b) and a == b):
                return False
    return all(isinstance(a, np.ndarray) or type(a) in (int, float, bool) for a in first)


# Values whose shape differs per example cannot be batched: refused loudly.
RAGGED = {"branches_of_different_lengths", "shape_changes_in_loop"}
CORPUS = [c for c in branches.CORPUS.cases + loops.CORPUS.cases if _stackable(c)]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("case", CORPUS, ids=lambda c: c.id)
def test_control_flow_corpus_under_vmap(case):
    """Every corpus function whose inputs stack, on all its inputs (different paths) at
    once: one example per input."""
    try:
        per_example = [case.fn(*args) for args in case.inputs]
    except Exception:  # noqa: BLE001 - the original raises on some path: vmap must too
        with pytest.raises(Exception):  # noqa: B017
            _run_corpus(case)
        return
    if case.id in RAGGED:
        with pytest.raises(ValueError, match="vmap: a batched `if` or `while` gives a value "
                                             "whose shape differs per example"):
            _run_corpus(case)
        return
    got = _run_corpus(case)
    for k, leaf in enumerate(flatten(got)[0]):
        want = [flatten(p)[0][k] for p in per_example]
        if isinstance(want[0], str):
            assert leaf == want[0] and len(set(want)) == 1
            continue
        np.testing.assert_allclose(np.asarray(leaf), np.stack(want), rtol=1e-10, atol=1e-12)


def _run_corpus(case):
    first = case.inputs[0]
    axes = tuple(0 if isinstance(a, np.ndarray) else None for a in first)
    args = [np.stack([args[i] for args in case.inputs]) if axis == 0 else first[i]
            for i, axis in enumerate(axes)]
    return at.vmap(case.fn, in_axes=axes)(*args)
