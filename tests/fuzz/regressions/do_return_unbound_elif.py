"""Found by `python -m tests.fuzz --seed 0`, seed 104, shrunk; fixed, kept as a regression test."""

import numpy as np


def f(x, y, k, c, n):
    a = x
    b = y
    s = np.sum(x)
    t = np.max(y)
    m = k
    s = s
    if s > t:
        return s
    if n < 3:
        pass
    elif s > s:
        return s
    return np.min(y)


RETURNS = 'scal'
CASES = [
    [
        (np.array([0.223, 0.139, -0.163]), np.array([-0.102, 0.128, 0.184]), 0, 0.0, np.int64(0)),
    ],
]

if __name__ == "__main__":  # python FILE: plain Python, then the traced function
    import autotrace as at

    traced = at.trace(f)
    for signature in CASES:
        for args in signature:
            print("python:", f(*args))
            print("traced:", traced(*args))
