"""The record of a `while` loop's states for its gradient (autodiff/history.py): generated
numpy code keeps states of static shape as the list of the arrays themselves (no packed
copy), and packs them where the record is used as an array (higher derivatives)."""

from __future__ import annotations

import numpy as np
import pytest

import autotrace as at


def _loop(x, n):
    i = 0
    while i < n:
        x = x * 0.9 + np.sin(x) * 0.1
        i += 1
    return np.sum(x * x)


def _by_hand(x, n):
    xs = []
    for _ in range(int(n)):
        xs.append(x)
        x = x * 0.9 + np.sin(x) * 0.1
    g = 2 * x
    for x in reversed(xs):
        g = g * (0.9 + np.cos(x) * 0.1)
    return g


@pytest.mark.parametrize("trips", [0, 1, 7, 40])
def test_one_graph_for_every_trip_count_matches_the_hand_written_gradient(trips):
    grad = at.trace(at.grad(_loop))
    x = np.linspace(-1.0, 1.0, 5)
    np.testing.assert_allclose(grad(x, np.array(trips)), _by_hand(x, trips), rtol=1e-13)
    assert grad.trace_count == 1


def test_first_order_record_is_the_list_of_states():
    grad = at.trace(at.grad(_loop))
    cf = grad.get_concrete_function(np.ones(5), np.array(3))
    source = cf.source
    assert "x_record, x_layout = x_1_states, _no_layout" in source, source
    assert "if type(x_record) is list" in source or "is list else" in source, source


def test_second_order_packs_the_record_and_matches_differences():
    def loop(x):
        s = x
        while s.sum() < 8.0:
            s = s * s + x
        return (s * s).sum()

    x = np.array([0.6, 0.7])
    hess = at.hessian(loop)(x)
    eps = 1e-6
    by_diff = np.stack([(at.grad(loop)(x + eps * e) - at.grad(loop)(x - eps * e)) / (2 * eps)
                        for e in np.eye(2)])
    np.testing.assert_allclose(hess, by_diff, rtol=1e-5, atol=1e-6)
