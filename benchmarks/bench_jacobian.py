"""Jacobian cost: `at.jacobian` of a 100-output function against one `at.grad` call.

`f(x) = tanh(W @ x + b) * x` with x of 100 elements: its Jacobian has 100 rows. The
reverse-mode Jacobian is the vector-Jacobian product vectorized over the rows (one
backward pass on a batched identity cotangent), so it should cost a small multiple of one
gradient (target: at most 3x), not 100 backward passes. Also times `at.jacfwd`, the
hand-written analytic Jacobian in numpy (the floor: the output is 100x the gradient's
size and needs a 100x100 matrix product) and prints the graph sizes (nodes of the
simplified graphs). Each Jacobian is checked against the analytic one before timing.

Run:  python benchmarks/bench_jacobian.py [--repeat 31] [--quick]
"""

from __future__ import annotations

import argparse
import os
import statistics

# One BLAS thread: on a shared machine threaded BLAS makes a 100x100 matmul 10x slower
# and noisy, which would measure the machine, not the transform.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from timing import calibrate, header, per_call_us  # noqa: E402 - before autotrace: checks off

import autotrace as at  # noqa: E402

N = 100
RNG = np.random.default_rng(0)
W = RNG.standard_normal((N, N)) * 0.1
B = RNG.standard_normal(N) * 0.1


def f(x):
    return np.tanh(W @ x + B) * x


def loss(x):
    return f(x).sum()


def analytic(x):
    t = np.tanh(W @ x + B)
    return (1 - t * t)[:, None] * W * x[:, None] + np.diag(t)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=31)
    parser.add_argument("--quick", action="store_true", help="5 repeats (smoke)")
    options = parser.parse_args(argv)
    repeat = 5 if options.quick else options.repeat
    print(header())
    x = RNG.standard_normal(N)
    contenders = {"grad": at.grad(loss), "jacobian": at.jacobian(f), "jacfwd": at.jacfwd(f),
                  "numpy": analytic}
    for name in ("jacobian", "jacfwd"):
        np.testing.assert_allclose(contenders[name](x), analytic(x), rtol=1e-10, atol=1e-12)
    number = calibrate(contenders["grad"], (x,))
    times = per_call_us(contenders, (x,), number, repeat)
    base = statistics.median(times["grad"])
    print(f"\n{'call':10}{'median us':>11}{'ratio to grad':>15}{'graph nodes':>13}")
    for name, fn in contenders.items():
        med = statistics.median(times[name])
        nodes = len(fn.get_concrete_function(x).graph.nodes) if name != "numpy" else "-"
        print(f"{name:10}{med:11.1f}{med / base:15.2f}{nodes:>13}")


if __name__ == "__main__":
    main()
