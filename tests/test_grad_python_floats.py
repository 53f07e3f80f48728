"""Python floats are differentiable (issue 8, item 6), as in JAX: a Python float at a
differentiated position is a graph input (`f64[]`, a Python float at run time), so one
trace serves every value and its gradient comes back as a Python float; Python numbers at
other positions stay constants of the trace (part of its signature)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autotrace as at

FLOATS = st.floats(-3.0, 3.0, allow_nan=False, allow_infinity=False)


def poly(x):
    return x ** 3 - 2.0 * x


def dpoly(x):
    return 3 * x ** 2 - 2.0


def mixed(x, w):
    return (np.sin(x) * w).sum()


@settings(max_examples=25, deadline=None)
@given(FLOATS)
def test_grad_of_a_python_float_is_a_python_float(v):
    g = at.grad(poly)
    assert type(g(v)) is float
    assert g(v) == pytest.approx(dpoly(v), rel=1e-12, abs=1e-12)


def test_one_trace_serves_every_float_value():
    g = at.grad(lambda x: x ** 2)
    assert g(3.0) == 6.0
    assert [g(v) for v in (1.5, -2.0, 0.0, 1e300)] == [3.0, -4.0, 0.0, 2e300]
    assert g.trace_count == 1
    assert str(g.get_concrete_function(7.0).graph).splitlines()[0] == \
        "graph grad_lambda(x: float) -> float"


def test_value_and_grad_hessian_and_higher_order():
    value, slope = at.value_and_grad(poly)(2.0)
    assert (value, slope) == (poly(2.0), dpoly(2.0))
    assert type(value) is float and type(slope) is float
    assert at.grad(at.grad(poly))(2.0) == 12.0
    h = at.hessian(poly)
    assert h(2.0) == 12.0 and type(h(2.0)) is float
    assert h(-1.0) == -6.0 and h.trace_count == 1


def test_jacobian_of_a_python_float():
    jac = at.jacobian(lambda x: np.array([1.0, 2.0]) * x ** 2)
    out = jac(3.0)
    np.testing.assert_array_equal(out, [6.0, 12.0])
    assert out.dtype == np.float64 and out.shape == (2,)
    scalar = at.jacobian(poly)(2.0)
    assert scalar == dpoly(2.0) and type(scalar) is float


def test_argnums_mixing_arrays_and_floats():
    w = np.array([1.0, -2.0, 0.5])
    g = at.grad(mixed, argnums=(0, 1))
    for x in (0.3, 1.1):
        dx, dw = g(x, w)
        assert type(dx) is float and dx == pytest.approx(math.cos(x) * w.sum(), rel=1e-12)
        np.testing.assert_allclose(dw, np.full(3, math.sin(x)), rtol=1e-12)
    assert g.trace_count == 1
    # argnums picks a float among other floats; the float left out stays a constant
    two = at.grad(lambda a, b: a * b ** 2, argnums=1)
    assert two(3.0, 2.0) == 12.0 and two(3.0, 5.0) == 30.0
    assert two.trace_count == 1
    assert two(4.0, 2.0) == 16.0 and two.trace_count == 2  # a new constant: a new trace


def test_nested_floats_and_keyword_passing():
    g = at.grad(lambda p: p[0] * p[1] ** 2)
    assert g((2.0, 3.0)) == (9.0, 12.0)
    assert all(type(d) is float for d in g((2.0, 3.0)))
    assert at.grad(poly)(x=2.0) == dpoly(2.0)


def test_a_python_float_keeps_weak_promotion():
    """`x * w` with a Python float x and a float32 w is float32 in numpy: so in the trace."""
    w = np.array([1.0, 2.0], np.float32)
    value, (dx, dw) = at.value_and_grad(lambda x, w: (x * w).sum(), argnums=(0, 1))(2.0, w)
    plain = (2.0 * w).sum()
    assert value == plain and type(value) is type(plain) is np.float32
    assert dw.dtype == np.float32 and dx == 3.0 and type(dx) is float


def test_numpy_scalars_and_python_floats_get_separate_traces():
    g = at.grad(lambda x: x * 2.0)
    assert type(g(np.float64(1.0))) is np.float64
    assert type(g(1.0)) is float
    assert g.trace_count == 2
    cf = g.get_concrete_function(1.0)
    assert cf(5.0) == 2.0
    with pytest.raises(TypeError, match=r"argument `x` is f64\[\], but this concrete function "
                                        "takes a Python float"):
        cf(np.float64(5.0))


def test_non_differentiated_python_numbers_stay_constants():
    g = at.grad(lambda x, k: (x ** k).sum())
    x = np.array([1.0, 2.0])
    np.testing.assert_array_equal(g(x, 3), 3 * x ** 2)
    np.testing.assert_array_equal(g(x, 2.0), 2 * x)
    assert g.trace_count == 2
    assert "2.0" in str(g.get_concrete_function(x, 2.0).graph)


@pytest.mark.parametrize("value, kind", [(3, "int"), (True, "bool"), (1j, "complex")])
def test_python_ints_at_differentiated_positions_are_refused(value, kind):
    with pytest.raises(TypeError, match=(
            rf"^grad\(poly\): argument 0 is a Python {kind} \({value!r}\); gradients need "
            r"real float inputs: pass a Python float or a float array, or leave it out of "
            r"argnums.$")):
        at.grad(poly)(value)


def test_check_grads_with_python_floats():
    at.check_grads(mixed, (0.7, np.array([1.0, 2.0])), order=2)
    at.check_grads(poly, (1.3,), order=2)
    wrong = at.custom_gradient(lambda x: (x * x, lambda g: g * 3.0))
    with pytest.raises(AssertionError, match="gradient check failed"):
        at.check_grads(wrong, (0.7,))


def test_transforms_of_constants_inside_a_trace():
    """A transform called in traced code on literal values differentiates them (before,
    their gradient was silently zero)."""
    def uses_grads(x):
        return at.grad(poly)(2.0) * x + at.grad(lambda w: (w ** 2).sum())(np.array([1.0, 3.0]))

    traced = at.trace(uses_grads)
    x = np.array([1.0, -1.0])
    np.testing.assert_array_equal(traced(x), dpoly(2.0) * x + np.array([2.0, 6.0]))
    outer = at.trace(at.grad(poly))  # at.trace keys the float by value; the grad lifts it
    assert outer(2.0) == dpoly(2.0) and outer(-1.0) == dpoly(-1.0)
    assert type(outer(2.0)) is float


def piecewise(x):
    if x > 0:
        return x * x
    return -3.0 * x


def halvings(x):
    while x > 1.0:
        x = x / 2.0
    return x


def test_control_flow_on_a_differentiated_python_float_is_graph_control_flow():
    g = at.grad(piecewise)
    assert (g(2.0), g(-1.0)) == (4.0, -3.0)
    assert g.trace_count == 1  # one graph, both branches
    h = at.value_and_grad(halvings)
    for x in (0.5, 3.0, 10.0):
        value, slope = h(x)
        assert value == halvings(x) and type(value) is float
        assert slope == halvings(x) / x
    assert h.trace_count == 1
