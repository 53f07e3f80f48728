"""`history_replay`: a state of a checkpointed loop record, replayed from its checkpoint
(autodiff/loop_checkpoints.py). It appears in first-order loop gradients only; its own VJP
and JVP refuse (a second derivative through checkpoints), so it is checked as a batched
first-order gradient here and by value in tests/test_checkpoint_loops.py."""

from __future__ import annotations

import numpy as np

import autotrace as at
from op_cases.common import Case, uniform


def _loop(x):
    s = x
    while s.sum() < 8.0:
        s = s * 1.5 + np.sin(x)
    return (s * s).sum()


def _checkpointed_gradient(x):
    return at.grad(at.checkpoint(_loop, every=2))(x)


def _second_derivative():
    at.grad(lambda x: _checkpointed_gradient(x).sum())(np.array([0.6, 0.7]))


REFUSED = {"history_replay": _second_derivative}
BATCH_CASES = {
    "history_replay": [Case(_checkpointed_gradient, [((2,),)], uniform(0.5, 1.0))],
}
