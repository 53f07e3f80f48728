"""Fixed: both branches of a traced `if` raise, with different exception types; ONE graph
raises the one of the path each input takes (was: the internal `BranchRaises`)."""

import numpy as np


def f(x, y, k, c, n):
    a = x * 2.0
    if np.sum(a) > 0.0:
        raise ValueError("generated raise")
    else:
        raise KeyError("generated raise")
    return a


RETURNS = "arr"
CASES = [
    [
        (np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0]), 1, 0.5, np.int64(0)),
        (np.array([-1.0, -2.0, -3.0]), np.array([1.0, 2.0, 3.0]), 1, 0.5, np.int64(0)),
    ],
]
