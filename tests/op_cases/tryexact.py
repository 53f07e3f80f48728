"""Ops of variables a `try` leaves unbound (ops/trying.py): `check_bound` (an identity on
values and derivatives, raising Python's `UnboundLocalError` on an unbound value) and
`unbound` (that value)."""

from __future__ import annotations

import numpy as np

from op_cases.common import Case, op


def _unbound_fn(x):
    try:
        with np.errstate(divide="raise"):
            z = 1.0 / x
    except FloatingPointError:
        pass
    return z


CASES = {"check_bound": [Case(lambda x: op("check_bound", x * 2.0), [((3,),), ((),)])]}
NOT_DIFFERENTIABLE = {"unbound"}
BATCH_CASES = {"unbound": [Case(_unbound_fn, [((2,),)])]}
