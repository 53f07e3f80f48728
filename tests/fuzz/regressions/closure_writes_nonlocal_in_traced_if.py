"""Fixed: a nested def that writes a variable (`nonlocal t`), called in one branch of a
traced `if`: the other branch and the code after the `if` see the right value. Was: the
write made while tracing one branch leaked into the other branch (and a `nonlocal` in a
nested def counted as the enclosing function's own declaration)."""

import numpy as np


def f(x, y, k, c, n):
    t = 2.0

    def bump():
        nonlocal t
        t = t + 1.0

    if np.sum(x) > 0.0:
        bump()
        a = x * t
    else:
        a = x - t
    return a * t


RETURNS = "arr"
CASES = [
    [
        (np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0]), 1, 0.5, np.int64(0)),
        (np.array([-1.0, 2.0, -3.0]), np.array([1.0, 2.0, 3.0]), 1, 0.5, np.int64(0)),
    ],
]
