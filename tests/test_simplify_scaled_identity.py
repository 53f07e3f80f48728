"""The simplifier's product with a scaled identity (`STRENGTH["matmul"]`): `(I * v) @ w`
with a Jacobian transform's identity basis `I` (graph/basis.py) is the row scaling
`v[:, None] * w`, and `w @ (I * v)` the column scaling `w * v`. Oracle: numpy's dense
product on the same finite values (each entry is one product plus exact zeros, so the
values are equal); the rule must not fire where it would change the result's type, an
identity the user wrote stays numpy's product, and `jacrev` of `tanh(w @ x)` loses its
100x100 product."""

from __future__ import annotations

import numpy as np
import pytest

import autotrace as at
from autotrace.graph.basis import identity_basis

RNG = np.random.default_rng(0)
W = RNG.standard_normal((4, 3))
V = RNG.standard_normal(4)


def basis():
    return identity_basis(4, np.float64)


def rows(v, w):
    return (basis() * v) @ w


def rows_of_a_column(v, w):
    return (v[:, None] * basis()) @ w


def rows_of_a_vector(v, w):
    return (basis() * v) @ w[:, 0]


def columns(v, w):
    return w.T @ (basis() * v)


def scaled(v, w):
    return (basis() * v[0]) @ w


def rows_of_a_chain(v, w):
    return (np.tanh(v) * ((basis() * v) * np.exp(v))) @ w


def rows_of_a_chain_times_a_vector(v, w):
    return ((basis() * v) * np.exp(v)) @ w[:, 0]


def columns_of_a_chain(v, w):
    return w.T @ ((v * basis()) * np.exp(v))


def columns_of_a_column(v, w):
    return np.ones((4, 4)) @ (v[:, None] * basis())  # w @ diag(v): not v[:, None] * w


def _ops(fn, *args) -> list:
    return [n.op.name for n in at.trace(fn).get_concrete_function(*args).graph.nodes]


@pytest.mark.parametrize("fn", [rows, rows_of_a_column, rows_of_a_vector, columns, scaled,
                                rows_of_a_chain, rows_of_a_chain_times_a_vector,
                                columns_of_a_chain])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_a_scaled_identity_product_is_a_scaling_equal_to_numpy(fn, dtype):
    v, w = V.astype(dtype), W.astype(dtype)
    got, want = at.trace(fn)(v, w), fn(v, w)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    if dtype == np.float64:  # float32 values against a float64 identity promote: kept
        assert "matmul" not in _ops(fn, v, w)


def test_a_product_whose_dtype_the_scaling_would_change_stays_a_product():
    v, w = V.astype(np.float32), W.astype(np.float32)
    assert "matmul" in _ops(rows, v, w)  # I is float64: (I * v) @ w is float64, v * w not


def test_a_product_with_a_column_scaled_identity_on_the_right_stays_a_product():
    v = V * 3.0
    np.testing.assert_array_equal(at.trace(columns_of_a_column)(v, W), columns_of_a_column(v, W))
    assert "matmul" in _ops(columns_of_a_column, v, W)


def almost_identity(v, w):
    eye = np.eye(4)
    eye[0, 1] = 1e-300
    return (eye * v) @ w


def test_a_matrix_that_is_not_the_identity_keeps_the_product():
    np.testing.assert_array_equal(at.trace(almost_identity)(V, W), almost_identity(V, W))
    assert "matmul" in _ops(almost_identity, V, W)


def layer(w, x):
    return np.tanh(w @ x)


def gated(w, b, x):
    return np.tanh(w @ x + b) * x


def test_jacrev_of_a_layer_scales_rows_instead_of_multiplying_by_the_identity():
    w, x = RNG.standard_normal((100, 50)) * 0.1, RNG.standard_normal(50)
    jac = at.jacrev(layer, argnums=1)
    t = np.tanh(w @ x)
    np.testing.assert_allclose(jac(w, x), (1 - t * t)[:, None] * w, rtol=1e-14, atol=1e-15)
    graph = jac.concrete_functions[-1].graph
    big = [n for n in graph.nodes if n.op.name == "matmul" and len(n.outputs[0].shape) == 2]
    assert not big, str(graph)


def test_jacrev_of_a_gated_layer_scales_rows_through_a_chain_of_products():
    w, b, x = RNG.standard_normal((100, 100)) * 0.1, RNG.standard_normal(100), \
        RNG.standard_normal(100)
    jac = at.jacrev(gated, argnums=2)
    t = np.tanh(w @ x + b)
    want = (1 - t * t)[:, None] * w * x[:, None] + np.diag(t)
    np.testing.assert_allclose(jac(w, b, x), want, rtol=1e-13, atol=1e-15)
    graph = jac.concrete_functions[-1].graph
    big = [n for n in graph.nodes if n.op.name == "matmul" and len(n.outputs[0].shape) == 2]
    assert not big, str(graph)


def user_rows(v, w):
    return (np.eye(4) * v) @ w


def user_identity(x):
    return x @ np.eye(2)


def test_an_identity_the_user_wrote_stays_numpy_s_product():
    assert "matmul" in _ops(user_rows, V, W)
    x = np.array([np.inf, 1.0])  # numpy: inf * 0 in the product is NaN
    got, want = at.trace(user_identity)(x), user_identity(x)
    np.testing.assert_array_equal(got, want)
    assert np.isnan(want[1])
