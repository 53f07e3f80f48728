"""The math lowerings of compile/lowering_math.py on torch and Dask at their edge values
(NaN, zero, signed values), where a composition of array API functions could differ from
numpy's ufunc, and the refusals of numpy parameters the array API lacks."""

from __future__ import annotations

import numpy as np
import pytest
from backend_check import available, to_numpy

import autotrace as at
from autotrace.compile.backends import BackendError, get_backend

BACKENDS = [pytest.param(name, marks=pytest.mark.skipif(
    not available(name), reason=f"{name} is not installed")) for name in ("torch", "dask")]
X = np.array([-2.0, -0.0, 0.0, np.nan, 1.5, np.inf, -np.inf, np.nan])
Y = np.array([np.nan, 1.0, -1.0, 3.0, np.nan, 2.0, np.nan, np.nan])


def on(backend: str, fn, *args):
    cf = at.trace(fn).get_concrete_function(*args)
    return to_numpy(get_backend(backend), cf.to(backend)(*args))


def step(x, y):
    return np.heaviside(x, y)


def nan_max(x, y):
    return np.fmax(x, y), np.fmin(x, y)


def angles(x):
    return np.deg2rad(x), np.rad2deg(x), np.radians(x), np.degrees(x), np.fabs(x)


def rounded(x):
    return np.round(x)


def rounded_2(x):
    return np.round(x, 2)


def upper(a):
    return np.linalg.eigvalsh(a, UPLO="U")


def lower(a):
    return np.linalg.eigvalsh(a)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("fn, args", [(step, (X, Y)), (nan_max, (X, Y)), (angles, (X,)),
                                      (rounded, (np.array([0.5, 1.5, 2.5, -0.5, 2.4]),))])
def test_edge_values_equal_numpy(backend, fn, args):
    with np.errstate(invalid="ignore"):
        got, want = on(backend, fn, *args), fn(*args)
    for g, w in zip(got if isinstance(want, tuple) else (got,),
                    want if isinstance(want, tuple) else (want,)):
        assert g.dtype == w.dtype
        np.testing.assert_array_equal(g, w)


TORCH = BACKENDS[:1]  # dask.array.linalg has no eigvalsh: refused by name


@pytest.mark.parametrize("backend", TORCH)
def test_symmetric_eigenvalues_from_the_lower_triangle(backend):
    a = np.array([[2.0, 9.0], [1.0, 3.0]])  # not symmetric: the triangle read matters
    np.testing.assert_allclose(on(backend, lower, a), lower(a), rtol=1e-12)


@pytest.mark.parametrize("backend", TORCH)
@pytest.mark.parametrize("fn, why", [
    (rounded_2, "op `round` with decimals != 0 (the array API rounds to integers only)"),
    (upper, "op `eigvalsh` with UPLO='U' (the array API reads the lower triangle)")])
def test_numpy_parameters_the_array_api_lacks_are_refused(backend, fn, why):
    x = np.eye(2) * 1.234
    cf = at.trace(fn).get_concrete_function(x)
    with pytest.raises(BackendError, match=f"^{__import__('re').escape(why)} is not "
                                           f"available on the {backend} backend"):
        cf.to(backend)
