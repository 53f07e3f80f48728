"""Gradient, JVP and vmap cases of the complex parts (autotrace/ops/complex.py).

Cases take float inputs (the registry tests generate real arrays): a complex value is
built from two of them with `make_complex`, so finite differences on the real and
imaginary parts check the complex chain rule (JAX's convention) end to end.
"""

from __future__ import annotations

import numpy as np

from op_cases.common import BINARY_SHAPES, Case, away_from_zero, op


def _z(x, y):
    return op("make_complex", x, y)


CASES = {
    "make_complex": [Case(lambda x, y: np.abs(_z(x, y) * (1 + 2j)) ** 2, BINARY_SHAPES),
                     Case(lambda x, y: np.angle(np.exp(_z(x, y))), BINARY_SHAPES)],
    "real": [Case(lambda x, y: np.real(np.sin(_z(x, y)) * _z(y, x)), BINARY_SHAPES)],
    "imag": [Case(lambda x, y: np.imag(np.log(_z(x, y)) * 2j), BINARY_SHAPES,
                  away_from_zero())],
}
