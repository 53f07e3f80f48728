"""Debugging switches: `at.config.run_eagerly` / AUTOTRACE_EAGER, trace logging /
AUTOTRACE_LOG, and `TracedFunction.concrete_functions`."""

import logging
import os
import pathlib
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import autotrace as at
from autotrace.retracing import retrace_cause

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def graph_mode():
    """Every test starts and ends with graphs on (the switch is process-wide)."""
    with at.config.run_eagerly(False):
        yield


calls = []


def noisy(x):
    calls.append(type(x))  # a Python side effect: once per trace, or once per eager call
    if x.sum() > 0:
        return np.sin(x) * x
    return x * 2.0


def loss(x):
    return (np.sin(x) * x).sum()


def dloss(x):
    return np.cos(x) * x + np.sin(x)


def run_py(code: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=120, env={**os.environ, **env}, cwd=ROOT)


# -- run_eagerly ---------------------------------------------------------------------------
def test_run_eagerly_calls_the_python_function_every_time():
    f = at.trace(noisy)
    calls.clear()
    at.config.run_eagerly(True)
    assert at.config.running_eagerly() is True
    pos, neg = np.array([1.0, 2.0]), np.array([-1.0, -2.0])
    np.testing.assert_array_equal(f(pos), noisy(pos))
    np.testing.assert_array_equal(f(neg), noisy(neg))
    f(pos)
    assert f.trace_count == 0
    assert calls == [np.ndarray] * 5  # three calls of f, two of the oracle
    at.config.run_eagerly(False)
    assert at.config.running_eagerly() is False
    calls.clear()
    f(pos), f(pos)
    assert f.trace_count == 1 and len(calls) == 1  # one trace, with a symbolic tensor
    assert calls[0] is not np.ndarray


def test_run_eagerly_as_context_manager_restores_the_previous_setting():
    f = at.trace(noisy)
    with at.config.run_eagerly(True):
        with at.config.run_eagerly(False):
            assert not at.config.running_eagerly()
            f(np.array([1.0]))
        assert at.config.running_eagerly()
        f(np.array([1.0, 2.0]))
    assert not at.config.running_eagerly()
    assert f.trace_count == 1


def test_run_eagerly_errors_are_plain_python_errors():
    @at.trace
    def bad(x):
        return x[5]

    with at.config.run_eagerly(True):
        with pytest.raises(IndexError, match="index 5 is out of bounds for axis 0 with size 2"):
            bad(np.array([1.0, 2.0]))
    assert bad.trace_count == 0


def test_run_eagerly_methods():
    class Model:
        def __init__(self):
            self.w = np.array([2.0, 3.0])

        @at.trace
        def __call__(self, x):
            return (self.w * x).sum()

    m = Model()
    with at.config.run_eagerly(True):
        assert m(np.array([1.0, 1.0])) == 5.0
    assert Model.__call__.trace_count == 0
    assert m(np.array([1.0, 1.0])) == 5.0
    assert Model.__call__.trace_count == 1


def test_get_concrete_function_still_traces_when_eager():
    f = at.trace(noisy)
    inner = at.trace(noisy)
    outer = at.trace(lambda x: inner(x) + 1.0)
    with at.config.run_eagerly(True):
        cf = f.get_concrete_function(at.TensorSpec((2,), np.float64))
        neg = np.array([-1.0, -3.0])
        np.testing.assert_array_equal(cf(neg), neg * 2.0)  # the graph took the other branch
        ocf = outer.get_concrete_function(np.array([1.0]))  # `inner` inlined, not eager
        np.testing.assert_array_equal(ocf(np.array([-1.0])), np.array([-1.0]))
    assert f.trace_count == 1 and inner.trace_count == 0


@pytest.mark.parametrize("x", [np.array([0.5, -1.5, 2.0]), np.array([[0.1, 0.2], [0.3, 0.4]])])
def test_grad_transforms_give_the_same_answers_when_eager(x):
    graph = at.grad(loss)(x), at.value_and_grad(loss)(x), at.jacobian(lambda t: np.sin(t))(x), \
        at.hessian(loss)(x)
    with at.config.run_eagerly(True):
        g = at.grad(loss)
        eager = g(x), at.value_and_grad(loss)(x), at.jacobian(lambda t: np.sin(t))(x), \
            at.hessian(loss)(x)
        assert g.trace_count == 0
    np.testing.assert_allclose(eager[0], dloss(x))
    np.testing.assert_allclose(graph[0], dloss(x))
    assert type(eager[0]) is np.ndarray and eager[0].dtype == x.dtype
    assert type(eager[1][0]) is type(graph[1][0]) and eager[1][0] == pytest.approx(loss(x))
    np.testing.assert_allclose(eager[1][1], dloss(x))
    np.testing.assert_allclose(eager[2], graph[2])
    np.testing.assert_allclose(eager[3], graph[3])
    assert eager[3].shape == x.shape + x.shape


def test_eager_grad_through_python_control_flow_on_values():
    f = at.trace(lambda x: noisy(x).sum())
    g = at.grad(f)
    pos, neg = np.array([1.0, 2.0]), np.array([-1.0, -2.0])
    with at.config.run_eagerly(True):
        np.testing.assert_allclose(g(pos), dloss(pos))
        np.testing.assert_allclose(g(neg), [2.0, 2.0])
        second = at.grad(at.grad(lambda t: np.sin(t).sum()))(np.float64(0.5))
    assert second == pytest.approx(-np.sin(0.5))
    assert f.trace_count == 0 and g.trace_count == 0


