"""Second and higher derivatives: `grad(grad(f))`, `hessian`, `jacobian(grad(f))`.

The oracle is central differences of the first derivative (itself checked against
differences of `f` in test_grad_control.py), and closed forms where there is one. Each
is tried on straight-line code, through `cond` (inputs on both branches) and through
`while_loop` with a data-dependent trip count (the loop's record of per-iteration states
is differentiable, see autodiff/history.py), with one trace per signature.
"""

from __future__ import annotations

import numpy as np
import pytest

import autotrace as at


def straight(x):
    return (np.sin(x) * x ** 2).sum() + np.exp(x * 0.3).prod()


def branchy(x):
    if x.sum() > 0:
        y = (x ** 3).sum()
    else:
        y = np.sin(x).sum() * x.sum()
    return y


def newton_sqrt(x):
    y = x
    while np.abs(y * y - x) > 1e-12:
        y = 0.5 * (y + x / y)
    return y


def grow_until(x):
    s = x
    while s.sum() < 10:
        s = s * s + x
    return (s * s).sum()


def loop_over_values(x):
    acc = x[0] * 0 + 1
    for v in x:
        if v > 0:
            acc = acc * v + np.sin(v)
        else:
            acc = acc - v * v
    return acc


def two_args(x, y):
    return (x * x * y).sum() + np.tanh(x @ y)


# function -> vector inputs of one signature (different branches / trip counts)
VECTOR = {
    straight: [np.array([0.3, -1.2, 0.7]), np.array([1.5, 0.2, -0.4])],
    branchy: [np.array([0.5, 1.0, -0.2]), np.array([-0.5, -1.0, 0.2])],
    grow_until: [np.array([0.5, 0.9, 1.1]), np.array([1.5, 1.2, 1.4]),
                 np.array([0.3, 0.2, 0.4])],
    loop_over_values: [np.array([0.5, -1.0, 2.0]), np.array([-0.5, 1.0, 0.3])],
}


def numeric_jacobian(fn, x, eps: float = 1e-5) -> np.ndarray:
    """d fn(x) / dx by central differences: shape fn(x).shape + x.shape."""
    out = np.asarray(fn(x))
    jac = np.zeros(out.shape + x.shape)
    for idx in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[idx] = eps
        jac[(...,) + idx] = (np.asarray(fn(x + step)) - np.asarray(fn(x - step))) / (2 * eps)
    return jac


@pytest.mark.parametrize("fn", list(VECTOR), ids=lambda f: f.__name__)
def test_hessian_matches_differences_of_the_gradient(fn):
    g, h, jg = at.grad(fn), at.hessian(fn), at.jacobian(at.grad(fn))
    for x in VECTOR[fn]:
        want = numeric_jacobian(g, x)
        np.testing.assert_allclose(h(x), want, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(jg(x), want, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(h(x), h(x).T, rtol=1e-9, atol=1e-9)
    assert (g.trace_count, h.trace_count, jg.trace_count) == (1, 1, 1)


@pytest.mark.parametrize("fn", list(VECTOR), ids=lambda f: f.__name__)
def test_grad_of_grad_is_the_hessian_vector_product(fn):
    """grad of <grad f(x), v> is H v."""
    v = np.array([0.3, -0.7, 1.1])

    def directional(x):
        return (at.grad(fn)(x) * v).sum()

    hv = at.grad(directional)
    for x in VECTOR[fn]:
        np.testing.assert_allclose(hv(x), numeric_jacobian(at.grad(fn), x) @ v, rtol=1e-5,
                                   atol=1e-6)
    assert hv.trace_count == 1


def test_second_derivative_through_while_loop_closed_form():
    """sqrt by Newton's method: d2/dx2 sqrt(x) = -x^-1.5 / 4, for every trip count."""
    d2 = at.grad(at.grad(newton_sqrt))
    d3 = at.grad(at.grad(at.grad(newton_sqrt)))
    for x0 in (0.3, 2.0, 9.0, 100.0):
        x = np.array(x0)
        np.testing.assert_allclose(d2(x), -0.25 * x0 ** -1.5, rtol=1e-7)
        np.testing.assert_allclose(d3(x), 0.375 * x0 ** -2.5, rtol=1e-6)
    assert d2.trace_count == 1 and d3.trace_count == 1


def test_second_derivative_straight_line_closed_form():
    f = at.grad(at.grad(lambda x: np.sin(x) * x ** 3))
    for x0 in (0.2, 1.7):
        want = -np.sin(x0) * x0 ** 3 + 6 * np.cos(x0) * x0 ** 2 + 6 * np.sin(x0) * x0
        np.testing.assert_allclose(f(np.array(x0)), want, rtol=1e-10)


def test_second_derivative_through_cond_closed_form():
    f = at.grad(at.grad(lambda x: at.cond(x > 0, lambda: x ** 4, lambda: np.cos(x))))
    np.testing.assert_allclose(f(np.array(1.5)), 12 * 1.5 ** 2)
    np.testing.assert_allclose(f(np.array(-0.5)), -np.cos(-0.5))
    assert f.trace_count == 1


def test_mixed_partials_of_two_arguments():
    x, y = np.array([0.4, -0.3]), np.array([1.2, 0.8])
    hxy = at.jacobian(at.grad(two_args, argnums=0), argnums=1)(x, y)
    want = numeric_jacobian(lambda yy: at.grad(two_args, argnums=0)(x, yy), y)
    np.testing.assert_allclose(hxy, want, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("fn", [straight, branchy, grow_until], ids=lambda f: f.__name__)
def test_check_grads_to_third_order(fn):
    for x in VECTOR[fn][:2]:
        at.check_grads(fn, (x,), order=3, eps=1e-5, rtol=1e-4, atol=1e-4)


def test_hessian_through_a_loop_whose_state_changes_shape():
    """Loop variables may change shape between iterations: the record keeps a layout."""
    def grow(x):
        y = x[:1]
        while y.sum() < 5:
            y = np.concatenate([y, y[-1:] * y[-1:] + x[1:]])
        return (y * y).sum()

    for x in (np.array([0.5, 1.0]), np.array([2.0, 1.0])):
        np.testing.assert_allclose(at.hessian(grow)(x), numeric_jacobian(at.grad(grow), x),
                                   rtol=1e-5, atol=1e-5)


def test_second_order_of_custom_gradient():
    @at.custom_gradient
    def cube(x):
        return x ** 3, lambda g: g * 3 * x * x

    f = at.grad(at.grad(lambda x: cube(x).sum()))
    np.testing.assert_allclose(f(np.array(2.0)), 12.0)


def _single_argument_cases():
    from test_grad_control import CASES

    return [(fn, inputs) for fn, inputs in CASES.items() if len(inputs[0]) == 1]


@pytest.mark.parametrize("fn,inputs", _single_argument_cases(),
                         ids=lambda v: getattr(v, "__name__", ""))
def test_second_derivatives_of_every_control_flow_function(fn, inputs):
    """The functions of test_grad_control.py (ifs, loops with data-dependent trip counts,
    break/continue, early returns, helpers), differentiated twice, on every path."""
    second = at.hessian(fn) if np.ndim(inputs[0][0]) else at.grad(at.grad(fn))
    for (x,) in inputs:
        want = numeric_jacobian(at.grad(fn), np.asarray(x))
        np.testing.assert_allclose(second(x), want, rtol=1e-4, atol=1e-4)
    assert second.trace_count == 1
