# ruff: noqa: B023 - the loop lambdas are checked (called) before the loop moves on
"""numpy.fft (autotrace/ops/fft.py) against numpy as the oracle: every transform with
n/s, axis/axes and norm forms, float32/float64/int/bool/complex inputs, numpy's errors;
gradients of the fft ops in JAX's convention (also in tests/op_cases/fft.py)."""

import numpy as np
import pytest
from oracle import check, sample

import autotrace as at

F = np.fft
DTYPES = [np.float32, np.float64, np.int64, np.bool_, np.complex64, np.complex128]
NORMS = [None, "backward", "ortho", "forward"]


def _ids(d):
    return np.dtype(d).name


@pytest.mark.parametrize("norm", NORMS, ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=_ids)
def test_one_axis_transforms(dtype, norm):
    x = sample((3, 6), dtype)
    for fn in (F.fft, F.ifft, F.hfft):
        check(lambda a: fn(a, norm=norm), x)
        check(lambda a: fn(a, n=4, axis=0, norm=norm), x)
        check(lambda a: fn(a, n=9, norm=norm), x)
    if np.dtype(dtype).kind != "c":
        for fn in (F.rfft, F.ihfft):
            check(lambda a: fn(a, norm=norm), x)
            check(lambda a: fn(a, n=5, axis=0, norm=norm), x)
    check(lambda a: F.irfft(a, norm=norm), x)
    check(lambda a: F.irfft(a, n=7, axis=0, norm=norm), x)


@pytest.mark.parametrize("norm", NORMS, ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=_ids)
def test_multi_axis_transforms(dtype, norm):
    x = sample((2, 3, 4), dtype)
    for fn in (F.fft2, F.ifft2, F.fftn, F.ifftn, F.irfft2, F.irfftn):
        check(lambda a: fn(a, norm=norm), x)
        check(lambda a: fn(a, s=(3, 5), axes=(0, 2), norm=norm), x)
        check(lambda a: fn(a, axes=(1,), norm=norm), x)
    if np.dtype(dtype).kind != "c":
        for fn in (F.rfft2, F.rfftn):
            check(lambda a: fn(a, norm=norm), x)
            check(lambda a: fn(a, s=(4, 2), axes=(2, 0), norm=norm), x)


@pytest.mark.parametrize("dtype", DTYPES, ids=_ids)
def test_shifts_and_frequencies(dtype):
    for shape in [(5,), (4, 6), (0,), (3, 0)]:
        x = sample(shape, dtype)
        check(F.fftshift, x)
        check(F.ifftshift, x)
        check(lambda a: F.fftshift(a, axes=0), x)
        check(lambda a: F.ifftshift(a, axes=(-1,)), x)
    check(lambda d: F.fftfreq(8, d), np.float64(0.1))
    check(lambda d: F.rfftfreq(7, d), np.float32(2.0))


def test_errors():
    x = sample((4,), np.float64)
    with pytest.raises(ValueError, match="Invalid number of FFT data points"):
        at.trace(lambda a: F.fft(a, n=0))(x)
    with pytest.raises(ValueError, match="Invalid norm value"):
        at.trace(lambda a: F.fft(a, norm="none"))(x)
    with pytest.raises(ValueError, match="different lengths"):
        at.trace(lambda a: F.fftn(a, s=(2, 2), axes=(0,)))(x)
    with pytest.raises(TypeError):
        at.trace(lambda a: F.rfft(a))(x.astype(complex))
    with pytest.raises(NotImplementedError, match="out="):
        at.trace(lambda a: F.fft(a, out=a))(x)


def _fd_grad(loss, z, eps=1e-6):
    """dL/dx - 1j dL/dy elementwise (JAX's convention), by central differences."""
    grad = np.zeros(z.shape, complex)
    for i in np.ndindex(z.shape):
        e = np.zeros(z.shape)
        e[i] = eps
        grad[i] = ((loss(z + e) - loss(z - e)) - 1j * (loss(z + 1j * e) - loss(z - 1j * e))) \
            / (2 * eps)
    return grad


