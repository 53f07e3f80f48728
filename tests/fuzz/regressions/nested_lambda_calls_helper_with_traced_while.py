"""Found by `python -m tests.fuzz --seed 0`, seed 2262, shrunk; fixed, kept as a regression test."""

import numpy as np


def h0(a, s):
    b = a
    t = s
    x, y, k, c, m, n = (a, b, 2, 0.5, 1, 1)
    j1 = s
    while j1 > 0.0:
        pass
    return a

def f(x, y, k, c, n):
    a = x
    b = y
    s = np.sum(x)
    t = y
    m = k
    g0 = lambda v: (lambda w: h0(v, s))(v)
    t = t
    m = 2
    return (g0(x), m)


RETURNS = 'arr,int'
CASES = [
    [
        (np.array([-0.147, 0.054, -0.148]), np.array([-0.036, 0.235, 0.25]), 0, 0.5, np.int64(2)),
    ],
]

if __name__ == "__main__":  # python FILE: plain Python, then the traced function
    import autotrace as at

    traced = at.trace(f)
    for signature in CASES:
        for args in signature:
            print("python:", f(*args))
            print("traced:", traced(*args))
