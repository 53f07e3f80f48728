"""`at.optimizers`: exact updates against the textbook formulas, the functional and the
Variable forms agreeing, use inside traced steps, convergence, and clip_by_global_norm."""

import math

import numpy as np
import pytest

import autotrace as at
from autotrace.optimizers import SGD, Adam, Momentum, clip_by_global_norm

GRADS = [np.array([0.5, -1.0]), np.array([0.25, 2.0]), np.array([-1.0, 0.0])]
P0 = np.array([1.0, 2.0])


def run(opt, grads=GRADS, p0=P0):
    """Parameters after each functional step."""
    params, state, out = p0, opt.init(p0), []
    for g in grads:
        params, state = opt.update(g, state, params)
        out.append(params)
    return out, state


def test_sgd_is_p_minus_lr_g():
    out, state = run(SGD(0.1))
    want = P0 - 0.1 * np.cumsum(GRADS, axis=0)
    np.testing.assert_allclose(out, want, rtol=0, atol=1e-15)
    assert state.count == 3 and state.count.dtype == np.int64


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_matches_the_formula(nesterov):
    out, state = run(Momentum(0.1, momentum=0.9, nesterov=nesterov))
    p, v = P0.copy(), np.zeros(2)
    for g, got in zip(GRADS, out):
        v = 0.9 * v + g
        p = p - 0.1 * (g + 0.9 * v if nesterov else v)
        np.testing.assert_allclose(got, p, rtol=0, atol=1e-15)
    np.testing.assert_allclose(state.velocity, v)


def test_adam_matches_the_formula_with_bias_correction():
    lr, b1, b2, eps = 0.01, 0.8, 0.95, 1e-6
    out, state = run(Adam(lr, b1=b1, b2=b2, eps=eps))
    for i in range(2):
        p, m, v = P0[i], 0.0, 0.0
        for t, (g, got) in enumerate(zip(GRADS, out), start=1):
            m = b1 * m + (1 - b1) * g[i]
            v = b2 * v + (1 - b2) * g[i] ** 2
            p = p - lr * (m / (1 - b1 ** t)) / (math.sqrt(v / (1 - b2 ** t)) + eps)
            assert got[i] == pytest.approx(p, abs=1e-15)
        assert state.mu[i] == pytest.approx(m) and state.nu[i] == pytest.approx(v)
    # The first step of Adam moves every coordinate by about lr (bias correction).
    first = P0 - out[0]
    np.testing.assert_allclose(np.abs(first), lr, rtol=1e-4)


@pytest.mark.parametrize("opt", [SGD(0.1), Momentum(0.1), Adam(0.1)], ids=repr)
def test_pytrees_and_dtypes_are_kept(opt):
    params = {"w": np.ones((2, 3), np.float32), "layers": [np.zeros(2, np.float32)],
              "b": np.float32(0.5)}
    grads = {"w": np.full((2, 3), 0.5, np.float32), "layers": [np.ones(2, np.float32)],
             "b": np.float32(-1.0)}
    state = opt.init(params)
    new, state = opt.update(grads, state, params)
    new, state = opt.update(grads, state, new)
    assert list(new) == ["w", "layers", "b"] and isinstance(new["layers"], list)
    for leaf in (new["w"], new["layers"][0], new["b"]):
        assert leaf.dtype == np.float32
    assert new["w"].shape == (2, 3) and np.all(new["w"] < 1.0) and new["b"] > 0.5


def test_none_gradient_leaves_the_parameter_alone():
    opt = Momentum(0.1)
    params = (np.array([1.0]), np.array([2.0]))
    new, state = opt.update((np.array([1.0]), None), opt.init(params), params)
    assert new[1] is params[1] and state.velocity[1] is not None
    np.testing.assert_array_equal(new[0], [0.9])


def test_structure_mismatch_is_an_error():
    opt = SGD(0.1)
    params = {"w": np.ones(2)}
    with pytest.raises(ValueError, match=r"^grads has structure .* but params have "):
        opt.update([np.ones(2)], opt.init(params), params)


def test_learning_rate_schedule_gets_the_step_number():
    seen = []

    def rate(count):
        seen.append(int(count))
        return 0.1 / int(count)

    out, _ = run(SGD(rate))
    assert seen == [1, 2, 3]
    np.testing.assert_allclose(out[-1], P0 - 0.1 * GRADS[0] - 0.05 * GRADS[1] - 0.1 / 3 *
                               GRADS[2])


@pytest.mark.parametrize("make", [lambda: SGD(0.1), lambda: Momentum(0.1, nesterov=True),
                                  lambda: Adam(0.01)], ids=["sgd", "momentum", "adam"])
def test_apply_gradients_on_variables_matches_the_functional_form(make):
    functional, _ = run(make())
    opt = make()
    v, a = at.Variable(P0), P0.copy()
    frozen = at.Variable([7.0])
    for g in GRADS:
        opt.apply_gradients([(g, v), (g, a), (None, frozen)])
    assert opt.iterations == 3
    np.testing.assert_allclose(v.numpy(), functional[-1], rtol=0, atol=1e-15)
    np.testing.assert_allclose(a, functional[-1], rtol=0, atol=1e-15)  # written in place
    np.testing.assert_array_equal(frozen.numpy(), [7.0])


