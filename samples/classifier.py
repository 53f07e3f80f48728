"""A small neural classifier trained with Adam, gradients from `at.value_and_grad`.

Two interleaved half-moons (a synthetic data set), a one-hidden-layer network
(tanh), softmax cross-entropy. The loss is an ordinary numpy function of a dict of
parameters; `at.value_and_grad` returns gradients with the same dict structure, computed
by the generated backward graph, and `at.optimizers.Adam` updates the dict. The whole
training step (loss, gradient, optimizer) is one traced function, traced once.

Run it: `python samples/classifier.py [--epochs N]`
"""

from __future__ import annotations

import argparse

import numpy as np

import autotrace as at


def make_moons(n: int, noise: float, rng) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved half circles, labels 0 and 1."""
    t = rng.uniform(0.0, np.pi, n)
    upper = np.stack([np.cos(t), np.sin(t)], axis=1)
    lower = np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1)
    x = np.concatenate([upper, lower]) + rng.normal(0.0, noise, (2 * n, 2))
    y = np.concatenate([np.zeros(n, dtype=np.int64), np.ones(n, dtype=np.int64)])
    return x, y


def init_params(hidden: int, rng) -> dict:
    return {
        "w1": rng.normal(0.0, 1.0, (2, hidden)), "b1": np.zeros(hidden),
        "w2": rng.normal(0.0, 1.0 / np.sqrt(hidden), (hidden, 2)), "b2": np.zeros(2),
    }


def logits(params, x):
    h = np.tanh(x @ params["w1"] + params["b1"])
    return h @ params["w2"] + params["b2"]


def loss(params, x, onehot):
    z = logits(params, x)
    z = z - z.max(axis=1, keepdims=True)
    log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -(onehot * log_probs).sum(axis=1).mean()


def main(epochs: int = 300, echo=print) -> dict:
    rng = np.random.default_rng(0)
    x, y = make_moons(200, 0.15, rng)
    onehot = np.eye(2)[y]
    params = init_params(16, rng)
    optimizer = at.optimizers.Adam(learning_rate=0.05)
    state = optimizer.init(params)

    @at.trace
    def step(params, state, x, onehot):
        value, grads = at.value_and_grad(loss)(params, x, onehot)
        params, state = optimizer.update(grads, state, params)
        return params, state, value

    predict = at.trace(logits)
    history = []
    for epoch in range(epochs):
        params, state, value = step(params, state, x, onehot)
        history.append(float(value))
        if epoch % 50 == 0 or epoch == epochs - 1:
            echo(f"epoch {epoch:4d}  loss {float(value):.4f}")
    accuracy = float((predict(params, x).argmax(axis=1) == y).mean())
    echo(f"\ntraining accuracy {accuracy:.3f}; the training step (loss, gradient, Adam) "
         f"was traced {step.trace_count} time(s) for {epochs} steps")
    return {"loss": history, "accuracy": accuracy}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=300)
    main(parser.parse_args().epochs)
