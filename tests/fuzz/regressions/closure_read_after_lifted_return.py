"""An early return in a traced `if` moves the rest of the function into the branch
function (convert/passes/returns.py), where `t = ...` binds a local: the lambda called
there reads the `t` from before the `if`."""

import numpy as np

XFAIL = "mismatch: a closure called after a lifted early return reads a stale variable"


def f(x, y, k, c, n):
    t = np.max(y)
    g = lambda v: v * t
    if np.sum(x) > 0.0:
        t = np.min(y)
    else:
        return x
    return g(x)


RETURNS = "arr"
CASES = [
    [
        (np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0]), 1, 0.5, np.int64(1)),
        (np.array([-1.0, -2.0, -3.0]), np.array([1.0, 2.0, 3.0]), 1, 0.5, np.int64(1)),
    ],
]
