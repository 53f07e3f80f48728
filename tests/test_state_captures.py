"""Captured state is read live (issue 9, item 1): arrays reached through globals, closure
cells and attributes are graph inputs read on every call; captured Python values are
guarded (a change traces again, and the warning names them); dataclasses, NamedTuples and
registered types are pytrees. The plain function is the oracle, over several calls with
the state changing in between."""

from __future__ import annotations

import dataclasses
import logging
import warnings
from typing import NamedTuple

import captures_state_module as other
import numpy as np
import pytest

import autotrace as at

W = np.array([[1.0, 2.0], [3.0, 4.0]])
SCALE = 2.0
MODE = "double"
FLAG = True


def same(a, b):
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert np.asarray(a).dtype == np.asarray(b).dtype


# -- arrays: read live ------------------------------------------------------------------
def uses_global(x):
    return x @ W


def test_a_global_array_is_read_on_every_call():
    global W
    saved = W
    try:
        f = at.trace(uses_global)
        x = np.ones((3, 2))
        same(f(x), uses_global(x))
        W[0, 0] = 5.0  # in place
        same(f(x), uses_global(x))
        W = np.full((2, 2), -1.0)  # rebound, same signature
        same(f(x), uses_global(x))
        assert f.trace_count == 1 and len(f.concrete_functions) == 1
        W = np.ones((2, 3))  # a new shape traces again
        same(f(x), uses_global(x))
        assert f.trace_count == 2
    finally:
        W = saved
        W[0, 0] = 1.0


def test_the_graph_takes_the_capture_as_an_input():
    f = at.trace(uses_global)
    cf = f.get_concrete_function(np.ones((1, 2)))
    header = "graph uses_global(x: f64[1,2], W: f64[2,2]) -> f64[1,2]"
    assert str(cf.graph).splitlines()[0] == header
    assert [c.source.name for c in cf.captures] == ["W"]


def test_a_closure_array_is_read_through_its_cell():
    table = np.arange(3.0)

    def f(x):
        return x + table

    traced = at.trace(f)
    x = np.zeros(3)
    same(traced(x), f(x))
    table[1] = 10.0
    same(traced(x), f(x))

    def rebind():
        nonlocal table
        table = np.full(3, 7.0)

    rebind()
    same(traced(x), f(x))
    assert traced.trace_count == 1


def test_a_global_of_another_module():
    f = at.trace(other.project)
    x = np.ones((1, 2))
    same(f(x), other.project(x))
    saved = other.W, other.SCALE
    try:
        other.W = np.array([[0.0, 1.0], [1.0, 0.0]])
        same(f(x), other.project(x))
        assert f.trace_count == 1
        other.SCALE = 3.0
        same(f(x), other.project(x))
        assert f.trace_count == 2
    finally:
        other.W, other.SCALE = saved


class Model:
    def __init__(self, W, scale=1.0):
        self.W = W
        self.scale = scale

    @at.trace
    def predict(self, x):
        return np.tanh(x @ self.W) * self.scale

    def plain(self, x):
        return np.tanh(x @ self.W) * self.scale


def test_a_traced_method_reads_self_attributes_live():
    m = Model(np.eye(2))
    x = np.array([[0.5, -1.0]])
    before = Model.predict.trace_count
    same(m.predict(x), m.plain(x))
    m.W = np.array([[2.0, 0.0], [1.0, 1.0]])  # rebinding
    same(m.predict(x), m.plain(x))
    m.W[0, 0] = 5.0  # in place
    same(m.predict(x), m.plain(x))
    assert Model.predict.trace_count == before + 1


def test_a_bound_method_traced_directly():
    m = Model(np.eye(2))
    f = at.trace(m.plain)
    x = np.ones((1, 2))
    same(f(x), m.plain(x))
    m.W = m.W * 3
    same(f(x), m.plain(x))
    assert f.trace_count == 1


def predict(m, x):
    return x @ m.W


