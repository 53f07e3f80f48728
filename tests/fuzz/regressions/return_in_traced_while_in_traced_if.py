"""Found by `python -m tests.fuzz --seed 0`, seed 1186, shrunk; fixed, kept as a regression test."""

import numpy as np


def h0(a, s):
    b = a
    t = s
    x, y, k, c, m, n = (a, b, 2, 0.5, 1, 1)
    return y if t > 0.25 else x

def f(x, y, k, c, n):
    a = x * 0.5
    b = np.tanh(y)
    s = np.sum(x) * 0.5
    t = np.max(y)
    m = k + 1
    g0 = lambda v: v if s <= 0.5 else v
    g1 = lambda v: np.maximum(v, v)
    if a[m % 3] > 0.5:
        j1 = s * 0.0 + 4
        while j1 > 0.0:
            return (np.exp(np.tanh(h0(y, s))), m)
    elif np.min(a) < -0.5:
        pass
    elif not not k == 2:
        return (np.where(y > 0.25, b, a) if not s >= -0.5 else a, m)
    return (a * 0.25 * h0(x, t), m + 1)


RETURNS = 'arr,int'
CASES = [
    [
        (np.array([-1.308, 1.37, -1.27]), np.array([0.033, -1.745, -0.317]), 0, 0.25, np.int64(2)),
    ],
]

if __name__ == "__main__":  # python FILE: plain Python, then the traced function
    import autotrace as at

    traced = at.trace(f)
    for signature in CASES:
        for args in signature:
            print("python:", f(*args))
            print("traced:", traced(*args))
