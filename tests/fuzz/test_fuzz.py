"""The fuzzer in the normal test run: a seeded batch of generated programs, the shrunk
regression programs of tests/fuzz/regressions/, and the fuzzer's own parts (oracle,
shrinker, command line) on planted failures."""

from __future__ import annotations

import glob
import importlib.util
import os

import numpy as np
import pytest

from .__main__ import main
from .campaign import check_source, run_seed
from .check import compare
from .generate import generate
from .known import KNOWN
from .shrink import shrink

CI_PROGRAMS = 200
_HERE = os.path.dirname(os.path.abspath(__file__))
_REGRESSIONS = sorted(glob.glob(os.path.join(_HERE, "regressions", "*.py")))


def _seed_param(seed):
    marks = [pytest.mark.xfail(strict=True, reason=KNOWN[seed])] if seed in KNOWN else []
    return pytest.param(seed, marks=marks, id=f"seed{seed}")


@pytest.mark.parametrize("seed", [_seed_param(s) for s in range(CI_PROGRAMS)])
def test_generated_program_matches_python(seed):
    result = run_seed(seed)
    assert not result.outcome.failed, f"{result.outcome.key}\n{result.outcome.detail}"


def _load_regression(path):
    spec = importlib.util.spec_from_file_location(
        "autotrace_fuzz_regression_" + os.path.basename(path)[:-3], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _regression_param(path):
    module = _load_regression(path)
    xfail = getattr(module, "XFAIL", None)
    marks = [pytest.mark.xfail(strict=True, reason=xfail)] if xfail else []
    return pytest.param(path, marks=marks, id=os.path.basename(path)[:-3])


@pytest.mark.parametrize("path", [_regression_param(p) for p in _REGRESSIONS])
def test_regression_program_matches_python(path):
    module = _load_regression(path)
    with open(path) as f:
        outcome = check_source(f.read(), module.RETURNS, module.CASES)  # under a time limit
    assert not outcome.failed, f"{outcome.key}\n{outcome.detail}"


_CONSTRUCTS = {
    "traced if": "if s", "elif": "elif ", "while": "while ", "for over a Python range":
    "in range(k)", "for over a traced range": "in range(n)", "break": "break",
    "continue": "continue", "conditional expression": " else ", "and": " and ", "or": " or ",
    "not": "not ", "nested lambda": "(lambda w:", "helper": "def h1(", "tuple return":
    "return (", "raise": "raise ValueError", "in-place item write": "buf[",
    "augmented write": "buf += ", "slice write": "buf[1:] -= ", "append": "hs.append(",
    "grown list read": "np.stack(hs)", "try": "try:", "except FloatingPointError":
    "except FloatingPointError:", "except ZeroDivisionError": "except ZeroDivisionError:",
    "errstate": "np.errstate(", "finally": "finally:",
}  # fmt: skip


def test_ci_batch_covers_every_construct():
    sources = "\n".join(generate(seed).source for seed in range(CI_PROGRAMS))
    missing = [name for name, text in _CONSTRUCTS.items() if text not in sources]
    assert not missing
    assert generate(7).source == generate(7).source


def test_compare_classifies_outcomes():
    x = np.array([1.0, 2.0])
    assert compare(x, None, x.copy(), None, "f").kind == "match"
    assert compare(x + 1e-6, None, x, None, "f").kind == "mismatch"
    assert compare(x.astype(np.float32), None, x, None, "f").kind == "mismatch"
    assert compare(x, None, (x,), None, "f").kind == "mismatch"
    assert compare(np.float64(2.0), None, 2.0, None, "f").kind == "relaxed"
    assert compare((x, np.int64(1)), None, (x, 1), None, "f").kind == "relaxed"
    assert compare(None, None, None, None, "f").kind == "match"
    raised = compare(None, UnboundLocalError("cannot access local variable 'retval' (3)"),
                     x, None, "f")
    assert raised.key == "raised: UnboundLocalError: cannot access local variable 'retval' (N)"
    assert compare(None, TypeError("t"), None, ValueError("v"), "f").kind == "wrong-error"
    assert compare(None, ValueError("w"), None, ValueError("v"), "f").kind == "match"
    assert compare(x, None, None, ValueError("v"), "f").kind == "returned"


_ARGS = (np.array([0.5, -1.0, 2.0]), np.array([1.0, 0.0, 0.25]), 1, 0.5, np.int64(2))
_SIDE_EFFECT = """import numpy as np

CALLS = np.zeros(1)


def f(x, y, k, c, n):
    CALLS[0] += 1
    return x * CALLS[0]
"""
_STOPPED = """import numpy as np
import autotrace as at


def f(x, y, k, c, n):
    return np.sum(at.stop_gradient(x) * x)
"""


def test_oracle_finds_planted_failures():
    # a side effect on an array runs once, at trace time, and the number read back from it
    # is a constant of the trace (a captured Python value would be guarded): the second
    # call differs
    mismatch = check_source(_SIDE_EFFECT, "arr", [[_ARGS, _ARGS]])
    assert mismatch.kind == "mismatch"
    assert "f(np.array([0.5, -1.0, 2.0])" in mismatch.detail
    # stop_gradient: the same value, but the gradient is not the central differences
    assert check_source(_STOPPED, "scal", [[_ARGS]]).key == "grad-mismatch"
    assert check_source(_STOPPED.replace("at.stop_gradient(x)", "x"), "scal",
                        [[_ARGS]]).kind == "match"


def test_shrinker_keeps_what_fails_the_prologue_and_the_final_return():
    source = """import numpy as np


def f(x, y, k, c, n):
    a = x
    if k > 1:
        b = y
        boom = 1
    for i in range(3):
        a = a + 1
    return a
"""
    small = shrink(source, lambda src: "boom = 1" in src)
    # `b = y` joined the opening assignments when its `if` was unwrapped
    assert small == "import numpy as np\n\ndef f(x, y, k, c, n):\n    a = x\n    b = y\n" \
                    "    boom = 1\n    return a\n"


def test_command_line_ends_with_the_summary(capsys):
    assert main(["--programs", "2", "--seed", "4", "--no-shrink"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("2 programs: 0 mismatches, 0 exceptions where Python returned, ")
    assert last.endswith("2 passed (0 with a Python scalar returned as a numpy scalar)")
