"""Fixed: a lambda called in a Python-condition branch that rebinds the variable it reads
sees the new value (the branch helper writes the shared cell: `nonlocal t; t = at__t`).
Was: the branch ran as a function of its own, where `t = 3.0` bound a local."""

import numpy as np


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
