"""The same graphs on other array libraries (Dask, torch, CuPy) against numpy.

The control-flow corpus (one concrete function per case, inputs taking different paths)
and the op table of test_grad_ops.py (forward values and gradient graphs) run on every
backend whose package is installed (CuPy: and a GPU); each either matches numpy (values
within the dtype's tolerance, dtypes and shapes exact) or is refused with a `BackendError`
naming the op and the backend, when the code is generated. Never a wrong value. Dask
also runs on a real `dask.distributed.LocalCluster` (workers on 127.0.0.1).
"""

from __future__ import annotations

import numpy as np
import pytest
from backend_check import BACKENDS, available, run_case, run_traced, to_numpy
from corpus import branches, calls, helpers, logic, loops, python_values
from test_grad_ops import ALL_CASES, _case_id, _gradient_of

import autotrace as at
from autotrace.compile.backends import BackendError, get_backend
from autotrace.function import TracedFunction

CORPUS = [c for m in (branches, calls, logic, loops, python_values) for c in m.CORPUS.cases]
PARAMS = [pytest.param(name, marks=pytest.mark.skipif(
    not available(name), reason=f"{name} is not installed (or no GPU)")) for name in BACKENDS]
needs_dask = pytest.mark.skipif(not available("dask"), reason="dask is not installed")
needs_torch = pytest.mark.skipif(not available("torch"), reason="torch is not installed")


@pytest.fixture
def fresh_corpus(monkeypatch):
    """Corpus functions call module-level traced helpers: give them fresh copies, so the
    corpus tests of test_convert_corpus_*.py see the helpers' caches as they left them."""
    for module in (branches, calls, logic, loops, python_values, helpers):
        for name, value in list(vars(module).items()):
            if isinstance(value, TracedFunction):
                monkeypatch.setattr(module, name, at.trace(value.python_function))


@pytest.mark.parametrize("case", CORPUS, ids=lambda c: c.id)
@pytest.mark.parametrize("backend", PARAMS)
def test_corpus_on_backend(backend, case, fresh_corpus):
    assert run_case(case, backend) in ("pass", "refused")


@pytest.mark.parametrize("item", ALL_CASES, ids=_case_id)
@pytest.mark.parametrize("backend", PARAMS)
def test_op_on_backend(backend, item):
    _, _, case, shapes = item
    for dtype in (np.float64, np.float32):
        args = case.inputs(shapes, dtype)
        assert run_traced(at.trace(case.fn), args, backend) in ("pass", "refused")


@pytest.mark.parametrize("item", ALL_CASES, ids=_case_id)
@pytest.mark.parametrize("backend", PARAMS)
def test_gradient_on_backend(backend, item):
    _, _, case, shapes = item
    args = case.inputs(shapes, np.float64)
    assert run_traced(_gradient_of(case.fn, len(args)), args, backend) in ("pass", "refused")


