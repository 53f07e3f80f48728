"""The call corpus (tests/corpus/calls.py): one trace per function, every path equal
to the original Python function."""

import numpy as np
import pytest
from corpus import calls
from corpus.check import assert_same_as_python

import autotrace as at


@pytest.mark.parametrize("case", calls.CORPUS.cases, ids=lambda c: c.id)
def test_calls_match_python(case):
    assert_same_as_python(case.fn, case.inputs, case.merged_scalars, case.paths, case.rtol)


def _make_caller(fn):
    def call_it(x):
        return fn(x)
    return call_it


def _branchy(x):
    if x > 0:
        return x
    return -x


def test_closures_sharing_code_decide_their_callee_per_function():
    # One code object, two closures: the call must not be decided once for both.
    first = at.trace(_make_caller(np.negative))
    second = at.trace(_make_caller(_branchy))
    assert first(np.array(2.0)) == -2.0
    assert second(np.array(-2.0)) == 2.0 and second(np.array(3.0)) == 3.0
    assert second.trace_count == 1


def test_two_lambdas_on_one_line_are_told_apart():
    double, triple = at.trace(lambda x: x * 2), at.trace(lambda x: x * 3)
    assert double(np.array(1.0)) == 2.0 and triple(np.array(1.0)) == 3.0
