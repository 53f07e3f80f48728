"""Backend lowerings of numpy's math beyond the array API's elementwise core: the ufuncs
it composes from array API functions (`fmax`, `heaviside`, `deg2rad`, ...), `round`,
`searchsorted`, the parameter refusals of the numpy.linalg functions `lowering._linalg`
runs (`svdvals`, `eigvalsh`) and `numpy.fft` through the array API's fft extension.

Each impl is `impl(backend, *inputs, **params)` over `backend.xp`; `lowering.py` registers
them. Where a library could give another answer than numpy's (a numpy parameter the
array API lacks), the refusal names the parameter, so the function runs on numpy instead.
"""

from __future__ import annotations

import math

_DEG = 180.0 / math.pi  # numpy's degrees(x) = x * (180 / pi), radians(x) = x * (pi / 180)


def degrees(b, x):
    return x * _DEG


def radians(b, x):
    return x * (math.pi / 180.0)


def fabs(b, x):
    return b.xp.abs(x)


def fmax(b, x, y):
    """numpy's `fmax`: the other value where one is NaN (NaN only where both are)."""
    xp = b.xp
    return xp.where(xp.isnan(x), y, xp.where(xp.isnan(y), x, xp.maximum(x, y)))


def fmin(b, x, y):
    xp = b.xp
    return xp.where(xp.isnan(x), y, xp.where(xp.isnan(y), x, xp.minimum(x, y)))


def heaviside(b, x, h):
    """0 below zero, 1 above, `h` at zero, NaN at NaN (numpy's `heaviside`)."""
    xp = b.xp
    x, h = xp.broadcast_arrays(x, h)
    step = xp.where(x < 0, xp.zeros_like(x), xp.where(x > 0, xp.ones_like(x), h))
    return xp.where(xp.isnan(x), x, step)


def fmod(b, x, y):
    return b.xp.fmod(x, y)


def round_(b, x, decimals=0):
    return b.xp.round(x)


def refuse_round(node, backend) -> str | None:
    if node.params.get("decimals", 0) != 0:
        return "with decimals != 0 (the array API rounds to integers only)"
    return None


def searchsorted(b, a, v, side="left"):
    return b.xp.searchsorted(a, v, side=side)


def refuse_eigvalsh(node, backend) -> str | None:
    """For `lowering._linalg`: the array API's `eigvalsh` reads the lower triangle."""
    if node.params.get("UPLO", "L") != "L":
        return "with UPLO='U' (the array API reads the lower triangle)"
    return None


def refuse_svdvals(node, backend) -> str | None:
    if backend.name == "dask":
        return "(dask's svd gives only the reduced factors; svdvals asks for full ones)"
    return None


def _fft_args(s, axes, norm) -> dict:
    return {"s": tuple(s) if s else None, "axes": tuple(axes) if axes else None,
            "norm": norm or "backward"}


def fft(b, x, s=(), axes=(), norm=None, inverse=False):
    run = b.xp.fft.ifftn if inverse else b.xp.fft.fftn
    return run(x, **_fft_args(s, axes, norm))


def rfft(b, x, s=(), axes=(), norm=None):
    return b.xp.fft.rfftn(x, **_fft_args(s, axes, norm))


def irfft(b, x, s=(), axes=(), norm=None):
    return b.xp.fft.irfftn(x, **_fft_args(s, axes, norm))


def refuse_fft(node, backend) -> str | None:
    if not hasattr(getattr(backend.xp, "fft", None), "fftn"):
        return "(no fft extension in its array API namespace)"
    if backend.name == "dask":
        return "(dask.array.fft transforms one chunk per axis; run on numpy)"
    return None
