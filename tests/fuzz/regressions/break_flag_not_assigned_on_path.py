"""Found by `python -m tests.fuzz --seed 0`, seed 2885, shrunk; fixed, kept as a regression test."""

import numpy as np


def f(x, y, k, c, n):
    a = x
    b = y
    s = np.sum(x) * 0.5
    t = np.max(y)
    m = k + 1
    g0 = lambda v: (lambda w: v * 0.5 * w)(v * 0.5 + t)
    if n > 2:
        return np.tanh(np.sum(b))
    j2 = s * 0.0 + 1
    while j2 > 0.0:
        break
    for i3 in range(m % 4):
        if t >= -0.5:
            return np.abs(x)[k % 3]
    return s * 0.5 + s if t <= -1.0 else s


RETURNS = 'scal'
CASES = [
    [
        (np.array([-0.181, 0.151, 0.249]), np.array([0.109, -0.228, 0.132]), 2, 0.5, np.int64(1)),
    ],
]

if __name__ == "__main__":  # python FILE: plain Python, then the traced function
    import autotrace as at

    traced = at.trace(f)
    for signature in CASES:
        for args in signature:
            print("python:", f(*args))
            print("traced:", traced(*args))
