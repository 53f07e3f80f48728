"""Op cases of the in-place write family (`autotrace/ops/setitem.py`): `setitem` (the
functional `x[index] = v`) and `setitem_winners` (which writes survive repeated indices)."""

from __future__ import annotations

import numpy as np

from op_cases.common import Case, away_from_zero, op

_REPEATED = np.array([0, 2, 0])  # position 0 written twice: the last write wins
_IN0 = (("in", 0),)


def _fancy(x, v):
    return op("setitem", x, v, _REPEATED, index=_IN0) * x


def _mask(x, v):
    return op("setitem", x, v, x > 0, index=_IN0)


CASES = {
    "setitem": [
        Case(lambda x, v: op("setitem", x, v, index=(slice(1, None),)),
             [((3, 2), (2,)), ((3, 2), (2, 2)), ((3, 2), ())]),
        Case(lambda x, v: op("setitem", x, v, index=(slice(None, None, -2),)) ** 2,
             [((4,), (2,)), ((4,), (1,))]),
        Case(lambda x, v: op("setitem", x, v, index=(Ellipsis, 0)) * x,
             [((2, 3), (2,)), ((2, 3), ())]),
        Case(_fancy, [((4,), (3,)), ((4, 2), (3, 2)), ((4, 2), (2,))]),
        Case(_mask, [((2, 3), ())], away_from_zero(), smooth=False),
    ],
}
NOT_DIFFERENTIABLE = {"setitem_winners"}
BATCH_CASES = {
    "setitem_winners": [Case(lambda x: op("setitem_winners", x, _REPEATED, index=_IN0),
                             [((4,),), ((4, 2),)])],
}
CASES["setitem"] += [
    Case(lambda x, v: op("setitem", x, v, index=(None, 1, slice(None, None, -1))),
         [((3, 2), (1, 1, 2)), ((3, 2), (2,))]),
    Case(lambda x, v: op("setitem", x, v, index=(0,)), [((3, 2), (1, 2)), ((2,), ())]),
]
