"""The transforms' contract: `grad`, `value_and_grad`, `jacobian`, `hessian`.

argnums (int or tuple), has_aux, Jacobian shapes, nested arguments, dtypes, the errors a
user can see, and composition with `trace` and with each other, each caching one trace per
signature. Expected values are closed forms computed with numpy.
"""

from __future__ import annotations

import numpy as np
import pytest

import autotrace as at


def f(x, y):
    return (x * y ** 2).sum()


def with_aux(x):
    return (x * x).sum(), {"n": x.shape[0], "doubled": x * 2}


def outer_product(x):
    return np.outer(x, x)


def cube_sum(x):
    return (x ** 3).sum()


def nested(params, data):
    return (params["w"] @ data + params["b"][0] * params["b"][1]).sum()


X, Y = np.array([1.0, 2.0]), np.array([3.0, 4.0])


def test_argnums_int_and_tuple():
    np.testing.assert_array_equal(at.grad(f)(X, Y), Y ** 2)
    np.testing.assert_array_equal(at.grad(f, argnums=1)(X, Y), 2 * X * Y)
    np.testing.assert_array_equal(at.grad(f, argnums=-1)(X, Y), 2 * X * Y)
    gx, gy = at.grad(f, argnums=(0, 1))(X, Y)
    np.testing.assert_array_equal(gx, Y ** 2)
    np.testing.assert_array_equal(gy, 2 * X * Y)
    (only,) = at.grad(f, argnums=(1,))(X, Y)
    np.testing.assert_array_equal(only, 2 * X * Y)


def test_value_and_grad():
    value, (gx, gy) = at.value_and_grad(f, argnums=(0, 1))(X, Y)
    assert value == (X * Y ** 2).sum()
    np.testing.assert_array_equal(gx, Y ** 2)
    np.testing.assert_array_equal(gy, 2 * X * Y)


def test_has_aux():
    grads, aux = at.grad(with_aux, has_aux=True)(X)
    np.testing.assert_array_equal(grads, 2 * X)
    assert aux["n"] == 2
    np.testing.assert_array_equal(aux["doubled"], 2 * X)
    (value, aux), grads = at.value_and_grad(with_aux, has_aux=True)(X)
    assert value == 5.0 and aux["n"] == 2
    np.testing.assert_array_equal(grads, 2 * X)


def test_jacobian_shape_is_output_shape_plus_input_shape():
    jac = at.jacobian(outer_product)(X)
    assert jac.shape == (2, 2, 2)
    want = np.zeros((2, 2, 2))
    for i in range(2):
        for j in range(2):
            want[i, j, i] += X[j]
            want[i, j, j] += X[i]
    np.testing.assert_array_equal(jac, want)
    jx, jy = at.jacobian(lambda x, y: x * y, argnums=(0, 1))(X, Y)
    np.testing.assert_array_equal(jx, np.diag(Y))
    np.testing.assert_array_equal(jy, np.diag(X))
    m = np.arange(6.0).reshape(2, 3)
    assert at.jacobian(lambda w: w @ X[:1].repeat(3))(m).shape == (2, 2, 3)


def test_nested_arguments_give_gradients_of_the_same_structure():
    params = {"w": np.ones((2, 3)), "b": [np.array(2.0), np.array([1.0, 2.0])]}
    data = np.array([1.0, 2.0, 3.0])
    g = at.grad(nested)(params, data)
    assert set(g) == {"w", "b"} and isinstance(g["b"], list) and len(g["b"]) == 2
    np.testing.assert_array_equal(g["w"], np.tile(data, (2, 1)))
    np.testing.assert_array_equal(g["b"][0], 3.0)
    np.testing.assert_array_equal(g["b"][1], [2.0, 2.0])
    assert np.shape(g["b"][0]) == ()


def test_float32_in_float32_out():
    x, y = X.astype(np.float32), Y.astype(np.float32)
    for g in at.grad(f, argnums=(0, 1))(x, y):
        assert g.dtype == np.float32
    value, g = at.value_and_grad(f)(x, y)
    assert value.dtype == np.float32 and g.dtype == np.float32
    assert at.jacobian(outer_product)(x).dtype == np.float32
    assert at.hessian(cube_sum)(x).dtype == np.float32
    assert at.grad(f)(x, Y).dtype == np.float32  # the gradient has its argument's dtype


def test_integer_arguments_are_refused():
    with pytest.raises(TypeError, match=r"grad\(f\): argument 0 has dtype int64; gradients "
                                        "are defined for float arrays only"):
        at.grad(f)(np.array([1, 2]), Y)
    ints = np.array([1, 2])
    np.testing.assert_array_equal(at.grad(f, argnums=1)(ints, Y), 2 * ints * Y)


