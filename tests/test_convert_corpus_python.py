"""The Python-values corpus (tests/corpus/python_values.py): one trace per function, every
path equal to the original Python function."""

import pytest
from corpus import python_values
from corpus.check import assert_same_as_python


@pytest.mark.parametrize("case", python_values.CORPUS.cases, ids=lambda c: c.id)
def test_python_values_match_python(case):
    assert_same_as_python(case.fn, case.inputs, case.merged_scalars, case.paths, case.rtol)
