"""Array manipulation and creation with traced arguments (autotrace/ops/manipulation.py,
matrices.py, spaces.py).

`CASES` covers the differentiable ops these families register (`pad`, `convolve`, `fill`);
`raise_if` (geomspace's zero check, an effect) has a vmap case. The numpy
functions written as compositions of other ops have no op of their own; `COMPOSED`
(keyed by numpy name) lists gradient cases for them, which tests/test_ops_manipulation.py
checks like the registry tests do: VJPs against finite differences to order 2, JVPs
against central differences, vmap against a loop.
"""

from __future__ import annotations

import numpy as np

from autotrace.ops import spaces
from op_cases.common import POS, Case, op


def _fill(x):
    return op("fill", x, 3, shape=("?", 2), dtype=x.dtype)


NOT_DIFFERENTIABLE = {"raise_if"}
BATCH_CASES: dict[str, list[Case]] = {
    "raise_if": [Case(lambda x: np.geomspace(x, 3.0, 4), [((),), ((2,),)], POS)],
}

CASES: dict[str, list[Case]] = {
    "pad": [Case(lambda x: np.pad(x, ((1, 2), (0, 3))), [((2, 3),)]),
            Case(lambda x: np.pad(x, 2, mode="reflect") * np.pad(x, 2, mode="edge"),
                 [((3, 3),)]),
            Case(lambda x: np.pad(x, (1, 5), mode="symmetric") + np.pad(x, 3, mode="wrap"),
                 [((3,),)]),
            Case(lambda x, c: np.pad(x, 1, constant_values=c), [((2, 2), ()), ((3,), ())]),
            Case(lambda x: np.pad(x, ((1, 1), (0, 2)), constant_values=((1, 2), (3, 4))) * x[0, 0],
                 [((2, 2),)])],
    "convolve": [Case(np.convolve, [((4,), (3,)), ((2,), (5,)), ((1,), (1,))]),
                 Case(lambda a, v: np.correlate(a, v, "same"), [((4,), (3,)), ((2,), (3,))]),
                 Case(lambda a, v: np.convolve(a, v, "valid") * a[:2], [((4,), (3,))])],
    "fill": [Case(_fill, [((),), ((2,),)]),
             Case(lambda x: op("fill", x, 2, 2, shape=("?", "?"), dtype=x.dtype) * x,
                  [((),)])],
}  # fmt: skip


COMPOSED: dict[str, list[Case]] = {
    "roll": [Case(lambda x: np.roll(x, 2, axis=1), [((2, 3),)]),
             Case(lambda x: np.roll(x, (1, -1), axis=(0, 1)) * x, [((2, 3),)]),
             Case(lambda x: np.roll(x, 4), [((2, 3),)])],
    "take": [Case(lambda x: np.take(x, [[0, 4], [4, 1]]), [((2, 3),)]),
             Case(lambda x: np.take(x, [-1, 5], axis=1, mode="wrap"), [((2, 3),)])],
    "diff": [Case(lambda x: np.diff(x, 2, axis=0), [((4, 2),)]),
             Case(lambda x, p: np.diff(x, prepend=p, append=x[:, :1]), [((2, 3), ())])],
    "ediff1d": [Case(lambda x, b: np.ediff1d(x, to_begin=b, to_end=[1.0]), [((2, 3), (2,))])],
    "meshgrid": [Case(lambda x, y: np.meshgrid(x, y)[0] * np.meshgrid(x, y)[1],
                      [((3,), (2,))]),
                 Case(lambda x, y: np.meshgrid(x, y, indexing="ij", sparse=True)[1] * x[0],
                      [((3,), (2,))])],
    "diag": [Case(lambda x: np.diag(x, 1), [((3,),), ((3, 3),)])],
    "diagflat": [Case(lambda x: np.diagflat(x, -1), [((2, 2),)])],
    "triu": [Case(lambda x: np.triu(x, -1) * x, [((3, 4),), ((2, 3, 3),)])],
    "tril": [Case(lambda x: np.tril(x), [((3, 3),), ((3,),)])],
    "column_stack": [Case(lambda x, y: np.column_stack([x, y]), [((3,), (3, 2))])],
    "dstack": [Case(lambda x, y: np.dstack([x, y]), [((2,), (1, 2, 2))])],
    "array_split": [Case(lambda x: np.array_split(x, 3, axis=1)[0] * np.array_split(x, 3, 1)[2],
                         [((2, 4),)])],
    "rot90": [Case(lambda x: np.rot90(x) + np.rot90(x, 3).T, [((3, 3),)]),
              Case(lambda x: np.rot90(x, 2, axes=(1, 2)), [((2, 3, 4),)])],
    "append": [Case(lambda x, y: np.append(x, y), [((2, 2), (3,))])],
    "insert": [Case(lambda x, v: np.insert(x, 1, v, axis=1), [((2, 3), ())]),
               Case(lambda x, v: np.insert(x, [0, 2, 2], v, axis=0), [((3, 2), (3, 1))])],
    "delete": [Case(lambda x: np.delete(x, [0, 2], axis=1) * 2, [((2, 4),)])],
    "resize": [Case(lambda x: np.resize(x, (3, 3)), [((2, 2),)])],
    "fliplr": [Case(lambda x: np.fliplr(x) * x, [((2, 3),)])],
    "flipud": [Case(lambda x: np.flipud(x) * x, [((2, 3),)])],
    "linspace": [Case(lambda a, b: np.linspace(a, b, 5), [((), ()), ((2,), ())]),
                 Case(lambda a, b: np.linspace(a, b, 4, endpoint=False, axis=-1) ** 2,
                      [((2,), (2,))])],
    "logspace": [Case(lambda a, b: np.logspace(a, b, 4, base=2.0), [((), ())])],
    "geomspace": [Case(lambda a, b: np.geomspace(a, b, 4), [((), ()), ((2,), ())], POS),
                  Case(lambda a: np.geomspace(-a, -3.0, 3, endpoint=False, axis=-1),
                       [((2,),)], POS)],
    "full": [Case(lambda x: spaces.full((2, 3), x), [((),)]),
             Case(lambda x: spaces.full((2, 3), x, np.float64) * 1.0, [((3,),)])],
}  # fmt: skip
