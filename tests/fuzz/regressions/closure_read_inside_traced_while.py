"""Fixed: the same in a traced `while` (the body helper writes the shared cell). Was: the
lambda read `t` from before the loop on every trip."""

import numpy as np


def f(x, y, k, c, n):
    t = np.max(y)
    a = x
    g = lambda v: v * t
    j = 0
    while np.sum(a) > 0.0 and j < 2:
        j = j + 1
        t = t * 0.5
        a = g(a)
    return a


RETURNS = "arr"
CASES = [
    [
        (np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0]), 1, 0.5, np.int64(1)),
        (np.array([-1.0, -2.0, -3.0]), np.array([1.0, 2.0, 3.0]), 1, 0.5, np.int64(1)),
    ],
]
