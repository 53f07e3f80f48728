"""Complex parts: `real`, `imag`, `angle`, `iscomplex`/`isreal`/`iscomplexobj`/
`isrealobj`, and `make_complex` (an internal op building a
complex value from its two real parts).

Complex gradients follow JAX's convention (docs/autodiff.md, "Complex numbers"): a VJP
multiplies the cotangent by the derivative without conjugating (`vjp(g) = g * f'(z)` for
a holomorphic `f`), so for a real-valued `L(z)` with `z = x + iy`,
`grad(L)(z) = dL/dx - 1j * dL/dy` (the conjugate of the steepest-ascent direction).
Here: `real`'s VJP is `g + 0j`, `imag`'s is `-1j * g`, `make_complex(x, y)`'s is
`(real(g), -imag(g))`; `abs` gives `g * conj(z) / |z|`, `angle` (= arctan2(imag, real))
gives `-1j * g / z`, each consistent with the rule above.
"""

from __future__ import annotations

import numpy as np

from autotrace.ops import rules
from autotrace.ops.creation import zeros_like
from autotrace.ops.elementwise import arctan2, multiply, not_equal
from autotrace.ops.registry import Aval, Op, apply, dispatches, register
from autotrace.ops.shape import astype, dtype_of
from autotrace.ops.shapes import broadcast_shapes
from autotrace.ops.ufuncs import elementwise_batch


def _real_dtype(dtype: np.dtype) -> np.dtype:
    return np.empty(0, dtype).real.dtype


def _complex_dtype(*dtypes) -> np.dtype:
    return np.result_type(*dtypes, np.complex64)


def _part_abstract(z: Aval) -> Aval:
    return Aval(z.shape, _real_dtype(z.dtype))


_real = register(Op("real", np.real, _part_abstract,
                    vjp=lambda g, z, out: (astype(g, dtype_of(z)),), batch=elementwise_batch))
rules.linear(_real)
_imag = register(Op("imag", np.imag, _part_abstract,
                    vjp=lambda g, z, out: (multiply(astype(g, dtype_of(z)), -1j),),
                    batch=elementwise_batch))
rules.linear(_imag)


def _make_complex_impl(re, im):
    re, im = np.asarray(re), np.asarray(im)
    out = np.empty(np.broadcast_shapes(re.shape, im.shape), _complex_dtype(re.dtype, im.dtype))
    out.real, out.imag = re, im  # no re + 1j * im: 1j * inf would be nan + inf j
    return out


def _make_complex_abstract(re: Aval, im: Aval) -> Aval:
    return Aval(broadcast_shapes(re.shape, im.shape), _complex_dtype(re.dtype, im.dtype))


def _make_complex_vjp(g, re, im, out):
    return (astype(real(g), dtype_of(re)), astype(-imag(g), dtype_of(im)))


_make_complex = register(Op("make_complex", _make_complex_impl, _make_complex_abstract,
                            vjp=_make_complex_vjp, batch=elementwise_batch))
rules.linear(_make_complex)


def make_complex(re, im):
    """The complex value `re + 1j * im` (exact for infinite parts), complex64 for float32
    (or smaller) parts, complex128 for float64."""
    return apply(_make_complex, re, im)


@dispatches(np.real)
def real(val):
    """`numpy.real`: the real part; the value itself when it is not complex."""
    return apply(_real, val) if dtype_of(val).kind == "c" else val


@dispatches(np.imag)
def imag(val):
    """`numpy.imag`: the imaginary part; zeros of the value's dtype when it is not complex
    (no gradient flows through those)."""
    return apply(_imag, val) if dtype_of(val).kind == "c" else zeros_like(val)


@dispatches(np.angle)
def angle(z, deg=False):
    """`numpy.angle` = arctan2(imag(z), real(z)) (in degrees with `deg=True`); for real
    `z`, numpy's arctan2(0, z)."""
    complex_ = dtype_of(z).kind == "c"
    out = arctan2(imag(z), real(z)) if complex_ else arctan2(0, z)
    return out * (180 / np.pi) if deg else out


@dispatches(np.iscomplex)
def iscomplex(x):
    """`numpy.iscomplex`: a non-zero imaginary part (all False for real dtypes)."""
    return not_equal(imag(x), 0)


@dispatches(np.isreal)
def isreal(x):
    """`numpy.isreal`: a zero imaginary part."""
    return imag(x) == 0


@dispatches(np.iscomplexobj)
def iscomplexobj(x) -> bool:
    """`numpy.iscomplexobj`: a static answer from the dtype."""
    return dtype_of(x).kind == "c"


@dispatches(np.isrealobj)
def isrealobj(x) -> bool:
    """`numpy.isrealobj`: a static answer from the dtype."""
    return dtype_of(x).kind != "c"
