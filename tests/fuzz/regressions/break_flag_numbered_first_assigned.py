"""Found by `python -m tests.fuzz --seed 0`, seed 2397, shrunk; fixed, kept as a regression test."""

import numpy as np


def f(x, y, k, c, n):
    a = x
    b = y
    s = np.sum(x)
    t = np.max(y)
    m = k
    a = y
    if s * 0.5 + t <= 0.25:
        return (np.sum(a if t > 0.0 else y), x * c + t, 2)
    elif not not t >= 0.5:
        pass
    elif s < 2.0:
        return (t, -np.sin(y), m)
    else:
        for i6 in range(3):
            break
    for i7 in range(n):
        break
    return (np.mean(a if s > 0.0 else b), np.where(b * 0.25 * x > 0.0, np.maximum(b, b), y), k)


RETURNS = 'scal,arr,int'
CASES = [
    [
        (np.array([0.205, 0.177, 0.038]), np.array([0.194, -0.031, 0.052]), 3, -0.5, np.int64(1)),
    ],
]

if __name__ == "__main__":  # python FILE: plain Python, then the traced function
    import autotrace as at

    traced = at.trace(f)
    for signature in CASES:
        for args in signature:
            print("python:", f(*args))
            print("traced:", traced(*args))
