"""The whole control-flow corpus, values and gradients, with and without each loop
optimisation of tests/test_loop_codegen.py (issue 12: an equivalence test per pass), and a
check that each one changes some corpus function's generated code (else the comparison
would compare nothing)."""

import pytest
from corpus.switched import CASES, assert_same, count_changed, outcomes, source

from autotrace.autodiff import history
from autotrace.compile import codegen, factoring

# pass -> (module, switch, the bit-exact tolerance or a relative one)
PASSES = {
    "hoist_bounds": (codegen, "HOIST_BOUNDS", 0.0),
    "drop_unread_records": (history, "DROP_UNREAD", 0.0),
    "release_in_loops": (codegen, "RELEASE_IN_LOOPS", 0.0),
    "factor_sums": (factoring, "ENABLED", 1e-13),  # reassociated: the last bits differ
}


def _outcomes(case, switch, enabled: bool, monkeypatch) -> list:
    """Per input and function (forward, gradient): (result or exception type, source)."""
    module, flag, _ = PASSES[switch]
    monkeypatch.setattr(module, flag, enabled)
    return outcomes(case, source)


@pytest.mark.parametrize("switch", PASSES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_corpus_is_the_same_with_and_without_the_pass(case, switch, monkeypatch):
    on = _outcomes(case, switch, True, monkeypatch)
    off = _outcomes(case, switch, False, monkeypatch)
    assert_same(on, off, PASSES[switch][2])


@pytest.mark.parametrize("switch", PASSES)
def test_the_pass_changes_some_corpus_code(switch, monkeypatch):
    changed = []
    for case in CASES:
        on, off = (_outcomes(case, switch, flag, monkeypatch) for flag in (True, False))
        changed += [case.id] * count_changed(on, off)
        if len(changed) >= 2:
            break
    assert len(changed) >= 2, "the equivalence test would compare no rewritten code"

