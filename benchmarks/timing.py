"""Shared timing for the benchmarks. Import it before numpy: it switches the test suite's
checking mode off (not the product) and, unless `--all-threads` is on the command line,
limits BLAS and OpenMP to one thread (the variables are read when numpy loads BLAS)."""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
import timeit

os.environ["AUTOTRACE_CHECK"] = "0"
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
               "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")
SINGLE_THREAD = "--all-threads" not in sys.argv
if SINGLE_THREAD:
    for _var in THREAD_VARS:
        os.environ[_var] = "1"


def limit_threads() -> str:
    """Also limit the thread pools already loaded (threadpoolctl, when installed: it covers
    a numpy imported before this module). Returns how threads were limited."""
    if not SINGLE_THREAD:
        return "BLAS threads: library default (--all-threads)"
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return "BLAS threads: 1 (environment variables)"
    threadpool_limits(1)
    return "BLAS threads: 1 (threadpoolctl)"


# One thread: the CPU time of this process is the work done, and the time other processes
# take on shared cores does not count. Several BLAS threads: CPU time would add them up.
TIMER = time.process_time if SINGLE_THREAD else time.perf_counter


def per_call_us(contenders: dict, args, number: int, repeat: int) -> dict[str, list[float]]:
    """Microseconds per call of each `fn(*args)`, one entry per round.

    The contenders take turns, one `timeit.repeat` round each, so that load from other
    processes on a shared machine falls on all of them alike.
    """
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(repeat):
        for name, fn in contenders.items():
            (t,) = timeit.repeat(lambda fn=fn: fn(*args), number=number, repeat=1,
                                 timer=TIMER)
            times[name].append(t / number * 1e6)
    return times


def calibrate(fn, args, target_s: float = 0.02) -> int:
    """Calls per round so that one round of `fn(*args)` takes about `target_s`."""
    fn(*args)
    number = 1
    while True:
        t = timeit.timeit(lambda: fn(*args), number=number, timer=TIMER)
        if t >= target_s / 10 or number >= 10**6:
            return max(1, round(number * target_s / max(t, 1e-9)))
        number *= 10


def quartiles(values: list[float]) -> tuple[float, float]:
    """(25th, 75th) percentile: the spread quoted next to a median."""
    if len(values) < 2:
        return values[0], values[0]
    q = statistics.quantiles(values, n=4, method="inclusive")
    return q[0], q[2]


def header() -> str:
    """The versions and machine a run measured (and a forced OpenBLAS kernel, if any)."""
    import numpy as np

    import autotrace

    text = (f"autotrace {autotrace.__version__}, numpy {np.__version__}, Python "
            f"{platform.python_version()} on {platform.machine()} ({sys.platform}), "
            f"{os.cpu_count()} CPUs")
    coretype = os.environ.get("OPENBLAS_CORETYPE")
    if coretype:
        text += f"; OPENBLAS_CORETYPE={coretype} (OpenBLAS kernels forced, see README)"
    return text