def test_attributes_of_an_argument_and_nested_objects():
    m = Model(np.eye(2))
    f = at.trace(predict)
    x = np.ones((2, 2))
    same(f(m, x), predict(m, x))
    m.W = np.full((2, 2), 3.0)
    same(f(m, x), predict(m, x))
    assert f.trace_count == 1

    class Net:
        def __init__(self):
            self.layers = [Model(np.eye(2)), Model(2 * np.eye(2))]

    def deep(net, x):
        for layer in net.layers:
            x = x @ layer.W
        return x

    net, g = Net(), at.trace(deep)
    same(g(net, x), deep(net, x))
    net.layers[1].W[1, 1] = -4.0
    same(g(net, x), deep(net, x))
    assert g.trace_count == 1
    net.layers.append(Model(np.ones((2, 2))))  # the loop unrolls len(layers) times
    same(g(net, x), deep(net, x))
    assert g.trace_count == 2


def test_a_captured_array_returned_as_it_is():
    def f(x):
        return x * 2, W

    traced = at.trace(f)
    out = traced(np.ones(1))
    assert out[1] is W


def test_direct_call_tape_and_grad_agree_after_a_change():
    m = Model(np.array([[0.5, -0.2], [0.1, 0.3]]))
    x = np.array([[1.0, 2.0]])

    def loss(m, x):
        return np.sum(m.predict(x) ** 2)

    def plain_loss(x):
        return np.sum(m.plain(x) ** 2)

    for k in range(3):
        m.W = m.W + 0.25 * k
        value = loss(m, x)
        np.testing.assert_allclose(value, plain_loss(x))
        xv = at.Variable(x)
        with at.GradientTape() as tape:
            y = loss(m, xv)
        np.testing.assert_allclose(np.asarray(y), plain_loss(x))
        g_tape = tape.gradient(y, xv)
        g_grad = at.grad(loss, argnums=1)(m, x)
        np.testing.assert_allclose(g_tape, g_grad, rtol=1e-12)
        at.check_grads(plain_loss, (x,), order=1)
        eps = 1e-6
        fd = np.array([[(plain_loss(x + eps * e) - plain_loss(x - eps * e)) / (2 * eps)
                        for e in np.eye(2)]])
        np.testing.assert_allclose(g_grad, fd, rtol=1e-6)


def test_jvp_and_vmap_see_the_captured_array():
    global W
    saved = W
    try:
        x = np.ones((4, 2))
        W = np.eye(2)
        v = at.vmap(uses_global)
        same(v(x), x @ W)
        W = 2 * np.eye(2)
        same(v(x), x @ W)
        out, t = at.jvp(uses_global, (x,), (np.ones((4, 2)),))
        same(out, x @ W)
        same(t, np.ones((4, 2)) @ W)
    finally:
        W = saved


# -- guarded Python values --------------------------------------------------------------
def scaled(x):
    if MODE == "double":
        x = x * 2
    if FLAG:
        x = x + 1
    return x * SCALE


def test_guarded_globals_trace_again_when_they_change():
    global SCALE, MODE, FLAG
    saved = SCALE, MODE, FLAG
    try:
        f = at.trace(scaled)
        x = np.arange(3.0)
        for _ in range(3):
            same(f(x), scaled(x))
        assert f.trace_count == 1
        SCALE = 3.0
        same(f(x), scaled(x))
        MODE = "single"
        same(f(x), scaled(x))
        FLAG = False
        same(f(x), scaled(x))
        assert f.trace_count == 4
        SCALE, MODE, FLAG = saved  # back to the first state: its graph again, no trace
        same(f(x), scaled(x))
        assert f.trace_count == 4
        assert len(f.concrete_functions) == 4
    finally:
        SCALE, MODE, FLAG = saved


@dataclasses.dataclass
class Config:
    scale: float
    steps: int


