"""Found by `python -m tests.fuzz --seed 0`, seed 2917, shrunk; fixed, kept as a regression test."""

import numpy as np


def f(x, y, k, c, n):
    a = x
    b = y
    s = x
    t = y
    m = k
    s = s
    s = s
    t = x[-1]
    if k < 2:
        return (b, a, 2)


RETURNS = 'scal,arr,int'
CASES = [
    [
        (np.array([0.312, -0.838, 1.324]), np.array([1.737, 1.311, 0.51]), 3, 0.25, np.int64(2)),
    ],
]

if __name__ == "__main__":  # python FILE: plain Python, then the traced function
    import autotrace as at

    traced = at.trace(f)
    for signature in CASES:
        for args in signature:
            print("python:", f(*args))
            print("traced:", traced(*args))
