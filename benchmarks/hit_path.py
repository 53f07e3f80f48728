"""Where a cached call's time goes (W1's "call overhead" row, the traced `a + b`): the
traced call, its guarded entry called directly, stripped copies of the guarded entry
(no call counters; neither counters nor checks) and the compiled code, timed in
interleaved rounds; prints the medians and the differences that make up the overhead.

Run:  python benchmarks/hit_path.py [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics

from timing import calibrate, per_call_us  # before numpy

# isort: split
import numpy as np
import workloads as wl

import autotrace as at


def _stripped(hot, counters: bool, checks: bool):
    """A copy of the guarded entry `hot` without its counter line and/or its checks."""
    lines = hot.source.splitlines()
    if not counters:
        lines = [line for line in lines if "_g_traced._calls" not in line]
    if not checks:
        lines = [lines[0]] + lines[3:]
    namespace = dict(hot.__globals__)
    exec("\n".join(lines) + "\n", namespace)
    return namespace[hot.__name__]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21)
    rounds = parser.parse_args().rounds
    a, b = np.array([2.0], np.float32), np.array([1.0], np.float32)
    traced = at.trace(wl.add)
    for _ in range(3):
        traced(a, b)
    compiled = traced.get_concrete_function(a, b)._call
    hot = traced._hot
    contenders = {"traced call": traced, "guarded entry": hot,
                  "  without counters": _stripped(hot, False, True),
                  "  without counters and checks": _stripped(hot, False, False),
                  "compiled code": compiled}
    number = calibrate(compiled, (a, b), 0.01)
    times = per_call_us(contenders, (a, b), number, rounds)
    med = {k: statistics.median(v) for k, v in times.items()}
    for name, value in med.items():
        print(f"{name:32s} {value * 1000:7.0f} ns")
    parts = [("__call__ (entry, eager flag, guarded-entry call)", "traced call",
              "guarded entry"),
             ("call counters (LRU stamp, call count)", "guarded entry", "  without counters"),
             ("checks (type, dtype, ndim, len per array)", "  without counters",
              "  without counters and checks"),
             ("the rest (defaults, *rest, frame)", "  without counters and checks",
              "compiled code")]
    print()
    for label, hi, lo in parts:
        diffs = [x - y for x, y in zip(times[hi], times[lo])]
        print(f"{label:52s} {statistics.median(diffs) * 1000:6.0f} ns")


if __name__ == "__main__":
    main()
