"""Gradient cost: `autotrace.grad(f)` (a cache hit) against a hand-written numpy gradient.

Times, side by side in one process with `timeit.repeat` (the contenders take turns round
by round, so load from other processes falls on both alike):

* seed    -- `((a + b) * (b + 1)).sum()` for shapes (1,) and (1000,);
* mlp     -- mean squared error of `tanh(x @ W1) @ W2` on x: 64x32, W1: 32x16, W2: 16x4,
             gradients w.r.t. W1 and W2;
* newton  -- `sqrt(x)` by a while loop of Newton steps (data-dependent trip count); the
             hand-written version records the iterates and sweeps them in reverse, the
             same algorithm autotrace derives.

Each hand-written gradient is checked against autotrace's before timing. Prints median
and min microseconds per call and the ratio of medians (autotrace / numpy).

Run:  python benchmarks/bench_grad.py [--repeat 31] [--quick]
"""

from __future__ import annotations

import statistics

import numpy as np  # noqa: E402
from timing import calibrate, header, per_call_us, repeats  # noqa: E402 - before autotrace: checks off

import autotrace as at  # noqa: E402


# --- the functions and their hand-written gradients ---------------------------------------
def seed(a, b):
    return ((a + b) * (b + 1)).sum()


def seed_grad(a, b):
    d = b + 1
    return d, a + b + d


def mlp_loss(w1, w2, x, y):
    h = np.tanh(x @ w1)
    err = h @ w2 - y
    return (err * err).mean()


def mlp_grad(w1, w2, x, y):
    h = np.tanh(x @ w1)
    err = h @ w2 - y
    d_out = err * (2.0 / err.size)
    d_z = (d_out @ w2.T) * (1 - h * h)
    return x.T @ d_z, h.T @ d_out


def newton(x):
    y = x
    while np.abs(y * y - x) > 1e-10:
        y = 0.5 * (y + x / y)
    return y


def newton_grad(x):
    ys = []
    y = x
    while np.abs(y * y - x) > 1e-10:
        ys.append(y)
        y = 0.5 * (y + x / y)
    dy, dx = 1.0, 0.0
    for y in reversed(ys):
        dx = dx + dy * 0.5 / y
        dy = dy * 0.5 * (1 - x / (y * y))
    return dx + dy


def cases() -> dict:
    """name -> (autotrace gradient, hand-written gradient, arguments)."""
    rng = np.random.default_rng(0)
    mlp_args = (rng.standard_normal((32, 16)) * 0.3, rng.standard_normal((16, 4)) * 0.3,
                rng.standard_normal((64, 32)), rng.standard_normal((64, 4)))
    return {
        "seed (1,)": (at.grad(seed, argnums=(0, 1)), seed_grad,
                      (np.full(1, 2.0), np.full(1, 1.0))),
        "seed (1000,)": (at.grad(seed, argnums=(0, 1)), seed_grad,
                         (np.full(1000, 2.0), np.full(1000, 1.0))),
        "mlp 64x32": (at.grad(mlp_loss, argnums=(0, 1)), mlp_grad, mlp_args),
        "newton x=2": (at.grad(newton), newton_grad, (np.array(2.0),)),
        "newton x=1e6": (at.grad(newton), newton_grad, (np.array(1e6),)),
    }


# --- timing -------------------------------------------------------------------------------




def check(auto, hand, args) -> None:
    got, want = auto(*args), hand(*args)
    for g, w in zip(got if isinstance(got, tuple) else (got,),
                    want if isinstance(want, tuple) else (want,)):
        np.testing.assert_allclose(g, w, rtol=1e-8, atol=1e-12)


def main(argv=None) -> None:
    repeat = repeats(argv, __doc__)
    print(header())
    print(f"\n{'case':14}{'autotrace us':>14}{'numpy us':>11}{'ratio':>8}"
          f"{'min autotrace':>15}{'min numpy':>11}")
    for name, (auto, hand, fargs) in cases().items():
        check(auto, hand, fargs)
        number = calibrate(hand, fargs)
        times = per_call_us({"auto": auto, "hand": hand}, fargs, number, repeat)
        assert auto.trace_count == 1, "the benchmark must measure cache hits only"
        med_a, med_h = statistics.median(times["auto"]), statistics.median(times["hand"])
        print(f"{name:14}{med_a:14.2f}{med_h:11.2f}{med_a / med_h:8.2f}"
              f"{min(times['auto']):15.2f}{min(times['hand']):11.2f}")


if __name__ == "__main__":
    main()
