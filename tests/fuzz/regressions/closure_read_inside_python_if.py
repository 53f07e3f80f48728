"""Even under a Python condition: the branch runs as a function of its own, where
`t = 3.0` binds a local, so the lambda called there reads the old `t`."""

import numpy as np

XFAIL = "mismatch: a closure called in a Python-condition branch reads a variable it rebinds"


def f(x, y, k, c, n):
    t = 2.0
    g = lambda v: v * t
    a = x
    if k > 0:
        t = 3.0
        a = g(x)
    return a


RETURNS = "arr"
CASES = [
    [(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0]), 1, 0.5, np.int64(1))],
    [(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0]), 0, 0.5, np.int64(1))],
]
