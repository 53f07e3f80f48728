"""The last silent differences of captured state (issue #9): each is exact or refused.

1. a view of a captured array in the graph, and the array also read by plain numpy;
2. a captured array that is a graph input and also read by plain numpy (`np.sum(c.W)`);
3. a written array also held in a local list or dict, or under a nested function's
   parameter of the same name;
4. captured arrays read by code that is not converted (`autograph=False`);
5. captured arrays over the content-guard limit;
6. draws on a captured generator in code that is not converted.

The plain function is the oracle, over several calls with the state written in place
and rebound between calls; refusals are checked for their message and the user's line.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import autotrace as at
from autotrace import captures


def same(a, b):
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert np.asarray(a).dtype == np.asarray(b).dtype


def line_of(fn, text: str) -> int:
    """The line of `fn`'s source file holding `text` (inside `fn`)."""
    code = fn.__code__
    with open(code.co_filename) as f:
        lines = f.read().splitlines()
    for k in range(code.co_firstlineno - 1, len(lines)):
        if text in lines[k]:
            return k + 1
    raise AssertionError(text)


class Box:
    def __init__(self, W):
        self.W = W


def changes(box):
    """Writes in place and rebindings of `box.W` between calls (a generator of steps)."""
    yield
    box.W[0, 0] = 5.0
    yield
    box.W[1, :] *= -2.0
    yield
    box.W = np.arange(6.0).reshape(2, 3) + 0.5  # rebound
    yield
    box.W[0, 2] = -1.0
    yield


