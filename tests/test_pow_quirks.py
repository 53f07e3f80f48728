"""`x ** 2` follows `ndarray.__pow__`, which squares bool arrays (int8) where `np.power`
gives int64; the plain function is the oracle."""

import numpy as np
import pytest

import autotrace as at


def squared(x):
    return x ** 2


@pytest.mark.parametrize("x", [np.array([True, False]), np.array([[True]]),
                               np.array([1, 2], np.int8), np.array([1.5, -2.0]),
                               np.array([3], np.int64)], ids=str)
def test_pow_two_matches_numpy_operator(x):
    got, want = at.trace(squared)(x), squared(x)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


def test_pow_two_of_a_0d_bool_is_refused():
    with pytest.raises(at.TracingError, match=r"`x \*\* 2` on a 0-d bool value"):
        at.trace(squared)(np.array(True))
