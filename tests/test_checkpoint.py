"""`at.checkpoint`: gradients equal to the plain function's, intermediates recomputed in
the backward pass instead of kept by the outer graph."""

from __future__ import annotations

import numpy as np

import autotrace as at


def layer(x):
    if x.sum() > 0:
        y = np.tanh(np.sin(x) * 2.0) * x
    else:
        y = np.exp(x) * x
    return y


CHECKPOINTED = at.checkpoint(layer)


def loss(x):
    return (CHECKPOINTED(CHECKPOINTED(x)) ** 2).sum()


def loss_plain(x):
    return (layer(layer(x)) ** 2).sum()


XS = [np.array([0.3, -1.2, 2.0]), np.array([-0.3, -1.2, 0.5])]


def test_values_and_gradients_equal_the_plain_function():
    for x in XS:
        np.testing.assert_allclose(CHECKPOINTED(x), layer(x))
        np.testing.assert_allclose(at.grad(loss)(x), at.grad(loss_plain)(x), rtol=1e-12)
    assert {bool(x.sum() > 0) for x in XS} == {True, False}


def test_the_outer_graph_keeps_no_intermediates_of_the_checkpointed_function():
    graph = at.grad(loss).get_concrete_function(XS[0]).graph
    names = [node.op.name for node in graph.nodes]
    assert "call" in names
    assert not {"sin", "tanh", "exp", "cond"} & set(names), names


def test_checkpoint_under_an_eager_tape_jvp_and_vmap():
    x = at.Variable(XS[0])
    with at.GradientTape() as tape:
        y = (CHECKPOINTED(x) ** 2).sum()
    want = at.grad(lambda x: (layer(x) ** 2).sum())(XS[0])
    np.testing.assert_allclose(tape.gradient(y, x), want, rtol=1e-12)
    v = np.array([1.0, 0.5, -1.0])
    np.testing.assert_allclose(at.jvp(CHECKPOINTED, (XS[0],), (v,))[1],
                               at.jvp(layer, (XS[0],), (v,))[1], rtol=1e-12)
    batch = np.stack(XS)
    np.testing.assert_allclose(at.vmap(CHECKPOINTED)(batch), np.stack([layer(x) for x in XS]))
