"""Fixed: a lambda called inside the traced branch that rebinds the variable it reads sees
the branch's value (the helper writes the shared cell). Was: the branch body, a function
of its own, left the lambda reading the value from before the `if`."""

import numpy as np


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
