"""`GradientTape`, TensorFlow's contract: eager (Variables, eager tensors), around calls of
traced functions (one `call` op, backward graph built once), inside traced functions
(gradients w.r.t. intermediates), persistence, unconnected sources, output gradients,
nested tapes, stop_recording, reset, watch, jacobian, captured Variables, stop_gradient
and custom_gradient. Expected values are closed forms computed with numpy.
"""

from __future__ import annotations

import numpy as np
import pytest

import autotrace as at
from autotrace.autodiff import graph_function


def seed(a, b):
    c = a + b
    d = b + 1
    e = c * d
    return e


@at.trace
def traced_seed(a, b):
    c = a + b
    d = b + 1
    e = c * d
    return e


# --- eager ---------------------------------------------------------------------------------
def test_eager_variables_are_watched():
    a, b = at.Variable([2.0]), at.Variable([1.0])
    with at.GradientTape(persistent=True) as tape:
        c = a + b
        e = c * (b + 1)
    assert isinstance(e, at.EagerTensor)
    np.testing.assert_array_equal(tape.gradient(e, a), [2.0])
    da, db = tape.gradient(e, [a, b])
    np.testing.assert_array_equal(da, [2.0])
    np.testing.assert_array_equal(db, [5.0])
    np.testing.assert_array_equal(tape.gradient(e, c), [2.0])  # c was computed inside
    assert isinstance(da, np.ndarray)


def test_eager_tensors_need_watch():
    x = at.EagerTensor(np.array([1.0, 2.0, 3.0]))
    with at.GradientTape(persistent=True) as tape:
        y = (np.sin(x) * x).sum()
    assert tape.gradient(y, x) is None
    with at.GradientTape() as tape:
        tape.watch(x)
        y = (np.sin(x) * x).sum()
    xv = x.numpy()
    np.testing.assert_allclose(tape.gradient(y, x), np.cos(xv) * xv + np.sin(xv))


def test_non_persistent_tape_gives_one_set_of_gradients():
    a = at.Variable([2.0])
    with at.GradientTape() as tape:
        y = a * a
    tape.gradient(y, a)
    with pytest.raises(RuntimeError, match="non-persistent GradientTape.*persistent=True"):
        tape.gradient(y, a)


def test_persistent_tape_gives_many():
    a = at.Variable([2.0])
    with at.GradientTape(persistent=True) as tape:
        y = a * a * a
    for _ in range(3):
        np.testing.assert_array_equal(tape.gradient(y, a), [12.0])


def test_unconnected_gradients():
    a, b = at.Variable([2.0]), at.Variable([[1.0, 2.0]])
    with at.GradientTape(persistent=True) as tape:
        y = a * 3
    assert tape.gradient(y, b) is None
    assert tape.gradient(y, [a, b], unconnected_gradients="none")[1] is None
    zero = tape.gradient(y, b, unconnected_gradients="zero")
    np.testing.assert_array_equal(zero, np.zeros((1, 2)))
    with pytest.raises(ValueError, match="unconnected_gradients must be one of"):
        tape.gradient(y, a, unconnected_gradients="zeros")


def test_integer_variables_have_no_gradient():
    i, w = at.Variable([1, 2]), at.Variable([0.5, 1.5])
    with at.GradientTape() as tape:
        y = (i * w).sum()
    gi, gw = tape.gradient(y, [i, w])
    assert gi is None
    np.testing.assert_array_equal(gw, [1.0, 2.0])


def test_output_gradients_weight_the_targets():
    a = at.Variable([1.0, 2.0])
    with at.GradientTape(persistent=True) as tape:
        y = a * a
        z = a * 3
    weights = np.array([10.0, 100.0])
    np.testing.assert_array_equal(tape.gradient(y, a, output_gradients=weights),
                                  2 * a.numpy() * weights)
    both = tape.gradient([y, z], a, output_gradients=[weights, np.ones(2)])
    np.testing.assert_array_equal(both, 2 * a.numpy() * weights + 3)
    with pytest.raises(ValueError, match="output_gradients has 1 entries for 2 targets"):
        tape.gradient([y, z], a, output_gradients=[weights])


def test_nested_tapes_give_higher_derivatives():
    x = at.Variable(3.0)
    with at.GradientTape() as outer:
        with at.GradientTape() as inner:
            y = x * x * x
        dy = inner.gradient(y, x)
    d2y = outer.gradient(dy, x)
    np.testing.assert_allclose(float(dy), 27.0)
    np.testing.assert_allclose(d2y, 18.0)


def test_stop_recording():
    a = at.Variable([2.0])
    with at.GradientTape(persistent=True) as tape:
        y = a * 2
        with tape.stop_recording():
            z = a * 5
        w = y + z
    np.testing.assert_array_equal(tape.gradient(w, a), [2.0])
    assert tape.gradient(z, a) is None


