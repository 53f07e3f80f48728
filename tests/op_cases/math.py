"""Gradient, JVP and vmap cases of the remaining ufuncs (autotrace/ops/ufuncs.py) and of
`i0` (autotrace/ops/mathfns.py)."""

from __future__ import annotations

import numpy as np

from op_cases.common import (
    ANY,
    BINARY_SHAPES,
    POS,
    UNARY_SHAPES,
    Case,
    away_from_zero,
    binary,
    op,
    unary,
    uniform,
)


def _dividend(rng, shape):
    return rng.uniform(0.2, 0.8, size=shape) + rng.integers(-2, 3, size=shape)


def _divisor(rng, shape):
    return rng.uniform(1.0, 2.0, size=shape)


def _ints(fn):
    return lambda x, y: fn(np.round(x * 7).astype(np.int64), np.round(y * 5).astype(np.int64))


CASES = {
    "logaddexp": binary(np.logaddexp), "logaddexp2": binary(np.logaddexp2),
    "copysign": binary(np.copysign, away_from_zero(), smooth=False),
    "heaviside": [Case(lambda x, h: np.heaviside(x, h) * h, BINARY_SHAPES, smooth=False),
                  Case(lambda h: np.heaviside(np.array([0.0, 1.0, -1.0]), h), [((3,),), ((),)])],
    "fmax": binary(np.fmax, smooth=False), "fmin": binary(np.fmin, smooth=False),
    "fmod": binary(np.fmod, (_dividend, _divisor), smooth=False),
    "float_power": binary(np.float_power, (POS, ANY)),
    "ldexp": [Case(lambda x: np.ldexp(x, 3), UNARY_SHAPES),
              Case(lambda x: np.ldexp(x, np.array([-1, 0, 2])), [((3,),), ((2, 3),)])],
    "deg2rad": unary(np.deg2rad), "rad2deg": unary(np.rad2deg),
    "radians": unary(np.radians), "degrees": unary(np.degrees),
    "fabs": unary(np.fabs, away_from_zero(), smooth=False),
    "divmod": [Case(lambda x, y: np.divmod(x, y)[1], BINARY_SHAPES, (_dividend, _divisor),
                    smooth=False)],
    "frexp": [Case(lambda x: np.frexp(x)[0], UNARY_SHAPES, away_from_zero(1.1, 1.9),
                   smooth=False)],
    "modf": [Case(lambda x: np.modf(x)[0], UNARY_SHAPES, _dividend, smooth=False)],
    "i0": unary(np.i0, uniform(-3.0, 3.0)),
    "bessel_i": [Case(lambda x: op("bessel_i", x, n=1), UNARY_SHAPES),
                 Case(lambda x: op("bessel_i", x, n=2), UNARY_SHAPES)],
}  # fmt: skip

NOT_DIFFERENTIABLE = {"gcd", "lcm", "signbit", "spacing", "nextafter", "bitwise_count"}

BATCH_CASES = {
    "gcd": [Case(_ints(np.gcd), BINARY_SHAPES)],
    "lcm": [Case(_ints(np.lcm), BINARY_SHAPES)],
    "signbit": [Case(np.signbit, UNARY_SHAPES)],
    "spacing": [Case(np.spacing, UNARY_SHAPES)],
    "nextafter": [Case(np.nextafter, BINARY_SHAPES)],
    "bitwise_count": [Case(lambda x: np.bitwise_count(np.round(x * 9).astype(np.int64)),
                           UNARY_SHAPES)],
}
