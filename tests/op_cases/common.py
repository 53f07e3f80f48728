"""Shared pieces of the registry-driven op tables (test_grad_ops, test_jvp_ops,
test_vmap_ops): input generators, `Case`, and `op` to apply a registry op directly.

An op family's cases live in a module of this package (`tests/op_cases/<family>.py`),
found by `tests/op_cases/__init__.py`; see there for the names a module may define.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from autotrace.ops import OPS, apply

# --- inputs ---------------------------------------------------------------------------------


def uniform(lo: float, hi: float):
    """Values in [lo, hi)."""
    return lambda rng, shape: rng.uniform(lo, hi, size=shape)


def away_from_zero(lo: float = 0.3, hi: float = 2.0):
    """Values with lo <= |x| < hi, random signs (kink-free for abs, sign, maximum...)."""
    return lambda rng, shape: rng.uniform(lo, hi, size=shape) * rng.choice([-1, 1], size=shape)


def distinct(lo: float = -2.0, hi: float = 2.0):
    """Values at least 0.1 apart from each other (no ties for sort, max, min)."""
    def gen(rng, shape):
        n = int(np.prod(shape, dtype=np.int64))
        grid = np.linspace(lo, hi, max(n, 1))[:n]
        return rng.permutation(grid).reshape(shape) + rng.uniform(0, 0.01, size=shape)

    return gen


ANY = uniform(-2.0, 2.0)
POS = uniform(0.5, 2.0)
UNIT = uniform(-0.8, 0.8)


@dataclass
class Case:
    """`fn(*arrays)` applies the op; `shapes` lists argument shapes to try, one tuple of
    shapes per variant; `gen` makes the values (one generator, or one per argument)."""

    fn: Callable
    shapes: list
    gen: Callable | tuple = ANY
    smooth: bool = True  # False: piecewise (order 1 only)
    rtol32: float = 1e-2
    tags: dict = field(default_factory=dict)

    def inputs(self, shapes: tuple, dtype, seed: int = 0) -> tuple:
        rng = np.random.default_rng(seed)
        gens = self.gen if isinstance(self.gen, tuple) else (self.gen,) * len(shapes)
        return tuple(np.asarray(g(rng, s), dtype=dtype) for g, s in zip(gens, shapes))


UNARY_SHAPES = [((),), ((3,),), ((2, 3),)]
BINARY_SHAPES = [((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((), (3,)), ((3,), ())]


def unary(fn, gen=ANY, smooth=True) -> list[Case]:
    return [Case(fn, UNARY_SHAPES, gen, smooth)]


def binary(fn, gen=ANY, smooth=True) -> list[Case]:
    return [Case(fn, BINARY_SHAPES, gen, smooth)]


def op(name: str, *args, **params):
    """Apply registry op `name` directly (internal ops have no numpy front end)."""
    return apply(OPS[name], *args, **params)