def test_reset_forgets_the_recording():
    a = at.Variable([2.0])
    with at.GradientTape() as tape:
        y = a * 2
        tape.reset()
        y2 = a * 7
    np.testing.assert_array_equal(tape.gradient(y2, a), [7.0])
    with at.GradientTape(persistent=True) as tape:
        y = a * 2
    tape.reset()
    assert tape.gradient(y, a) is None


def test_watch_nested_structures():
    x1, x2 = at.EagerTensor(np.array(1.5)), at.EagerTensor(np.array([2.0, 3.0]))
    with at.GradientTape() as tape:
        tape.watch({"p": x1, "q": [x2]})
        y = (x1 * x2).sum()
    g = tape.gradient(y, {"p": x1, "q": [x2]})
    assert set(g) == {"p", "q"} and isinstance(g["q"], list)
    np.testing.assert_allclose(g["p"], 5.0)
    np.testing.assert_allclose(g["q"][0], [1.5, 1.5])


def test_watch_accessed_variables_false():
    a, b = at.Variable([2.0]), at.Variable([3.0])
    with at.GradientTape(persistent=True, watch_accessed_variables=False) as tape:
        tape.watch(b)
        y = a * b
    ga, gb = tape.gradient(y, [a, b])
    assert ga is None  # read, but never watched
    np.testing.assert_array_equal(gb, [2.0])
    assert tape.watched_variables() == (b,)


def test_tape_jacobian():
    x = at.Variable([1.0, 2.0, 3.0])
    with at.GradientTape() as tape:
        y = x[:2] * x[1:]
    xv = x.numpy()
    want = np.array([[xv[1], xv[0], 0], [0, xv[2], xv[1]]])
    np.testing.assert_array_equal(tape.jacobian(y, x), want)


# --- around traced functions ---------------------------------------------------------------
def test_traced_call_records_one_call_op_with_a_cached_backward(monkeypatch):
    built = []
    original = graph_function.BackwardFunction.__init__

    def counting_init(self, forward):
        built.append(forward)
        original(self, forward)

    monkeypatch.setattr(graph_function.BackwardFunction, "__init__", counting_init)
    f = at.trace(seed)
    a, b = at.Variable([2.0]), at.Variable([1.0])
    for _ in range(3):
        with at.GradientTape() as tape:
            e = f(a, b)
        assert [entry.op.name for entry in tape._entries] == ["call"]
        da, db = tape.gradient(e, [a, b])
        np.testing.assert_array_equal(da, [2.0])
        np.testing.assert_array_equal(db, [5.0])
    cf = f.get_concrete_function(a, b)
    assert len(built) == 1 and built[0] is cf and cf.backward() is cf.backward()
    assert f.trace_count == 1


def test_traced_call_on_eager_tensors():
    x = at.EagerTensor(np.array([1.0, 2.0]))
    with at.GradientTape() as tape:
        tape.watch(x)
        y = traced_seed(x, x)  # 2x^2 + 2x
    np.testing.assert_array_equal(tape.gradient(y, x), 4 * x.numpy() + 2)


def test_nested_tapes_around_a_traced_call_with_a_while_loop():
    @at.trace
    def newton(x):
        y = x
        while np.abs(y * y - x) > 1e-12:
            y = 0.5 * (y + x / y)
        return y

    for x0 in (2.0, 50.0):
        x = at.Variable(x0)
        with at.GradientTape() as outer:
            with at.GradientTape() as inner:
                y = newton(x)
            dy = inner.gradient(y, x)
        np.testing.assert_allclose(float(dy), 0.5 * x0 ** -0.5)
        np.testing.assert_allclose(outer.gradient(dy, x), -0.25 * x0 ** -1.5)
    assert newton.trace_count == 1


W = at.Variable([3.0, 4.0])


@at.trace
def uses_global(x):
    return (W * x * x).sum()


def test_variables_captured_from_globals():
    x = np.array([1.0, 2.0])
    for value in ([3.0, 4.0], [5.0, -6.0]):
        W.assign(value)
        with at.GradientTape() as tape:
            loss = uses_global(x)
        np.testing.assert_allclose(float(loss), (np.array(value) * x * x).sum())
        np.testing.assert_array_equal(tape.gradient(loss, W), x * x)
    assert uses_global.trace_count == 1


# --- inside traced functions ---------------------------------------------------------------
@at.trace
def seed_inside(a, b, get_grads):
    with at.GradientTape(persistent=True) as tape:
        c = a + b
        d = b + 1
        e = c * d
    if get_grads == False:  # noqa: E712 - the seed notebook's spelling
        return {"out": e}
    return {"out": e, "d_dc": tape.gradient(e, c), "d_dd": tape.gradient(e, d),
            "d_de": tape.gradient(e, e), "d_ab": tape.gradient(e, [a, b])}


