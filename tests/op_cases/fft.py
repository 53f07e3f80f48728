"""Gradient, JVP and vmap cases of the fft ops (autotrace/ops/fft.py).

The registry tests feed float arrays: a complex input is `make_complex(x, y)`, and a
complex result is reduced to real numbers with `abs` (or real/imag parts), so finite
differences on the real and imaginary parts check each VJP (JAX's convention).
"""

from __future__ import annotations

import numpy as np

from op_cases.common import Case, op

F = np.fft


def _z(x, y):
    return op("make_complex", x, y)


def _w(shape):
    return np.linspace(0.5, 1.5, int(np.prod(shape))).reshape(shape)


def _reim(z):
    return np.real(z) * _w(z.shape) + np.imag(z) * _w(z.shape)[::-1]


PAIR = [((6,), (6,)), ((2, 5), (2, 5))]

CASES = {
    "fft": [Case(lambda x, y: np.abs(F.fft(_z(x, y))), PAIR),
            Case(lambda x: _reim(F.fft(x, n=8, norm="ortho")), [((6,),), ((3, 5),)]),
            Case(lambda x, y: _reim(F.ifft2(_z(x, y), s=(3, 4), norm="forward")),
                 [((2, 5), (2, 5))]),
            Case(lambda x, y: _reim(F.fftn(_z(x, y), axes=(0,))), [((3, 4), (3, 4))])],
    "rfft": [Case(lambda x: _reim(F.rfft(x)), [((6,),), ((7,),), ((2, 5),)]),
             Case(lambda x: np.abs(F.rfft(x, n=9, norm="ortho")), [((6,),)]),
             Case(lambda x: _reim(F.rfft2(x, s=(3, 4))), [((2, 5),), ((4, 6),)])],
    "irfft": [Case(lambda x, y: F.irfft(_z(x, y)) * _w((8,)), [((5,), (5,))]),
              Case(lambda x, y: F.irfft(_z(x, y), n=7, norm="ortho") ** 2, [((4,), (4,))]),
              Case(lambda x, y: F.irfftn(_z(x, y), s=(3, 6), axes=(0, 1), norm="forward")
                   * _w((3, 6)),
                   [((3, 4), (3, 4)), ((2, 5), (2, 5))])],
}
