"""`numpy.fft`: `fft`/`ifft`/`fft2`/`ifft2`/`fftn`/`ifftn` (op `fft`), `rfft`/`rfft2`/
`rfftn` (op `rfft`), `irfft`/`irfft2`/`irfftn` (op `irfft`), `hfft`/`ihfft` (front ends),
`fftshift`/`ifftshift`; `fftfreq`/`rfftfreq` already work with a traced `d` (numpy's code
is arithmetic on it).

Each op's impl is numpy's `fftn` / `ifftn` / `rfftn` / `irfftn` with static `s`, `axes`
and `norm`; the dtype rule follows numpy (float32/float16 -> complex64, integers and bools
-> complex128; `irfft` gives the input's real precision).

VJPs, in JAX's convention for complex cotangents (docs/autodiff.md, "Complex numbers": a
VJP is the transpose, not the conjugate transpose):

* `fft`/`ifft` are complex-linear with a symmetric matrix, so the VJP is the same
  transform with the same `norm`, then the zero-padding or cropping to `s` undone;
* `rfft` (real input): the real part of the full `fft` of the cotangent zero-padded back
  to `n` along the last axis;
* `irfft` (real output, real-linear in its complex input): `w * conj(rfft(g))` with the
  `norm` swapped (backward <-> forward), where the Hermitian-doubling weights `w` are 1
  for the DC term (and the Nyquist term for even `n`) and 2 for the others, then the
  last axis resized to the input's length.

JVPs: the ops are linear (`rules.linear`). Batching: the transform axes shift by one.
"""

from __future__ import annotations

import numpy as np

from autotrace.ops import rules
from autotrace.ops.complex import real
from autotrace.ops.index import getitem
from autotrace.ops.join import concatenate
from autotrace.ops.registry import Aval, Op, apply, dispatches, register
from autotrace.ops.shape import astype, broadcast_to, conj, dtype_of
from autotrace.ops.shapes import normalize_axis, shape_of

_NORMS = (None, "backward", "ortho", "forward")
_SWAP = {None: "forward", "backward": "forward", "ortho": "ortho", "forward": "backward"}


def _complex_dtype(dtype: np.dtype) -> np.dtype:
    if dtype.kind in "biu":
        return np.dtype(np.complex128)
    if dtype.kind == "c":
        return dtype
    return np.result_type(dtype, np.complex64)


def _real_dtype(dtype: np.dtype) -> np.dtype:
    if dtype.kind in "biu":
        return np.dtype(np.float64)
    return np.empty(0, dtype).real.dtype


def _check_sizes(s):
    for n in s:
        if n < 1:
            raise ValueError(f"Invalid number of FFT data points ({n}) specified.")


def _resized(shape, axes, s):
    out = list(shape)
    for ax, n in zip(axes, s):
        out[ax] = n
    return tuple(out)


# --- abstract rules -------------------------------------------------------------------------
def _fft_abstract(x: Aval, s=(), axes=(), norm=None, inverse=False) -> Aval:
    _check_sizes(s)
    return Aval(_resized(x.shape, axes, s), _complex_dtype(x.dtype))


