"""Complex values: every elementwise op on complex64/complex128 against numpy (values,
dtypes, numpy's TypeError where numpy has no complex loop), the complex parts (real, imag,
conj, angle, abs), and complex gradients in JAX's convention checked by finite differences
on the real and imaginary parts: for a real-valued L(z), grad(L)(z) = dL/dx - 1j dL/dy."""

import numpy as np
import pytest
from oracle import check, sample

import autotrace as at
from autotrace.ops import elementwise as E
from autotrace.ops import ufuncs as U
from autotrace.ops.registry import Op

UFUNCS = sorted({f.op.impl for m in (E, U) for f in vars(m).values()
                 if isinstance(getattr(f, "op", None), Op) and isinstance(f.op.impl, np.ufunc)},
                key=lambda u: u.__name__)
COMPLEX = [np.complex64, np.complex128]


@pytest.mark.parametrize("dtype", COMPLEX, ids=["c64", "c128"])
@pytest.mark.parametrize("ufunc", UFUNCS, ids=lambda u: u.__name__)
def test_every_elementwise_op_on_complex(ufunc, dtype):
    args = [sample((2, 3), dtype, i) for i in range(ufunc.nin)]
    check(lambda *xs: ufunc(*xs), *args)
    if ufunc.nin == 2:  # complex with real, and Python complex scalars
        check(lambda x, y: ufunc(x, y), args[0], sample((3,), np.float32, 1))
        check(lambda x: ufunc(x, 1.5 - 0.5j), args[0])


@pytest.mark.parametrize("dtype", COMPLEX + [np.float32, np.int64, np.bool_],
                         ids=["c64", "c128", "f32", "i64", "bool"])
def test_parts(dtype):
    for shape in [(), (3,), (2, 3), (0,)]:
        z = sample(shape, dtype)
        for fn in (np.real, np.conj, np.conjugate, np.angle, np.abs, np.iscomplex, np.isreal):
            check(fn, z)
        # np.imag of a real numpy *scalar* is a scalar, of a 0-d array a 0-d array; traced
        # inputs are arrays, so the zeros are a 0-d array
        check(np.imag, np.asarray(z))
        check(lambda z: np.angle(z, deg=True), z)
        check(lambda z: z.conj(), z)
    assert at.trace(lambda z: np.iscomplexobj(z))(sample((2,), dtype)) == (dtype in COMPLEX)


def test_python_complex_constants_keep_complex64():
    check(lambda x: x * (1 + 2j), sample((3,), np.float32))
    check(lambda x: np.exp(1j * x), sample((3,), np.float32))
    check(lambda z: np.sqrt(z) + 1j, sample((3,), np.complex64))


def _fd_complex_grad(loss, z, eps=1e-6):
    """dL/dx - 1j dL/dy by central differences, elementwise over z."""
    grad = np.zeros(z.shape, complex)
    for i in np.ndindex(z.shape):
        e = np.zeros(z.shape)
        e[i] = eps
        dx = (loss(z + e) - loss(z - e)) / (2 * eps)
        dy = (loss(z + 1j * e) - loss(z - 1j * e)) / (2 * eps)
        grad[i] = dx - 1j * dy
    return grad


LOSSES = {
    "abs2": lambda z: (np.abs(z) ** 2).sum(),
    "abs": lambda z: np.abs(z).sum(),
    "real_exp": lambda z: np.real(np.exp(z) * (0.5 - 1j)).sum(),
    "imag_log": lambda z: np.imag(np.log(z)).sum(),
    "angle": lambda z: np.angle(z).sum(),
    "conj_mul": lambda z: np.real(np.conj(z) * z * z).sum(),
    "sin_div": lambda z: np.abs(np.sin(z) / (z + 2)).sum(),
    "sqrt_tanh": lambda z: np.real(np.sqrt(z) * np.tanh(z)).sum(),
    "power": lambda z: np.abs(z ** 3 + z ** 2.5).sum(),
    "matmul": lambda z: np.abs(z.reshape(2, 2) @ np.array([[1, 1j], [2, -1]])).sum(),
    "sum_mean": lambda z: np.abs(z.sum() + z.mean() * 1j),
    "parts": lambda z: (np.real(z) ** 2 * np.imag(z)).sum(),
}


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_complex_gradients_follow_jax_convention(name):
    loss = LOSSES[name]
    z = np.array([0.7 + 0.4j, -0.3 + 1.1j, 1.2 - 0.6j, 0.5 + 0.2j])
    got = at.grad(loss)(z)
    assert got.dtype == np.complex128
    np.testing.assert_allclose(got, _fd_complex_grad(loss, z), rtol=1e-5, atol=1e-7)
    got64 = at.grad(loss)(z.astype(np.complex64))
    assert got64.dtype == np.complex64


def test_holomorphic_function_gradient_is_conjugate_free():
    # grad of Re f(z) for holomorphic f is f'(z) itself (JAX: no conjugation)
    z = np.array([0.3 + 0.8j, -1.0 + 0.5j])
    np.testing.assert_allclose(at.grad(lambda z: np.real(np.sin(z)).sum())(z), np.cos(z))


def test_real_input_through_complex_intermediates_gets_real_gradient():
    x = np.array([0.3, -1.2, 0.8])
    g = at.grad(lambda x: np.abs(np.exp(1j * x) + 0.5).sum())(x)
    assert g.dtype == np.float64
    eps = 1e-6
    loss = lambda x: np.abs(np.exp(1j * x) + 0.5).sum()  # noqa: E731
    fd = [(loss(x + eps * e) - loss(x - eps * e)) / (2 * eps) for e in np.eye(3)]
    np.testing.assert_allclose(g, fd, rtol=1e-6)


def test_complex_jvp_and_vmap():
    z = np.array([0.7 + 0.4j, -0.3 + 1.1j])
    t = np.array([0.1 - 0.2j, 0.3 + 0.05j])
    out, tan = at.jvp(lambda z: np.exp(z) * np.conj(z), (z,), (t,))
    np.testing.assert_allclose(out, np.exp(z) * np.conj(z))
    np.testing.assert_allclose(tan, np.exp(z) * np.conj(z) * t + np.exp(z) * np.conj(t))
    batched = at.vmap(lambda z: np.real(z) * np.imag(z) + np.angle(z))(np.stack([z, z * 2]))
    np.testing.assert_allclose(batched, [np.real(w) * np.imag(w) + np.angle(w)
                                         for w in (z, z * 2)])
