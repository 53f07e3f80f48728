"""Found by `python -m tests.fuzz --seed 0`, seed 652, shrunk; fixed, kept as a regression test."""

import numpy as np


def h0(a, s):
    b = a
    t = s
    x, y, k, c, m, n = (a, b, 2, 0.5, 1, 1)
    b = x
    j1 = 0
    return b

def f(x, y, k, c, n):
    a = x
    b = y
    s = np.sum(x)
    t = np.max(y)
    m = 1
    g0 = lambda v: (lambda w: v * 0.5 + s)(v[::-1])
    m = m - 1
    j2 = s
    if t > s:
        return h0(a, s)
    elif m == 0:
        if t * 0.5 + t >= 0.25:
            return b + 0.5 * a + 0.5 * (b + 0.25 * x)
    for i5 in range(2):
        continue
        break
    return h0(b, s)


RETURNS = 'arr'
CASES = [
    [
        (np.array([0.015, 0.193, -0.003]), np.array([0.269, -0.09, -0.231]), 2, -0.5, np.int64(1)),
    ],
]

if __name__ == "__main__":  # python FILE: plain Python, then the traced function
    import autotrace as at

    traced = at.trace(f)
    for signature in CASES:
        for args in signature:
            print("python:", f(*args))
            print("traced:", traced(*args))
