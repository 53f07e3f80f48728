"""Shared timing for the benchmark scripts (imported first: it switches the test suite's
checking mode off, which is not the product)."""

from __future__ import annotations

import argparse
import os
import platform
import sys
import timeit

os.environ["AUTOTRACE_CHECK"] = "0"


def per_call_us(contenders: dict, args, number: int, repeat: int) -> dict[str, list[float]]:
    """Microseconds per call of each `fn(*args)`, one entry per repeat.

    The contenders take turns, one `timeit.repeat` round each, so that load from other
    processes on a shared machine falls on all of them alike.
    """
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(repeat):
        for name, fn in contenders.items():
            (t,) = timeit.repeat(lambda fn=fn: fn(*args), number=number, repeat=1)
            times[name].append(t / number * 1e6)
    return times


def calibrate(fn, args, target_s: float = 0.02) -> int:
    """Calls per repeat so that one repeat takes about `target_s`."""
    number = 1
    while timeit.timeit(lambda: fn(*args), number=number) < target_s / 10:
        number *= 10
    return number * 10


def header() -> str:
    """The versions and machine a run measured."""
    import numpy as np

    import autotrace

    return (f"autotrace {autotrace.__version__}, numpy {np.__version__}, Python "
            f"{platform.python_version()} on {platform.machine()} ({sys.platform})")


def repeats(argv, doc: str) -> int:
    """The repeat count from the command line: `--repeat N` (default 31), `--quick` (3)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=31, help="timeit repeats (default 31)")
    parser.add_argument("--quick", action="store_true", help="3 repeats, for a smoke run")
    args = parser.parse_args(argv)
    return 3 if args.quick else args.repeat