def test_the_seed_inside_and_outside():
    a, b = at.Variable([2.0]), at.Variable([1.0])
    np.testing.assert_array_equal(seed_inside(a, b, False)["out"], [6.0])
    with at.GradientTape() as tape:
        out = seed_inside(a, b, True)
    de_da, de_db = tape.gradient(out["out"], [a, b])
    np.testing.assert_array_equal(de_da, [2.0])
    np.testing.assert_array_equal(de_db, [5.0])
    for key, want in (("d_dc", 2.0), ("d_dd", 3.0), ("d_de", 1.0)):
        np.testing.assert_array_equal(out[key], [want])
    np.testing.assert_array_equal(out["d_ab"][0], [2.0])
    np.testing.assert_array_equal(out["d_ab"][1], [5.0])
    plain = seed_inside(np.array([2.0]), np.array([1.0]), True)  # arrays share the graph
    np.testing.assert_array_equal(plain["d_dd"], [3.0])
    assert seed_inside.trace_count == 2  # one per value of get_grads


def test_inside_trace_unconnected_output_gradients_and_jacobian():
    @at.trace
    def inside(x, y):
        with at.GradientTape(persistent=True) as tape:
            tape.watch([x, y])
            z = x * x
        return (tape.gradient(z, y), tape.gradient(z, y, unconnected_gradients="zero"),
                tape.gradient(z, x, output_gradients=np.array([1.0, 10.0])),
                tape.jacobian(z, x))

    x, y = np.array([1.0, 2.0]), np.array([5.0, 6.0, 7.0])
    none, zero, weighted, jac = inside(x, y)
    assert none is None
    np.testing.assert_array_equal(zero, np.zeros(3))
    np.testing.assert_array_equal(weighted, 2 * x * [1.0, 10.0])
    np.testing.assert_array_equal(jac, np.diag(2 * x))


def test_nested_tapes_inside_a_trace():
    @at.trace
    def hessian_inside(x):
        with at.GradientTape() as outer:
            with at.GradientTape() as inner:
                y = (x ** 3).sum()
            g = inner.gradient(y, x)
        return g, outer.jacobian(g, x)

    x = np.array([1.0, 2.0])
    g, h = hessian_inside(x)
    np.testing.assert_array_equal(g, 3 * x ** 2)
    np.testing.assert_array_equal(h, np.diag(6 * x))


# --- stop_gradient and custom_gradient -----------------------------------------------------
def test_stop_gradient_eager_and_traced():
    a = at.Variable([3.0])
    with at.GradientTape() as tape:
        y = (a * at.stop_gradient(a)).sum()
    np.testing.assert_array_equal(tape.gradient(y, a), [3.0])
    g = at.grad(lambda x: (x * at.stop_gradient(x * x)).sum())(np.array([2.0]))
    np.testing.assert_array_equal(g, [4.0])


@at.custom_gradient
def clip_gradient(x):
    def grad_fn(g):
        return np.clip(g, -1.0, 1.0)

    return x * 1.0, grad_fn


@at.custom_gradient
def log1pexp(x):
    e = np.exp(x)

    def grad_fn(g):
        return g * (1 - 1 / (1 + e))

    return np.log(1 + e), grad_fn


def test_custom_gradient_eager():
    a = at.Variable([2.0, -3.0])
    with at.GradientTape() as tape:
        y = (clip_gradient(a) * np.array([10.0, 0.5])).sum()
    np.testing.assert_array_equal(tape.gradient(y, a), [1.0, 0.5])


def test_custom_gradient_traced_and_through_grad():
    @at.trace
    def loss(x):
        return (clip_gradient(x) * 10).sum()

    a = at.Variable([2.0])
    with at.GradientTape() as tape:
        y = loss(a)
    np.testing.assert_array_equal(tape.gradient(y, a), [1.0])
    np.testing.assert_array_equal(at.grad(loss)(np.array([2.0])), [1.0])
    x = np.array([0.0, 50.0, 800.0])  # log(1 + e^x) overflows, the custom rule does not
    with np.errstate(over="ignore"):
        g = at.grad(lambda x: log1pexp(x).sum())(x)
    np.testing.assert_allclose(g, [0.5, 1.0, 1.0])


def test_call_with_an_output_that_gets_no_gradient():
    """The `call` VJP fills cotangents of unused outputs with zeros, eagerly and traced."""
    def two(x):
        return x * 2, x * x

    cf = at.trace(two).get_concrete_function(at.TensorSpec((2,), np.float64))

    def uses_second(x):
        return cf(x)[1].sum()

    x = np.array([1.0, 2.0])
    np.testing.assert_array_equal(at.grad(uses_second)(x), 2 * x)
    v = at.Variable(x)
    with at.GradientTape() as tape:
        y = uses_second(v)
    np.testing.assert_array_equal(tape.gradient(y, v), 2 * x)
