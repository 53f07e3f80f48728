"""The whole control-flow corpus, values and gradients, with and without each loop
optimisation of tests/test_loop_codegen.py (issue 12: an equivalence test per pass), and a
check that each one changes some corpus function's generated code (else the comparison
would compare nothing)."""

import copy
import warnings

import numpy as np
import pytest
from corpus import branches, calls, logic, loops, python_values

import autotrace as at
from autotrace.autodiff import history
from autotrace.compile import codegen, factoring

CASES = [c for m in (branches, loops, calls, logic, python_values) for c in m.CORPUS.cases]
# pass -> (module, switch, the bit-exact tolerance or a relative one)
PASSES = {
    "hoist_bounds": (codegen, "HOIST_BOUNDS", 0.0),
    "drop_unread_records": (history, "DROP_UNREAD", 0.0),
    "release_in_loops": (codegen, "RELEASE_IN_LOOPS", 0.0),
    "factor_sums": (factoring, "ENABLED", 1e-13),  # reassociated: the last bits differ
}


def _loss_of(fn):
    def loss(*args):
        return np.sum(fn(*args))

    return loss


def _outcomes(case, switch, enabled: bool, monkeypatch) -> list:
    """Per input and function (forward, gradient): (result or exception type, source)."""
    module, flag, _ = PASSES[switch]
    monkeypatch.setattr(module, flag, enabled)
    forward = at.trace(case.fn)
    argnums = tuple(i for i, a in enumerate(case.inputs[0])
                    if isinstance(a, np.ndarray) and a.dtype.kind == "f")
    gradient = at.grad(_loss_of(case.fn), argnums=argnums) if argnums else None
    out = []
    for args in case.inputs:
        for fn in (forward, gradient):
            if fn is None:
                continue
            try:
                with np.errstate(all="ignore"), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    value = fn(*copy.deepcopy(args))
                    source = fn.get_concrete_function(*copy.deepcopy(args))._call.source
                out.append((value, source))
            except Exception as e:  # the same failure with and without the pass
                out.append((type(e), None))
    return out


def _assert_same(on: list, off: list, rtol: float) -> None:
    assert len(on) == len(off)
    for (value_on, _), (value_off, _) in zip(on, off):
        if isinstance(value_off, type):
            assert value_on is value_off
            continue
        for got, want in zip(_leaves(value_on), _leaves(value_off)):
            assert type(got) is type(want)
            if isinstance(want, (np.ndarray, np.generic)):
                assert got.dtype == want.dtype and np.shape(got) == np.shape(want)
                if rtol:
                    np.testing.assert_allclose(got, want, rtol=rtol, atol=0, equal_nan=True)
                else:
                    np.testing.assert_array_equal(got, want)  # bit for bit
            else:
                assert got == want or (got != got and want != want)


@pytest.mark.parametrize("switch", PASSES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_corpus_is_the_same_with_and_without_the_pass(case, switch, monkeypatch):
    on = _outcomes(case, switch, True, monkeypatch)
    off = _outcomes(case, switch, False, monkeypatch)
    _assert_same(on, off, PASSES[switch][2])


@pytest.mark.parametrize("switch", PASSES)
def test_the_pass_changes_some_corpus_code(switch, monkeypatch):
    changed = []
    for case in CASES:
        on, off = (_outcomes(case, switch, flag, monkeypatch) for flag in (True, False))
        changed += [case.id for (_, s_on), (_, s_off) in zip(on, off) if s_on != s_off]
        if len(changed) >= 2:
            break
    assert len(changed) >= 2, "the equivalence test would compare no rewritten code"


def _leaves(x) -> list:
    if isinstance(x, (tuple, list)):
        return [leaf for item in x for leaf in _leaves(item)]
    if isinstance(x, dict):
        return [leaf for k in sorted(x, key=str) for leaf in _leaves(x[k])]
    return [x]
