"""The benchmark suite: autotrace against hand-written numpy, workloads W1-W7 of issue 12.

Every workload times autotrace (cached calls only, checked against the hand-written
version first) and the same computation written by hand in numpy, in one process, one
BLAS thread, in interleaved rounds (each round times every contender once, so load from
other processes falls on all alike), in CPU time of this process. It prints medians, the
ratio to the hand-written numpy (median of the per-round ratios) and the spread of the
per-round ratios (25th-75th percentile).

  W1  seed `(a + b) * (b + 1)`, float32 (1,): cached call, concrete function, grad (a, b)
  W2  MLP `mean((tanh(x @ W1 + b1) @ W2 + b2) ** 2)`: forward, value_and_grad of 4 params
  W3  `for i in range(n): x = x * 0.5 + np.sin(x)`, n = 200 as a 0-d array and as an int
  W4  `sum(tanh(x) * x + exp(-x * x))`, x (1e6,): forward, gradient, peak memory; and
      the arithmetic chain `sum(x * x * 0.5 + x * 3 - 1)`; with numba installed, the same
      on the fused backend (`backend="fused"`), with its first call (numba compiles)
  W5  straight-line functions of 100 / 1,000 / 5,000 statements: first call, split into
      convert / trace / compile (CPU time, no hand-written counterpart)
  W6  gradient of a while loop with a run-time trip count (10 / 1,000 / 10,000): time,
      peak memory
  W7  Jacobian of a 100-output function against one `grad`

Run:  python benchmarks/run.py [--rounds N] [--quick] [--json PATH] [--only W1,W4]
      [--all-threads]
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import tempfile
import time
import tracemalloc

from timing import calibrate, header, limit_threads, per_call_us, quartiles  # before numpy

# isort: split
import numpy as np
import peers
import workloads as wl
from line_ratio import load_function

import autotrace as at
from autotrace import concrete
from autotrace.convert import converter

WORKLOADS = ("W1", "W2", "W3", "W4", "W5", "W6", "W7")
FULL = {"w3_trips": 200, "w4_size": 10**6, "w5_sizes": (100, 1000, 5000),
        "w6_trips": (10, 1000, 10000), "rounds": 21, "round_s": 0.01}
QUICK = {"w3_trips": 5, "w4_size": 1000, "w5_sizes": (10, 30, 60),
         "w6_trips": (2, 5, 10), "rounds": 3, "round_s": 0.002}


class Suite:
    """Runs workloads and collects rows: dicts with workload, case, contender, unit,
    value (median), reference (hand-written median), ratio, spread (p25, p75 of ratios)."""

    def __init__(self, sizes: dict):
        self.sizes = sizes
        self.rows: list[dict] = []

    def add(self, workload, case, contender, unit, value, reference=None, ratio=None,
            spread=None) -> None:
        self.rows.append({"workload": workload, "case": case, "contender": contender,
                          "unit": unit, "value": value, "reference": reference,
                          "ratio": ratio, "spread": spread})

    def race(self, workload: str, case: str, hand, contenders: dict, args=()) -> None:
        """Time `hand(*args)` and each contender in interleaved rounds; one row each."""
        for name in ("autotrace", "fused backend"):
            check(contenders.get(name), hand, args)
        everyone = {"numpy": hand, **contenders}
        number = calibrate(hand, args, self.sizes["round_s"])
        times = per_call_us(everyone, args, number, self.sizes["rounds"])
        ref = statistics.median(times["numpy"])
        for name in contenders:
            # Each round's ratio pairs calls made moments apart: the median of those is
            # steadier on a busy machine than the ratio of the medians.
            ratios = [t / h for t, h in zip(times[name], times["numpy"])]
            self.add(workload, case, name, "us", statistics.median(times[name]), ref,
                     statistics.median(ratios), quartiles(ratios))

    def overhead(self, workload: str, case: str, traced, args) -> None:
        """What a cached call of `traced` costs over its compiled code called directly:
        the median of per-round differences (interleaved rounds)."""
        check(traced, traced.python_function, args)
        compiled = traced.get_concrete_function(*args)._call
        number = calibrate(compiled, args, self.sizes["round_s"])
        times = per_call_us({"compiled": compiled, "traced": traced}, args, number,
                            self.sizes["rounds"])
        diffs = [t - c for t, c in zip(times["traced"], times["compiled"])]
        self.add(workload, case, "autotrace", "us", statistics.median(diffs),
                 statistics.median(times["compiled"]), spread=quartiles(diffs))

    def race_peers(self, workload: str, case: str, gradient: bool, hand, args) -> None:
        """The peer libraries' rows for `workload` (when any is installed)."""
        rivals = peers.contenders(workload, gradient, args)
        if rivals:
            self.race(workload, case + " [peers]", lambda: hand(*args), rivals)

    def memory(self, workload: str, case: str, auto, hand, args,
               contender: str = "autotrace") -> None:
        """Peak traced memory of one call each (numpy reports its buffers to tracemalloc)."""
        auto(*args), hand(*args)
        peak_auto, peak_hand = peak_bytes(auto, args), peak_bytes(hand, args)
        self.add(workload, case, contender, "MB", peak_auto / 1e6, peak_hand / 1e6,
                 peak_auto / peak_hand)


