"""Run generated programs through the oracle, count outcomes, shrink one program per
failure class and print it as a standalone repro."""

from __future__ import annotations

import collections
import contextlib
import multiprocessing
import signal
from dataclasses import dataclass

from .check import Outcome, check, literal
from .generate import generate
from .load import choose_inputs, load, unload
from .shrink import shrink

TIMEOUT_S = 30
SHRINK_TIMEOUT_S = 3


@dataclass
class Result:
    """One program's outcome; failing programs keep what a repro needs."""

    seed: int
    outcome: Outcome
    source: str = ""
    returns: str = ""
    cases: list | None = None


class _Timeout(BaseException):
    """Not an Exception: the oracle's `except Exception` must not take it for the
    program's own error."""


@contextlib.contextmanager
def _deadline(seconds: int):
    def expire(signum, frame):
        raise _Timeout(f"no result after {seconds} s")

    old = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def check_source(source: str, returns: str, cases: list, seconds: int = TIMEOUT_S) -> Outcome:
    """`check` on a program given as text (`cases` as built by `choose_inputs`), stopped
    as a `timeout` after `seconds`."""
    try:
        module = load(source)
    except Exception as e:  # noqa: BLE001 - a shrinking step that broke the program
        return Outcome("invalid", "invalid", repr(e))
    try:
        with _deadline(seconds):
            return check(module, returns, cases)
    except _Timeout as e:
        return Outcome("timeout", "timeout", str(e))
    except Exception as e:  # noqa: BLE001 - e.g. a shrinking step that deleted `f`
        return Outcome("invalid", "invalid", repr(e))
    finally:
        unload(module)


def run_seed(seed: int) -> Result:
    """Generate, load and check the program of `seed`."""
    program = generate(seed)
    module = load(program.source)
    try:
        cases = choose_inputs(module, program.signatures, seed)
    finally:
        unload(module)
    outcome = check_source(program.source, program.returns, cases)
    if outcome.failed:
        return Result(seed, outcome, program.source, program.returns, cases)
    return Result(seed, outcome)


def shrunk(result: Result) -> Result:
    """`result` with the fewest inputs and the smallest program found that fail the same
    way (the first input of a signature is the one it is traced with, so it stays)."""
    key = result.outcome.key
    # a cut can make a loop endless (its counter deleted): give up on it soon
    fails = lambda src, cases: check_source(src, result.returns, cases, SHRINK_TIMEOUT_S).key \
        == key
    cases = _fewest_cases(result.source, result.cases, fails)
    source = shrink(result.source, lambda src: fails(src, cases))
    return Result(result.seed, result.outcome, source, result.returns, cases)


def _fewest_cases(source: str, cases: list, fails) -> list:
    for signature in cases:
        for end in range(1, len(signature) + 1):
            if fails(source, [signature[:end]]):
                return [signature[:end]]
    return cases


_RUNNER = """
if __name__ == "__main__":  # python FILE: plain Python, then the traced function
    import autotrace as at

    traced = at.trace(f)
    for signature in CASES:
        for args in signature:
            print("python:", f(*args))
            print("traced:", traced(*args))
"""


def repro(result: Result) -> str:
    """A standalone script (also a regression file, see test_fuzz.py): the program, its
    inputs (`CASES`, a list per signature), its return kind, and a runner."""
    source = result.source if result.source.startswith("import numpy as np\n") else \
        "import numpy as np\n\n\n" + result.source
    cases = "\n".join("    [\n" + "".join(f"        {_args(a)},\n" for a in sig) + "    ],"
                      for sig in result.cases)
    return (f'"""fuzz seed {result.seed}: {result.outcome.key}"""\n\n{source}\n\n'
            f"RETURNS = {result.returns!r}\nCASES = [\n{cases}\n]\n{_RUNNER}")


def _args(args) -> str:
    return "(" + ", ".join(literal(a) for a in args) + ")"


def campaign(seeds, jobs: int = 1, log=print):
    """Check the program of every seed; returns (counts by kind, first result per class)."""
    counts: collections.Counter = collections.Counter()
    first: dict = {}
    pool = multiprocessing.Pool(jobs) if jobs > 1 else None
    results = pool.imap_unordered(run_seed, seeds, chunksize=4) if pool else map(run_seed, seeds)
    try:
        for result in results:
            counts[result.outcome.kind] += 1
            if result.outcome.failed:
                known = first.get(result.outcome.key)
                if known is None or len(result.source) < len(known.source):
                    first[result.outcome.key] = result
                if known is None:
                    log(f"seed {result.seed}: {result.outcome.key}")
    finally:
        if pool:
            pool.close()
            pool.join()
    return counts, first


def summary(total: int, counts) -> str:
    """The campaign's last line."""
    labels = [("mismatch", "mismatches"), ("raised", "exceptions where Python returned"),
              ("wrong-error", "wrong exception types"), ("returned", "returns where Python raised"),
              ("retraced", "retraces"), ("grad-mismatch", "gradient mismatches"),
              ("grad-raised", "gradient errors"), ("timeout", "timeouts")]
    parts = [f"{counts[kind]} {label}" for kind, label in labels]
    parts.append(f"{counts['match'] + counts['relaxed']} passed "
                 f"({counts['relaxed']} with a Python scalar returned as a numpy scalar)")
    return f"{total} programs: " + ", ".join(parts)
