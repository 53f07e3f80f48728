"""The branch corpus (tests/corpus/branches.py): one trace per function, every path equal
to the original Python function."""

import numpy as np
import pytest
from corpus import branches
from corpus.check import assert_same_as_python, compare_call
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import autotrace as at


@pytest.mark.parametrize("case", branches.CORPUS.cases, ids=lambda c: c.id)
def test_branches_match_python(case):
    assert_same_as_python(case.fn, case.inputs, case.merged_scalars, case.paths, case.rtol)


_ELIF = at.trace(branches.elif_chain)
_NESTED = at.trace(branches.raise_in_nested_branch)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, 3, elements=st.floats(-20, 20, allow_subnormal=False)))
def test_elif_chain_on_random_inputs(x):
    compare_call(_ELIF, branches.elif_chain, (x,))
    assert _ELIF.trace_count == 1


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, 3, elements=st.sampled_from([-2.0, -0.5, 0.0, 1.5, 3.0])))
def test_raise_in_nested_branch_on_random_inputs(x):
    compare_call(_NESTED, branches.raise_in_nested_branch, (x,))
    assert _NESTED.trace_count == 1