def check(auto, hand, args) -> None:
    """The autotrace result equals the hand-written one (the benchmark compares like with
    like); also compiles it, so that rounds time cache hits only."""
    if auto is None:
        return
    got, want = auto(*args), hand(*args)
    for g, w in zip(_leaves(got), _leaves(want)):
        np.testing.assert_allclose(g, w, rtol=2e-5, atol=1e-6)


def _leaves(x) -> list:
    if isinstance(x, (tuple, list)):
        return [leaf for item in x for leaf in _leaves(item)]
    return [x]


def peak_bytes(fn, args) -> int:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        fn(*args)
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


# -- the workloads ---------------------------------------------------------------------------
def run_w1(s: Suite) -> None:
    a, b = np.array([2.0], np.float32), np.array([1.0], np.float32)
    traced = at.trace(wl.seed)
    s.race("W1", "call (1,) float32", wl.seed,
           {"autotrace": traced, "concrete function": traced.get_concrete_function(a, b)},
           (a, b))
    s.race("W1", "grad w.r.t. (a, b)", wl.seed_grad_hand,
           {"autotrace": at.grad(wl.seed, argnums=(0, 1))}, (a, b))
    s.overhead("W1", "call overhead over the compiled code", at.trace(wl.add), (a, b))
    s.race_peers("W1", "call", False, wl.seed, (a, b))
    s.race_peers("W1", "grad", True, wl.seed_grad_hand, (a, b))
    assert traced.trace_count == 1, "the benchmark must measure cache hits only"


def run_w2(s: Suite) -> None:
    rng = np.random.default_rng(0)
    f32 = np.float32
    args = (rng.standard_normal((256, 256)).astype(f32) * f32(0.06), np.zeros(256, f32),
            rng.standard_normal((256, 10)).astype(f32) * f32(0.06), np.zeros(10, f32),
            rng.standard_normal((64, 256)).astype(f32))
    s.race("W2", "forward", wl.mlp, {"autotrace": at.trace(wl.mlp)}, args)
    s.race("W2", "value_and_grad (4 params)", wl.mlp_vg_hand,
           {"autotrace": at.value_and_grad(wl.mlp, argnums=(0, 1, 2, 3))}, args)
    s.race_peers("W2", "forward", False, wl.mlp, args)
    s.race_peers("W2", "grad", True, wl.mlp_hand, args)


def run_w3(s: Suite) -> None:
    x, n = np.linspace(-1, 1, 1000), s.sizes["w3_trips"]
    for label, bound in ((f"n={n} 0-d array", np.array(n)), (f"n={n} Python int", n)):
        s.race("W3", f"forward, {label}", wl.w3, {"autotrace": at.trace(wl.w3)}, (x, bound))
        s.race("W3", f"gradient, {label}", wl.w3_grad_hand, {"autotrace": at.grad(wl.w3)},
               (x, bound))


