"""Fixed: the same after an early return in a traced `if`, which moves the rest of the
function into the branch function (convert/passes/returns.py). Was: `t = ...` bound a
local there, and the lambda read the `t` from before the `if`."""

import numpy as np


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
