"""Found by `python -m tests.fuzz --seed 0`, seed 2855, shrunk; fixed, kept as a regression test."""

import numpy as np


def h0(a, s):
    b = a
    t = s
    x, y, k, c, m, n = (a, b, 2, 0.5, 1, 1)
    a = x
    raise ValueError('generated raise')
    return y

def f(x, y, k, c, n):
    a = x
    b = y
    s = x
    t = np.max(y)
    m = k
    g0 = lambda v: v > 1.0
    j1 = s
    if not n == 3:
        return np.where(a > 0.5, y, b)
    if t > -0.5:
        pass
    elif t > t:
        pass
    else:
        return b
    return h0(b, s)


RETURNS = 'arr'
CASES = [
    [
        (np.array([1.564, -0.642, 0.597]), np.array([0.552, 1.955, -0.225]), 1, 0.5, np.int64(3)),
    ],
]

if __name__ == "__main__":  # python FILE: plain Python, then the traced function
    import autotrace as at

    traced = at.trace(f)
    for signature in CASES:
        for args in signature:
            print("python:", f(*args))
            print("traced:", traced(*args))
