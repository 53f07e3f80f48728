"""Found by `python -m tests.fuzz --seed 0`, seed 1835, shrunk; fixed, kept as a regression test."""

import numpy as np


def f(x, y, k, c, n):
    a = x
    b = y
    s = np.sum(x)
    t = y
    m = k
    g0 = lambda v: v
    g1 = lambda v: v * 0.25
    t = b > -1.0
    if a[k % 3] > 2.0:
        return (b * m + np.sum(a), np.min(a * c + t))
    elif not k == 1:
        for i2 in range(np.sum(x > 0.0)):
            break
        if not s < -1.0 or s > 0.0:
            pass
        else:
            return (np.cos(np.tanh(x)), s)
    for i3 in range(2):
        continue
        break
        a = a
    return (b, s)


RETURNS = 'arr,scal'
CASES = [
    [
        (np.array([1.483, 0.862, 1.592]), np.array([0.442, 1.096, -1.74]), 2, -0.5, np.int64(2)),
    ],
]

if __name__ == "__main__":  # python FILE: plain Python, then the traced function
    import autotrace as at

    traced = at.trace(f)
    for signature in CASES:
        for args in signature:
            print("python:", f(*args))
            print("traced:", traced(*args))
