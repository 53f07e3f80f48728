"""Fixed: a `raise` in a traced `while` / `for` body, always or under a traced `if`, raises
at run time only when an iteration reaches it; ONE graph serves inputs that loop zero
times, loop without raising, and raise."""

import numpy as np


def f(x, y, k, c, n):
    t = np.max(y)
    a = x
    while t < 0.0:
        raise ValueError("generated raise")
    for i in range(n):
        if np.sum(a) > 5.0:
            raise ValueError("generated raise")
        a = a + 1.0
    return (a, t)


RETURNS = "arr,scal"
CASES = [
    [
        (np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0]), 1, 0.5, np.int64(0)),
        (np.array([1.0, 2.0, 3.0]), np.array([-1.0, -2.0, -3.0]), 1, 0.5, np.int64(0)),
        (np.array([-1.0, 0.0, 0.5]), np.array([1.0, 2.0, 3.0]), 1, 0.5, np.int64(2)),
        (np.array([-1.0, 0.0, 0.5]), np.array([1.0, 2.0, 3.0]), 1, 0.5, np.int64(5)),
    ],
]
