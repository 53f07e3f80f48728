"""Identity bases of the Jacobian transforms, known as such to the simplifier.

`jacfwd` pushes the columns of an identity matrix through a function as one batched
tangent, `jacrev` its rows as one batched cotangent. A product with that basis
(`I @ x`, `(I * v) @ w`) is only bookkeeping: the simplifier may drop it. The same
product with an identity the user wrote is numpy arithmetic (`[inf, 1] @ eye(2)` is
`[inf, nan]`), so the rules fire only on arrays made here.
"""

from __future__ import annotations

import weakref

import numpy as np

_BASES: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


def identity_basis(size: int, dtype, shape: tuple | None = None) -> np.ndarray:
    """`np.eye(size, dtype=dtype)`, reshaped to `shape` if given, marked as a basis."""
    basis = np.eye(size, dtype=dtype)
    basis.flags.writeable = False  # stays an identity while marked (a trace embeds it as is)
    if shape is not None:
        basis = basis.reshape(shape)
    _BASES[id(basis)] = basis
    return basis


def is_basis(x) -> bool:
    """Whether `x` is an array `identity_basis` made (and not a copy of one)."""
    return isinstance(x, np.ndarray) and _BASES.get(id(x)) is x
