"""`matmul` under `vmap` for every rank pairing numpy allows (vectors promoted as numpy
does), and what that buys: a forward-mode Jacobian through `w @ x` is one matrix product,
not one product per basis vector, and a product with the identity basis is dropped."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import autotrace as at
from autotrace.graph.basis import identity_basis

RNG = np.random.default_rng(11)
LEFT = [(3,), (2, 3), (4, 2, 3)]
RIGHT = [(3,), (3, 5), (4, 3, 5), (1, 3, 5)]
AXES = [(0, None), (None, 0), (0, 0)]


def product(a, b):
    return a @ b


def _cases():
    for sa, sb, (ia, ib) in itertools.product(LEFT, RIGHT, AXES):
        try:
            np.matmul(np.ones(sa), np.ones(sb))
        except ValueError:
            continue
        yield sa, sb, ia, ib


@pytest.mark.parametrize("sa, sb, ia, ib", list(_cases()))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_vmap_of_matmul_equals_a_loop_over_examples(sa, sb, ia, ib, dtype):
    a = RNG.standard_normal(((6,) if ia == 0 else ()) + sa).astype(dtype)
    b = RNG.standard_normal(((6,) if ib == 0 else ()) + sb).astype(dtype)
    want = np.stack([(a[k] if ia == 0 else a) @ (b[k] if ib == 0 else b) for k in range(6)])
    got = at.vmap(product, in_axes=(ia, ib))(a, b)
    assert got.shape == want.shape and got.dtype == want.dtype
    tol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def layer(w, x):
    return np.tanh(w @ x)


def test_forward_jacobian_of_a_layer_is_one_product_without_the_basis():
    w, x = RNG.standard_normal((7, 4)), RNG.standard_normal(4)
    jac = at.jacfwd(layer, argnums=1)
    t = np.tanh(w @ x)
    np.testing.assert_allclose(jac(w, x), (1 - t * t)[:, None] * w, rtol=1e-12)
    ops = [n.op.name for n in jac.get_concrete_function(w, x).graph.nodes]
    assert ops.count("matmul") == 1, ops  # w @ x; the basis product I @ w.T is gone
    assert "stack" not in ops and "expand_dims" not in ops


def times_identity(x):
    return x @ np.eye(3)


def identity_times(x):
    return np.eye(3) @ x


def times_basis(x):
    return x @ identity_basis(3, np.float64)


def basis_times(x):
    return identity_basis(3, np.float64) @ x


@pytest.mark.parametrize("fn", [times_basis, basis_times])
def test_product_with_a_jacobian_basis_is_the_value(fn):
    x = RNG.standard_normal(3)
    traced = at.trace(fn)
    np.testing.assert_array_equal(traced(x), fn(x))
    assert "matmul" not in [n.op.name for n in traced.get_concrete_function(x).graph.nodes]


@pytest.mark.parametrize("fn", [times_identity, identity_times])
def test_product_with_an_identity_the_user_wrote_is_numpy_s(fn):
    x = np.array([np.inf, 1.0, -2.0])  # inf * 0 inside the product: NaN, as numpy gives
    traced = at.trace(fn)
    got, want = traced(x), fn(x)
    np.testing.assert_array_equal(got, want)
    assert np.isnan(want).any()
    assert "matmul" in [n.op.name for n in traced.get_concrete_function(x).graph.nodes]


def test_basis_product_that_promotes_the_dtype_keeps_the_product():
    x = RNG.standard_normal(3).astype(np.float32)
    traced = at.trace(times_basis)
    got = traced(x)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, times_basis(x))
    assert "matmul" in [n.op.name for n in traced.get_concrete_function(x).graph.nodes]


def test_a_basis_cannot_be_written():
    with pytest.raises(ValueError, match="read-only"):
        identity_basis(2, np.float64)[0, 1] = 1.0