def _collatz(n):
    steps = n * 0
    while n > 1:
        n = np.where(n % 2 == 0, n // 2, 3 * n + 1)
        steps = steps + 1
    return steps


def _newton(x, a):
    i = 0
    while i < 20:
        x = x - (x * x - a) / (2 * x)
        i += 1
    if x.sum() > 10:
        return x * 2
    return x


@pytest.mark.parametrize("backend", PARAMS)
def test_backend_inputs_outputs_and_loops(backend):
    """Inputs of the backend's type and numpy inputs alike; results stay on the backend;
    a data-dependent `while` runs its trip count per input."""
    b = get_backend(backend)
    f = at.trace(_collatz, backend=backend)
    for n in (1, 6, 27):
        for arg in (np.int64(n), b.move(np.int64(n))):
            out = f(arg)
            assert b.is_array(out)
            assert to_numpy(b, out) == _collatz(n) and to_numpy(b, out).dtype == np.int64
    assert f.trace_count == 1
    a = np.array([2.0, 9.0, 30.0])
    g = at.trace(_newton, backend=backend)
    np.testing.assert_allclose(b.to_numpy(g(np.ones(3), a)), _newton(np.ones(3), a))
    small = np.array([1.0, 2.0])
    np.testing.assert_allclose(b.to_numpy(g(b.move(np.ones(2)), b.move(small))),
                               _newton(np.ones(2), small))


@pytest.mark.parametrize("backend", PARAMS)
def test_gradient_function_on_backend(backend):
    b = get_backend(backend)

    def loss(w, x):
        return np.tanh(x @ w).sum() if x.sum() > 0 else (x @ w).sum() ** 2

    w, x = np.array([0.5, -1.0]), np.array([[1.0, 2.0], [3.0, 0.5]])
    cf = at.grad(loss).get_concrete_function(w, x)
    on = cf.to(backend)
    for xv in (x, -x):
        np.testing.assert_allclose(b.to_numpy(on(w, xv)), at.grad(loss)(w, xv), rtol=1e-12)


def _grad_of_while(x):
    def f(x):
        while x.sum() < 10:
            x = x * 2
        return x.sum()

    return at.grad(f)(x)


@needs_dask
def test_missing_op_is_refused_when_the_code_is_generated():
    cf = at.trace(_grad_of_while).get_concrete_function(np.ones(2))
    with pytest.raises(BackendError) as info:
        cf.to("dask")
    assert str(info.value).startswith(
        "op `loop_history` is not available on the dask backend (at ")
    assert "test_backends.py" in str(info.value)
    assert str(info.value).endswith("run this function on numpy (the default backend)")


def test_numpy_backend_is_the_default_code():
    f = at.trace(_newton, backend="numpy")
    assert type(f) is at.trace(_newton).__class__
    cf = f.get_concrete_function(np.ones(3), np.ones(3))
    assert cf.to("numpy") is cf
    assert "_cast(" not in cf.source


def test_unknown_backend():
    with pytest.raises(ValueError, match="unknown backend 'jax'; expected one of numpy, "
                                         "dask, torch, cupy"):
        at.trace(_newton, backend="jax")


@pytest.mark.skipif(available("torch"), reason="torch is installed")
def test_absent_package_names_the_extra():
    with pytest.raises(ImportError, match=r"backend 'torch' needs the `torch` and "
                                          r"`array-api-compat` packages \(pip install "
                                          r"'autotrace\[torch\]'\)"):
        at.trace(_newton, backend="torch")


@needs_dask
def test_dask_chunks_and_laziness():
    import dask.array as da

    cf = at.trace(lambda x: np.sin(x) * 2 + x.sum()).get_concrete_function(np.ones(8))
    on = cf.to("dask", chunks=2)
    out = on(np.arange(8.0))
    assert isinstance(out, da.Array) and out.chunks == ((2, 2, 2, 2),)
    np.testing.assert_allclose(out.compute(), np.sin(np.arange(8.0)) * 2 + 28)
    assert cf.to("dask", chunks=2) is on  # generated once per backend


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                       host="127.0.0.1", protocol="tcp://",
                                       dashboard_address=None)
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@needs_dask
def test_dask_on_a_local_cluster(dask_client):
    """Results are computed by the cluster's worker; control flow on Dask values
    computes the predicate there too (once per trip)."""
    assert dask_client.scheduler_info()["workers"]
    f = at.trace(_newton, backend="dask")
    a = np.array([2.0, 9.0, 30.0])
    future = dask_client.compute(f(np.ones(3), a))
    np.testing.assert_allclose(future.result(), _newton(np.ones(3), a))
    g = at.trace(_collatz, backend="dask")
    assert g(np.int64(6)).compute() == 8


@needs_dask
@pytest.mark.parametrize("case", loops.CORPUS.cases[:12], ids=lambda c: c.id)
def test_loop_corpus_on_a_local_cluster(dask_client, case, fresh_corpus):
    assert run_case(case, "dask") in ("pass", "refused")


@needs_torch
def test_torch_tensors_in_and_out():
    import torch

    f = at.trace(_newton, backend="torch")
    out = f(torch.ones(3, dtype=torch.float64), torch.tensor([2.0, 9.0, 30.0],
                                                             dtype=torch.float64))
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float64
    np.testing.assert_allclose(out.cpu().numpy(), _newton(np.ones(3), np.array([2., 9., 30.])))


def _backward_slices(x):
    return x[::-1, 1::-2] * 2 + x[-1:0:-1, ::-3].sum() + x[2:2:-1, :].sum()


@needs_torch
@pytest.mark.parametrize("shape", [(4, 5), (3, 1), (1, 6)])
def test_torch_slices_stepping_backwards(shape):
    """torch slices only step forwards: a flipped axis and the mirrored slice stand in,
    values and gradients as numpy's."""
    x = np.arange(float(np.prod(shape))).reshape(shape)
    assert run_traced(at.trace(_backward_slices), (x,), "torch") == "pass"
    assert run_traced(at.grad(lambda x: (_backward_slices(x) ** 2).sum()), (x,),
                      "torch") == "pass"


@needs_torch
def test_torch_refuses_a_dtype_it_lacks():
    cf = at.trace(lambda x: x.astype(np.longdouble) * 2).get_concrete_function(np.ones(3))
    with pytest.raises(BackendError, match=r"op `cast` with dtype float128 is not available "
                                           r"on the torch backend"):
        cf.to("torch")


@needs_torch
def test_torch_per_element_repeats():
    x = np.array([1.0, 2.0, 3.0])
    assert run_traced(at.trace(lambda x: np.repeat(x, [2, 0, 3])), (x,), "torch") == "pass"
