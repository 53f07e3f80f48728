"""Index finding and comparison (autotrace/ops/finding.py, comparison.py).

The ops of these families have integer or boolean results (`NOT_DIFFERENTIABLE`), with
vmap cases in `BATCH_CASES`; `RAGGED` lists the cases whose per-example results differ in
length. `COMPOSED` (keyed by numpy name) holds gradient cases of the differentiable
compositions (unique's values, select, piecewise), checked by tests/test_ops_finding.py.
"""

from __future__ import annotations

import numpy as np

from op_cases.common import Case, away_from_zero, distinct

NOT_DIFFERENTIABLE = {"nonzero", "unique_indices", "isin"}

BATCH_CASES: dict[str, list[Case]] = {
    "nonzero": [Case(lambda x: np.nonzero(x == x)[1], [((2, 3),)]),
                Case(lambda x: np.argwhere(x > 1.0), [((4,),)])],
    "unique_indices": [Case(lambda x: np.unique(x, return_inverse=True)[1], [((2, 3),)],
                            distinct()),
                       Case(lambda x: np.unique(np.round(x)), [((8,),)])],
    "isin": [Case(lambda x, y: np.isin(np.round(x), np.round(y)), [((2, 3), (4,))]),
             Case(lambda x, y: np.isin(np.round(x), np.round(y), invert=True),
                  [((3,), ())])],
}  # fmt: skip
RAGGED = {("nonzero", 1), ("unique_indices", 1)}

COMPOSED: dict[str, list[Case]] = {
    "unique": [Case(lambda x: np.unique(x) * np.arange(6.0), [((2, 3),)], distinct())],
    "select": [Case(lambda x, y: np.select([x > 0.5, y < 0], [x * y, y], default=1.0),
                    [((2, 3), (2, 3)), ((3,), ())], away_from_zero(), smooth=False)],
    "piecewise": [Case(lambda x: np.piecewise(x, [x < 0, x > 1], [np.sin, lambda v: v * v, 0.5]),
                       [((5,),), ((2, 3),)], away_from_zero(), smooth=False),
                  Case(lambda x: np.piecewise(x, x > 0, [lambda v: v.sum() * v, np.exp]),
                       [((4,),)], away_from_zero(), smooth=False)],
}  # fmt: skip
