"""Captured arrays reached through a local variable holding their container (issue #9):
`ws = self.ws; ws[0]`, `for w in self.ws`, `a, b = self.pair`, `d = self.params; d["w"]`,
`zip`/`enumerate`/comprehensions over them. An op takes such an array and plain numpy
reads it too (`x @ ws[0] + np.sum(ws[0])`): both are read on every call, in one trace.
Paths the converter cannot see (`operator.getitem(d, "w")`) stay exact by tracing again on
a change.

The plain method is the oracle, over calls with the arrays written in place and
rebound between them.
"""

from __future__ import annotations

import operator
import warnings

import numpy as np
import pytest

import autotrace as at
from autotrace import captures


def same(a, b):
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert np.asarray(a).dtype == np.asarray(b).dtype


class Model:
    def __init__(self):
        self.ws = [np.eye(2) + 0.5, np.full((2, 2), 2.0)]
        self.pair = (np.ones(2), np.full(2, 3.0))
        self.params = {"w": np.array([1.0, -1.0])}

    def local_list(self, x):
        ws = self.ws
        return x @ ws[0] + np.sum(ws[0]) * ws[1][0, 0]

    def local_list_in_a_loop(self, x):
        ws = self.ws
        t = x
        for i in range(2):
            t = t @ ws[i] + np.sum(ws[i])
        return t

    def loop_over_the_list(self, x):
        t = x
        for w in self.ws:
            t = t @ w + np.sum(w)
        return t

    def unpacked_tuple(self, x):
        a, b = self.pair
        return x * a + np.sum(b) * np.max(a)

    def local_dict(self, x):
        d = self.params
        return x * d["w"] + np.sum(d["w"])

    def zipped(self, x):
        t = x
        for w, s in zip(self.ws, [1.0, 2.0]):
            t = t @ w * s + np.sum(w)
        return t

    def enumerated(self, x):
        t = x
        for i, w in enumerate(self.ws):
            t = t @ w + np.sum(w) * (i + 1)
        return t

    def comprehension(self, x):
        return sum(x @ w + np.trace(w) for w in self.ws)

    def comprehension_unpacking(self, x):
        return sum([x @ w * s + np.sum(w) for w, s in zip(self.ws, (1.0, -1.0))])

    def items_of_a_local_dict(self, x):
        d = self.params
        t = x
        for _, v in d.items():
            t = t * v + np.sum(v)
        return t


def changes(m):
    """Writes in place and rebindings of the arrays between calls."""
    yield
    m.ws[0][0, 0] = 5.0
    m.pair[1][0] = -2.0
    m.params["w"][1] = 4.0
    yield
    m.ws[1] *= 0.5
    m.pair[0][1] = 7.0
    yield
    m.ws[0] = np.arange(4.0).reshape(2, 2)  # an item rebound
    m.params["w"] = np.array([0.5, 0.25])
    m.pair = (np.full(2, 2.0), np.arange(2.0))
    yield
    m.ws[0][1, 1] = -3.0
    m.params["w"][0] = 9.0
    yield


LIVE = ["local_list", "local_list_in_a_loop", "loop_over_the_list", "unpacked_tuple",
        "local_dict", "zipped", "enumerated", "comprehension", "comprehension_unpacking",
        "items_of_a_local_dict"]


@pytest.mark.parametrize("name", LIVE)
def test_arrays_reached_through_a_local_container_are_read_on_every_call(name):
    m = Model()
    plain = getattr(Model, name)
    traced = at.trace(plain)
    x = np.array([1.0, 2.0])
    for _ in changes(m):
        same(traced(m, x), plain(m, x))
        same(traced(m, x), plain(m, x))
    assert traced.trace_count == 1  # read live, not compared by content


@pytest.mark.parametrize("name", ["local_list", "zipped", "unpacked_tuple", "local_dict"])
def test_gradients_through_them_match_finite_differences(name):
    m = Model()
    plain = getattr(Model, name)
    traced = at.trace(lambda x: np.sum(plain(m, x) ** 2))
    x = np.array([0.3, -0.7])
    for _ in changes(m):
        at.check_grads(traced, (x,))


