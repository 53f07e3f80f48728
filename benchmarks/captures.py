"""Hit-path cost of captured state (docs/control_flow.md, "Captured state").

Times a cached call of `x + c0 + ... + c(k-1)` (x: (4,) float64) for k = 0, 1, 10 where
the c's are

* constants the trace makes itself (`np.full(4, i)` inside the function: no capture),
* global arrays (captured: read and checked on every call),
* global Python floats (guarded: read and compared on every call),

and prints the median time per call and the nanoseconds each capture adds (the captured
version minus the constant one, divided by k). Interleaved rounds, CPU time of this
process, one BLAS thread (timing.py).

Run:  python benchmarks/captures.py [--rounds N] [--calls N]
"""

from __future__ import annotations

import argparse
import statistics

from timing import TIMER, limit_threads  # before numpy

# isort: split
import numpy as np

import autotrace as at

K = (0, 1, 10)
for _i in range(max(K)):
    globals()[f"A{_i}"] = np.full(4, float(_i))
    globals()[f"S{_i}"] = float(_i) + 0.5


def _make(kind: str, k: int):
    """Source of the function for one case (exec'd here, so it reads this module's
    globals); a file-less function cannot be converted, so write it to a temp module."""
    terms = {"constant": [f"np.full(4, {float(i)})" for i in range(k)],
             "array": [f"A{i}" for i in range(k)],
             "float": [f"S{i}" for i in range(k)]}[kind]
    body = " + ".join(["x"] + terms)
    return f"def f_{kind}_{k}(x):\n    return {body}\n"


def _functions() -> dict:
    import importlib.util
    import os
    import tempfile

    source = "import numpy as np\nfrom captures import *  # noqa\n" + "".join(
        _make(kind, k) for kind in ("constant", "array", "float") for k in K)
    path = os.path.join(tempfile.mkdtemp(), "capture_cases.py")
    with open(path, "w") as f:
        f.write(source)
    spec = importlib.util.spec_from_file_location("capture_cases", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.__dict__.update({n: v for n, v in globals().items() if n[:1] in "AS"})
    return {(kind, k): at.trace(getattr(module, f"f_{kind}_{k}"))
            for kind in ("constant", "array", "float") for k in K}


def _time(fn, x, calls: int) -> float:
    start = TIMER()
    for _ in range(calls):
        fn(x)
    return (TIMER() - start) / calls * 1e9


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--calls", type=int, default=20000)
    args = parser.parse_args(argv)
    print(limit_threads())
    fns = _functions()
    x = np.ones(4)
    for fn in fns.values():  # trace, and check against numpy
        np.testing.assert_allclose(fn(x), fn.python_function(x))
        assert fn.trace_count == 1
    samples: dict = {key: [] for key in fns}
    for _ in range(args.rounds):
        for key, fn in fns.items():
            samples[key].append(_time(fn, x, args.calls))
    medians = {key: statistics.median(v) for key, v in samples.items()}
    print(f"{'case':<12}" + "".join(f"{f'k={k}':>12}" for k in K) + "   ns per call (median)")
    for kind in ("constant", "array", "float"):
        print(f"{kind:<12}" + "".join(f"{medians[kind, k]:>12.0f}" for k in K))
    added = {}
    for kind in ("array", "float"):
        for k in K[1:]:
            added[kind, k] = (medians[kind, k] - medians["constant", k]) / k
            print(f"each captured {kind} adds {added[kind, k]:.0f} ns (k={k})")
    return added


if __name__ == "__main__":
    main()