def against_plain(fn, box, x, traces=1, **kwargs):
    """`at.trace(fn)` gives `fn`'s results while `box.W` changes; it traced `traces`
    times."""
    traced = at.trace(fn, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", at.RetracingWarning)
        for _ in changes(box):
            same(traced(x), fn(x))
            same(traced(x), fn(x))
    assert traced.trace_count == traces
    return traced


# -- 1. a view in the graph, and plain numpy reading the array ---------------------------
b1 = Box(np.arange(6.0).reshape(2, 3))


def views_and_numpy(x):
    return x @ b1.W.T + b1.W[0, :2] + np.sum(b1.W[:, 1:]) + b1.W.T.max()


def test_views_and_plain_numpy_of_a_captured_array_are_read_live():
    traced = against_plain(views_and_numpy, b1, np.ones((1, 3)))
    graph = str(traced.get_concrete_function(np.ones((1, 3))).graph)
    assert "b1_W: f64[2,3]" in graph and "transpose b1_W" in graph


def views_and_a_python_number(x):
    return x @ b1.W.T + float(b1.W[0, 0])  # a Python number: fixed when traced


def test_a_view_and_a_python_number_of_the_array_trace_again_on_a_write():
    b1.W = np.arange(6.0).reshape(2, 3)
    traced = against_plain(views_and_a_python_number, b1, np.ones((1, 3)), traces=5)
    cf = traced.get_concrete_function(np.ones((1, 3)))
    assert any(g.identity and g.contents is not None and g.source.name == "b1.W"
               for g in cf.guards)


W1 = np.arange(4.0).reshape(2, 2)


def global_view_and_numpy(x):
    return x @ W1[:, ::-1] + np.linalg.det(W1) * W1.T[0]


def test_a_global_arrays_view_and_numpy_function_read_live():
    f = at.trace(global_view_and_numpy)
    for k in range(4):
        x = np.array([1.0, float(k)])
        same(f(x), global_view_and_numpy(x))
        W1[k % 2, 1] += 1.5
    assert f.trace_count == 1


def test_gradient_through_a_view_of_a_captured_array_sees_writes():
    box = Box(np.arange(6.0).reshape(2, 3))

    def loss(x):
        return np.sum((x @ box.W.T) ** 2) + np.sum(box.W)

    g = at.grad(at.trace(loss))
    x = np.array([[1.0, 2.0, 3.0]])
    for _ in range(3):
        same(g(x), 2 * (x @ box.W.T) @ box.W)
        box.W[0, 1] += 1.0
    at.check_grads(at.trace(loss), (x,))


# -- 2. a graph input also read by plain numpy -------------------------------------------
b2 = Box(np.eye(2, 3))


def input_and_numpy(x):
    return x @ b2.W.T + np.sum(b2.W)


def numpy_then_input(x):
    s = b2.W.sum(axis=1)  # before any traced value is involved
    w = b2.W
    return s * 2 + x @ w.T + np.mean(w)


@pytest.mark.parametrize("fn", [input_and_numpy, numpy_then_input])
def test_a_graph_input_also_read_by_plain_numpy_is_read_live(fn):
    b2.W = np.eye(2, 3)
    against_plain(fn, b2, np.ones((1, 3)))


def test_a_concrete_function_reads_it_live():
    box = Box(np.ones((2, 2)))

    def g(x):
        return x @ box.W + np.sum(box.W)

    cf = at.trace(g).get_concrete_function(np.ones(2))
    for k in range(3):
        same(cf(np.ones(2)), g(np.ones(2)))
        box.W[k % 2, 0] = 10.0 + k
        box.W = box.W.copy() if k == 1 else box.W


def closure_reader():
    W = np.full((2, 2), 2.0)

    def g(x):
        return x @ W + np.trace(W) + W.sum(axis=0).max()

    return g, W


def test_a_closure_array_read_by_plain_numpy_is_read_live():
    g, W = closure_reader()
    f = at.trace(g)
    for k in range(3):
        same(f(np.ones(2)), g(np.ones(2)))
        W[1, 1] = float(k) * 3
    assert f.trace_count == 1


def test_a_python_value_of_a_graph_input_traces_again_on_a_write():
    box = Box(np.eye(2))

    def g(x):
        return x @ box.W * int(box.W[0, 0] > 0)  # a Python int made from the array

    f = at.trace(g)
    for value in (1.0, -1.0, -1.0, 2.0):
        box.W[0, 0] = value
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", at.RetracingWarning)
            same(f(np.ones(2)), g(np.ones(2)))
    assert f.trace_count == 3


# -- 3. a written array held by a container or under a nested function's parameter ------
def held_in_a_list(x):
    b = np.zeros(3)
    bufs = [b]
    b[0] = x[0]
    return bufs[0].sum()


def held_in_a_dict(x):
    b = np.zeros(3)
    state = {"bufs": (1, b)}
    b[1] = x[1]
    return state["bufs"][1] * 2


def written_by_a_nested_function(x):
    out = np.zeros(3)

    def fill(out):
        out[0] = x[0]

    fill(out)
    return out


@pytest.mark.parametrize("fn, holders, writer", [
    (held_in_a_list, ["`b` (in held_in_a_list", "`bufs[0]` (in held_in_a_list"],
     "b[0] = x[0]"),
    (held_in_a_dict, ["`b` (in held_in_a_dict", "`state['bufs'][1]` (in held_in_a_dict"],
     "b[1] = x[1]"),
    (written_by_a_nested_function, ["`out` (in fill, line", "`out` (in written_by_a_nested"],
     "out[0] = x[0]"),
])
def test_a_write_another_reference_would_not_see_is_refused(fn, holders, writer):
    with pytest.raises(at.TracingError) as info:
        at.trace(fn)(np.ones(3))
    message = str(info.value)
    assert message.startswith("An in-place write with a traced value into a numpy array "
                              "that local variables hold: ")
    assert all(h in message for h in holders), message
    assert re.search(rf'at File ".*test_state_silent.py", line {line_of(fn, writer)}, in \w+: '
                     + re.escape(writer), message)


def nested_closure_writer(x):
    out = np.zeros(3)

    def fill():
        out[0] = x[0]  # the closure's `out`: the same variable

    fill()
    return out


def test_a_nested_function_writing_a_closure_variable_is_exact():
    f = at.trace(nested_closure_writer)
    for k in range(3):
        x = np.array([float(k), 1.0, 2.0])
        same(f(x), nested_closure_writer(x))


W3 = np.zeros(3)


def two_names_for_a_global(x):
    v = W3
    w = W3
    w[0] = x[0]
    return v.sum() + W3[0]


b3 = Box(np.zeros(3))


def attribute_and_its_alias(x):
    w = b3.W
    b3.W[1] = x[1]
    return w.sum() * 2


def held_in_a_list_captured(x):
    ws = [W3]
    w = W3
    w[2] += x[2]
    return ws[0] * 1.0


@pytest.mark.parametrize("fn, array", [(two_names_for_a_global, lambda: W3),
                                       (attribute_and_its_alias, lambda: b3.W),
                                       (held_in_a_list_captured, lambda: W3)])
def test_names_and_lists_holding_a_written_captured_array_see_the_write(fn, array):
    f = at.trace(fn)
    for k in range(3):
        x = np.array([1.0 + k, 2.0, 3.0])
        before = array().copy()
        expected = fn(x)
        after = array().copy()
        array()[...] = before
        same(f(x), expected)
        same(array(), after)
    assert f.trace_count == 1


# -- 4. code that is not converted ------------------------------------------------------
b4 = Box(np.eye(2, 3))


def unconverted(x):
    return x @ b4.W.T + np.sum(b4.W) + b4.W[:, 0]


def test_captured_arrays_read_by_unconverted_code_trace_again_on_a_write():
    b4.W = np.eye(2, 3)
    traced = against_plain(unconverted, b4, np.ones((1, 3)), traces=5, autograph=False)
    cf = traced.get_concrete_function(np.ones((1, 3)))
    assert any(g.contents is not None and g.source.name == "b4.W" for g in cf.guards)


helper_unconverted = at.trace(lambda w: np.sum(w * 1.0) + np.sum(b4.W), autograph=False)


def calls_unconverted(x):
    return x @ b4.W.T + helper_unconverted(b4.W)


def test_an_unconverted_traced_helper_called_while_tracing():
    b4.W = np.eye(2, 3)
    against_plain(calls_unconverted, b4, np.ones((1, 3)), traces=5)


def test_a_library_function_given_a_captured_array():
    box = Box(np.array([[2.0, 1.0], [1.0, 3.0]]))
    scipy_linalg = pytest.importorskip("scipy.linalg")

    def g(x):
        return x @ scipy_linalg.expm(box.W) + x @ box.W

    f = at.trace(g)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", at.RetracingWarning)
        for k in range(3):
            np.testing.assert_allclose(f(np.ones(2)), g(np.ones(2)))
            box.W[0, 0] = 10.0 + k
    assert f.trace_count == 3


# -- 5. arrays over the content-guard limit ---------------------------------------------
BIG = captures.CONTENT_GUARD_BYTES // 8 + 1


def test_a_large_captured_array_used_with_numpy_is_read_live():
    box = Box(np.ones(BIG))

    def g(x):
        return x * np.sum(box.W) + box.W[:2] + np.max(box.W[::2])

    f = at.trace(g)
    for k in range(3):
        same(f(np.ones(2)), g(np.ones(2)))
        box.W[k] = 3.0 + k
        box.W[-1] = -2.0 * k
    box.W = np.zeros(BIG)
    same(f(np.ones(2)), g(np.ones(2)))
    assert f.trace_count == 1


def large_python_number(x, box):
    return x * float(box.W.sum())


def test_a_python_value_of_a_large_captured_array_is_refused_at_the_line():
    box = Box(np.ones(BIG))
    with pytest.raises(at.TracingError) as info:
        at.trace(large_python_number)(np.ones(2), box)
    message = str(info.value)
    assert message.startswith(f"The captured array `box.W` ({BIG * 8} bytes) was read as a "
                              "numpy array while tracing")
    assert f"`at.config.content_guard_bytes({BIG * 8})`" in message
    assert re.search(rf'at File ".*test_state_silent.py", line '
                     rf'{line_of(large_python_number, "float(box.W")}, in large_python_number',
                     message)


def test_raising_the_limit_compares_a_large_array():
    box = Box(np.ones(BIG))
    old = at.config.content_guard_bytes()
    try:
        assert at.config.content_guard_bytes(BIG * 8) == BIG * 8
        f = at.trace(large_python_number)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", at.RetracingWarning)
            for k in range(3):
                same(f(np.ones(2), box), large_python_number(np.ones(2), box))
                box.W[5] = 10.0 + k
        assert f.trace_count == 3
    finally:
        at.config.content_guard_bytes(old)
    assert at.config.content_guard_bytes() == captures.CONTENT_GUARD_BYTES


def test_a_large_array_read_by_unconverted_code_is_refused():
    box = Box(np.ones(BIG))

    def g(x):
        return x * np.sum(box.W)

    with pytest.raises(at.TracingError, match=r"`box\.W` \(\d+ bytes\) was read as a numpy "
                       r"array[\s\S]*in code that is not converted \(File \".*test_state_silent"
                       r"\.py\", line \d+, in g\)"):
        at.trace(g, autograph=False)(np.ones(2))


# -- 6. draws on a captured generator in code that is not converted ---------------------
rng6 = np.random.default_rng(6)


def draws_unconverted(x):
    return x + rng6.normal(size=x.shape)


class Noisy:
    def __init__(self):
        self.rng = np.random.default_rng(1)

    def sample(self, x):
        return x * self.rng.uniform(size=2)


def test_a_draw_on_a_captured_generator_in_unconverted_code_is_refused():
    state = rng6.bit_generator.state
    with pytest.raises(at.UnsupportedError) as info:
        at.trace(draws_unconverted, autograph=False)(np.zeros(2))
    message = str(info.value)
    assert message.startswith("The captured generator global `rng6` drew numbers while the "
                              "function was traced, in code that autotrace does not convert")
    assert re.search(rf'at File ".*test_state_silent.py", line '
                     rf'{line_of(draws_unconverted, "rng6.normal")}, in draws_unconverted: '
                     r"return x \+ rng6\.normal\(size=x\.shape\)", message)
    assert rng6.bit_generator.state == state  # put back: the failed trace drew nothing


def test_a_draw_in_an_unconverted_method_names_the_attribute():
    m = Noisy()
    state = m.rng.bit_generator.state
    with pytest.raises(at.UnsupportedError, match=r"generator `self\.rng` drew numbers[\s\S]*"
                       r"line \d+, in sample: return x \* self\.rng\.uniform"):
        at.trace(m.sample, autograph=False)(np.ones(2))
    assert m.rng.bit_generator.state == state


helper_draws = at.trace(lambda x: x + rng6.standard_normal(2), autograph=False)


def test_an_unconverted_helper_drawing_inside_a_converted_trace_is_refused():
    def g(x):
        return helper_draws(x) * 2

    with pytest.raises(at.UnsupportedError, match=r"`rng6` drew numbers"):
        at.trace(g)(np.zeros(2))


def test_converted_draws_on_the_same_generator_run_on_every_call():
    m, ref = Noisy(), Noisy()
    f = at.trace(m.sample)
    for _ in range(3):
        same(f(np.ones(2)), ref.sample(np.ones(2)))
    assert m.rng.bit_generator.state == ref.rng.bit_generator.state


def exec_defined(source: str, name: str, namespace: dict):
    """A function without a source file (`exec`'d, as in a notebook or at a prompt)."""
    exec(compile(source, "<generated>", "exec"), namespace)  # noqa: S102 - the test's own code
    return namespace[name]


def test_a_function_without_source_reads_its_globals_exactly():
    ns = {"np": np, "W": np.eye(2)}
    f = exec_defined("def f(x):\n    return x @ W + np.sum(W)\n", "f", ns)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", at.ConversionWarning)
        warnings.simplefilter("ignore", at.RetracingWarning)
        traced = at.trace(f)

        def outer(x):
            return f(x) * 2

        calls = at.trace(outer)
        for _ in range(3):
            same(traced(np.ones(2)), f(np.ones(2)))
            same(calls(np.ones(2)), outer(np.ones(2)))
            ns["W"][0, 0] += 1.0
        ns["W"] = np.full((2, 2), 3.0)
        same(traced(np.ones(2)), f(np.ones(2)))
        same(calls(np.ones(2)), outer(np.ones(2)))


def test_a_captured_array_read_as_a_graph_input_is_still_an_ndarray_to_isinstance():
    box = Box(np.eye(2))

    def g(x):
        w = box.W
        kind = 1.0 if isinstance(w, np.ndarray) else -1.0
        if isinstance(box.W, (list, tuple)):
            return x * 0.0
        return x @ w * kind

    f = at.trace(g)
    for k in range(3):
        same(f(np.ones(2)), g(np.ones(2)))
        box.W[0, 1] = float(k)
    assert f.trace_count == 1