def test_apply_gradients_with_a_tape():
    w = at.Variable([3.0, -2.0])
    opt = Adam(0.1)
    for _ in range(300):
        with at.GradientTape() as tape:
            loss = ((w - np.array([1.0, 1.0])) ** 2).sum()
        opt.apply_gradients(zip([tape.gradient(loss, w)], [w]))
    np.testing.assert_allclose(w.numpy(), [1.0, 1.0], atol=1e-2)


def quadratic(p):
    return ((p["x"] - np.array([3.0, -1.0])) ** 2).sum() + 2.0 * (p["y"] - 0.5) ** 2


@pytest.mark.parametrize("opt, steps", [(SGD(0.1), 100), (Momentum(0.05), 200),
                                        (Adam(0.1), 400)], ids=["sgd", "momentum", "adam"])
def test_converges_on_a_quadratic_inside_one_traced_step(opt, steps):
    @at.trace
    def train_step(params, state):
        grads = at.grad(quadratic)(params)
        return opt.update(grads, state, params)

    params = {"x": np.array([0.0, 0.0]), "y": np.float64(-2.0)}
    state = opt.init(params)
    for _ in range(steps):
        params, state = train_step(params, state)
    assert train_step.trace_count == 1
    assert int(state.count) == steps
    np.testing.assert_allclose(params["x"], [3.0, -1.0], atol=1e-3)
    assert params["y"] == pytest.approx(0.5, abs=1e-3)


def test_traced_step_matches_the_eager_step():
    opt = Adam(0.05)
    step = at.trace(lambda p, s, g: opt.update(g, s, p))
    p_eager = p_graph = P0
    s_eager = s_graph = opt.init(P0)
    for g in GRADS:
        p_eager, s_eager = opt.update(g, s_eager, p_eager)
        p_graph, s_graph = step(p_graph, s_graph, g)
    np.testing.assert_allclose(p_graph, p_eager, rtol=1e-15)
    np.testing.assert_allclose(s_graph.nu, s_eager.nu, rtol=1e-15)
    assert step.trace_count == 1


def logistic_loss(params, x, y):
    z = x @ params["w"] + params["b"]
    softplus = np.maximum(z, 0.0) + np.log(1.0 + np.exp(-np.abs(z)))  # log(1 + e^z)
    return (softplus - y * z).mean()


@pytest.mark.parametrize("opt", [SGD(0.5), Momentum(0.2), Adam(0.05)], ids=repr)
def test_logistic_regression_learns(opt):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, 2))
    y = (x @ np.array([2.0, -1.0]) + 0.5 > 0).astype(np.float64)
    params = {"w": np.zeros(2), "b": np.float64(0.0)}
    state = opt.init(params)
    step = at.value_and_grad(logistic_loss)
    first = None
    for _ in range(300):
        value, grads = step(params, x, y)
        first = value if first is None else first
        params, state = opt.update(grads, state, params)
    accuracy = ((x @ params["w"] + params["b"] > 0) == (y > 0)).mean()
    assert first == pytest.approx(math.log(2.0))
    assert value < 0.3 * first and accuracy > 0.95
    assert params["w"][0] > 0 > params["w"][1]


def test_clip_by_global_norm_scales_all_leaves_together():
    grads = {"a": np.array([3.0, 0.0]), "b": [np.array([[4.0]]), None]}
    clipped, norm = clip_by_global_norm(grads, 1.0)
    assert norm == pytest.approx(5.0)
    np.testing.assert_allclose(clipped["a"], [0.6, 0.0])
    np.testing.assert_allclose(clipped["b"][0], [[0.8]])
    assert clipped["b"][1] is None
    joint = math.sqrt((clipped["a"] ** 2).sum() + (clipped["b"][0] ** 2).sum())
    assert joint == pytest.approx(1.0)
    same, norm = clip_by_global_norm(grads, 10.0)  # under the limit: unchanged
    assert norm == pytest.approx(5.0)
    np.testing.assert_array_equal(same["a"], grads["a"])


def test_clip_by_global_norm_keeps_float32_and_traces():
    g = [np.array([6.0, 8.0], np.float32)]
    clipped, norm = clip_by_global_norm(g, 5.0)
    assert clipped[0].dtype == np.float32
    np.testing.assert_allclose(clipped[0], [3.0, 4.0], rtol=1e-6)
    traced = at.trace(lambda g: clip_by_global_norm(g, 5.0))
    for value in ([6.0, 8.0], [0.3, 0.4]):
        got, got_norm = traced([np.array(value, np.float32)])
        want, want_norm = clip_by_global_norm([np.array(value, np.float32)], 5.0)
        np.testing.assert_allclose(got[0], want[0], rtol=1e-6)
        assert got[0].dtype == np.float32 and got_norm == pytest.approx(want_norm)
    assert traced.trace_count == 1


def test_apply_gradients_inside_a_trace_is_refused():
    v = at.Variable([1.0])
    opt = SGD(0.1)

    @at.trace
    def step(g):
        opt.apply_gradients([(g, v)])
        return g

    with pytest.raises(RuntimeError, match=r"^apply_gradients\(\) updates Variables in place, "
                                           r"which a traced function cannot do"):
        step(np.array([1.0]))
    np.testing.assert_array_equal(v.numpy(), [1.0])
    assert opt.iterations == 0
