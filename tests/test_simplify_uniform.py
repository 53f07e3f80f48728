"""Uniform values in `compile/simplify.py` (`_uniform_value`): a computed value whose
elements all equal one known constant (a broadcast gradient seed times a constant) is
used as a numpy scalar where the other operand alone has the result's type, so the
full-size constant array is never computed. Each rule: fires, does not fire where it
would change a type or a warning, and gives numpy's value bit for bit (the corpus test
of test_simplify_strength.py covers it: it is part of `STRENGTH_REDUCTION`). Then
`backprop`'s one cotangent `x * (g + g)` for a square, and the control-flow corpus's
gradients with and without it."""

import warnings

import numpy as np
import pytest
from corpus.switched import CASES, assert_same, graph_text, outcomes

import autotrace as at
from autotrace.autodiff import backprop
from autotrace.compile import simplify

X = np.linspace(-2.0, 2.0, 5001)  # above FOLD_MAX: no constant folding of the arrays


def _graph(fn, *args, grad=None):
    traced = at.trace(fn) if grad is None else at.grad(fn, argnums=grad)
    return traced.get_concrete_function(*args).graph


def _ops(fn, *args, grad=None) -> list:
    return [n.op.name for n in _graph(fn, *args, grad=grad).nodes]


def _same(got, want) -> None:
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)


def arith(x):
    return np.sum(x * x * 0.5 + x * 3 - 1)


def lin(x):
    return np.sum(np.sin(x) * 0.5 + x * 3)


def test_broadcast_seed_times_constants_becomes_scalars():
    # before: broadcast_to(ones), ones*3, ones*0.5, (ones*0.5)*cos(x), an add
    assert _ops(lin, X, grad=0) == ["cos", "mul", "add"]
    graph = _graph(lin, X, grad=0)
    scalars = [a for n in graph.nodes for a in n.inputs if isinstance(a, np.generic)]
    assert sorted(float(a) for a in scalars) == [0.5, 3.0]
    assert all(a.dtype == np.float64 for a in scalars)
    # the unsimplified chain rule, computed by numpy with full arrays
    ones = np.broadcast_to(np.ones(1), X.shape)
    _same(at.grad(lin)(X), ones * 3 + (ones * 0.5) * np.cos(X))


def test_rule_is_off_with_strength_reduction(monkeypatch):
    monkeypatch.setattr(simplify, "STRENGTH_REDUCTION", False)
    assert "broadcast_to" in _ops(lin, X, grad=0)


def full_times(x):
    return np.full_like(x, 3.0) * 2.0 * x


def test_full_like_fill_is_uniform_and_exact():
    assert _ops(full_times, X) == ["mul"]
    _same(at.trace(full_times)(X), full_times(X))


def test_float32_uniform_keeps_float32():
    x = X.astype(np.float32)

    def f(x):
        return np.ones_like(x) * np.float32(0.1) * x

    assert _ops(f, x) == ["mul"]
    _same(at.trace(f)(x), f(x))


def test_uniform_of_wider_dtype_than_other_operand_is_kept():
    # float32 x times a float64 uniform array is float64: x alone does not have the
    # result's dtype, so the array stays (a scalar would give the same here, but the
    # rule only fires where the other operand has the result's exact type)
    x = X.astype(np.float32)

    def f(x):
        return np.ones_like(x, dtype=np.float64) * 3.0 * x

    assert "full_like" in _ops(f, x) or "broadcast_to" in _ops(f, x)
    _same(at.trace(f)(x), f(x))


def test_uniform_that_broadcasts_the_other_operand_is_kept():
    def f(x, m):
        return np.ones_like(m) * 3.0 + x  # x (n,) against m (2, n): x lacks the shape

    m = np.zeros((2, 5000))
    x = np.arange(5000.0)
    assert "full_like" in _ops(f, x, m)
    _same(at.trace(f)(x, m), f(x, m))


