"""Found by `python -m tests.fuzz --seed 0`, seed 2709, shrunk; fixed, kept as a regression test."""

import numpy as np


def h0(a, s):
    b = a
    t = s
    x, y, k, c, m, n = (a, b, 2, 0.5, 1, 1)
    for i1 in range(np.sum(x > 0.0)):
        pass
    return -a

def f(x, y, k, c, n):
    a = x
    b = y
    s = x
    t = y
    m = k
    g0 = lambda v: (lambda w: h0(w, s))(v)
    g1 = lambda v: v
    s = g0(y)
    t = b[1]
    a = a
    j4 = 0
    b = h0(y, s)
    return g0(y)


RETURNS = 'arr'
CASES = [
    [
        (np.array([-1.3, -0.533, -1.682]), np.array([-1.671, -1.26, 0.754]), 2, -0.5, np.int64(0)),
    ],
]

if __name__ == "__main__":  # python FILE: plain Python, then the traced function
    import autotrace as at

    traced = at.trace(f)
    for signature in CASES:
        for args in signature:
            print("python:", f(*args))
            print("traced:", traced(*args))
