"""Checkpointed loop gradients (`at.checkpoint(f, every=...)`, autodiff/loop_checkpoints.py):
the same gradients as the full record, for any trip count, in memory ~sqrt(trips)."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autotrace as at


def _loop(x, n):
    i = 0
    while i < n:
        x = x * 0.9 + np.sin(x) * 0.1
        i += 1
    return np.sum(x * x)


def _two_states(x, y, n):
    i, acc = 0, 0.0 * x
    while i < n:
        acc = acc + np.tanh(x) * y
        x = x * 0.95 + y * 0.01
        i += 1
    return np.sum(acc * acc) + np.sum(x)


def _data_dependent(x):
    s = x
    steps = 0
    while s.sum() < 50.0:
        s = s * 1.3 + np.cos(x)
        steps += 1
        if steps > 30:
            break
    return (s * s).sum()


def _nested(x, n):
    i = 0
    while i < n:
        j = 0
        while j < 3:
            x = np.sin(x) + 0.5 * x
            j += 1
        i += 1
    return np.sum(x)


def _for_loop(x, n):
    for _ in range(n):
        x = np.tanh(x) * 1.1 + 0.05
    return np.sum(x)


_GRADS = {}


def _grads(fn, every, argnums=0):
    key = (fn, every, argnums)
    if key not in _GRADS:
        _GRADS[key] = at.trace(at.grad(at.checkpoint(fn, every=every), argnums=argnums))
    return _GRADS[key]


@settings(max_examples=25, deadline=None)
@given(trips=st.integers(0, 70), every=st.sampled_from([1, 2, 3, 7, 64, "sqrt"]))
def test_one_graph_equals_the_full_record_at_every_trip_count(trips, every):
    x = np.linspace(-1.0, 1.0, 4)
    got = _grads(_loop, every)(x, np.array(trips))
    want = at.grad(_loop)(x, np.array(trips))
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15)
    assert _grads(_loop, every).trace_count == 1


@pytest.mark.parametrize("every", [2, "sqrt"])
@pytest.mark.parametrize("trips", [0, 1, 9, 40])
def test_several_loop_variables_and_captured_values(every, trips):
    x, y = np.array([0.3, -0.4, 0.8]), np.array([1.0, 0.5, -0.2])
    got = _grads(_two_states, every, (0, 1))(x, y, np.array(trips))
    want = at.grad(_two_states, argnums=(0, 1))(x, y, np.array(trips))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("every", [3, "sqrt"])
def test_data_dependent_trip_count_and_break_on_one_graph(every):
    g = _grads(_data_dependent, every)
    for x in (np.array([0.5, 0.6]), np.array([2.0, 3.0]), np.array([0.01, 0.02])):
        np.testing.assert_allclose(g(x), at.grad(_data_dependent)(x), rtol=1e-12)
        at.check_grads(at.checkpoint(_data_dependent, every=every), (x,), order=1)
    assert g.trace_count == 1


@pytest.mark.parametrize("fn", [_nested, _for_loop])
@pytest.mark.parametrize("every", [2, "sqrt"])
def test_nested_and_for_loops(fn, every):
    x = np.array([0.2, -0.7])
    for trips in (0, 3, 11):
        np.testing.assert_allclose(_grads(fn, every)(x, np.array(trips)),
                                   at.grad(fn)(x, np.array(trips)), rtol=1e-12)


def _peak(fn, *args) -> int:
    fn(*args)
    tracemalloc.start()
    try:
        fn(*args)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_sqrt_checkpoints_at_10000_trips_use_a_small_fraction_of_the_record():
    x, n = np.linspace(-1.0, 1.0, 100), np.array(10_000)
    full = _peak(at.trace(at.grad(_loop)), x, n)
    every_100 = _peak(_grads(_loop, 100), x, n)
    sqrt = _peak(_grads(_loop, "sqrt"), x, n)
    state = x.nbytes
    assert full >= 10_000 * state  # every state recorded
    assert every_100 < 0.05 * full  # 100 checkpoints + one 100-state segment
    assert sqrt < 0.05 * full and sqrt < 400 * state  # ~sqrt(2 * 10,000) + segment


def test_second_derivatives_and_forward_mode_are_refused():
    x = np.array([0.6, 0.7])
    first = at.grad(at.checkpoint(_data_dependent, every=2))
    with pytest.raises(at.UnsupportedError, match=r"checkpoint\(f, every=...\)"):
        at.grad(lambda x: first(x).sum())(x)
    with pytest.raises(at.UnsupportedError, match="not supported"):
        at.jvp(first, (x,), (np.ones(2),))


@pytest.mark.parametrize("bad", [0, -3, 1.5, "log", True])
def test_every_must_be_a_positive_int_or_sqrt(bad):
    with pytest.raises(ValueError, match=r"checkpoint\(every=\.\.\.\) takes a positive int "
                                         r"or 'sqrt'"):
        at.checkpoint(_loop, every=bad)


def test_values_and_the_plain_function_unchanged():
    x = np.array([0.1, 0.2])
    f = at.checkpoint(_loop, every="sqrt")
    for n in (0, 5):
        assert f(x, np.array(n)) == pytest.approx(_loop(x, np.array(n)), rel=1e-15)
    assert at.trace(lambda x: f(x, np.array(4)) * 2)(x) == pytest.approx(
        2 * _loop(x, np.array(4)), rel=1e-15)