def test_uniform_that_overflows_stays_a_run_time_computation():
    def f(x):
        return np.full_like(x, 1e308) * 10.0 * x

    assert _ops(f, X).count("mul") == 2
    with np.errstate(over="raise"), pytest.raises(FloatingPointError):
        at.trace(f)(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            _same(at.trace(f)(X), f(X))


def test_inexact_fill_is_not_uniform():
    x = np.arange(5000)  # int64: a fill of 0.5 becomes 0

    def f(x):
        return np.full_like(x, 0.5) + x

    _same(at.trace(f)(x), f(x))
    assert "full_like" in _ops(f, x)


def test_integer_uniform_wraps_like_numpy():
    x = np.arange(5000).astype(np.int8)

    def f(x):
        return np.full_like(x, 100) * np.int8(1) + x

    assert _ops(f, x) == ["add"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _same(at.trace(f)(x), f(x))


def test_uniform_value_that_is_a_result_stays_computed():
    def f(x):
        u = np.ones_like(x) * 3.0
        return u, u * x

    got = at.trace(f)(X)
    for g, w in zip(got, f(X)):
        _same(g, w)
    assert got[0].flags.writeable


def test_mixed_signed_zero_constant_is_not_uniform():
    assert simplify._uniform_literal(np.array([0.0, -0.0])) is None
    assert simplify._uniform_literal(np.array([np.nan, np.nan])) is None
    assert simplify._uniform_literal(np.array([2.0, 2.0])) == 2.0
    assert simplify._uniform_literal(np.array([], dtype=float)) is None


def test_sum_of_two_uniforms_keeps_an_array_operand():
    def doubled(x):
        u = np.full_like(x, 0.5)
        return u + u

    def scaled(x):
        u = np.full_like(x, 0.75)
        return (u + u) * x

    got = at.trace(doubled)(X)
    _same(got, doubled(X))
    assert isinstance(got, np.ndarray) and got.flags.writeable
    assert _ops(scaled, X) == ["mul"]
    _same(at.trace(scaled)(X), scaled(X))


def test_square_sends_one_cotangent_and_a_constant_seed_folds():
    # d(0.5 * x*x) = x * (0.5 + 0.5) = x * 1.0 = x: the gradient is x + 3, one add
    graph = _graph(arith, X, grad=0)
    assert [n.op.name for n in graph.nodes] == ["add"]
    _same(at.grad(arith)(X), X + 3.0)
    x32 = X.astype(np.float32)
    _same(at.grad(arith)(x32), x32 + np.float32(3.0))


def test_square_cotangent_matches_the_chain_rule_for_a_traced_seed():
    def f(x, w):
        return np.sum(np.sin(x * x) * w)

    w = np.linspace(0.5, 1.5, X.size)
    g = at.grad(f, argnums=0)(X, w)
    want = np.cos(X * X) * w * X * 2  # (g + g) * x rounds like 2 * (g * x)
    np.testing.assert_allclose(g, want, rtol=1e-15, atol=0)
    at.check_grads(f, (X[:5], w[:5]))


def test_square_cotangents_switched_off_send_two(monkeypatch):
    monkeypatch.setattr(backprop, "MERGE_SQUARES", False)
    assert _ops(arith, X, grad=0) == ["mul", "add", "add"]  # 0.5*x, 3.0 + that, + that


# -- the control-flow corpus with and without one cotangent for a square ------------------
def _gradients(case, merge: bool, monkeypatch) -> list:
    monkeypatch.setattr(backprop, "MERGE_SQUARES", merge)
    return outcomes(case, graph_text, forward=False)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_corpus_gradients_are_the_same_with_and_without_merged_squares(case, monkeypatch):
    on = _gradients(case, True, monkeypatch)
    off = _gradients(case, False, monkeypatch)
    assert_same(on, off, rtol=1e-14, exact_scalars=False)


def test_merged_squares_change_some_corpus_graphs(monkeypatch):
    changed = []
    for case in CASES:
        on, off = (_gradients(case, flag, monkeypatch) for flag in (True, False))
        changed += [case.id for (_, g_on), (_, g_off) in zip(on, off) if g_on != g_off]
    assert changed, "the equivalence test would compare no rewritten graph"


def test_long_chain_of_uniform_values_needs_no_deep_recursion(tmp_path):
    # 3,000 statements `u = u * 1.0001` on a uniform value: each one's value is known from
    # the one before (simplify fills them in order), never by recursing back to the start
    import importlib.util  # lazy import: only this test loads a generated module

    body = "".join("    u = u * 1.0001\n" for _ in range(3000))
    path = tmp_path / "uniform_chain.py"
    path.write_text(f"import numpy as np\n\n\ndef chain(x):\n    u = np.ones_like(x)\n"
                    f"{body}    return u * x\n")
    spec = importlib.util.spec_from_file_location("uniform_chain", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert _ops(module.chain, X) == ["mul"]
    _same(at.trace(module.chain)(X), module.chain(X))
