"""Found by `python -m tests.fuzz --seed 0`, seed 201, shrunk; fixed, kept as a regression test."""

import numpy as np


def f(x, y, k, c, n):
    a = x
    b = y
    s = np.sum(x)
    t = np.max(y)
    m = k
    g0 = lambda v: v
    if not s < -1.0:
        for i1 in range(n):
            return (g0(a), np.mean(b))
    else:
        raise ValueError('generated raise')
    for i2 in range(np.sum(x > 0.0)):
        break
    return (g0(g0(x)), t)


RETURNS = 'arr,scal'
CASES = [
    [
        (np.array([0.129, -0.048, 0.168]), np.array([-0.104, 0.12, 0.109]), 3, 0.5, np.int64(2)),
    ],
]

if __name__ == "__main__":  # python FILE: plain Python, then the traced function
    import autotrace as at

    traced = at.trace(f)
    for signature in CASES:
        for args in signature:
            print("python:", f(*args))
            print("traced:", traced(*args))
