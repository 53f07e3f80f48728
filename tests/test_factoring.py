"""`compile/factoring.py`: a gradient's `g*a + g*b` becomes `g*(a + b)`, only in sums the
reverse pass made, only where no type can change; gradients equal finite differences and
the unfactored ones to the last few bits. (The control-flow corpus with and without it:
tests/test_loop_codegen_corpus.py.)"""

import numpy as np
import pytest

import autotrace as at
from autotrace.compile import factoring

X = np.linspace(-1.0, 1.0, 5)


def _graph(fn, *args, argnums=0):
    return at.grad(fn, argnums=argnums).get_concrete_function(*args).graph


def _ops(graph) -> list:
    return [n.op.name for n in graph.nodes]


def _both(fn, *args, argnums=0, monkeypatch) -> tuple:
    """The gradient with and without the rule (fresh traces)."""
    on = at.grad(fn, argnums=argnums)(*args)
    monkeypatch.setattr(factoring, "ENABLED", False)
    off = at.grad(fn, argnums=argnums)(*args)
    monkeypatch.setattr(factoring, "ENABLED", True)
    return on, off


def mixed(x):
    y = np.sin(x)  # the cotangent of y, dy = cos(y) * 1, is a value: the common factor
    return np.sum(np.sin(y * 0.9 + np.sin(y) * 0.1))


def test_the_common_factor_is_taken_out_once(monkeypatch):
    ops = _ops(_graph(mixed, X))
    monkeypatch.setattr(factoring, "ENABLED", False)
    assert len(ops) == len(_ops(_graph(mixed, X))) - 1  # one full-size op fewer
    monkeypatch.undo()
    on, off = _both(mixed, X, monkeypatch=monkeypatch)
    np.testing.assert_allclose(on, off, rtol=1e-15, atol=0)
    at.check_grads(mixed, (X,), order=2)


def loop(x, n):
    i = 0
    while i < n:
        x = x * 0.9 + np.sin(x) * 0.1
        i += 1
    return np.sum(x)


def test_a_loop_gradient_reads_as_written_by_hand():
    """`dx * (cos(x) * 0.1 + 0.9)`: four ops a trip in the reverse sweep, not five."""
    graph = _graph(loop, X, np.array(3))
    sweep = next(n for n in graph.nodes if n.op.name == "while_loop").params["body"]
    assert sorted(_ops(sweep)) == ["add", "cos", "history_read", "mul", "mul", "sub"]
    grad = at.grad(loop)
    for n in (0, 1, 30):
        xs, x, g = [], X, np.ones(5)
        for _ in range(n):
            xs.append(x)
            x = x * 0.9 + np.sin(x) * 0.1
        for x in reversed(xs):
            g = g * (0.9 + np.cos(x) * 0.1)
        np.testing.assert_allclose(grad(X, np.array(n)), g, rtol=1e-14)
    at.check_grads(lambda x: loop(x, np.array(4)), (X,), order=2)


def constants_fold(x):
    y = np.sin(x)
    return np.sum(np.sin(y * 0.5 + y * 0.25))


def test_constant_rests_fold_into_one_factor(monkeypatch):
    ops = _ops(_graph(constants_fold, X))
    monkeypatch.setattr(factoring, "ENABLED", False)
    assert len(ops) == len(_ops(_graph(constants_fold, X))) - 2  # g*(0.75): one product
    monkeypatch.undo()
    on, off = _both(constants_fold, X, monkeypatch=monkeypatch)
    np.testing.assert_allclose(on, off, rtol=1e-15, atol=0)


def user_sum(x, w):
    return x * w + x * 2.0  # the user's own arithmetic: numpy's rounding, kept


def test_the_user_s_sums_are_never_factored():
    w = np.array([0.1, 0.2, 0.3, 0.4, 0.5])
    cf = at.trace(user_sum).get_concrete_function(X, w)
    assert sorted(_ops(cf.graph)) == ["add", "mul", "mul"]
    np.testing.assert_array_equal(cf(X, w), user_sum(X, w))


def broadcast(x, w):
    y = np.sin(x)
    return np.sum(np.sin(y * w + y * 0.5))  # w (1, 5) against y (3, 5): a broadcast


def float32_times_float64(x, w):
    y = np.sin(x)
    return np.sum(np.sin(y * w + y * 0.5))  # y float32, w float64: promoted


@pytest.mark.parametrize("fn, x, w", [
    (broadcast, np.ones((3, 5)) * X, np.ones((1, 5)) * 0.3),
    (float32_times_float64, X.astype(np.float32), np.full(5, 0.3)),
])
def test_no_factoring_where_a_type_could_change(fn, x, w, monkeypatch):
    ops = _ops(_graph(fn, x, w, argnums=(0, 1)))
    monkeypatch.setattr(factoring, "ENABLED", False)
    assert sorted(ops) == sorted(_ops(_graph(fn, x, w, argnums=(0, 1))))
    monkeypatch.undo()
    on, off = _both(fn, x, w, argnums=(0, 1), monkeypatch=monkeypatch)
    for a, b in zip(on, off):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


def shared_product(x):
    y = np.sin(x)
    t = y * 0.5  # read twice: taking it apart would save nothing
    return np.sum(np.sin(t + y * 0.25)) + np.sum(t * t)


def test_a_product_something_else_reads_is_left_whole(monkeypatch):
    on, off = _both(shared_product, X, monkeypatch=monkeypatch)
    np.testing.assert_allclose(on, off, rtol=1e-15, atol=0)
    at.check_grads(shared_product, (X,), order=1)