@pytest.mark.parametrize("norm", NORMS, ids=str)
@pytest.mark.parametrize("name", ["fft", "ifft", "fft_pad", "fft_crop", "irfft", "irfft_odd",
                                  "irfft_pad", "irfft2", "hfft", "fftshift"])
def test_complex_input_gradients(name, norm):
    w = np.linspace(0.5, 2.0, 16)
    fns = {
        "fft": lambda z: F.fft(z, norm=norm), "ifft": lambda z: F.ifft(z, norm=norm),
        "fft_pad": lambda z: F.fft(z, n=9, norm=norm), "fft_crop": lambda z: F.fft(z, n=4),
        "irfft": lambda z: F.irfft(z, norm=norm), "irfft_odd": lambda z: F.irfft(z, n=11),
        "irfft_pad": lambda z: F.irfft(z, n=16, norm=norm),
        "irfft2": lambda z: F.irfft2(z.reshape(2, 3), norm=norm),
        "hfft": lambda z: F.hfft(z, norm=norm), "fftshift": lambda z: F.fftshift(z) * 1j,
    }
    fn = fns[name]

    def loss(z):
        out = fn(z).ravel()
        return (np.abs(out + 0.3) * w[:out.size]).sum() if np.iscomplexobj(out) else \
            (np.sin(out) * w[:out.size]).sum()

    z = np.array([0.7 + 0.4j, -0.3 + 1.1j, 1.2 - 0.6j, 0.5 + 0.2j, -0.8 - 0.1j, 0.1 + 0.9j])
    np.testing.assert_allclose(at.grad(loss)(z), _fd_grad(loss, z), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("norm", NORMS, ids=str)
def test_real_input_gradients(norm):
    x = np.random.default_rng(0).standard_normal((3, 5))
    for fn in (lambda a: F.rfft(a, norm=norm), lambda a: F.rfft(a, n=8, axis=0, norm=norm),
               lambda a: F.rfftn(a, s=(4, 4), axes=(0, 1), norm=norm),
               lambda a: F.fft2(a, norm=norm),
               lambda a: F.ihfft(a, norm=norm)):
        at.check_grads(lambda a: np.abs(fn(a) + 0.5), (x,), order=2)


def test_vmap_and_jvp():
    x = np.random.default_rng(1).standard_normal((4, 6))
    got = at.vmap(lambda a: np.abs(F.rfft(a, n=8)) + F.irfft(F.fft(a), n=5))(x)
    want = np.abs(F.rfft(x, n=8)) + F.irfft(F.fft(x), n=5)
    np.testing.assert_allclose(got, want)
    t = np.ones_like(x)
    out, tangent = at.jvp(lambda a: F.fft2(a, norm="ortho"), (x,), (t,))
    np.testing.assert_allclose(tangent, F.fft2(t, norm="ortho"))


def test_onnx_export_refuses_fft_by_name():
    pytest.importorskip("onnx")
    with pytest.raises(at.UnsupportedError, match="fft"):
        at.export_onnx(at.trace(lambda a: np.abs(F.fft(a))), np.ones(4, np.float32))


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402


@st.composite
def _fft_case(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6))
    x = draw(hnp.arrays(draw(st.sampled_from([np.float32, np.float64, np.complex128])), shape,
                        elements=st.floats(-10, 10, width=32)))
    axes = draw(st.lists(st.integers(0, len(shape) - 1), min_size=1, max_size=len(shape),
                         unique=True))
    s = draw(st.none() | st.lists(st.integers(1, 8), min_size=len(axes), max_size=len(axes)))
    return x, tuple(axes), s, draw(st.sampled_from(NORMS))


@settings(max_examples=60, deadline=None)
@given(_fft_case())
def test_transforms_on_random_inputs(case):
    x, axes, s, norm = case
    for fn in (F.fftn, F.ifftn, F.irfftn) + ((F.rfftn,) if x.dtype.kind != "c" else ()):
        check(lambda a: fn(a, s=s, axes=axes, norm=norm), x, eager=False)
