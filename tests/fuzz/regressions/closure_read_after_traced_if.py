"""A lambda reads `t`, which a traced `if` rebinds; called after the `if`, it must see the
new value (the converter dropped `t` from the branch outputs: it looked dead)."""

import numpy as np


def f(x, y, k, c, n):
    t = np.max(y)
    g = lambda v: v * t
    if np.sum(x) > 0.0:
        t = np.min(y)
    return g(x)


RETURNS = "arr"
CASES = [
    [
        (np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0]), 1, 0.5, np.int64(1)),
        (np.array([-1.0, -2.0, -3.0]), np.array([1.0, 2.0, 3.0]), 1, 0.5, np.int64(1)),
    ],
]
