"""Fixed: a lambda called in the body of a `for` over a traced range that rebinds the
variable it reads sees the body's value on every trip (the body helper writes the shared
cell), and the value after the loop is the loop's result."""

import numpy as np


def f(x, y, k, c, n):
    t = np.max(x)
    g = lambda v: v * t
    a = x
    for i in range(n):
        t = t * 0.5
        a = g(a)
    return a + t


RETURNS = "arr"
CASES = [
    [
        (np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0]), 1, 0.5, np.int64(0)),
        (np.array([-1.0, 2.0, -3.0]), np.array([1.0, 2.0, 3.0]), 1, 0.5, np.int64(2)),
        (np.array([1.0, 0.0, 0.5]), np.array([1.0, 2.0, 3.0]), 1, 0.5, np.int64(3)),
    ],
]