def run_w4(s: Suite) -> None:
    size = s.sizes["w4_size"]
    x = np.linspace(-2, 2, size)
    fused = _fused_contenders(s, x)  # first: its first calls compile the kernels
    grad = at.grad(wl.w4)
    s.race("W4", f"forward ({size:.0e})", wl.w4,
           {"autotrace": at.trace(wl.w4), **fused.get("w4", {})}, (x,))
    s.race("W4", f"gradient ({size:.0e})", wl.w4_grad_hand,
           {"autotrace": grad, **fused.get("w4 grad", {})}, (x,))
    s.memory("W4", "gradient peak memory", grad, wl.w4_grad_hand, (x,))
    if fused:
        s.memory("W4", "gradient peak memory", fused["w4 grad"]["fused backend"],
                 wl.w4_grad_hand, (x,), "fused backend")
    s.race("W4", f"arithmetic `sum(x*x*0.5 + x*3 - 1)` ({size:.0e})", wl.w4_arith,
           {"autotrace": at.trace(wl.w4_arith), **fused.get("arith", {})}, (x,))
    s.race("W4", f"arithmetic gradient ({size:.0e})", wl.w4_arith_grad_hand,
           {"autotrace": at.grad(wl.w4_arith), **fused.get("arith grad", {})}, (x,))
    s.race_peers("W4", "forward", False, wl.w4, (x,))
    s.race_peers("W4", "gradient", True, wl.w4_grad_hand, (x,))


def _fused_contenders(s: Suite, x) -> dict:
    """The fused backend's functions for W4 (none without numba), after one row per
    function with its first call's CPU time: trace, code generation and numba's compile."""
    try:
        import numba  # noqa: F401
    except ImportError:
        return {}
    made = {"w4": at.trace(wl.w4, backend="fused"),
            "w4 grad": at.trace(at.grad(wl.w4), backend="fused"),
            "arith": at.trace(wl.w4_arith, backend="fused"),
            "arith grad": at.trace(at.grad(wl.w4_arith), backend="fused")}
    for name, fn in made.items():
        gc.collect()
        start = time.process_time()
        fn(x)
        s.add("W4", f"fused first call: {name}", "fused backend", "ms",
              (time.process_time() - start) * 1e3)
    return {name: {"fused backend": fn} for name, fn in made.items()}


def run_w5(s: Suite) -> None:
    rounds, sizes = max(1, min(5, s.sizes["rounds"])), s.sizes["w5_sizes"]
    parts: dict = {n: [] for n in sizes}
    with tempfile.TemporaryDirectory() as directory:
        for r in range(rounds):  # interleaved: each round times every size once
            for n in sizes:
                parts[n].append(first_call(n, directory, r))
    for n in sizes:
        for k, phase in enumerate(("convert", "trace", "compile", "first call")):
            values = [p[k] * 1e3 for p in parts[n]]
            s.add("W5", f"{n} statements: {phase}", "autotrace", "ms",
                  statistics.median(values), spread=(min(values), max(values)))
    small, large = sizes[1], sizes[-1]
    ratios = [b[3] / a[3] for a, b in zip(parts[small], parts[large])]
    s.add("W5", f"first call {large} / {small} statements", "autotrace", "x",
          statistics.median(ratios), ratio=statistics.median(ratios), spread=quartiles(ratios))


def first_call(n: int, directory: str, r: int) -> tuple:
    """CPU seconds of (convert, trace, compile, total) for the first call of a new function
    of `n` statements `v = v * 1.0001 + 0.5`."""
    name = f"straight_{n}_{r}"  # a new name: equal code objects would share a conversion
    source = f"def {name}(v):\n" + "    v = v * 1.0001 + 0.5\n" * n + "    return v\n"
    fn = load_function(source, directory, name, name)
    x = np.ones(4)
    gc.collect()  # the garbage of the previous first call is not this one's
    start = time.process_time()
    converter.converted_code(fn)
    converted = time.process_time()
    with _timed(concrete.ConcreteFunction, "__init__") as compiled:  # simplify + codegen
        at.trace(fn)(x)
    end = time.process_time()
    return (converted - start, end - converted - compiled[0], compiled[0], end - start)


class _timed:
    """Context manager: CPU seconds spent in `cls.method` meanwhile, in a one-item list."""

    def __init__(self, cls, method: str):
        self.cls, self.method, self.total = cls, method, [0.0]

    def __enter__(self):
        original, total = getattr(self.cls, self.method), self.total

        def wrapper(*args, **kwargs):
            start = time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                total[0] += time.process_time() - start

        self.original = original
        setattr(self.cls, self.method, wrapper)
        return self.total

    def __exit__(self, *exc):
        setattr(self.cls, self.method, self.original)


