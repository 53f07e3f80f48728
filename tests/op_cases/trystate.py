"""`try` and `errstate` regions (control/trying.py): gradient cases through both paths, and
the effect ops they use."""

from __future__ import annotations

import numpy as np

import autotrace as at
from op_cases.common import Case, op, uniform


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


# -- Variable.assign in traced functions (ops/state.py) --------------------------------------


_V2 = at.Variable(np.zeros(2))


@at.trace
def _assign_then_read(x):
    _V2.assign(x * 2.0)
    return _V2 + 1.0


def _assigning(x):
    return _assign_then_read(x)


NOT_DIFFERENTIABLE.add("assign_variable")
# Nothing assigned: a read is the variable itself (gradient and value).
CASES["variable_read"] = [Case(lambda x: op("variable_read", x * 1.0, x), [((2,),), ((),)])]
BATCH_CASES["assign_variable"] = [Case(_assigning, [((2,),)])]


def _seterr_fn(x):
    old = np.seterr(under="ignore")
    y = x * 2.0
    np.seterr(**old)
    return y


def _raise_from_fn(x):
    try:
        with np.errstate(divide="raise"):
            y = 1.0 / x
    except FloatingPointError as e:
        raise ValueError("x has a zero") from e
    return y


NOT_DIFFERENTIABLE |= {"seterr", "raise_from"}
BATCH_CASES["seterr"] = [Case(_seterr_fn, [((2,),)])]
BATCH_CASES["raise_from"] = [Case(_raise_from_fn, [((2,),)], uniform(0.5, 1.0))]
