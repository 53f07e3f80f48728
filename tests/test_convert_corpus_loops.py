"""The loop corpus (tests/corpus/loops.py): one trace per function, every path equal
to the original Python function."""

import numpy as np
import pytest
from corpus import loops
from corpus.check import assert_same_as_python, compare_call
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import autotrace as at


@pytest.mark.parametrize("case", loops.CORPUS.cases, ids=lambda c: c.id)
def test_loops_match_python(case):
    assert_same_as_python(case.fn, case.inputs, case.merged_scalars, case.paths, case.rtol)


_BREAK = at.trace(loops.break_in_array_loop)
_WHILE = at.trace(loops.while_break)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, 3, elements=st.floats(-5, 5, allow_subnormal=False)))
def test_break_in_array_loop_on_random_inputs(x):
    compare_call(_BREAK, loops.break_in_array_loop, (x,), merged_scalars=True)
    assert _BREAK.trace_count == 1


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, 3, elements=st.floats(-50, 50, allow_subnormal=False)))
def test_while_break_on_random_inputs(x):
    compare_call(_WHILE, loops.while_break, (x,))
    assert _WHILE.trace_count == 1


def _graph(fn, *args) -> str:
    return str(at.trace(fn).get_concrete_function(*args).graph)


def test_data_dependent_loops_are_one_graph_loop():
    assert _graph(loops.while_data_dependent, loops.POS).count("while_loop") == 1
    assert _graph(loops.for_range_traced_bound, loops.COUNT).count("while_loop") == 1


def test_python_range_loop_is_unrolled():
    assert "while_loop" not in _graph(loops.python_counter_through_range_loop, loops.POS)


def test_range_loop_with_tensor_break_continues_as_graph_loop():
    assert _graph(loops.range_break_on_tensor, loops.POS).count("while_loop") == 1


def test_loop_variable_whose_shape_changes_gets_an_unknown_dim():
    cf = at.trace(loops.shape_changes_in_loop).get_concrete_function(loops.POS)
    assert cf.graph.outputs[0].shape == (None,)


def test_python_int_counter_is_a_python_int_after_a_graph_loop():
    _, i = at.trace(loops.while_data_dependent)(loops.POS)
    assert type(i) is int
