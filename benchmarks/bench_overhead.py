"""Per-call overhead of a traced function against the plain Python function.

Times, side by side in one process with `timeit.repeat`, the seed example
`e = (a + b) * (b + 1)` called three ways:

* plain    -- the undecorated Python function on numpy arrays;
* traced   -- `autotrace.trace(seed)` after its first call (a cache hit);
* concrete -- `get_concrete_function(...)` called directly (signature check + compiled code);

for tiny arrays, shape (1,), where overhead dominates, and medium ones, (1000,), where the
numpy kernels do. Prints median and min microseconds per call, the ratio of medians to
plain, and the absolute overhead: median minus plain's median, and min minus plain's min
(the min is the least disturbed by other load on a shared machine).

Run:  python benchmarks/bench_overhead.py [--repeat 31] [--quick]
"""

from __future__ import annotations

import statistics

import numpy as np  # noqa: E402
from timing import calibrate, header, per_call_us, repeats  # noqa: E402 - before autotrace: checks off

import autotrace as at  # noqa: E402

SIZES = {"tiny (1,)": 1, "medium (1000,)": 1000}


def seed(a, b):
    c = a + b
    d = b + 1
    e = c * d
    return e






def bench_size(n: int, repeat: int) -> dict[str, list[float]]:
    a, b = np.full(n, 2.0), np.full(n, 1.0)
    traced = at.trace(seed)
    np.testing.assert_array_equal(traced(a, b), seed(a, b))
    concrete = traced.get_concrete_function(a, b)
    np.testing.assert_array_equal(concrete(a, b), seed(a, b))
    contenders = {"plain": seed, "traced": traced, "concrete": concrete}
    number = calibrate(seed, (a, b))
    results = per_call_us(contenders, (a, b), number, repeat)
    assert traced.trace_count == 1, "the benchmark must measure cache hits only"
    return results


def report(label: str, results: dict[str, list[float]]) -> None:
    plain = statistics.median(results["plain"])
    print(f"\n{label}")
    plain_min = min(results["plain"])
    print(f"  {'':10}{'median us':>11}{'min us':>9}{'x plain':>9}"
          f"{'overhead us (median, min)':>28}")
    for name, times in results.items():
        med, low = statistics.median(times), min(times)
        print(f"  {name:10}{med:11.3f}{low:9.3f}{med / plain:9.2f}"
              f"{med - plain:18.3f}{low - plain_min:10.3f}")


def main(argv=None) -> None:
    repeat = repeats(argv, __doc__)
    print(header())
    for label, n in SIZES.items():
        report(label, bench_size(n, repeat))


if __name__ == "__main__":
    main()
