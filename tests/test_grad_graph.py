"""The backward graph reads like the chain rule: golden text of gradient graphs.

Cotangents are named after the values they belong to (`dz`, `dh`; `de_dc` for a named
target), seeds of ones are folded away (no `mul ... ones`, no `full_like`), nothing dead
is left, and the forward values a gradient needs are computed once. The functions are at
the top of the file: their line numbers are part of the golden text.
"""

from __future__ import annotations

import numpy as np

import autotrace as at


def seed(a, b):
    c = a + b
    d = b + 1
    e = c * d
    return e.sum()


def seed_one_line(a, b):
    return ((a+b) * (b+1)).sum()


def chain(x, w):
    z = x * w
    h = np.tanh(z)
    y = np.sin(h) * x
    return y.sum()


def mse(w, x, y):
    err = x @ w - y
    return (err * err).mean()


SEED = """\
graph grad_seed(a: f64[3], b: f64[3]) -> (f64[3], f64[3])
  c: f64[3] = add a b                         # test_grad_graph.py:17  c = a + b
  d: f64[3] = add b 1                         # test_grad_graph.py:18  d = b + 1
  db: f64[3] = add c d                        # test_grad_graph.py:17  c = a + b
  return d, db"""

SEED_ONE_LINE = """\
graph grad_seed_one_line(a: f64[3], b: f64[3]) -> (f64[3], f64[3])
  %0: f64[3] = add a b                        # test_grad_graph.py:24  return ((a+b) * (b+1)).sum()
  %1: f64[3] = add b 1
  db: f64[3] = add %0 %1
  return %1, db"""

CHAIN = """\
graph grad_chain(x: f64[2], w: f64[2]) -> (f64[2], f64[2])
  z: f64[2] = mul x w                         # test_grad_graph.py:28  z = x * w
  h: f64[2] = tanh z                          # test_grad_graph.py:29  h = np.tanh(z)
  dx: f64[2] = sin h                          # test_grad_graph.py:30  y = np.sin(h) * x
  %0: f64[2] = cos h
  dh: f64[2] = mul x %0
  %1: f64[2] = mul h h                        # test_grad_graph.py:29  h = np.tanh(z)
  %2: f64[2] = sub 1 %1
  dz: f64[2] = mul dh %2
  %3: f64[2] = mul dz w                       # test_grad_graph.py:28  z = x * w
  dw: f64[2] = mul dz x
  dx_1: f64[2] = add dx %3
  return dx_1, dw"""

MSE = """\
graph grad_mse(w: f64[3], x: f64[4,3], y: f64[4]) -> f64[3]
  %0: f64[4] = matmul x w                     # test_grad_graph.py:35  err = x @ w - y
  err: f64[4] = sub %0 y
  derr: f64[4] = mul err 0.5:f64              # test_grad_graph.py:36  return (err * err).mean()
  dw: f64[3] = matmul derr x                  # test_grad_graph.py:35  err = x @ w - y
  return dw"""


def backward_text(fn, *args, argnums=(0, 1)) -> str:
    return str(at.grad(fn, argnums=argnums).get_concrete_function(*args).graph)


def test_seed():
    assert backward_text(seed, np.ones(3), np.ones(3)) == SEED


def test_seed_written_on_one_line():
    assert backward_text(seed_one_line, np.ones(3), np.ones(3)) == SEED_ONE_LINE


def test_chain_rule_names():
    assert backward_text(chain, np.ones(2), np.ones(2)) == CHAIN


def test_mean_seed_folds_into_one_scalar():
    assert backward_text(mse, np.ones(3), np.ones((4, 3)), np.ones(4), argnums=0) == MSE


def test_no_seeds_of_ones_and_no_dead_nodes():
    for fn, args in ((seed, (np.ones(3), np.ones(3))), (chain, (np.ones(2), np.ones(2))),
                     (mse, (np.ones(3), np.ones((4, 3)), np.ones(4)))):
        graph = at.grad(fn).get_concrete_function(*args).graph
        used = {x.uid for n in graph.nodes for x in n.inputs if isinstance(x, at.Var)}
        used |= {x.uid for x in graph.outputs if isinstance(x, at.Var)}
        for node in graph.nodes:
            assert node.op.name not in ("full_like", "broadcast_like", "mean", "sum"), node
            assert any(v.uid in used for v in node.outputs), f"dead node {node}"


def test_the_golden_graphs_compute_the_gradient():
    """The text above is not only pretty: the graphs give the right numbers."""
    a, b = np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.0, 2.0])
    da, db = at.grad(seed_one_line, argnums=(0, 1))(a, b)
    np.testing.assert_allclose(da, b + 1)
    np.testing.assert_allclose(db, 2 * b + 1 + a)
    x, w, y = np.arange(12.0).reshape(4, 3) / 10, np.array([0.1, -0.2, 0.3]), np.ones(4)
    np.testing.assert_allclose(at.grad(mse)(w, x, y), 2 * x.T @ (x @ w - y) / 4)
