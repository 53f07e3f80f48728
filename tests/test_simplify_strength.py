"""Strength-reduction rules of `compile/simplify.py` (`STRENGTH`, and `pow(x, 1) -> x`):
each rule fires where it should, not where it would change a type, and the result equals
numpy's; then the whole control-flow corpus, values and gradients, with and without them."""

import numpy as np
import pytest
from corpus.switched import CASES, assert_same, count_changed, graph_text, leaves, outcomes

import autotrace as at
from autotrace.compile import simplify

X = np.array([-1.5, 0.0, 0.5, 2.0])
M = np.arange(12.0).reshape(3, 4)


def _ops(fn, *args, grad=None) -> list:
    traced = at.trace(fn) if grad is None else at.grad(fn, argnums=grad)
    return [n.op.name for n in traced.get_concrete_function(*args).graph.nodes]


def _same(got, want) -> None:
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)


def square(x):
    return x ** 2


def zeroth(x):
    return x ** 0


def first(x):
    return x ** 1 + 1


def test_square_becomes_a_product_with_numpy_s_value():
    for x in (X, X.astype(np.float32), np.arange(4)):
        assert _ops(square, x) == ["mul"]
        _same(at.trace(square)(x), square(x))


def test_square_of_bools_keeps_a_square_whose_dtype_a_product_would_change():
    b = np.array([True, False])
    # bool * bool is bool; `b ** 2` is numpy's square (int8, as ndarray.__pow__ does)
    assert _ops(square, b) == ["square"]
    _same(at.trace(square)(b), square(b))
    power = at.trace(lambda b: np.power(b, 2))
    assert _ops(lambda b: np.power(b, 2), b) == ["pow"]  # np.power(bool, 2) is int64
    _same(power(b), np.power(b, 2))


def test_zeroth_power_is_ones_even_for_nan():
    x = np.array([np.nan, -2.0, 0.0])
    assert "pow" not in _ops(zeroth, x)
    _same(at.trace(zeroth)(x), zeroth(x))


def test_first_power_is_the_value_itself():
    assert _ops(first, X) == ["add"]
    _same(at.trace(first)(X), first(X))


def plus_negated(a, b):
    return a + -b


def negated_plus(a, b):
    return -a + b


def minus_negated(a, b):
    return a - -b


def negated_kept(a, b):
    n = -b
    return a + n, n


def negated_times(a):
    return -a * 3.0


def test_negation_folds_into_addition_and_subtraction():
    b = np.array([2.0, -0.0, 0.0, 1.0])
    assert _ops(plus_negated, X, b) == ["sub"]
    assert _ops(negated_plus, X, b) == ["sub"]
    assert _ops(minus_negated, X, b) == ["add"]
    assert sorted(_ops(negated_kept, X, b)) == ["neg", "sub"]  # -b is still returned
    for fn in (plus_negated, negated_plus, minus_negated, negated_kept):
        for got, want in zip(leaves(at.trace(fn)(X, b)), leaves(fn(X, b))):
            _same(got, want)
            _same(np.signbit(got), np.signbit(want))  # signed zeros too


def test_negation_folds_into_a_constant_factor_of_floats_only():
    assert _ops(negated_times, X) == ["mul"]
    _same(at.trace(negated_times)(X), negated_times(X))
    u = np.array([1, 2], np.uint8)
    assert _ops(negated_times, u) == ["neg", "mul"]
    _same(at.trace(negated_times)(u), negated_times(u))


def row_bias(x, b):
    return np.sum(x + b)


def test_unbroadcast_is_one_direct_sum():
    ops = _ops(row_bias, M, np.ones(4), grad=(0, 1))
    assert "unbroadcast" not in ops and ops.count("sum") == 1
    _, db = at.grad(row_bias, argnums=(0, 1))(M, np.ones(4))
    _same(db, np.full(4, 3.0))
    ops = _ops(row_bias, M, np.ones((3, 1)), grad=(0, 1))  # keepdims
    assert "unbroadcast" not in ops
    _same(at.grad(row_bias, argnums=1)(M, np.ones((3, 1))), np.full((3, 1), 4.0))
    x3 = np.ones((2, 3, 4))
    assert "unbroadcast" in _ops(row_bias, x3, np.ones((3, 1)), grad=(0, 1))  # mixed: kept
    _same(at.grad(row_bias, argnums=1)(x3, np.ones((3, 1))), np.full((3, 1), 8.0))


def squares(x):
    return np.sum(x * x)


def test_derivative_of_a_square_is_one_sum_of_the_value():
    assert _ops(squares, X, grad=0) == ["mul"]  # d(x*x) = x * (1 + 1): one product
    _same(at.grad(squares)(X), 2 * X)


def test_rules_switched_off_leave_the_ops(monkeypatch):
    monkeypatch.setattr(simplify, "STRENGTH_REDUCTION", False)
    assert _ops(square, X) == ["pow"]
    assert sorted(_ops(plus_negated, X, X)) == ["add", "neg"]


# -- the control-flow corpus with and without the rules -----------------------------------
def _outcomes(case, strength: bool, monkeypatch) -> list:
    """Per input and function (forward, gradient): (result or exception type, graph text)."""
    monkeypatch.setattr(simplify, "STRENGTH_REDUCTION", strength)
    return outcomes(case, graph_text)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_corpus_is_the_same_with_and_without_strength_reduction(case, monkeypatch):
    on = _outcomes(case, True, monkeypatch)
    off = _outcomes(case, False, monkeypatch)
    assert_same(on, off, rtol=1e-14)


def test_strength_reduction_changes_some_corpus_graphs(monkeypatch):
    changed = []
    for case in CASES:
        on, off = (_outcomes(case, flag, monkeypatch) for flag in (True, False))
        changed += [case.id] * count_changed(on, off)
        if len(changed) >= 3:
            break
    assert len(changed) >= 3, "the equivalence test would compare no rewritten graph"
