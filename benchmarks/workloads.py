"""The functions `run.py` times, each next to its gradient written by hand in numpy (what a
careful person would write: the chain rule with the shared factors computed once)."""

from __future__ import annotations

import numpy as np


# W1 -- the seed example
def seed(a, b):
    return (a + b) * (b + 1)


def seed_grad_hand(a, b):
    d = b + 1
    return d, a + b + d


# W2 -- a one-hidden-layer MLP loss
def mlp(w1, b1, w2, b2, x):
    return np.mean((np.tanh(x @ w1 + b1) @ w2 + b2) ** 2)


def mlp_vg_hand(w1, b1, w2, b2, x):
    h = np.tanh(x @ w1 + b1)
    out = h @ w2 + b2
    d_out = out * (2 / out.size)
    d_z = (d_out @ w2.T) * (1 - h * h)
    grads = (x.T @ d_z, d_z.sum(axis=0), h.T @ d_out, d_out.sum(axis=0))
    return np.mean(out * out), grads


def mlp_hand(w1, b1, w2, b2, x):
    return mlp_vg_hand(w1, b1, w2, b2, x)[1]


# W3 -- a loop whose bound is a 0-d array (a graph loop) or a Python int (unrolled)
def w3(x, n):
    for _ in range(n):
        x = x * 0.5 + np.sin(x)
    return np.sum(x)


def w3_grad_hand(x, n):
    xs = []
    for _ in range(int(n)):
        xs.append(x)
        x = x * 0.5 + np.sin(x)
    g = np.ones_like(x)
    for x in reversed(xs):
        g = g * (0.5 + np.cos(x))
    return g


def add(a, b):
    """W1's call overhead: a trivial function, so that the call itself is what is timed."""
    return a + b


# W4 -- big elementwise work
def w4(x):
    return np.sum(np.tanh(x) * x + np.exp(-x * x))


def w4_grad_hand(x):
    t = np.tanh(x)
    g = 1 - t * t
    g *= x
    g += t
    e = np.exp(-x * x)
    e *= x
    e *= 2
    g -= e
    return g


# W4 arithmetic -- a memory-bound chain with no transcendental: where fusing should win
def w4_arith(x):
    return np.sum(x * x * 0.5 + x * 3 - 1)


def w4_arith_grad_hand(x):
    return x + 3.0


# W6 -- a while loop whose trip count is known only at run time
def w6(x, n):
    i = 0
    while i < n:
        x = x * 0.9 + np.sin(x) * 0.1
        i += 1
    return np.sum(x)


def w6_grad_hand(x, n):
    xs = []
    for _ in range(int(n)):
        xs.append(x)
        x = x * 0.9 + np.sin(x) * 0.1
    g = np.ones_like(x)
    for x in reversed(xs):
        g = g * (0.9 + np.cos(x) * 0.1)
    return g


# W7 -- a Jacobian of 100 outputs against one gradient
def w7(w, x):
    return np.tanh(w @ x)


def w7_sum(w, x):
    return np.sum(np.tanh(w @ x))


def jac_hand(w, x):
    t = np.tanh(w @ x)
    return (1 - t * t)[:, None] * w


def w7_grad_hand(w, x):
    t = np.tanh(w @ x)
    return w.T @ (1 - t * t)
