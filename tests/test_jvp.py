"""`at.jvp`, `at.linearize`, `at.jacfwd`: forward mode through Python control flow.

Oracles: central differences of the plain function, analytic derivatives, and reverse
mode (`at.jacobian`, `at.hessian`). Control-flow tests run ONE cached graph on inputs
taking different paths.
"""

from __future__ import annotations

import numpy as np
import pytest

import autotrace as at
from autotrace.autodiff.forward import _jvp_function


def central(f, x, v, eps=1e-6):
    return (f(x + eps * v) - f(x - eps * v)) / (2 * eps)


def branchy(x):
    if x.sum() > 0:
        y = np.sin(x) * x
    else:
        y = np.exp(x) - x * x
    return y


def doubling(x):
    while np.abs(x).sum() < 10.0:
        x = x * 2.0 + 0.1
    return x


def test_jvp_through_if_takes_each_branch_in_one_graph():
    v = np.array([0.3, -1.0, 2.0])
    for x in (np.array([1.0, 2.0, 0.5]), np.array([-1.0, -2.0, 0.5])):
        out, t = at.jvp(branchy, (x,), (v,))
        np.testing.assert_allclose(out, branchy(x))
        np.testing.assert_allclose(t, central(branchy, x, v), rtol=1e-6)
    assert _jvp_function(branchy, 1).trace_count == 1


def test_jvp_through_data_dependent_while():
    v = np.array([1.0, -0.5])
    trips = set()
    for x in (np.array([0.1, 0.2]), np.array([3.0, 4.0]), np.array([0.01, -0.02])):
        out, t = at.jvp(doubling, (x,), (v,))
        k = 0
        y = x
        while np.abs(y).sum() < 10.0:
            y, k = y * 2.0 + 0.1, k + 1
        trips.add(k)
        np.testing.assert_allclose(out, y)
        np.testing.assert_allclose(t, v * 2.0 ** k)  # d/dx of 2^k x + c
    assert len(trips) == 3
    assert _jvp_function(doubling, 1).trace_count == 1


def test_jvp_of_grad_is_a_hessian_vector_product():
    def f(x):
        return (np.sin(x) * x ** 2).sum() + x[0] * x[1]

    x, v = np.array([0.5, -1.2, 2.0]), np.array([1.0, 2.0, -0.5])
    _, hv = at.jvp(at.grad(f), (x,), (v,))
    np.testing.assert_allclose(hv, at.hessian(f)(x) @ v, rtol=1e-10)


def test_jvp_of_jvp_is_a_second_directional_derivative():
    def f(x):
        return np.sin(x) * x

    def df(x, v):
        return at.jvp(f, (x,), (v,))[1]

    x, v = np.array([0.3, 1.1]), np.array([1.0, 1.0])
    _, d2 = at.jvp(df, (x, v), (v, np.zeros(2)))
    np.testing.assert_allclose(d2, (2 * np.cos(x) - x * np.sin(x)) * v * v, rtol=1e-10)


def test_jvp_several_arguments_structures_and_int_outputs():
    def f(params, x, n):
        w, b = params["w"], params["b"]
        y = x @ w + b
        return {"y": y * n, "count": n, "argmax": np.argmax(y)}

    params = {"w": np.array([[1.0, 2.0], [3.0, 4.0]]), "b": np.array([0.5, -0.5])}
    x = np.array([1.0, -1.0])
    tw = {"w": np.ones((2, 2)), "b": np.array([1.0, 0.0])}
    out, t = at.jvp(f, (params, x, 3), (tw, np.zeros(2), None))
    np.testing.assert_allclose(out["y"], f(params, x, 3)["y"])
    np.testing.assert_allclose(t["y"], 3 * (x @ tw["w"] + tw["b"]))
    assert t["count"] is None and t["argmax"] is None and out["count"] == 3


def test_jvp_float32_stays_float32_and_constant_outputs_get_zero_tangents():
    def f(x):
        return x * 2.0, np.ones(3)

    (y, c), (ty, tc) = at.jvp(f, (np.ones(3, np.float32),), (np.ones(3, np.float32),))
    assert ty.dtype == np.float32 and y.dtype == np.float32
    np.testing.assert_array_equal(tc, np.zeros(3))


