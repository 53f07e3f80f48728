"""`at.jacrev`, `at.jacobian` (forward or reverse by shape), `at.hessian`, and the
vectorized `tape.jacobian` / `tape.batch_jacobian`. Oracles: analytic Jacobians, central
differences, and per-example loops."""

from __future__ import annotations

import numpy as np
import pytest

import autotrace as at

RNG = np.random.default_rng(3)
W = RNG.standard_normal((5, 3))


def wide(x):  # 3 inputs, 5 outputs: forward mode is cheaper
    return np.tanh(W @ x) * x.sum()


def narrow(x):  # 5 inputs, 2 outputs: reverse mode is cheaper
    return np.stack([np.sin(x).sum(), (x * x).prod()])


def central_jacobian(f, x, eps=1e-6):
    cols = []
    for k in range(x.size):
        e = np.zeros_like(x)
        e.flat[k] = eps
        cols.append((f(x + e) - f(x - e)) / (2 * eps))
    return np.stack(cols, axis=-1).reshape(np.shape(f(x)) + x.shape)


@pytest.mark.parametrize("fn, n", [(wide, 3), (narrow, 5)])
def test_jacrev_jacfwd_and_jacobian_agree_with_differences(fn, n):
    x = RNG.uniform(0.5, 1.5, n)
    want = central_jacobian(fn, x)
    for transform in (at.jacrev, at.jacfwd, at.jacobian):
        np.testing.assert_allclose(transform(fn)(x), want, rtol=1e-6, atol=1e-8)


def _graph_text(transform, fn, n):
    graph = transform(fn).get_concrete_function(np.ones(n)).graph
    return [node.op.name for node in graph.nodes]


def test_jacobian_picks_forward_mode_for_wide_and_reverse_for_narrow_functions():
    assert _graph_text(at.jacobian, wide, 3) == _graph_text(at.jacfwd, wide, 3)
    assert _graph_text(at.jacobian, narrow, 5) == _graph_text(at.jacrev, narrow, 5)
    assert _graph_text(at.jacfwd, wide, 3) != _graph_text(at.jacrev, wide, 3)


def test_reverse_jacobian_is_one_vectorized_backward_pass():
    """The graph does not grow with the number of outputs (no per-row backward pass)."""
    sizes = {}
    for n in (4, 40):
        w = np.ones((n, n)) * 0.1

        def f(x, w=w):
            return np.tanh(w @ x)

        sizes[n] = len(at.jacrev(f).get_concrete_function(np.ones(n)).graph.nodes)
    assert sizes[40] == sizes[4]


def test_jacobian_through_control_flow_in_one_graph():
    def f(x):
        if x.sum() > 0:
            y = x * x
        else:
            y = np.sin(x) + 2.0
        while y.sum() < 5.0:
            y = y * 2.0
        return y

    jac = at.jacobian(f)
    for x in (np.array([0.6, 1.0]), np.array([-0.5, -1.0]), np.array([2.0, 3.0])):
        np.testing.assert_allclose(jac(x), central_jacobian(f, x), rtol=1e-6, atol=1e-8)
    assert jac.trace_count == 1


def test_hessian_through_a_while_loop():
    def f(x):
        while (x * x).sum() < 10.0:
            x = x * 1.5 + 0.1
        return (x ** 3).sum()

    x = np.array([0.5, 0.7])
    want = central_jacobian(at.grad(f), x)
    np.testing.assert_allclose(at.hessian(f)(x), want, rtol=1e-5, atol=1e-6)


def test_tape_jacobian_eager_and_traced():
    x = at.Variable([0.3, -0.4, 1.2])
    with at.GradientTape() as tape:
        y = np.tanh(W @ x)
    jac = tape.jacobian(y, x)
    assert isinstance(jac, np.ndarray) and jac.shape == (5, 3)
    np.testing.assert_allclose(jac, (1 - np.tanh(W @ x.numpy()) ** 2)[:, None] * W)

    @at.trace
    def traced(x):
        with at.GradientTape() as tape:
            tape.watch(x)
            y = np.tanh(W @ x)
        return tape.jacobian(y, x)

    np.testing.assert_allclose(traced(x.numpy()), jac)


def test_batch_jacobian_matches_per_example_jacobians():
    xs = RNG.standard_normal((4, 3))
    x = at.Variable(xs)
    with at.GradientTape() as tape:
        y = np.sin(x) * x.sum(axis=1, keepdims=True)
    got = tape.batch_jacobian(y, x)
    want = np.stack([at.jacobian(lambda r: np.sin(r) * r.sum())(r) for r in xs])
    assert got.shape == (4, 3, 3)
    np.testing.assert_allclose(got, want, rtol=1e-12)

    @at.trace
    def traced(xs):
        with at.GradientTape() as tape:
            tape.watch(xs)
            y = (xs[:, :, None] * xs[:, None, :]).sum(axis=2)
        return tape.batch_jacobian(y, xs)

    want = np.stack([at.jacobian(lambda r: np.outer(r, r).sum(axis=1))(r) for r in xs])
    np.testing.assert_allclose(traced(xs), want, rtol=1e-12)


def test_batch_jacobian_needs_a_persistent_tape_for_a_second_call():
    x = at.Variable(np.ones((2, 2)))
    with at.GradientTape() as tape:
        y = x * 3.0
    tape.batch_jacobian(y, x)
    with pytest.raises(RuntimeError, match="non-persistent GradientTape"):
        tape.batch_jacobian(y, x)