class Reached:
    def __init__(self):
        self.params = {"w": np.array([1.0, 2.0])}

    def through_get(self, x):
        w = self.params.get("w")
        return x * w + np.sum(w)

    def through_getattr(self, x, name="params"):
        w = getattr(self, name)["w"]
        return x * w + np.sum(w)

    def through_operator(self, x):
        w = operator.getitem(self.params, "w")
        return x * w + np.sum(w)


@pytest.mark.parametrize("name", ["through_get", "through_getattr"])
def test_items_read_through_get_and_getattr_are_read_live(name):
    m = Reached()
    plain = getattr(Reached, name)
    traced = at.trace(plain)
    x = np.array([1.0, -1.0])
    for k in range(4):
        same(traced(m, x), plain(m, x))
        m.params["w"][k % 2] += 1.5
    m.params["w"] = np.array([3.0, 4.0])
    same(traced(m, x), plain(m, x))
    assert traced.trace_count == 1


@pytest.mark.parametrize("name", ["through_get", "through_getattr", "through_operator"])
def test_a_path_the_converter_does_not_see_traces_again_on_a_write(name):
    m = Reached()
    plain = getattr(Reached, name)
    traced = at.trace(plain)
    x = np.array([1.0, -1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", at.RetracingWarning)
        for k in range(4):
            same(traced(m, x), plain(m, x))
            same(traced(m, x), plain(m, x))
            m.params["w"][k % 2] += 1.5
    same(traced(m, x), plain(m, x))


def test_a_large_array_reached_that_way_warns_that_a_write_may_not_be_seen():
    big = captures.CONTENT_GUARD_BYTES // 8 + 1
    m = Reached()
    m.params["w"] = np.ones(big)

    def f(x):
        w = operator.getitem(m.params, "w")
        return x * w[:2]

    with pytest.warns(at.StaleCaptureWarning, match=r"`m\.params\['w'\]`.*operator\.getitem"):
        at.trace(f)(np.ones(2))


def test_the_generated_code_reads_container_items_through_live_only():
    code = str(at.trace(Model.local_list).code)
    assert "ws = at__.live(self.ws)" in code
    assert "at__.live(ws[0])" in code
    code = str(at.trace(Model.zipped).code)
    assert "w, s = at__.live_items(item)" in code

    def f(x, y):
        z = x * 2
        a, b = x[0], y[1]  # a display: its items are read where they are
        return z[0] + a + b

    code = str(at.trace(f).code)
    assert "z[0]" in code and "at__.live" not in code and "live_items" not in code


class Weights:
    def __init__(self):
        self.d = {"W": np.ones(2)}
        self.layers = [{"W": np.full(2, 2.0)}, {"W": np.arange(2.0)}]

    def step_through_attribute(self, g):
        self.d["W"] -= 0.5 * g
        return np.sum(self.d["W"])

    def step_through_a_local(self, g):
        d = self.d
        s = np.sum(d["W"])  # read before the write
        d["W"] -= 0.5 * g
        return s + np.sum(d["W"]) + np.sum(d.get("W")) + sum(np.sum(v) for v in d.values())

    def step_each_layer(self, g):
        for layer in self.layers:
            layer["W"] -= 0.1 * g * layer["W"]
        return sum(np.sum(layer["W"]) for layer in self.layers)


@pytest.mark.parametrize("name", ["step_through_attribute", "step_through_a_local",
                                  "step_each_layer"])
def test_in_place_steps_through_container_items_write_the_callers_arrays(name):
    m, expected = Weights(), Weights()
    plain = getattr(Weights, name)
    traced = at.trace(plain)
    for k in range(3):
        g = np.array([1.0, -2.0]) * (k + 1)
        same(traced(m, g), plain(expected, g))
        same(m.d["W"], expected.d["W"])
        for a, b in zip(m.layers, expected.layers):
            same(a["W"], b["W"])
    assert traced.trace_count == 1
