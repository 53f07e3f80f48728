"""Found by `python -m tests.fuzz --seed 0`, seed 1897, shrunk; fixed, kept as a regression test."""

import numpy as np


def f(x, y, k, c, n):
    a = x
    b = np.tanh(y)
    s = np.sum(x) * 0.5
    t = np.max(y)
    m = k + 1
    g0 = lambda v: v + 0.5 * v
    if np.sum(b) < 0.5:
        if c > 0.0:
            pass
        else:
            return (np.sin(b)[k % 3], y + 0.25 * a, m + 1)
    j5 = 0
    while np.max(x) >= 0.25 and j5 < 3:
        return (s, a, m)
    return (y[0], a * 0.5 * (a * 0.5 * a), m + 1)


RETURNS = 'scal,arr,int'
CASES = [
    [
        (np.array([-0.372, 0.876, -0.015]), np.array([-0.774, 0.448, 0.678]), 2, 0.5, np.int64(3)),
    ],
]

if __name__ == "__main__":  # python FILE: plain Python, then the traced function
    import autotrace as at

    traced = at.trace(f)
    for signature in CASES:
        for args in signature:
            print("python:", f(*args))
            print("traced:", traced(*args))
