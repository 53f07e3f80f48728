"""Buffer reuse (`compile/buffers.py`): elementwise results go into dead ufunc temporaries
of the same shape and dtype, never into inputs, outputs or anything a view shares; the
whole control-flow corpus gives the same values and gradients with and without it."""

import copy
import warnings

import numpy as np
import pytest
from corpus import branches, calls, logic, loops, python_values

import autotrace as at
from autotrace.compile import buffers
from autotrace.compile.codegen import compile_graph

BIG = 1 << 14  # float64 elements: exactly buffers.MIN_BYTES


def w4(x):
    return np.sum(np.tanh(x) * x + np.exp(-x * x))


def _source(traced, *specs) -> str:
    return compile_graph(traced.get_concrete_function(*specs).graph, check=False).source


def test_gradient_writes_into_dead_temporaries():
    spec = at.TensorSpec((BIG,), np.float64)
    assert _source(at.grad(w4), spec) == """\
def grad_w4(x):
    v0 = _tanh(x)
    v1 = -x
    v2 = v1 * x
    v3 = _exp(v2, out=v2)
    del v2
    v4 = _sub(v1, x, out=v1)
    del v1
    dx = _mul(v3, v4, out=v3)
    del v3, v4
    dx_1 = _add(dx, v0, out=dx)
    del dx
    v5 = _mul(v0, v0, out=v0)
    del v0
    v6 = _sub(1, v5, out=v5)
    del v5
    v7 = _mul(x, v6, out=v6)
    del v6
    dx_2 = _add(dx_1, v7, out=dx_1)
    return (dx_2,)
"""  # d(-x * x) = e * (-x - x): the common factor e taken out (compile/factoring.py)
    x = np.linspace(-2, 2, BIG)
    t = np.tanh(x)
    want = (1 - t * t) * x + t - 2 * x * np.exp(-x * x)
    np.testing.assert_allclose(at.grad(w4)(x), want, rtol=1e-13, atol=1e-15)


def test_small_arrays_and_unknown_shapes_get_fresh_results():
    for spec in (at.TensorSpec((BIG - 1,), np.float64), at.TensorSpec((None,), np.float64)):
        assert "out=" not in _source(at.grad(w4), spec)


def test_switched_off_the_code_is_unchanged(monkeypatch):
    monkeypatch.setattr(buffers, "ENABLED", False)
    assert "out=" not in _source(at.grad(w4), at.TensorSpec((BIG,), np.float64))


def test_dtype_or_shape_mismatch_is_not_reused():
    def widen(x, y):
        t = x * 2.0  # float32 (BIG,), dies at the next line
        return t + y  # float64: a float32 buffer cannot hold it

    def grow(x, y):
        t = x * 2.0  # (BIG,), dies at the next line
        return t + y  # (2, BIG)

    f32 = at.TensorSpec((BIG,), np.float32)
    assert "out=" not in _source(at.trace(widen), f32, at.TensorSpec((BIG,), np.float64))
    assert "out=" not in _source(at.trace(grow), at.TensorSpec((BIG,), np.float64),
                                 at.TensorSpec((2, BIG), np.float64))


# -- never a buffer that someone else can see ------------------------------------------------
def viewed(x):
    t = x * 2.0
    v = t.reshape(2, -1)  # a view of t's buffer
    w = t[::2]  # a slice of it too
    s = np.transpose(v)
    u = t + 1.0  # t's last use: writing u into t would change v, w and s
    return v, u, w, s


def consumed(x):
    t = x + 1.0
    u = t * 3.0  # t dies here, but it is returned too
    return t, u


def input_dies(x):
    return x * 2.0 + 1.0  # x dies at the first line: the caller's array is not a buffer


@pytest.mark.parametrize("fn", [viewed, consumed, input_dies])
def test_views_inputs_and_outputs_are_never_written(fn, monkeypatch):
    monkeypatch.setattr(buffers, "MIN_BYTES", 0)
    x = np.linspace(-1.0, 1.0, 8)
    before = x.copy()
    got, want = at.trace(fn)(x), fn(x.copy())
    np.testing.assert_array_equal(x, before)
    for g, w in zip(_leaves(got), _leaves(want)):
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_array_equal(g, w)


def test_aliasing_test_would_catch_a_reused_view(monkeypatch):
    """The `viewed` case is a real trap: with the reader check removed, it goes wrong."""
    monkeypatch.setattr(buffers, "MIN_BYTES", 0)
    monkeypatch.setattr(buffers, "_readers_elementwise", lambda graph: _all_true())
    x = np.linspace(-1.0, 1.0, 8)
    v, u, w, s = at.trace(viewed)(x)
    assert not np.array_equal(v, viewed(x)[0])


class _all_true(dict):
    def get(self, key, default=None):
        return True


# -- the control-flow corpus with and without the pass -------------------------------------------
CASES = [c for m in (branches, loops, calls, logic, python_values) for c in m.CORPUS.cases]


def _loss_of(fn):
    def loss(*args):
        return np.sum(fn(*args))

    return loss


def _outcomes(case, enabled: bool, monkeypatch) -> tuple[list, int]:
    """Per input: forward result and gradient (or the exception's type); and how many of
    the compiled functions wrote into a dead buffer."""
    monkeypatch.setattr(buffers, "ENABLED", enabled)
    monkeypatch.setattr(buffers, "MIN_BYTES", 0)  # the corpus's arrays are small
    forward = at.trace(case.fn)
    argnums = tuple(i for i, a in enumerate(case.inputs[0])
                    if isinstance(a, np.ndarray) and a.dtype.kind == "f")
    gradient = at.grad(_loss_of(case.fn), argnums=argnums) if argnums else None
    out, reused = [], 0
    for args in case.inputs:
        for fn in (forward, gradient):
            if fn is None:
                continue
            try:
                with np.errstate(all="ignore"), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    out.append(fn(*copy.deepcopy(args)))
                    cf = fn.get_concrete_function(*copy.deepcopy(args))
                    reused += "out=" in cf._call.source
            except Exception as e:  # the same failure with and without the pass
                out.append(type(e))
    return out, reused


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_corpus_is_the_same_with_and_without_buffer_reuse(case, monkeypatch):
    on, _ = _outcomes(case, True, monkeypatch)
    off, _ = _outcomes(case, False, monkeypatch)
    assert len(on) == len(off)
    for value_on, value_off in zip(on, off):
        if isinstance(value_off, type):
            assert value_on is value_off
            continue
        for got, want in zip(_leaves(value_on), _leaves(value_off)):
            assert type(got) is type(want)
            if isinstance(want, (np.ndarray, np.generic)):
                assert got.dtype == want.dtype and np.shape(got) == np.shape(want)
                np.testing.assert_array_equal(got, want)  # the same ops: bit for bit
            else:
                assert got == want or (got != got and want != want)


def test_buffer_reuse_fires_on_the_corpus(monkeypatch):
    reused = sum(_outcomes(case, True, monkeypatch)[1] for case in CASES)
    assert reused >= 10, "the equivalence test would compare no rewritten code"


def _leaves(x) -> list:
    if isinstance(x, (tuple, list)):
        return [leaf for item in x for leaf in _leaves(item)]
    if isinstance(x, dict):
        return [leaf for k in sorted(x, key=str) for leaf in _leaves(x[k])]
    return [x]
