"""Found by `python -m tests.fuzz --seed 0`, seed 3, shrunk; fixed, kept as a regression test."""

import numpy as np


def h0(a, s):
    b = a
    t = s
    x, y, k, c, m, n = (a, b, 2, 0.5, 1, 1)
    raise ValueError('generated raise')
    return b

def f(x, y, k, c, n):
    a = x
    b = y
    s = np.sum(x)
    t = y
    m = k
    if n < 2:
        pass
    elif s <= 0.25:
        return (t, h0(a, s), 2)
    return (x[0], b, m)


RETURNS = 'scal,arr,int'
CASES = [
    [
        (np.array([0.056, -0.222, 0.25]), np.array([-0.016, 0.049, 0.063]), 0, 0.0, np.int64(3)),
    ],
]

if __name__ == "__main__":  # python FILE: plain Python, then the traced function
    import autotrace as at

    traced = at.trace(f)
    for signature in CASES:
        for args in signature:
            print("python:", f(*args))
            print("traced:", traced(*args))