def test_attribute_guard_is_named_in_the_retracing_warning():
    cfg = Config(1.0, 2)

    def f(x):
        for _ in range(cfg.steps):
            x = x * cfg.scale
        return x

    traced = at.trace(f)
    x = np.ones(2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for k in range(6):
            cfg.scale = float(k + 2)
            same(traced(x), f(x))
    messages = [str(w.message) for w in caught if issubclass(w.category, at.RetracingWarning)]
    assert len(messages) == 1
    assert "The captured closure variable `cfg.scale` changed from 5.0 to 6.0: captured " \
           "Python values are baked into the graph" in messages[0]
    cfg.steps = 3
    same(traced(x), f(x))


def test_global_guard_is_named_in_the_trace_log(caplog):
    global SCALE
    saved = SCALE
    f = at.trace(scaled)
    try:
        with caplog.at_level(logging.DEBUG, logger="autotrace"):
            f(np.ones(1))
            SCALE = -1.5
            f(np.ones(1))
    finally:
        SCALE = saved
    assert "trace 2: The captured global `SCALE` changed from 2.0 to -1.5" in caplog.text


def test_nan_and_signed_zero_guards_are_exact():
    box = Config(0.0, 1)

    def f(x):
        return x * box.scale

    traced = at.trace(f)
    x = np.ones(1)
    for value in (0.0, -0.0, float("nan"), float("nan"), float("inf"), 0.0):
        box.scale = value
        got, want = traced(x), f(x)
        assert got.tobytes() == want.tobytes()
    assert traced.trace_count == 4


def test_a_concrete_function_refuses_changed_state():
    global SCALE
    saved = SCALE
    cf = at.trace(scaled).get_concrete_function(np.ones(2))
    try:
        SCALE = 9.0
        with pytest.raises(TypeError, match=r"captured global `SCALE` changed from 2\.0 to "
                                            r"9\.0, but this concrete function was traced"):
            cf(np.ones(2))
    finally:
        SCALE = saved
    same(cf(np.ones(2)), scaled(np.ones(2)))


def test_one_trace_per_signature_when_nothing_changes():
    m = Model(np.eye(3), 0.5)
    f = at.trace(predict)
    for n in (1, 2, 1, 2, 1):
        f(m, np.ones((n, 3)))
    assert f.trace_count == 2 and len(f.concrete_functions) == 2


# -- pytrees ------------------------------------------------------------------------------
@dataclasses.dataclass
class Params:
    w: np.ndarray
    b: np.ndarray


class Pair(NamedTuple):
    w: np.ndarray
    b: np.ndarray


class Box:
    def __init__(self, w, b):
        self.w, self.b = w, b


at.register_pytree(Box, lambda p: ((p.w, p.b), "box"), lambda aux, c: Box(*c))


def mse(p, x):
    return np.mean((np.tanh(x @ p.w) + p.b) ** 2)


def _finite_differences(fn, p, x, make, eps=1e-6):
    out = []
    for name in ("w", "b"):
        base = getattr(p, name)
        g = np.zeros_like(base)
        for idx in np.ndindex(base.shape):
            up, down = base.copy(), base.copy()
            up[idx] += eps
            down[idx] -= eps
            parts = {"w": p.w, "b": p.b}
            g[idx] = (fn(make(**{**parts, name: up}), x) -
                      fn(make(**{**parts, name: down}), x)) / (2 * eps)
        out.append(g)
    return out


@pytest.mark.parametrize("make", [Params, Pair, Box], ids=["dataclass", "namedtuple", "registered"])
def test_grad_with_respect_to_a_pytree(make):
    rng = np.random.default_rng(0)
    p = make(w=rng.normal(size=(3, 2)), b=rng.normal(size=2))
    x = rng.normal(size=(4, 3))
    g = at.grad(mse)(p, x)
    assert type(g) is make
    fd_w, fd_b = _finite_differences(mse, p, x, make)
    np.testing.assert_allclose(g.w, fd_w, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(g.b, fd_b, rtol=1e-6, atol=1e-9)
    f = at.trace(mse)
    same(f(p, x), mse(p, x))
    q = make(w=p.w * 2, b=p.b)  # a new instance, same structure: no new trace
    same(f(q, x), mse(q, x))
    assert f.trace_count == 1


def test_pytrees_come_back_from_a_traced_function():
    def step(p, lr):
        return Params(p.w * (1 - lr), p.b - lr), Box(p.b, p.w)

    f = at.trace(step)
    p = Params(np.ones((2, 2)), np.zeros(2))
    got, want = f(p, 0.1), step(p, 0.1)
    assert type(got[0]) is Params and type(got[1]) is Box
    same(got[0].w, want[0].w)
    same(got[0].b, want[0].b)
    same(got[1].w, want[1].w)
    cf = f.get_concrete_function(p, 0.1)
    assert str(cf.graph).splitlines()[0].startswith("graph step(p_w: f64[2,2], p_b: f64[2]")


def test_register_pytree_refuses_unhashable_aux_and_non_classes():
    class Bad:
        def __init__(self, a):
            self.a = a

    at.register_pytree(Bad, lambda b: ((b.a,), [1]), lambda aux, c: Bad(*c))
    with pytest.raises(TypeError, match="unhashable aux data"):
        at.trace(lambda b: b.a)(Bad(np.ones(1)))
    with pytest.raises(TypeError, match="register_pytree needs a class"):
        at.register_pytree(Bad(1), len, len)


# -- artefacts keep the state they are made with ----------------------------------------
def test_save_and_standalone_hold_the_captured_values(tmp_path):
    global W
    saved = W
    try:
        W = np.array([[1.0, 0.0], [0.0, 2.0]])
        cf = at.trace(uses_global).get_concrete_function(np.ones((1, 2)))
        path = tmp_path / "f.json"
        cf.save(path)
        W = np.zeros((2, 2))
        loaded = at.load(path)
        same(loaded(np.ones((1, 2))), np.array([[1.0, 2.0]]))
        namespace: dict = {}
        exec(cf.source, namespace)
        same(namespace["uses_global"](np.ones((1, 2))), np.zeros((1, 2)))  # W when asked
    finally:
        W = saved


def test_a_counter_the_function_increments_is_exact_by_tracing_again():
    calls = [0]

    def f(x):
        calls[0] += 1  # runs at trace time: the guard on calls[0] traces every call
        return x * calls[0]

    traced = at.trace(f)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = [traced(np.ones(1))[0] for _ in range(6)]
    assert got == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    assert traced.trace_count == 6
    assert any("closure variable `calls[0]` changed" in str(w.message) for w in caught)


class Linear:
    def __init__(self):
        self.W = np.arange(6.0).reshape(2, 3)  # itself a view of arange's array

    def plain(self, x):
        return x @ self.W.T + self.W[:, 0]


def test_views_numpy_makes_of_a_captured_array_see_writes_and_rebinding():
    m = Linear()
    f = at.trace(Linear.plain)
    x = np.ones((1, 3))
    same(f(m, x), m.plain(x))
    m.W[0, 0] = 10.0  # the view in the graph shares the memory
    same(f(m, x), m.plain(x))
    assert f.trace_count == 1
    m.W = np.ones((2, 3))  # rebound: the views are graph ops on the array read live
    same(f(m, x), m.plain(x))
    assert f.trace_count == 1
    m.W[1, 2] = -3.0
    same(f(m, x), m.plain(x))
    assert f.trace_count == 1


def test_an_array_read_as_a_python_number_is_guarded_by_identity():
    box = Linear()

    def f(x):
        return x * float(np.sum(box.W))  # a Python number: computed while tracing

    traced = at.trace(f)
    x = np.ones(2)
    same(traced(x), f(x))
    box.W = np.full((2, 3), 2.0)
    same(traced(x), f(x))
    assert traced.trace_count == 2
    cf = traced.get_concrete_function(x)
    assert any(g.identity and g.source.name == "box.W" for g in cf.guards)


def test_numpy_of_a_captured_array_alone_is_graph_ops_read_live():
    box = Linear()

    def f(x):
        return x * np.sum(box.W)  # no traced value involved: still graph ops

    traced = at.trace(f)
    x = np.ones(2)
    same(traced(x), f(x))
    box.W = np.full((2, 3), 2.0)
    same(traced(x), f(x))
    box.W[0, 0] = 7.0
    same(traced(x), f(x))
    assert traced.trace_count == 1


def calls_another_module(x):
    return other.project(x) + 1.0


def test_a_called_function_reads_its_own_module_state_live():
    f = at.trace(calls_another_module)
    x = np.ones((1, 2))
    same(f(x), calls_another_module(x))
    saved = other.W, other.SCALE
    try:
        other.W[0, 1] = 4.0
        same(f(x), calls_another_module(x))
        other.W = np.full((2, 2), 0.5)
        same(f(x), calls_another_module(x))
        assert f.trace_count == 1
        other.SCALE = -1.0
        same(f(x), calls_another_module(x))
        assert f.trace_count == 2
    finally:
        other.W, other.SCALE = saved
        other.W[0, 1] = 0.0
