"""Found by `python -m tests.fuzz --seed 0`, seed 936, shrunk; fixed, kept as a regression test."""

import numpy as np


def f(x, y, k, c, n):
    a = x
    b = y
    s = x
    t = y
    m = 1
    g0 = lambda v: v
    g1 = lambda v: v
    if n < 3:
        if m == 1:
            pass
        else:
            return (-x, y)
    else:
        for i6 in range(m):
            raise ValueError('generated raise')
    return (g0(y), y[1])


RETURNS = 'arr,scal'
CASES = [
    [
        (np.array([0.289, -0.045, -0.192]), np.array([0.074, -0.226, 0.207]), 0, 0.5, np.int64(1)),
    ],
]

if __name__ == "__main__":  # python FILE: plain Python, then the traced function
    import autotrace as at

    traced = at.trace(f)
    for signature in CASES:
        for args in signature:
            print("python:", f(*args))
            print("traced:", traced(*args))