def _rfft_abstract(x: Aval, s=(), axes=(), norm=None) -> Aval:
    if x.dtype.kind == "c":
        raise TypeError("ufunc 'rfft_n_even' not supported for the input types, and the "
                        "inputs could not be safely coerced to any supported types "
                        "according to the casting rule ''safe''")
    _check_sizes(s)
    return Aval(_resized(x.shape, axes, (*s[:-1], s[-1] // 2 + 1)), _complex_dtype(x.dtype))


def _irfft_abstract(x: Aval, s=(), axes=(), norm=None) -> Aval:
    _check_sizes(s)
    return Aval(_resized(x.shape, axes, s), _real_dtype(x.dtype))


# --- VJPs -----------------------------------------------------------------------------------
def _fit_axes(h, axes, sizes):
    """`h` cropped or zero-padded (at the end) to `sizes` along `axes` (the transpose of
    numpy's own cropping/padding of the input to `s`)."""
    for ax, m in zip(axes, sizes):
        n = shape_of(h)[ax]
        if n > m:
            h = getitem(h, (slice(None),) * ax + (slice(0, m),))
        elif n < m:
            pad_shape = tuple(m - n if i == ax else d for i, d in enumerate(shape_of(h)))
            zeros = broadcast_to(astype(0, dtype_of(h)), pad_shape)
            h = concatenate((h, zeros), axis=ax)
    return h


def _fft_vjp(g, x, out, s, axes, norm, inverse):
    h = apply(_fft, g, s=tuple(shape_of(g)[ax] for ax in axes), axes=axes, norm=norm,
              inverse=inverse)
    h = _fit_axes(h, axes, [shape_of(x)[ax] for ax in axes])
    if dtype_of(x).kind == "c":
        return (h,)
    h = real(h)  # a real input's cotangent: the real part (JAX's convention)
    return (astype(h, dtype_of(x), copy=False) if dtype_of(x).kind == "f" else h,)


def _rfft_vjp(g, x, out, s, axes, norm):
    padded = _fit_axes(g, axes[-1:], s[-1:])
    h = real(apply(_fft, padded, s=tuple(s), axes=axes, norm=norm, inverse=False))
    h = _fit_axes(h, axes, [shape_of(x)[ax] for ax in axes])
    return (astype(h, dtype_of(x), copy=False) if dtype_of(x).kind == "f" else h,)


def _irfft_vjp(g, z, out, s, axes, norm):
    n = s[-1]
    m = n // 2 + 1
    h = conj(apply(_rfft, g, s=tuple(s), axes=axes, norm=_SWAP[norm]))
    weights = np.full(m, 2.0)
    weights[0] = 1.0
    if n % 2 == 0:
        weights[-1] = 1.0
    last = axes[-1]
    shape = [1] * len(shape_of(h))
    shape[last] = m
    h = h * weights.reshape(shape).astype(_real_dtype(dtype_of(h)))
    return (_fit_axes(h, axes, [shape_of(z)[ax] for ax in axes]),)


def _axes_batch(trace, op, values, dims, params):
    axes = tuple(a + 1 for a in params["axes"])
    return apply(op, values[0], **dict(params, axes=axes)), 0


def _fft_impl(x, s, axes, norm, inverse):
    return (np.fft.ifftn if inverse else np.fft.fftn)(x, s=s, axes=axes, norm=norm)


_fft = register(Op("fft", _fft_impl, _fft_abstract, vjp=_fft_vjp, batch=_axes_batch))
_rfft = register(Op("rfft", lambda x, s, axes, norm: np.fft.rfftn(x, s=s, axes=axes, norm=norm),
                    _rfft_abstract, vjp=_rfft_vjp, batch=_axes_batch))
_irfft = register(Op("irfft",
                     lambda x, s, axes, norm: np.fft.irfftn(x, s=s, axes=axes, norm=norm),
                     _irfft_abstract, vjp=_irfft_vjp, batch=_axes_batch))
for _op in (_fft, _rfft, _irfft):
    rules.linear(_op)


# --- front ends -----------------------------------------------------------------------------
def _norm(norm):
    if norm not in _NORMS:
        raise ValueError(f'Invalid norm value {norm}; should be "backward", "ortho" or '
                         '"forward".')
    return norm


def _cook(a, s, axes, inverse_real=False):
    """numpy's `_cook_nd_args`: static sizes and non-negative axes."""
    shape = shape_of(a)
    ndim = len(shape)
    if s is None:
        axes = list(range(-ndim, 0)) if axes is None else list(axes)
        s = [shape[normalize_axis(ax, ndim)] for ax in axes]
        if inverse_real:
            s[-1] = (s[-1] - 1) * 2
    else:
        s = [int(n) for n in s]
        axes = list(range(-len(s), 0)) if axes is None else list(axes)
        if len(s) != len(axes):
            raise ValueError("Shape and axes have different lengths.")
    if None in s:
        raise NotImplementedError("numpy.fft over an axis of unknown length is not "
                                  "supported on traced values; pass s=.")
    axes = tuple(normalize_axis(ax, ndim) for ax in axes)
    if len(set(axes)) != len(axes):
        raise NotImplementedError("numpy.fft with repeated axes is not supported on traced "
                                  "values.")
    return tuple(s), axes


def _one(n, axis):
    """(s, axes) of a one-axis transform."""
    if n is None:
        return None, (axis,)
    return (n,), (axis,)


def _call(op, a, s, axes, norm, inverse_real=False, **params):
    s, axes = _cook(a, s, axes, inverse_real)
    return apply(op, a, s=s, axes=axes, norm=_norm(norm), **params)


@dispatches(np.fft.fft)
def fft(a, n=None, axis=-1, norm=None, out=None):
    """`numpy.fft.fft`."""
    _no_out(out)
    return _call(_fft, a, *_one(n, axis), norm, inverse=False)


@dispatches(np.fft.ifft)
def ifft(a, n=None, axis=-1, norm=None, out=None):
    """`numpy.fft.ifft`."""
    _no_out(out)
    return _call(_fft, a, *_one(n, axis), norm, inverse=True)


@dispatches(np.fft.fft2)
def fft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    """`numpy.fft.fft2`."""
    _no_out(out)
    return _call(_fft, a, s, axes, norm, inverse=False)


@dispatches(np.fft.ifft2)
def ifft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    """`numpy.fft.ifft2`."""
    _no_out(out)
    return _call(_fft, a, s, axes, norm, inverse=True)


@dispatches(np.fft.fftn)
def fftn(a, s=None, axes=None, norm=None, out=None):
    """`numpy.fft.fftn`."""
    _no_out(out)
    return _call(_fft, a, s, axes, norm, inverse=False)


@dispatches(np.fft.ifftn)
def ifftn(a, s=None, axes=None, norm=None, out=None):
    """`numpy.fft.ifftn`."""
    _no_out(out)
    return _call(_fft, a, s, axes, norm, inverse=True)


@dispatches(np.fft.rfft)
def rfft(a, n=None, axis=-1, norm=None, out=None):
    """`numpy.fft.rfft`."""
    _no_out(out)
    return _call(_rfft, a, *_one(n, axis), norm)


@dispatches(np.fft.irfft)
def irfft(a, n=None, axis=-1, norm=None, out=None):
    """`numpy.fft.irfft` (default n = 2 (m - 1))."""
    _no_out(out)
    return _call(_irfft, a, *_one(n, axis), norm, inverse_real=True)


@dispatches(np.fft.rfft2)
def rfft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    """`numpy.fft.rfft2`."""
    _no_out(out)
    return _call(_rfft, a, s, axes, norm)


@dispatches(np.fft.irfft2)
def irfft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    """`numpy.fft.irfft2`."""
    _no_out(out)
    return _call(_irfft, a, s, axes, norm, inverse_real=True)


@dispatches(np.fft.rfftn)
def rfftn(a, s=None, axes=None, norm=None, out=None):
    """`numpy.fft.rfftn`."""
    _no_out(out)
    return _call(_rfft, a, s, axes, norm)


@dispatches(np.fft.irfftn)
def irfftn(a, s=None, axes=None, norm=None, out=None):
    """`numpy.fft.irfftn`."""
    _no_out(out)
    return _call(_irfft, a, s, axes, norm, inverse_real=True)


@dispatches(np.fft.hfft)
def hfft(a, n=None, axis=-1, norm=None, out=None):
    """`numpy.fft.hfft`: irfft of conj(a) with the norm swapped (numpy's definition)."""
    _no_out(out)
    return _call(_irfft, conj(a), *_one(n, axis), _SWAP[_norm(norm)], inverse_real=True)


@dispatches(np.fft.ihfft)
def ihfft(a, n=None, axis=-1, norm=None, out=None):
    """`numpy.fft.ihfft`: conj(rfft(a)) with the norm swapped (numpy's definition)."""
    _no_out(out)
    return conj(_call(_rfft, a, *_one(n, axis), _SWAP[_norm(norm)]))


def _no_out(out):
    if out is not None:
        raise NotImplementedError("numpy.fft functions with out= are not supported on "
                                  "traced values; use the returned value.")


def _shift(x, axes, inverse: bool):
    ndim = len(shape_of(x))
    axes = range(ndim) if axes is None else (axes,) if isinstance(axes, int) else axes
    for ax in axes:
        ax = normalize_axis(ax, ndim)
        n = shape_of(x)[ax]
        if n is None:
            raise NotImplementedError("numpy.fft.fftshift over an axis of unknown length is "
                                      "not supported on traced values.")
        k = n // 2 if inverse else n - n // 2
        if n and k % n:
            lead = (slice(None),) * ax
            x = concatenate((getitem(x, lead + (slice(k, None),)),
                             getitem(x, lead + (slice(0, k),))), axis=ax)
    return x


@dispatches(np.fft.fftshift)
def fftshift(x, axes=None):
    """`numpy.fft.fftshift`: the zero frequency moved to the centre (a roll by n // 2)."""
    return _shift(x, axes, inverse=False)


@dispatches(np.fft.ifftshift)
def ifftshift(x, axes=None):
    """`numpy.fft.ifftshift`: the inverse of fftshift (a roll by -(n // 2))."""
    return _shift(x, axes, inverse=True)