def test_jvp_reads_variables_as_constants():
    w = at.Variable([2.0, 3.0])

    def f(x):
        return w * x * x

    _, t = at.jvp(f, (np.array([1.0, 2.0]),), (np.array([1.0, 1.0]),))
    np.testing.assert_allclose(t, [4.0, 12.0])
    w.assign([1.0, 1.0])
    _, t = at.jvp(f, (np.array([1.0, 2.0]),), (np.array([1.0, 1.0]),))
    np.testing.assert_allclose(t, [2.0, 4.0])


def test_linearize():
    x = np.array([0.2, 0.7])
    out, f_jvp = at.linearize(branchy, x)
    np.testing.assert_allclose(out, branchy(x))
    for v in (np.array([1.0, 0.0]), np.array([0.5, -2.0])):
        np.testing.assert_allclose(f_jvp(v), central(branchy, x, v), rtol=1e-6)


@pytest.mark.parametrize("fn", [branchy, doubling, lambda x: np.outer(x, x).sum(axis=0),
                                lambda x: np.cumsum(x[::-1]) * x.max()])
def test_jacfwd_matches_reverse_mode(fn):
    for x in (np.array([0.5, 1.5, -0.2]), np.array([-1.0, -0.3, -0.1])):
        np.testing.assert_allclose(at.jacfwd(fn)(x), at.jacobian(fn)(x), rtol=1e-10,
                                   atol=1e-12)


def test_jacfwd_argnums_tuple_and_shapes():
    def f(a, b):
        return a[:, None] * b[None, :]

    a, b = np.array([1.0, 2.0]), np.array([3.0, 4.0, 5.0])
    ja, jb = at.jacfwd(f, argnums=(0, 1))(a, b)
    ra, rb = at.jacobian(f, argnums=(0, 1))(a, b)
    assert ja.shape == (2, 3, 2) and jb.shape == (2, 3, 3)
    np.testing.assert_allclose(ja, ra)
    np.testing.assert_allclose(jb, rb)


def test_jvp_errors():
    x = np.ones(3)
    with pytest.raises(ValueError, match=r"jvp: a tangent has shape \(2,\) but its primal "
                                         r"has shape \(3,\)"):
        at.jvp(branchy, (x,), (np.ones(2),))
    with pytest.raises(TypeError, match="jvp: 1 primals but 2 tangents"):
        at.jvp(branchy, (x,), (x, x))
    with pytest.raises(TypeError, match="primals and tangents must be tuples or lists"):
        at.jvp(branchy, x, x)


def _grow(x):
    s = x
    while s.sum() < 8.0:
        s = s * s + x
    return (s * s).sum()


def _relax(x, n):
    i = 0
    while i < n:
        x = x * 0.9 + np.sin(x) * x * 0.1
        i += 1
    return np.sum(x * x * x)


@pytest.mark.parametrize("x", [np.array([0.6, 0.7]), np.array([1.1, 0.9]), np.array([2.5, 3.0])])
def test_forward_over_reverse_through_a_data_dependent_while(x):
    """jvp of a loop gradient: one graph for inputs taking 0, few or many trips."""
    hess = at.hessian(_grow)(x)
    v = np.array([1.0, -0.5])
    _, t = at.jvp(at.grad(_grow), (x,), (v,))
    np.testing.assert_allclose(t, hess @ v, rtol=1e-10)
    np.testing.assert_allclose(at.jacfwd(at.grad(_grow))(x), hess, rtol=1e-10)


@pytest.mark.parametrize("trips", [0, 1, 6])
def test_jacfwd_of_a_loop_gradient_matches_differences(trips):
    x = np.array([0.3, -0.8, 1.2])
    grad = at.grad(_relax)
    got = at.jacfwd(lambda x: grad(x, np.array(trips)))(x)
    eps = 1e-6
    want = np.stack([(grad(x + eps * e, np.array(trips)) - grad(x - eps * e, np.array(trips)))
                     / (2 * eps) for e in np.eye(3)], axis=1)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)