def test_non_scalar_output_is_refused():
    with pytest.raises(TypeError, match=r"grad\(outer_product\) needs a function with a scalar "
                                        r"output \(size 1\), but it returned shape \(2, 2\)"):
        at.grad(outer_product)(X)
    with pytest.raises(TypeError, match="use jacobian"):
        at.value_and_grad(outer_product)(X)


def test_bad_argnums():
    with pytest.raises(ValueError, match="argnums 2 is out of range"):
        at.grad(f, argnums=2)(X, Y)
    with pytest.raises(TypeError, match="argnums must be an int or a non-empty tuple"):
        at.grad(f, argnums=())


def test_compositions_cache_per_signature():
    traced_grad = at.trace(at.grad(f))
    grad_of_grad = at.grad(lambda x: at.grad(cube_sum)(x).sum())
    jac_of_grad = at.jacobian(at.grad(cube_sum))
    hess = at.hessian(cube_sum)
    for x in (X, X + 1, X * 3):
        np.testing.assert_array_equal(traced_grad(x, Y), Y ** 2)
        np.testing.assert_allclose(grad_of_grad(x), 6 * x)
        np.testing.assert_allclose(jac_of_grad(x), np.diag(6 * x))
        np.testing.assert_allclose(hess(x), np.diag(6 * x))
    for fn in (traced_grad, grad_of_grad, jac_of_grad, hess):
        assert fn.trace_count == 1, fn
    hess(np.ones(3))
    assert hess.trace_count == 2  # a new shape is a new signature


def test_grad_of_a_traced_function_and_of_grad():
    traced = at.trace(cube_sum)
    d1 = at.grad(traced)
    d2 = at.grad(lambda x: d1(x).sum())
    np.testing.assert_allclose(d1(X), 3 * X ** 2)
    np.testing.assert_allclose(d2(X), 6 * X)
    np.testing.assert_allclose(at.grad(at.grad(lambda x: x ** 4))(np.array(2.0)), 48.0)
    assert traced.trace_count == 0  # inlined into the gradient's trace, never run alone


def test_unused_argument_gets_zeros():
    gx, gy = at.grad(lambda x, y: (x * 2).sum(), argnums=(0, 1))(X, np.ones((2, 3)))
    np.testing.assert_array_equal(gx, [2.0, 2.0])
    np.testing.assert_array_equal(gy, np.zeros((2, 3)))


@at.custom_gradient
def wrong_first_order(x):
    return np.sin(x), lambda g: g * np.cos(x) * 1.01


@at.custom_gradient
def wrong_second_order(x):
    return x ** 3, lambda g: g * 3 * at.stop_gradient(x * x)  # first order right only


def test_check_grads_catches_wrong_rules():
    x = (np.array([0.3, 1.2]),)
    with pytest.raises(AssertionError, match=r"gradient check failed \(order 1\)"):
        at.check_grads(wrong_first_order, x, order=1)
    at.check_grads(wrong_second_order, x, order=1)
    with pytest.raises(AssertionError, match=r"gradient check failed \(order 2\)"):
        at.check_grads(wrong_second_order, x, order=2)


def test_jacobian_of_nested_arguments_and_outputs():
    """Like jax.jacrev: the output's structure, each leaf holding the arguments'."""
    def scaled(p):
        return p["w"] * p["b"][0]

    def two_outputs(x):
        return {"a": x * 2, "b": (x * x).sum(), "n": x.shape[0]}

    p = {"w": np.array([1.0, 2.0]), "b": [np.array(3.0)]}
    jac = at.jacobian(scaled)(p)
    np.testing.assert_array_equal(jac["w"], 3 * np.eye(2))
    np.testing.assert_array_equal(jac["b"][0], p["w"])
    out = at.jacobian(two_outputs)(X)
    np.testing.assert_array_equal(out["a"], 2 * np.eye(2))
    np.testing.assert_array_equal(out["b"], 2 * X)
    np.testing.assert_array_equal(out["n"], np.zeros(2))  # an integer output: no gradient
    jx, jy = at.jacobian(lambda x, y: {"p": x * y}, argnums=(0, 1))(X, Y)["p"]
    np.testing.assert_array_equal(jx, np.diag(Y))
    np.testing.assert_array_equal(jy, np.diag(X))


def test_tape_jacobian_of_nested_sources():
    x, y = at.Variable([1.0, 2.0]), at.Variable(3.0)
    with at.GradientTape(persistent=True) as tape:
        z = x * y
    jac = tape.jacobian(z, {"x": x, "y": [y]})
    np.testing.assert_array_equal(jac["x"], 3 * np.eye(2))
    np.testing.assert_array_equal(jac["y"][0], [1.0, 2.0])
    unused = at.Variable([5.0])
    assert tape.jacobian(z, unused) is None
    np.testing.assert_array_equal(tape.jacobian(z, unused, unconnected_gradients="zero"),
                                  np.zeros((2, 1)))
