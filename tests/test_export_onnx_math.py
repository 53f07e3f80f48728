"""ONNX forms of the simple math ufuncs (fabs and the angle conversions) against numpy;
the other new ops (fft, statistics ops, defop ops) are refused naming the op."""

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

import autotrace as at  # noqa: E402

VALUES = np.array([-2.5, -1.0, 0.0, 0.3, 90.0, 180.0, np.nan, np.inf, -np.inf])


def _run(model, x):
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess.run(None, {sess.get_inputs()[0].name: x})[0]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("ufunc", [np.fabs, np.deg2rad, np.radians, np.rad2deg, np.degrees],
                         ids=lambda u: u.__name__)
def test_math_ufunc_matches_numpy(ufunc, dtype):
    x = VALUES.astype(dtype)
    model = at.export_onnx(at.trace(lambda x: ufunc(x)), x)
    onnx.checker.check_model(model, full_check=True)
    got, want = _run(model, x), ufunc(x)
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-6 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("fn, name", [(lambda x: np.logaddexp(x, x), "logaddexp"),
                                      (lambda x: np.median(x), "sort"),
                                      (lambda x: np.searchsorted(np.sort(x), x), "searchsorted"),
                                      (lambda x: np.i0(x), "i0")])
def test_ops_without_an_onnx_form_are_named(fn, name):
    with pytest.raises(at.UnsupportedError, match=name):
        at.export_onnx(at.trace(fn), np.ones(3, np.float32))
