"""Found by `python -m tests.fuzz --seed 0`, seed 135, shrunk; fixed, kept as a regression test."""

import numpy as np


def h0(a, s):
    b = a
    t = s
    x, y, k, c, m, n = (a, b, 2, 0.5, 1, 1)
    b = a
    j1 = s
    return b

def f(x, y, k, c, n):
    a = x
    b = y
    s = np.sum(x) * 0.5
    t = np.max(y)
    m = k + 1
    if t <= 1.0:
        return (np.max(b) if not t <= 0.5 else s, h0(a if s >= 1.0 else y, t), k)
    else:
        j2 = s * 0.0 + 3
        while j2 > 0.0:
            return (np.tanh(t if t < 2.0 else t), a if n == 2 else y - 0.5 * y, m)
    j4 = 0
    while t * 0.5 + s >= 0.5 and j4 < 2:
        for i6 in range(2):
            break
        break
    return ((s if s > c else s) if t > 2.0 or s > -0.5 else np.sum(y), np.maximum(a if s > -0.5 else y, a * m + t), 2)


RETURNS = 'scal,arr,int'
CASES = [
    [
        (np.array([-0.506, 0.573, -0.895]), np.array([-0.824, 0.823, -0.19]), 1, -0.5, np.int64(0)),
    ],
]

if __name__ == "__main__":  # python FILE: plain Python, then the traced function
    import autotrace as at

    traced = at.trace(f)
    for signature in CASES:
        for args in signature:
            print("python:", f(*args))
            print("traced:", traced(*args))
