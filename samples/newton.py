"""Newton's method in a data-dependent `while`, and its derivative through the loop.

`cube_root(a)` iterates y <- y - (y^3 - a) / (3 y^2) until the update is tiny, so the
number of iterations depends on `a`. autotrace traces the loop once as a graph
`while_loop`, and `at.grad` differentiates through it by replaying the iterations in
reverse (it keeps each iteration's state: memory grows with the trip count). The result
matches the exact derivative d(a^(1/3))/da = 1 / (3 a^(2/3)). JAX's `grad` refuses
reverse mode through a `while_loop` with a data-dependent trip count.

Run it: `python samples/newton.py`
"""

from __future__ import annotations

import numpy as np

import autotrace as at


def newton_cube_root(a):
    """(cube root of `a`, number of Newton iterations it took)."""
    y = np.maximum(a, 1.0)
    step = np.ones_like(a)
    iterations = 0
    while np.abs(step) > 1e-12:
        step = (y ** 3 - a) / (3 * y ** 2)
        y = y - step
        iterations += 1
    return y, iterations


def cube_root(a):
    y, _ = newton_cube_root(a)
    return y


def main(echo=print) -> list:
    d_cube_root = at.grad(cube_root)
    newton = at.trace(newton_cube_root)
    rows = []
    echo(f"{'a':>8} {'iterations':>10} {'cube_root':>12} {'grad (autotrace)':>18} "
         f"{'exact':>12}")
    for a in (0.5, 2.0, 27.0, 1000.0):
        a = np.array(a)
        (value, iterations), slope = newton(a), d_cube_root(a)
        exact = 1.0 / (3.0 * a ** (2.0 / 3.0))
        rows.append((float(a), iterations, float(value), float(slope), float(exact)))
        echo(f"{float(a):8.1f} {iterations:10d} {float(value):12.6f} {float(slope):18.12f} "
             f"{exact:12.12f}")
    echo(f"\none gradient graph for all inputs: traced {d_cube_root.trace_count} time(s)")
    return rows


if __name__ == "__main__":
    main()
