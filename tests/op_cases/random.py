"""Random draws (`autotrace/ops/random.py`): effects without gradients, refused by vmap.

Each op has a case that builds it; `test_vmap_ops` checks that vmap refuses each one
(`VMAP_REFUSED`) with `UnsupportedError` instead of drawing differently from a loop.
Their values are checked against the plain functions in tests/test_state_random.py.
"""

import numpy as np

from autotrace.ops.random import REFUSED_UNDER_VMAP
from op_cases.common import Case

_GEN = np.random.default_rng(0)


def _draw(x):
    return x + _GEN.normal(size=x.shape)


def _made(x):
    return x * np.random.default_rng(1).random()


def _seeded(x):
    np.random.seed(2)
    return x + np.random.rand()


NOT_DIFFERENTIABLE = {"random_draw", "random_make", "random_seed"}
BATCH_CASES = {
    "random_draw": [Case(_draw, [((2,),)])],
    "random_make": [Case(_made, [((2,),)])],
    "random_seed": [Case(_seeded, [((2,),)])],
}
# Ops whose vmap raises UnsupportedError (the registry's list, checked to be complete).
VMAP_REFUSED = {op.name for op in REFUSED_UNDER_VMAP}
