"""`Variable.assign` / `assign_add` / `assign_sub` inside traced functions: graph nodes
that write the Variable on every call, in program order, on the path taken; reads after
them see the new value; tapes and optimizer steps agree with the eager run."""

from __future__ import annotations

import numpy as np
import pytest

import autotrace as at

X = np.array([1.0, -2.0, 3.0])


def _pair(value):
    return at.Variable(np.array(value)), at.Variable(np.array(value))


def _check_calls(make_fn, args_list, value):
    """`make_fn(v)` -> function; traced and plain, each with its own Variable, agree on
    every call (results and the Variable afterwards); one graph for the signature."""
    v_plain, v_traced = _pair(value)
    plain, traced = make_fn(v_plain), at.trace(make_fn(v_traced))
    for args in args_list:
        np.testing.assert_allclose(traced(*args), plain(*args))
        np.testing.assert_allclose(v_traced.numpy(), v_plain.numpy())
        assert v_traced.numpy().dtype == v_plain.numpy().dtype
    assert len(traced.concrete_functions) == 1


def test_straight_line_assigns_in_program_order():
    def make(v):
        def f(x):
            a = v * 1.0
            v.assign(v * x)
            b = v * 1.0
            v.assign_add(x)
            v.assign_sub(1.0)
            return a, b, v * 2.0
        return f

    _check_calls(make, [(X,), (X,), (X * 0.5,)], [1.0, 2.0, 3.0])


def test_print_shows_the_value_when_it_runs(capsys):
    v = at.Variable(np.array(1.0))

    @at.trace
    def f(x):
        print("before", v)
        v.assign(v + x)
        print("after", v)
        return v * 1.0

    f(np.array(2.0))
    f(np.array(2.0))
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out] == ["before", "after"] * 2
    assert "3." in out[1] and "3." in out[2] and "5." in out[3]


def test_assign_in_a_graph_branch():
    def make(v):
        def f(x):
            if x.sum() > 0:
                v.assign_add(x)
            else:
                v.assign(v * 2.0)
            return v.sum()
        return f

    _check_calls(make, [(X,), (-X,), (X,), (-X * 3,)], [0.5, 0.5, 0.5])


def test_assign_in_a_graph_loop_with_a_tensor_bound():
    def make(v):
        def f(x, n):
            for i in range(n):
                if x[i] > 0:
                    v.assign_add(x[i])
            return v * 1.0
        return f

    _check_calls(make, [(X, np.asarray(3)), (X, np.asarray(1)), (X, np.asarray(3))], 0.0)


def test_while_condition_reads_the_assigned_value():
    def make(v):
        def f(x):
            while v < x:
                v.assign(v * 2.0 + 1.0)
            return v * 1.0
        return f

    _check_calls(make, [(np.array(10.0),), (np.array(100.0),), (np.array(5.0),)], 0.0)


def _train_step(w, x, y, lr):
    with at.GradientTape() as tape:
        loss = np.mean((x @ w - y) ** 2)
    g = tape.gradient(loss, w)
    w.assign_sub(lr * g)
    return loss


def _data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 3))
    return x, x @ np.array([1.0, -2.0, 0.5])


def test_optimizer_step_with_a_tape_matches_eager():
    x, y = _data()
    w_eager, w_traced = _pair(np.zeros(3))
    step = at.trace(lambda x, y: _train_step(w_traced, x, y, 0.1))
    for _ in range(6):
        want = _train_step(w_eager, x, y, 0.1)
        np.testing.assert_allclose(step(x, y), want)
        np.testing.assert_allclose(w_traced.numpy(), w_eager.numpy())
    assert len(step.concrete_functions) == 1


def test_optimizer_step_with_grad_matches_plain():
    x, y = _data()

    def loss(w, x, y):
        return np.mean((x @ w - y) ** 2)

    w_plain, w_traced = _pair(np.zeros(3))

    @at.trace
    def step(x, y):
        g = at.grad(loss)(w_traced * 1.0, x, y)
        w_traced.assign_sub(0.1 * g)
        return loss(w_traced, x, y)

    for _ in range(5):
        g = at.grad(loss)(w_plain.numpy(), x, y)
        w_plain.assign_sub(0.1 * g)
        np.testing.assert_allclose(step(x, y), loss(w_plain.numpy(), x, y))
        np.testing.assert_allclose(w_traced.numpy(), w_plain.numpy())


def test_tape_recording_a_call_that_assigns():
    def make(v):
        def f(x):
            y = (v * x).sum()
            v.assign(v * 2.0)
            return y * (v * x).sum()
        return f

    x = np.array([3.0, 4.0])
    v_eager, v_traced = _pair([1.0, 2.0])
    eager, traced = make(v_eager), at.trace(make(v_traced))
    for _ in range(3):
        with at.GradientTape(persistent=True) as t1:
            t1.watch(x)
            y1 = eager(x)
        with at.GradientTape(persistent=True) as t2:
            t2.watch(x)
            y2 = traced(x)
        np.testing.assert_allclose(np.asarray(y2), np.asarray(y1))
        np.testing.assert_allclose(t2.gradient(y2, v_traced), t1.gradient(y1, v_eager))
        np.testing.assert_allclose(v_traced.numpy(), v_eager.numpy())


def test_gradient_of_a_function_that_assigns_writes_once():
    v = at.Variable(np.array(1.0))

    @at.trace
    def f(x):
        v.assign_add(1.0)
        if x > 0:
            y = np.sin(x) * v
        else:
            y = x * x
        return y

    g = at.grad(f)
    np.testing.assert_allclose(g(np.array(0.5)), np.cos(0.5) * 2.0)
    assert v.numpy() == 2.0
    np.testing.assert_allclose(g(np.array(-0.5)), -1.0)
    assert v.numpy() == 3.0


def test_assign_of_the_wrong_shape_names_the_line():
    v = at.Variable(np.zeros(3))

    @at.trace
    def f(x):
        v.assign(x[:2])
        return x

    with pytest.raises(ValueError, match=r"Variable.assign: shape f64\[2\] does not match"):
        f(X)


def test_assign_inside_a_graph_try_is_refused():
    v = at.Variable(np.zeros(3))

    @at.trace
    def f(x):
        try:
            v.assign(x)
        except ValueError:
            pass
        return x

    with pytest.raises(at.TracingError, match="inside a `try` statement"):
        f(X)
