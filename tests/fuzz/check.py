"""The oracle: a generated program's plain Python function against the same function traced.

`check(module, returns, cases)` calls ONE `at.trace(module.f)` on every argument tuple of
`cases` (a list per signature; the tuples of one signature take different paths through
the plain function) and compares each result with the plain function's: values (rtol
1e-9), dtypes, shapes, Python types and structure (tuples, None, Python int vs numpy
scalar); where plain Python raises, the traced call must raise the same exception type.
Each signature is traced once. For programs returning a float scalar, `at.grad` with
respect to `x` is compared with central differences at points away from branch
boundaries (the plain function takes the same path at x +- 1e-4 in every coordinate, and
the differences at two step sizes agree).

The first failure decides the `Outcome`, whose `key` names its class; programs that differ
only in a documented relaxation (a Python scalar returned as the numpy scalar of the same
value, when it met a traced value on some path: docs/design.md, "Weak values") are
`relaxed`, not failures.
"""

from __future__ import annotations

import copy
import re
import sys
import warnings
from dataclasses import dataclass

import numpy as np

import autotrace as at

try:
    from corpus.check import assert_same
    from oracle import quiet
except ImportError:  # run as `python -m tests.fuzz`, from the repository root
    from tests.corpus.check import assert_same
    from tests.oracle import quiet

FAILURES = ("mismatch", "raised", "wrong-error", "returned", "retraced", "grad-mismatch",
            "grad-raised", "timeout")  # fmt: skip
RTOL = 1e-9


@dataclass
class Outcome:
    """`kind`: match, relaxed, or one of FAILURES; `key`: the failure class (kind plus
    the exception type and its normalized message); `detail`: what differed, readable."""

    kind: str
    key: str = ""
    detail: str = ""

    @property
    def failed(self) -> bool:
        return self.kind in FAILURES


def normalized(error: BaseException) -> str:
    """`Type: first line of the message` with numbers, paths and quoted code blanked, so that
    one bug gives one class however the program around it looks."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    text = re.sub(r'File "[^"]*"', "File", text)
    text = re.sub(r"`[^`]*`", "`.`", text)  # quoted source lines
    text = re.sub(r"autotrace_fuzz_\w+\.py", "F.py", text)
    text = re.sub(r"\(\(?[*, ()]*\)", "(S)", text)  # structures: (*, (*, *))
    text = re.sub(r"\d+(\.\d+)?", "N", text)
    return f"{type(error).__name__}: {text[:100]}"


def run(fn, args):
    """`fn(*args)` on a copy of `args`, or the exception it raised."""
    with quiet(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # retracing and other advice: not the oracle's business
        try:
            return fn(*copy.deepcopy(args)), None
        except Exception as e:  # noqa: BLE001 - compared with what the other side raises
            return None, e


def path(fn, args, filename: str) -> tuple:
    """The bytecode offsets the plain `fn(*args)` runs in `filename`: its path."""
    offsets = []

    def tracer(frame, event, arg):
        if frame.f_code.co_filename != filename:
            return None
        frame.f_trace_opcodes = True
        if event == "opcode":
            offsets.append((frame.f_code.co_name, frame.f_lasti))
        return tracer

    old = sys.gettrace()
    sys.settrace(tracer)
    try:
        run(fn, args)
    finally:
        sys.settrace(old)
    return tuple(offsets)


def compare(got, error, expected, expected_error, where: str) -> Outcome:
    """One call: the traced side (`got`/`error`) against the plain side."""
    if expected_error is not None:
        if error is None:
            return Outcome("returned", f"returned: Python raises {type(expected_error).__name__}",
                           f"{where}: returned {got!r}, Python raises {expected_error!r}")
        if not isinstance(error, type(expected_error)):
            key = f"wrong-error: {type(error).__name__} for {type(expected_error).__name__}"
            return Outcome("wrong-error", key, f"{where}: raised {error!r}, Python raises "
                                               f"{expected_error!r}")
        return Outcome("match")
    if error is not None:
        return Outcome("raised", f"raised: {normalized(error)}", f"{where}: raised {error!r}")
    try:
        assert_same(got, expected, where, rtol=RTOL)
        return Outcome("match")
    except AssertionError as strict:
        try:
            assert_same(got, expected, where, merged_scalars=True, rtol=RTOL)
            return Outcome("relaxed", "relaxed", str(strict))
        except AssertionError as e:
            return Outcome("mismatch", "mismatch", str(e))


def check(module, returns: str, cases: list) -> Outcome:
    """Compare `module.f` traced with itself on `cases` (see the module doc)."""
    traced = at.trace(module.f)
    worst = Outcome("match")
    for signature in cases:
        clean, before = True, traced.trace_count
        for args in signature:
            expected, expected_error = run(module.f, args)
            got, error = run(traced, args)
            outcome = compare(got, error, expected, expected_error, f"f{describe(args)}")
            if outcome.failed:
                return outcome
            clean = clean and error is None
            worst = outcome if outcome.kind == "relaxed" else worst
        if clean and traced.trace_count != before + 1:  # a failed trace is not counted
            return Outcome("retraced", "retraced", f"{traced.trace_count - before} traces for "
                                                   f"one signature")
    if returns == "scal":
        for signature in cases:
            outcome = check_grad(module, signature[:3])
            if outcome.failed:
                return outcome
    return worst


def check_grad(module, cases: list) -> Outcome:
    """`at.grad(f)` w.r.t. x against central differences, at the points of `cases` away
    from branch boundaries and kinks."""
    grad = at.grad(module.f)
    filename = module.f.__code__.co_filename
    for args in cases:
        value, error = run(module.f, args)
        if error is not None or not isinstance(value, np.floating):
            continue
        fd = central_difference(module.f, args, filename)
        if fd is None:
            continue
        got, error = run(grad, args)
        if error is not None:
            return Outcome("grad-raised", f"grad-raised: {normalized(error)}",
                           f"grad{describe(args)}: raised {error!r}")
        if not np.allclose(got, fd, rtol=1e-4, atol=1e-5):
            return Outcome("grad-mismatch", "grad-mismatch",
                           f"grad{describe(args)}: {got!r}, central differences {fd!r}")
    return Outcome("match")


def central_difference(fn, args, filename, eps: float = 1e-6, margin: float = 1e-4):
    """d fn / d x by central differences, or None near a branch boundary or a kink."""
    x, rest = args[0], args[1:]
    here = path(fn, args, filename)
    steps = []
    for h in (eps, 2 * eps):
        fd = np.zeros_like(x)
        for j in range(x.size):
            e = np.zeros_like(x)
            e[j] = 1.0
            if h == eps and any(path(fn, (x + d * margin * e,) + rest, filename) != here
                                for d in (1, -1)):
                return None
            (hi, err1), (lo, err2) = run(fn, (x + h * e,) + rest), run(fn, (x - h * e,) + rest)
            if err1 is not None or err2 is not None:
                return None
            fd[j] = (hi - lo) / (2 * h)
        steps.append(fd)
    return steps[0] if np.allclose(steps[0], steps[1], rtol=1e-3, atol=1e-5) else None


def describe(args) -> str:
    return "(" + ", ".join(literal(a) for a in args) + ")"


def literal(value) -> str:
    """Python source that rebuilds an argument exactly."""
    if isinstance(value, np.ndarray):
        return f"np.array({[float(v) for v in value]!r})"
    if isinstance(value, np.integer):
        return f"np.int64({int(value)})"
    return repr(value)
