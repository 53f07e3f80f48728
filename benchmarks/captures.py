"""Hit-path cost of captured state (docs/control_flow.md, "Captured state").

Times a cached call of `x + c0 + ... + c(k-1)` (x: (4,) float64) for k = 0, 1, 10 where
the c's are

* constants the trace makes itself (`np.full(4, i)` inside the function: no capture),
* global arrays (captured: read and checked on every call),
* global Python floats (guarded: read and compared on every call),

and prints the median time per call of the traced function, then the nanoseconds each
capture adds: the compiled entry with its reads and checks against the same code with
the captured values bound as constants (divided by k). Interleaved rounds, CPU time of this
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


def _frozen(traced):
    """The compiled entry of `traced`'s concrete function with its captured state bound as
    constants and no checks: the same code minus what capturing adds."""
    import dataclasses

    from autotrace.compile.codegen import compile_graph

    cf = traced.concrete_functions[0]
    e = cf._entry

    def prelude(em, names):
        return [f"{em.name(c.var)} = {em.bind(c.value, 'c')}" for c in cf.captures]

    return compile_graph(cf.graph, entry=dataclasses.replace(e, prelude=prelude))


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
    entries = {key: fn.concrete_functions[0]._call for key, fn in fns.items()}
    entries.update({("frozen " + kind, k): _frozen(fns[kind, k])
                    for kind in ("array", "float") for k in K})
    for (kind, k), run in entries.items():
        np.testing.assert_allclose(run(x), fns[kind.split()[-1], k].python_function(x))
    samples: dict = {key: [] for key in fns}
    entry_samples: dict = {key: [] for key in entries}
    for _ in range(args.rounds):
        for key, fn in fns.items():
            samples[key].append(_time(fn, x, args.calls))
        for key, run in entries.items():
            entry_samples[key].append(_time(run, x, args.calls))
    medians = {key: statistics.median(v) for key, v in samples.items()}
    entry = {key: statistics.median(v) for key, v in entry_samples.items()}
    print(f"{'case':<12}" + "".join(f"{f'k={k}':>12}" for k in K) + "   ns per call (median)")
    for kind in ("constant", "array", "float"):
        print(f"{kind:<12}" + "".join(f"{medians[kind, k]:>12.0f}" for k in K))
    print("compiled entry alone, with its checks vs the same code with the state frozen:")
    added = {}
    for kind in ("array", "float"):
        for k in K[1:]:
            live, frozen = entry[kind, k], entry["frozen " + kind, k]
            added[kind, k] = (live - frozen) / k
            print(f"  {kind:<6} k={k:<3} {live:7.0f} vs {frozen:7.0f} ns: "
                  f"{added[kind, k]:.0f} ns per capture")
    return added


if __name__ == "__main__":
    main()