def test_eager_grad_argnums_and_has_aux():
    def f(a, b):
        return (a * b).sum(), a + b

    a, b = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    with at.config.run_eagerly(True):
        (da, db), aux = at.grad(f, argnums=(0, 1), has_aux=True)(a, b)
        with pytest.raises(TypeError, match="argument 1 is a Python float"):
            at.grad(lambda x, y: (x * y).sum(), argnums=1)(a, 2.0)
    np.testing.assert_array_equal(da, b)
    np.testing.assert_array_equal(db, a)
    np.testing.assert_array_equal(aux, a + b)


def test_eager_tape_around_traced_call_with_variables():
    f = at.trace(loss)
    x = at.Variable([0.5, 1.0])
    with at.config.run_eagerly(True):
        with at.GradientTape() as tape:
            y = f(x)
    np.testing.assert_allclose(tape.gradient(y, x), dloss(np.array([0.5, 1.0])))
    assert f.trace_count == 0


def test_autotrace_eager_environment_variable():
    done = run_py("""
        import numpy as np, autotrace as at
        from tests.test_config import noisy, loss, calls
        f = at.trace(noisy)
        f(np.array([1.0])); f(np.array([1.0]))
        print(at.config.running_eagerly(), f.trace_count, len(calls))
        print(at.grad(loss)(np.array([0.0, 1.0])))
    """, AUTOTRACE_EAGER="1")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "True 0 2"
    np.testing.assert_allclose(np.array(lines[1].strip("[]").split(), float),
                               dloss(np.array([0.0, 1.0])))


# -- logging ----------------------------------------------------------------------------
def test_traces_are_logged_with_their_cause(caplog):
    f = at.trace(noisy)
    caplog.set_level(logging.DEBUG, logger="autotrace")
    f(np.array([1.0, 2.0]))
    f(np.array([3.0, 4.0]))  # a cache hit: no record
    f(np.array([1.0, 2.0, 3.0]))
    f(np.array([1.0, 2.0], np.float32))
    records = [r for r in caplog.records if r.name == "autotrace"]
    assert [r.levelno for r in records] == [logging.DEBUG] * 3
    first, second, third = (r.getMessage() for r in records)
    assert first.startswith("traced noisy(x: f64[2]) in ")
    assert first.endswith(" ms, first trace")
    cause = retrace_cause(f, *f._trace_keys[:2])
    assert cause.startswith("Argument `x` changed from f64[2] to f64[3].")
    assert second.startswith("traced noisy(x: f64[3]) in ")
    assert second.endswith(f" ms, trace 2: {cause}")
    assert third.startswith("traced noisy(x: f32[2]) in ")
    assert "trace 3: Argument `x` changed from f64[3] to f32[2]." in third


def test_python_value_retrace_is_logged_with_the_advice(caplog):
    f = at.trace(lambda x, n: x * n)
    caplog.set_level(logging.DEBUG, logger="autotrace")
    f(np.array([1.0]), 2)
    f(np.array([1.0]), 3)
    last = caplog.records[-1].getMessage()
    assert "traced <lambda>(x: f64[1], n: 3) in " in last
    assert "trace 2: Argument `n` changed from 2 to 3. Python values are part of the " \
           "signature" in last


def test_no_records_when_logging_is_off(caplog):
    f = at.trace(noisy)
    caplog.set_level(logging.INFO, logger="autotrace")
    f(np.array([1.0]))
    assert [r for r in caplog.records if r.name == "autotrace"] == []


def test_autotrace_log_environment_variable():
    done = run_py("""
        import numpy as np, autotrace as at
        from tests.test_config import noisy
        f = at.trace(noisy)
        f(np.array([1.0])); f(np.array([2.0])); f(np.array([1.0, 2.0]))
        at.config.log_traces(False)
        f(np.array([1.0, 2.0, 3.0]))
    """, AUTOTRACE_LOG="1")
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 2, done.stderr
    assert lines[0].startswith("autotrace: traced noisy(x: f64[1]) in ")
    assert lines[0].endswith(" ms, first trace")
    assert lines[1].startswith("autotrace: traced noisy(x: f64[2]) in ")
    assert lines[1].endswith("trace 2: Argument `x` changed from f64[1] to f64[2]. Its shape "
                             "or dtype is part of the signature: use reduce_retracing=True or "
                             "an input_signature with None dims.")


# -- concrete_functions -----------------------------------------------------------------
def test_concrete_functions_lists_the_cached_signatures():
    f = at.trace(noisy)
    assert f.concrete_functions == []
    f(np.array([1.0])), f(np.array([2.0]))
    f(np.array([1.0, 2.0], np.float32))
    cfs = f.concrete_functions
    assert [repr(cf) for cf in cfs] == ["<ConcreteFunction noisy(f64[1])>",
                                        "<ConcreteFunction noisy(f32[2])>"]
    assert cfs[0] is f.get_concrete_function(np.array([5.0]))
    np.testing.assert_array_equal(cfs[1](np.array([-1.0, 1.0], np.float32)),
                                  noisy(np.array([-1.0, 1.0], np.float32)))


def test_concrete_functions_with_relaxed_shapes_lists_each_trace_once():
    f = at.trace(noisy, reduce_retracing=True)
    for n in (1, 2, 3, 4):
        f(np.ones(n))
    assert [repr(cf) for cf in f.concrete_functions] == ["<ConcreteFunction noisy(f64[1])>",
                                                         "<ConcreteFunction noisy(f64[?])>"]
