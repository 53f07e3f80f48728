"""Common-subexpression elimination keys constants by their bits: `x * 0.0` and
`x * -0.0` (equal as Python numbers) are different nodes, and so are nans of either sign."""

import numpy as np
import pytest

import autotrace as at


@pytest.mark.parametrize("pair", [(0.0, -0.0), (float("nan"), -float("nan")),
                                  (np.float32(0.0), np.float32(-0.0)),
                                  (complex(0.0, 0.0), complex(0.0, -0.0))],
                         ids=["zeros", "nans", "numpy zeros", "complex zeros"])
def test_equal_constants_with_other_bits_stay_apart(pair):
    c, d = pair

    def f(x):
        return x * c, x * d

    x = np.array([1.0, -2.0, 0.0], np.float32)
    got, want = at.trace(f)(x), f(x)
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.tobytes() == w.tobytes()


def test_equal_constants_are_still_shared():
    def f(x):
        return x * 0.5, x * 0.5

    cf = at.trace(f).get_concrete_function(np.ones(3))
    assert len(cf.graph.nodes) == 1
