"""Found by `python -m tests.fuzz --seed 0`, seed 1937, shrunk; fixed (returns in nested traced
`if`s no longer leave `retval` unbound). `h0` returns `x * 0.5` here: the shrinker had cut it
to `x > 0.0`, a bool array against `-a`'s floats, which a graph refuses loudly (one dtype
per variable on every path), unlike the bug this file is about."""

import numpy as np


def h0(a, s):
    b = a
    t = s
    x, y, k, c, m, n = (a, b, 2, 0.5, 1, 1)
    s = t
    return x * 0.5

def f(x, y, k, c, n):
    a = x
    b = y
    s = np.sum(x)
    t = np.max(y)
    m = 1
    g0 = lambda v: (lambda w: w)(v[::-1])
    g1 = lambda v: (lambda w: v)(v)
    if t > s:
        if s >= -1.0:
            return h0(a, s)
        elif t > 2.0:
            pass
        elif m % 2 == 0:
            return y - 0.25 * y
    return -a


RETURNS = 'arr'
CASES = [
    [
        (np.array([-1.436, 0.551, 0.153]), np.array([-0.475, -1.862, -0.521]), 0, 0.0, np.int64(1)),
    ],
]

if __name__ == "__main__":  # python FILE: plain Python, then the traced function
    import autotrace as at

    traced = at.trace(f)
    for signature in CASES:
        for args in signature:
            print("python:", f(*args))
            print("traced:", traced(*args))