def run_w6(s: Suite) -> None:
    x = np.linspace(-1, 1, 100)
    grad = at.grad(wl.w6)
    for trips in s.sizes["w6_trips"]:
        args = (x, np.array(trips))
        s.race("W6", f"gradient, {trips} trips", wl.w6_grad_hand, {"autotrace": grad}, args)
        s.memory("W6", f"peak memory, {trips} trips", grad, wl.w6_grad_hand, args)
    assert grad.trace_count == 1, "one graph for every trip count"
    # Checkpointed (at.checkpoint(f, every="sqrt")): ~sqrt(2 trips) states kept, the rest
    # replayed: memory against compute, at the largest trip count.
    sqrt = at.grad(at.checkpoint(wl.w6, every="sqrt"))
    args = (x, np.array(s.sizes["w6_trips"][-1]))
    s.race("W6", f"gradient, {args[1]} trips, checkpoint sqrt", wl.w6_grad_hand,
           {"autotrace": sqrt}, args)
    s.memory("W6", f"peak memory, {args[1]} trips, checkpoint sqrt", sqrt, wl.w6_grad_hand,
             args)


def run_w7(s: Suite) -> None:
    rng = np.random.default_rng(0)
    w, x = rng.standard_normal((100, 50)) * 0.1, rng.standard_normal(50)
    jac, grad = at.jacobian(wl.w7, argnums=1), at.grad(wl.w7_sum, argnums=1)
    s.race("W7", "jacobian (100 outputs)", wl.jac_hand, {"autotrace": jac}, (w, x))
    s.race("W7", "grad (1 output)", wl.w7_grad_hand, {"autotrace": grad}, (w, x))
    times = [r["value"] for r in s.rows[-2:]]
    s.add("W7", "jacobian / grad", "autotrace", "x", times[0] / times[1],
          ratio=times[0] / times[1])


RUNNERS = {"W1": run_w1, "W2": run_w2, "W3": run_w3, "W4": run_w4, "W5": run_w5,
           "W6": run_w6, "W7": run_w7}


# -- output ------------------------------------------------------------------------------------
def table(rows: list[dict]) -> str:
    """The rows as a Markdown table (ratio = autotrace / hand-written numpy)."""
    lines = ["| workload | case | contender | median | numpy (hand) | ratio | spread |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        unit = r["unit"]
        ref = "" if r["reference"] is None else _num(r["reference"], unit)
        ratio = "" if r["ratio"] is None else f"{r['ratio']:.2f}x"
        of = "" if r["ratio"] is None or unit in ("ms", "MB") else "x"  # spread of what
        spread = "" if r["spread"] is None else "–".join(_num(v, of) for v in r["spread"])
        lines.append(f"| {r['workload']} | {r['case']} | {r['contender']} | "
                     f"{_num(r['value'], unit)} | {ref} | {ratio} | {spread} |")
    return "\n".join(lines)


def _num(v: float, unit: str) -> str:
    if unit == "x":
        return f"{v:.2f}x"
    digits = 2 if abs(v) < 10 else 1 if abs(v) < 1000 else 0
    return f"{v:,.{digits}f} {unit}".strip()


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, help="interleaved rounds (default 21)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, 3 rounds (smoke)")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--only", help="comma-separated workloads, e.g. W1,W5")
    parser.add_argument("--all-threads", action="store_true",
                        help="leave BLAS its default thread count")
    args = parser.parse_args(argv)
    sizes = dict(QUICK if args.quick else FULL)
    if args.rounds:
        sizes["rounds"] = args.rounds
    threads = limit_threads()
    suite = Suite(sizes)
    for name in args.only.split(",") if args.only else WORKLOADS:
        RUNNERS[name.strip().upper()](suite)
    result = {"header": header(), "threads": threads, "sizes": sizes,
              "peers": peers.available(), "rows": suite.rows}
    print(f"{result['header']}\n{threads}; {sizes['rounds']} interleaved rounds; peers: "
          f"{', '.join(result['peers']) or 'none installed'}\n")
    print(table(suite.rows))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    return result


if __name__ == "__main__":
    main()
