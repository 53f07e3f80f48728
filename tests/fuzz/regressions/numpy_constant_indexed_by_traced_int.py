"""Found by the fuzzer's state constructs (seed 2072), fixed: a numpy constant array
indexed by a traced int (`buf[m % 3]`, `m` carried by a graph loop) raised `TracingError`
("converted to a numpy array") where Python indexes it. A subscript with a computed key is
now `at__.getitem`, a graph getitem on the array (`runtime/subscripts.py`)."""

import numpy as np


def f(x, y, k, c, n):
    a = x
    b = y
    s = x
    t = y
    m = k
    buf = np.zeros(3)
    hs = [s]
    for i4 in range(np.sum(x > 0.0)):
        m = m
    s = buf[m % 3]
    return y


RETURNS = 'scal'
CASES = [
    [
        (np.array([-0.554, -0.232, 0.226]), np.array([-0.466, 0.722, -0.047]), 2, 0.0, np.int64(3)),
    ],
]

if __name__ == "__main__":  # python FILE: plain Python, then the traced function
    import autotrace as at

    traced = at.trace(f)
    for signature in CASES:
        for args in signature:
            print("python:", f(*args))
            print("traced:", traced(*args))
