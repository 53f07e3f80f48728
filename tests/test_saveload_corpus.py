"""Save and load over the control-flow corpus: each case's concrete function is saved,
loaded, and the loaded one is compared with the plain Python function (the oracle) on
inputs taking different paths, and with the original concrete function's text."""

import re

import pytest
from corpus import branches, calls, logic, loops, python_values
from corpus.check import compare_call

import autotrace as at

CASES = [c for m in (branches, loops, logic, calls, python_values) for c in m.CORPUS.cases]


def normalized_dot(text: str) -> str:
    """DOT text with node ids (`n12`, `v7`: process-wide counters) renumbered in order of
    first appearance, so two equal graphs give equal text."""
    ids: dict[str, str] = {}
    return re.sub(r"(?<![A-Za-z0-9])[nv]\d+(?!\d)",
                  lambda m: ids.setdefault(m[0], f"id{len(ids)}"), text)


def round_trip(cf, tmp_path):
    path = tmp_path / f"{cf.graph.name}.json"
    cf.save(path)
    return at.load(path)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_loaded_corpus_function_matches_python(case, tmp_path):
    cf = at.trace(case.fn).get_concrete_function(*case.inputs[0])
    loaded = round_trip(cf, tmp_path)
    assert str(loaded.graph) == str(cf.graph)
    assert normalized_dot(loaded.to_dot()) == normalized_dot(cf.to_dot())
    # The inputs take different paths through one graph (tests/test_convert_corpus_*.py
    # check that on the original, and the path a Python call takes is the oracle's own).
    for args in case.inputs:
        compare_call(loaded, case.fn, args, case.merged_scalars, case.rtol)
