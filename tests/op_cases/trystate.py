"""`try` and `errstate` regions (ops/trying.py): gradient cases through both paths, and
the effect ops they use."""

from __future__ import annotations

import numpy as np

from op_cases.common import Case, uniform


def _try_fn(x):
    try:
        with np.errstate(invalid="raise"):
            y = np.sqrt(x - 1.0)
        return y * x
    except FloatingPointError:
        return np.sin(x) * x


def _errstate_fn(x):
    with np.errstate(all="ignore"):
        y = np.sin(x) * x
    return y


CASES = {
    "try": [Case(_try_fn, [((),)], uniform(1.5, 2.0)), Case(_try_fn, [((),)], uniform(0.2, 0.8))],
    "errstate": [Case(_errstate_fn, [((3,),), ((),)])],
}
TRANSPOSED_VJP = {"try", "errstate"}
NOT_DIFFERENTIABLE = {"try_save", "reraise"}
BATCH_CASES = {
    "try_save": [Case(_try_fn, [((),)], uniform(1.5, 2.0))],
    "reraise": [Case(_try_fn, [((),)], uniform(1.5, 2.0))],
}
