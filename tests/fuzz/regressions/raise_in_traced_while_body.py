"""Found by `python -m tests.fuzz --seed 0`, seed 751, shrunk; fixed: a `raise` in a traced
`while` body raises at run time, when an iteration runs."""

import numpy as np


def f(x, y, k, c, n):
    a = x
    b = y
    s = x
    t = np.max(y)
    m = k
    g0 = lambda v: v
    b = a > 0.0
    b = a
    b = x
    j1 = 0
    while t < 0.0:
        raise ValueError('generated raise')
    return (b, y[2])


RETURNS = 'arr,scal'
CASES = [
    [
        (np.array([0.08, 1.986, -0.711]), np.array([-0.276, 1.067, -0.639]), 2, -0.5, np.int64(1)),
    ],
]

if __name__ == "__main__":  # python FILE: plain Python, then the traced function
    import autotrace as at

    traced = at.trace(f)
    for signature in CASES:
        for args in signature:
            print("python:", f(*args))
            print("traced:", traced(*args))
