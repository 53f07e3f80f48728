"""Found by the fuzzer's state constructs (seed 3613), fixed: a numpy constant array
written with numpy values in place in one branch of a graph `if`
(`buf[1:] -= np.cos(buf * 1.0)[:2]`) was seen written by the other branch's trace, which
reads `buf` (the write happened while tracing, on the one object both branches share).
Each branch now starts from the array as it was before the `if`
(`runtime/branch_arrays.py`)."""

import numpy as np


def h0(a, s):
    b = a
    t = s
    x, y, k, c, m, n = (a, b, 2, 0.5, 1, 1)
    b = b
    a = a
    return y

def f(x, y, k, c, n):
    a = x
    b = y
    s = np.sum(x)
    t = np.max(y)
    m = k
    buf = np.zeros(3)
    hs = [s * 0.0]
    g0 = lambda v: (lambda w: w)(np.abs(v))
    if not t < 2.0 or not s <= 0.5:
        buf[1:] -= np.cos(buf * 1.0)[:2]
    else:
        return (h0(np.where(b > 0.25, buf * 1.0, x), t), k)
    return (g0(y * 0.5 + s), 2)


RETURNS = 'arr,int'
CASES = [
    [
        (np.array([0.22, 0.107, 0.211]), np.array([0.049, 0.015, 0.22]), 2, 0.0, np.int64(1)),
        (np.array([0.041, -0.448, 0.395]), np.array([0.971, -0.957, 0.867]), 2, 0.0, np.int64(0)),
        (np.array([-1.141, -0.346, -0.246]), np.array([1.123, 0.909, -0.748]), 2, 0.0, np.int64(2)),
        (np.array([0.851, 0.681, 0.257]), np.array([-0.281, 0.753, -0.54]), 2, 0.0, np.int64(0)),
        (np.array([1.533, 0.01, 1.872]), np.array([0.368, 1.156, 0.351]), 2, 0.0, np.int64(1)),
        (np.array([-0.418, 0.786, -0.131]), np.array([-0.849, 0.505, 0.285]), 2, 0.0, np.int64(1)),
    ],
]

if __name__ == "__main__":  # python FILE: plain Python, then the traced function
    import autotrace as at

    traced = at.trace(f)
    for signature in CASES:
        for args in signature:
            print("python:", f(*args))
            print("traced:", traced(*args))
