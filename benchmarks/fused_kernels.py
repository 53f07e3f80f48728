"""Would a fused elementwise backend pay here? numpy against numexpr and numba on one
thread, side by side (issue 12, item 5: pick the library by measurement).

Two expressions over 1e6 float64:

* W4's `sum(tanh(x) * x + exp(-x * x))`: transcendental-bound;
* `sum(x * 0.5 + y * y - x * y)`: memory-bound arithmetic, where fusing saves the
  temporaries' traffic.

Prints the median time per call and the ratio to numpy (interleaved rounds, CPU time).
Libraries that are not installed are skipped.

Run:  python benchmarks/fused_kernels.py
"""

from __future__ import annotations

import statistics
import time

from timing import limit_threads  # before numpy

# isort: split
import numpy as np


def _numpy_side():
    return {"transcendental": lambda x, y: np.sum(np.tanh(x) * x + np.exp(-x * x)),
            "arithmetic": lambda x, y: np.sum(x * 0.5 + y * y - x * y)}


def _numexpr_side():
    try:
        import numexpr
    except ImportError:
        return None
    numexpr.set_num_threads(1)
    return {"transcendental": lambda x, y: numexpr.evaluate("sum(tanh(x) * x + exp(-x * x))"),
            "arithmetic": lambda x, y: numexpr.evaluate("sum(x * 0.5 + y * y - x * y)")}


def _numba_side():
    try:
        import numba
    except ImportError:
        return None

    @numba.njit(cache=False)
    def transcendental(x, y):
        s = 0.0
        for i in range(x.shape[0]):
            v = x[i]
            s += np.tanh(v) * v + np.exp(-v * v)
        return s

    @numba.njit(cache=False)
    def arithmetic(x, y):
        s = 0.0
        for i in range(x.shape[0]):
            s += x[i] * 0.5 + y[i] * y[i] - x[i] * y[i]
        return s

    return {"transcendental": transcendental, "arithmetic": arithmetic}


def main(rounds: int = 15) -> None:
    limit_threads()
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal(10**6), rng.standard_normal(10**6)
    sides = {"numpy": _numpy_side(), "numexpr": _numexpr_side(), "numba": _numba_side()}
    sides = {k: v for k, v in sides.items() if v is not None}
    print("| expression | library | median | ratio to numpy |")
    print("|---|---|---|---|")
    for case in ("transcendental", "arithmetic"):
        want = sides["numpy"][case](x, y)
        for fns in sides.values():
            np.testing.assert_allclose(fns[case](x, y), want, rtol=1e-9)  # and compiled
        times = {k: [] for k in sides}
        for _ in range(rounds):
            for name, fns in sides.items():
                start = time.process_time()
                fns[case](x, y)
                times[name].append(time.process_time() - start)
        ref = statistics.median(times["numpy"])
        for name in sides:
            t = statistics.median(times[name])
            print(f"| {case} | {name} | {t * 1e3:.2f} ms | {t / ref:.2f}x |")


if __name__ == "__main__":
    main()
