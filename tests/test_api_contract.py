"""The public API exactly as ../shared/ARCHITECTURE.md writes it (its example, as a test)."""

import numpy as np

import autotrace as at


@at.trace
def f(a, b):
    c = a + b
    d = b + 1
    return c * d


def g(x):
    return (x ** 3).sum()


def test_trace_call_code_concrete_functions():
    out = f(np.array([2.]), np.array([1.]))
    assert isinstance(out, np.ndarray) and out.dtype == np.float64
    np.testing.assert_array_equal(out, [6.])
    assert isinstance(f.code, str) and "at__.add(a, b)" in f.code
    assert "def f(a, b)" in at.to_code(f.python_function)
    cf = f.get_concrete_function(np.array([2.]), np.array([1.]))
    assert str(cf.graph).startswith("graph f(a: f64[1], b: f64[1]) -> f64[1]")
    np.testing.assert_array_equal(cf(np.array([5.]), np.array([0.])), [5.])
    assert cf is f.get_concrete_function(at.TensorSpec((1,), np.float64),
                                         at.TensorSpec((1,), np.float64))
    assert f.trace_count == 1
    traced = at.trace(input_signature=[at.TensorSpec((None, 3), np.float32)],
                      reduce_retracing=True)(lambda x: x * 2)
    assert traced(np.ones((4, 3), np.float32)).dtype == np.float32


def test_transforms():
    a, b = np.array([2.]), np.array([1.])
    ef = lambda a, b: f(a, b).sum()  # noqa: E731 - grad needs a scalar output
    np.testing.assert_array_equal(at.grad(ef, argnums=0)(a, b), [2.])
    value, (da, db) = at.value_and_grad(ef, argnums=(0, 1))(a, b)
    assert value == 6.0 and da == 2.0 and db == 5.0
    np.testing.assert_array_equal(at.jacobian(f, argnums=0)(a, b), [[2.]])
    np.testing.assert_allclose(at.hessian(g)(np.array([1., 2.])), np.diag([6., 12.]))
    np.testing.assert_allclose(at.grad(at.grad(g))(np.array(2.)), 12.)


def test_variables_and_tapes():
    a, b = at.Variable([2.]), at.Variable([1.])
    with at.GradientTape(persistent=True) as tape:
        e = f(a, b)
    np.testing.assert_array_equal(tape.gradient(e, a), [2.])
    np.testing.assert_array_equal(tape.gradient(e, [a, b]), [[2.], [5.]])
    x = np.array([3.])
    with at.GradientTape() as tape:
        tape.watch(at.EagerTensor(x))
        c = at.Variable(x) * 2
        y = c * c
    np.testing.assert_array_equal(tape.gradient(y, c), [12.])


def test_explicit_forms_and_helpers():
    x = np.array([3.])
    assert at.cond(x > 0, lambda: x, lambda: -x) is x
    i, s = at.while_loop(lambda i, s: i < 3, lambda i, s: (i + 1, s + x), (0, 0.0))
    assert i == 3 and s == 9.0
    np.testing.assert_array_equal(at.grad(lambda y: (y * at.stop_gradient(y)).sum())(x), x)

    @at.custom_gradient
    def doubled(y):
        return y * 2, lambda dy: dy * 10

    np.testing.assert_array_equal(at.grad(lambda y: doubled(y).sum())(x), [10.])
    at.check_grads(g, (np.array([0.5, 1.5]),), order=2)
    assert at.sin is not None and at.matmul is not None
