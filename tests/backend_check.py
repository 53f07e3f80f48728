"""Running a traced graph on an array backend and comparing it with numpy's results.

`available(name)` says whether a backend's package (and, for CuPy, a GPU) is here;
`run_case` runs one corpus case's ONE concrete function on a backend over all its inputs
(different paths) against the plain Python function, the oracle.
"""

from __future__ import annotations

import copy
import importlib

import numpy as np
from corpus.check import _assert_same_error, _run, _run_python, assert_same

import autotrace as at
from autotrace.compile.backends import BackendError, get_backend
from autotrace.signature import flatten, unflatten

BACKENDS = ("dask", "torch", "cupy")


def available(name: str) -> bool:
    """The backend's package imports (CuPy: and a CUDA device is present)."""
    try:
        importlib.import_module("array_api_compat")
        module = importlib.import_module({"dask": "dask.array"}.get(name, name))
    except ImportError:
        return False
    if name == "cupy":
        try:
            return module.cuda.runtime.getDeviceCount() > 0
        except Exception:  # no driver / no device
            return False
    return True


def to_numpy(backend, value):
    """A backend result as numpy: arrays to numpy (0-d to numpy scalars, as numpy's
    reductions give), containers kept."""
    leaves, tree = flatten(value)
    out = []
    for x in leaves:
        if backend.is_array(x):
            x = backend.to_numpy(x)
            x = x[()] if x.ndim == 0 else x
        out.append(x)
    return unflatten(tree, out)


def tolerance(rtol: float) -> float:
    """Different libraries' float64 kernels agree to ~1e-15; leave room for sums."""
    return max(rtol, 1e-9)


def run_case(case, name: str, **options) -> str:
    """Check `case` on backend `name`; returns "pass" or "refused" (a `BackendError`
    naming the op and the backend, raised when the code is generated)."""
    backend = get_backend(name, **options)
    cf = at.trace(case.fn).get_concrete_function(*copy.deepcopy(case.inputs[0]))
    try:
        bf = cf.to(backend)
    except BackendError as e:
        assert f"is not available on the {name} backend" in str(e), str(e)
        return "refused"
    for args in case.inputs:
        expected, printed, _ = _run_python(case.fn, copy.deepcopy(args))
        got, got_printed = _run(bf, copy.deepcopy(args))
        where = f"{case.id} on {name}"
        if isinstance(expected, BaseException):
            _assert_same_error(got, expected, where)
        else:
            assert not isinstance(got, BaseException), f"{where}: raised {got!r}"
            assert_same(to_numpy(backend, got), expected, where, case.merged_scalars,
                        tolerance(case.rtol))
        assert got_printed == printed, f"{where}: printed {got_printed!r}, not {printed!r}"
    return "pass"


def run_traced(traced, args: tuple, name: str, **options) -> str:
    """Run `traced`'s concrete function for `args` on backend `name` and compare with the
    numpy result (same structure, dtypes, shapes; values within the dtype's tolerance);
    returns "pass" or "refused"."""
    backend = get_backend(name, **options)
    cf = traced.get_concrete_function(*args)
    expected = cf(*args)
    try:
        bf = cf.to(backend)
    except BackendError as e:
        assert f"is not available on the {name} backend" in str(e), str(e)
        return "refused"
    got = bf(*args)
    # Libraries round single-precision kernels differently (an FFT's butterflies): a
    # result computed through float32 is compared at float32's tolerance.
    single = any(v.dtype in (np.float32, np.complex64)
                 for node in cf.graph.walk() for v in node.outputs)
    got_leaves, got_tree = flatten(to_numpy(backend, got))
    want_leaves, want_tree = flatten(expected)
    assert got_tree == want_tree, f"structure {got_tree} != {want_tree}"
    for g, w in zip(got_leaves, want_leaves):
        if not isinstance(w, (np.ndarray, np.generic)):
            assert type(g) is type(w) and np.allclose(g, w), (g, w)
            continue
        g = np.asarray(g)
        assert g.dtype == w.dtype and g.shape == np.shape(w), (g.dtype, g.shape, w.dtype)
        rtol = 1e-5 if w.dtype == np.float32 or single else 1e-9
        np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol, equal_nan=True)
    return "pass"
