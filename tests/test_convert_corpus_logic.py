"""The logic corpus (tests/corpus/logic.py): one trace per function, every path equal
to the original Python function."""

import pytest
from corpus import logic
from corpus.check import assert_same_as_python

import autotrace as at


@pytest.mark.parametrize("case", logic.CORPUS.cases, ids=lambda c: c.id)
def test_logic_match_python(case):
    assert_same_as_python(case.fn, case.inputs, case.merged_scalars, case.paths, case.rtol)


def test_print_runs_on_every_call_with_run_time_values(capsys):
    traced = at.trace(logic.print_tensor_values)
    for x in (logic.POS, logic.NEG, logic.POS * 2):
        traced(x)
        got = capsys.readouterr().out
        logic.print_tensor_values(x)
        assert got == capsys.readouterr().out
        assert str(x.sum()) in got
    assert traced.trace_count == 1


def test_and_or_not_on_tensors_are_graph_ops():
    graph = str(at.trace(logic.bool_value_of_and).get_concrete_function(logic.POS).graph)
    assert "logical_and" in graph and "logical_or" in graph and "logical_not" in graph
