"""Found by `python -m tests.fuzz --seed 0`, seed 1901, shrunk; fixed (the helper writes
the shared cell)."""

import numpy as np


def f(x, y, k, c, n):
    a = x
    b = y
    s = x
    t = np.max(y)
    m = k
    g0 = lambda v: (lambda w: w)(v + t)
    g1 = lambda v: v
    if np.max(b) < 0.5:
        t = s
        return (g0(b), np.max(a))
    return (b, t)


RETURNS = 'arr,scal'
CASES = [
    [
        (np.array([0.838, 1.676, 1.076]), np.array([0.655, -0.13, 0.029]), 3, -0.5, np.int64(0)),
        (np.array([-0.947, -0.484, 0.699]), np.array([0.344, -0.917, 0.244]), 3, -0.5, np.int64(1)),
    ],
]

if __name__ == "__main__":  # python FILE: plain Python, then the traced function
    import autotrace as at

    traced = at.trace(f)
    for signature in CASES:
        for args in signature:
            print("python:", f(*args))
            print("traced:", traced(*args))
