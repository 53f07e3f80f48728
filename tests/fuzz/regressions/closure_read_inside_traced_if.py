"""A lambda called inside the traced branch that rebinds the variable it reads: the branch
body is a function of its own, so the lambda sees the value from before the `if`."""

import numpy as np

XFAIL = "mismatch: a closure called in a traced branch reads a variable the branch rebinds"


def f(x, y, k, c, n):
    t = np.max(y)
    a = x
    g = lambda v: v * t
    if np.sum(x) > 0.0:
        t = np.min(y)
        a = g(x)
    return a


RETURNS = "arr"
CASES = [
    [
        (np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0]), 1, 0.5, np.int64(1)),
        (np.array([-1.0, -2.0, -3.0]), np.array([1.0, 2.0, 3.0]), 1, 0.5, np.int64(1)),
    ],
]
