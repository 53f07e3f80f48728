"""Gradient, JVP and vmap cases of the statistics ops (autotrace/ops/histogram.py,
nanreduce.py); the quantile/moment front ends are built from ops covered elsewhere."""

from __future__ import annotations

import numpy as np

from op_cases.common import Case, distinct, op

_INDEX = np.array([0, 3, 1, 3, 2])

CASES = {
    # the gradient reaches the weights: g[x]
    "bincount": [Case(lambda w: op("bincount", _INDEX, w, minlength=0) * np.arange(4.0),
                      [((5,),)])],
}

NOT_DIFFERENTIABLE = {"searchsorted", "nanargmax", "nanargmin", "histogram_range"}

BATCH_CASES = {
    "searchsorted": [Case(lambda a, v: np.searchsorted(np.sort(a), v), [((4,), (3,))]),
                     # batched values, a shared sorted array (the vectorized form)
                     Case(lambda v, a: np.searchsorted(np.sort(a), v, side="right"),
                          [((3,), (4,)), ((2, 3), (4,))])],
    "nanargmax": [Case(lambda x: np.nanargmax(np.where(x > 1.5, np.nan, x), axis=-1),
                       [((2, 3),)], distinct()),
                  Case(lambda x: np.nanargmax(np.where(x > 1.5, np.nan, x)), [((2, 3),)],
                       distinct()),
                  Case(lambda x: np.nanargmax(x, axis=0, keepdims=True), [((2, 3),)],
                       distinct())],
    "nanargmin": [Case(lambda x: np.nanargmin(x), [((2, 3),), ((3,),)], distinct()),
                  Case(lambda x: np.nanargmin(x, keepdims=True), [((2, 3),)], distinct())],
    "histogram_range": [Case(lambda x: np.histogram(x, bins=3)[1], [((2, 3),)])],
}
