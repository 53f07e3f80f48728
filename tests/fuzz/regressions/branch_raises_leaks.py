"""Found by `python -m tests.fuzz --seed 0`, seed 1454, shrunk; fixed: when both branches of
a traced `if` raise, the graph raises the exception of the path taken, at run time."""

import numpy as np


def f(x, y, k, c, n):
    a = x
    b = y
    s = x
    t = y
    m = k
    a = x
    if b[1] < -0.5:
        raise ValueError('generated raise')
    else:
        raise ValueError('generated raise')
    return t


RETURNS = 'scal'
CASES = [
    [
        (np.array([-0.215, -0.164, -0.02]), np.array([-0.123, -0.12, 0.0]), 2, 0.25, np.int64(0)),
    ],
]

if __name__ == "__main__":  # python FILE: plain Python, then the traced function
    import autotrace as at

    traced = at.trace(f)
    for signature in CASES:
        for args in signature:
            print("python:", f(*args))
            print("traced:", traced(*args))
