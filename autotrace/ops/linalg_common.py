"""Shared rules of the numpy.linalg op modules (`linalg_solve`, `linalg_decomp`,
`linalg_svd`, `linalg_lstsq`): numpy's linalg result dtypes and shape errors, the batching
rule of ops over stacks of matrices, and small matrix helpers the gradient rules use.

Result dtypes follow numpy's linalg rule (`linalg_dtype`): float32 (complex64) stays
float32 when every input is, any other input (ints, bools, float64) gives float64, float16
is a TypeError; computed from dtypes only, never by running a kernel. Batching: the ops
broadcast over leading axes as numpy's do, so vmap binds them on the stacked values
(`batch_leading`).
"""

from __future__ import annotations

import numpy as np

from autotrace.errors import UnsupportedError, at_user_line
from autotrace.ops.registry import Aval, apply
from autotrace.ops.shape import astype, dtype_of, expand_dims, swapaxes
from autotrace.ops.shapes import shape_of

LinAlgError = np.linalg.LinAlgError


def ndim(x) -> int:
    return len(shape_of(x))


def real_float(x):
    """numpy.linalg.norm's first step: non-float input becomes float64 (complex: refused)."""
    kind = dtype_of(x).kind
    if kind == "c":
        raise UnsupportedError(at_user_line(
            "numpy.linalg.norm of complex traced values is not supported yet"))
    return x if kind == "f" else astype(x, np.float64)


def linalg_dtype(*avals: Aval, real: bool = False) -> np.dtype:
    """numpy.linalg's result dtype: single precision only if every input is."""
    double, is_complex = False, False
    for a in avals:
        if a.dtype.kind in "fc":
            is_complex |= a.dtype.kind == "c"
            part = np.finfo(a.dtype).dtype
            if part == np.float64:
                double = True
            elif part != np.float32:
                raise TypeError(f"array type {a.dtype.name} is unsupported in linalg")
        else:
            double = True
    if is_complex and not real:
        return np.dtype(np.complex128 if double else np.complex64)
    return np.dtype(np.float64 if double else np.float32)


def stacked_2d(a: Aval) -> None:
    if a.ndim < 2:
        raise LinAlgError(
            f"{a.ndim}-dimensional array given. Array must be at least two-dimensional")


def stacked_square(a: Aval) -> None:
    stacked_2d(a)
    m, n = a.shape[-2:]
    if m is not None and n is not None and m != n:
        raise LinAlgError("Last 2 dimensions of the array must be square")


def known_shape(x, name: str) -> tuple:
    shape = shape_of(x)
    if None in shape[-2:]:
        raise UnsupportedError(at_user_line(
            f"numpy.linalg.{name}: the matrix sizes must be known when tracing "
            f"(got {shape}); give the input a static shape."))
    return shape


def batch_leading(trace, op, values, dims, params):
    """Batching rule of ops over stacks of matrices: every input gets the batch axis (a
    shared one broadcast) and per-example ranks are aligned after it, so numpy's
    broadcasting over the leading axes pairs examples with examples."""
    args = [trace.batched(x, d) for x, d in zip(values, dims)]
    rank = max(len(shape_of(x)) for x in args)
    args = [expand_dims(x, tuple(range(1, 1 + rank - len(shape_of(x)))))
            if len(shape_of(x)) < rank else x for x in args]
    out = apply(op, *args, **params)
    return out, ((0,) * len(out) if op.multiple_results else 0)


def mT(x):
    return swapaxes(x, -1, -2)


def real_only(name: str, *xs) -> None:
    if any(dtype_of(x).kind == "c" for x in xs):
        raise UnsupportedError(at_user_line(
            f"the gradient of numpy.linalg.{name} of a complex matrix is not implemented"))


def eye_like(x):
    n = known_shape(x, "eye")[-1]
    return np.eye(n, dtype=dtype_of(x))


def tri_mask(x, lower: bool, scale_diagonal: float = 1.0):
    """A constant (n, n) mask of the lower (upper) triangle, diagonal times `scale_diagonal`."""
    n = known_shape(x, "mask")[-1]
    mask = np.tril(np.ones((n, n))) if lower else np.triu(np.ones((n, n)))
    mask = mask - (1.0 - scale_diagonal) * np.eye(n)
    return mask.astype(dtype_of(x))


def one_triangle(g, lower: bool):
    """The gradient w.r.t. a matrix of which only one triangle is read (the symmetric
    matrix it stands for is that triangle mirrored): `g + g.T` on the strict triangle,
    `g`'s diagonal on the diagonal, zero on the other triangle."""
    return (g + mT(g)) * tri_mask(g, lower, 0.5)


def symmetrized(t, lower: bool):
    """The symmetric matrix a tangent of the read triangle stands for."""
    part = t * tri_mask(t, lower)
    return part + mT(part) * tri_mask(t, not lower, 0.0)


def zero_diagonal_inverse(diff):
    """`1 / diff` off the diagonal, 0 on it (`diff` has a zero diagonal)."""
    eye = eye_like(diff)
    return 1 / (diff + eye) - eye
