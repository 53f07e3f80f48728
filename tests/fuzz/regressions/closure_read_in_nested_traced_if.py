"""Fixed: a lambda called in a traced `if` after an inner traced `if` rebinds the variable
it reads sees the joined value, inside the outer branch and after it."""

import numpy as np


def f(x, y, k, c, n):
    t = np.max(x)
    g = lambda: t
    a = x
    if np.sum(x) > 0.0:
        if np.max(x) > 2.0:
            t = np.min(y)
        a = a + g()
    return (a, g())


RETURNS = "arr,scal"
CASES = [
    [
        (np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0]), 1, 0.5, np.int64(0)),
        (np.array([-1.0, 2.0, -3.0]), np.array([1.0, 2.0, 3.0]), 1, 0.5, np.int64(0)),
        (np.array([1.0, 0.0, 0.5]), np.array([1.0, 2.0, 3.0]), 1, 0.5, np.int64(0)),
    ],
]
