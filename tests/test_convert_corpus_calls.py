"""The call corpus (tests/corpus/calls.py): one trace per function, every path equal
to the original Python function."""

import pytest
from corpus import calls
from corpus.check import assert_same_as_python


@pytest.mark.parametrize("case", calls.CORPUS.cases, ids=lambda c: c.id)
def test_calls_match_python(case):
    assert_same_as_python(case.fn, case.inputs, case.merged_scalars, case.paths, case.rtol)
