"""Tighter generated code for graph loops and their gradients (issue 12, item 3): each
optimisation fires where it should and not where it would change a value or a type, the
traced result equals the plain function's; then the whole control-flow corpus, values and
gradients, with and without each one (tests/test_loop_codegen_corpus.py)."""

import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autotrace as at
from autotrace.autodiff import history
from autotrace.compile import buffers, codegen, factoring


def _source(fn, *args, grad=False) -> str:
    traced = at.grad(fn) if grad else at.trace(fn)
    return traced.get_concrete_function(*args)._call.source


def _same(got, want) -> None:
    assert type(got) is type(want)
    if isinstance(want, (np.ndarray, np.generic)):
        assert got.dtype == want.dtype and np.shape(got) == np.shape(want)
    np.testing.assert_array_equal(got, want)


# -- `n.item()` before `while i < n:` (codegen.hoist_loop_bounds) ----------------------------
def counted(x, n):
    i = 0
    while i < n:
        x = x * 0.5 + 1.0
        i += 1
    return x


def counted_down(x, n):
    i = 0
    while n > i * 2:  # the bound on the left, the counter an expression
        x = x + 1.0
        i += 1
    return x


def ranged(x, n):
    for _ in range(n):
        x = x * 0.5 + 1.0
    return x


def float_bound(x, n):
    i = 0
    while i < n:
        x = x + 1.0
        i += 1
    return x


def bound_also_tested(x, n):
    i = 0
    while i < n and n > 2:  # the comparison's result feeds another op: kept as it is
        x = x + 1.0
        i += 1
    return x


def numpy_counter(x, n):
    i = np.int64(0)
    while i < n:
        x = x + 1.0
        i = i + 1
    return x


X = np.linspace(-1.0, 1.0, 4)


@pytest.mark.parametrize("fn", [counted, counted_down, ranged])
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8])
def test_an_integer_array_bound_is_read_once_as_a_python_int(fn, dtype):
    traced = at.trace(fn)
    for n in (0, 1, 5, 2):
        _same(traced(X, np.array(n, dtype)), fn(X, np.array(n, dtype)))
    assert traced.trace_count == 1  # one graph for every trip count
    assert "_int = int(" in _source(fn, X, np.array(3, dtype))


def test_a_negative_bound_runs_no_trip():
    _same(at.trace(counted)(X, np.array(-4)), X)


def test_the_gradient_loop_reads_the_bound_once_too():
    def loss(x, n):
        return np.sum(counted(x, n))

    grad = at.grad(loss)
    for n in (0, 1, 6):
        _same(grad(X, np.array(n)), np.full(4, 0.5 ** n))
    assert "_int = int(" in _source(loss, X, np.array(3), grad=True)


@pytest.mark.parametrize("fn, n", [
    (float_bound, np.array(2.5)),  # int vs float: numpy rounds the int to float first
    (bound_also_tested, np.array(4)),
    (numpy_counter, np.array(3)),  # a numpy counter: `int64 < array` stays numpy's
    (counted, np.array([3])),  # not 0-d
])
def test_other_bounds_are_left_to_numpy(fn, n):
    assert "_int = int(" not in _source(fn, X, n)
    _same(at.trace(fn)(X, n), fn(X, n))


def test_switched_off_the_comparison_is_numpy_s(monkeypatch):
    monkeypatch.setattr(codegen, "HOIST_BOUNDS", False)
    assert "_int = int(" not in _source(counted, X, np.array(3))
    _same(at.trace(counted)(X, np.array(3)), counted(X, np.array(3)))


# -- no record of a state the gradient never reads (history.DROP_UNREAD) --------------------
def sine_loop(x, n):
    i = 0
    while i < n:
        x = x * 0.9 + np.sin(x) * 0.1
        i += 1
    return np.sum(x)


def sine_loop_grad(x, n):
    xs = []
    for _ in range(int(n)):
        xs.append(x)
        x = x * 0.9 + np.sin(x) * 0.1
    g = np.ones_like(x)
    for x in reversed(xs):
        g = g * (0.9 + np.cos(x) * 0.1)
    return g


def linear_loop(x, n):
    i = 0
    while i < n:
        x = x * 2.0 - 1.0  # the gradient reads no state at all
        i += 1
    return np.sum(x)


def test_a_counter_s_states_are_not_recorded():
    source = _source(sine_loop, X, np.array(3), grad=True)
    assert "i_states" not in source and "x_1_states.append" in source
    assert "trips = len(x_1_states)" in source and "trips += 1" not in source
    grad = at.grad(sine_loop)
    for n in (0, 1, 7):
        np.testing.assert_allclose(grad(X, np.array(n)), sine_loop_grad(X, n), rtol=1e-13)
    assert grad.trace_count == 1


def test_a_loop_whose_gradient_reads_no_state_only_counts_its_trips():
    source = _source(linear_loop, X, np.array(3), grad=True)
    assert "_states" not in source and "trips += 1" in source
    grad = at.grad(linear_loop)
    for n in (0, 1, 5):
        _same(grad(X, np.array(n)), np.full(4, 2.0 ** n))


def test_second_derivatives_still_read_the_records():
    def f(x, n):
        return sine_loop(x, n)

    x = np.array([0.3, -0.7])
    hess = at.grad(lambda x, n: np.sum(at.grad(f)(x, n)))
    at.check_grads(lambda x: np.sum(at.grad(f)(x, np.array(4))), (x,), order=1)
    assert np.all(np.isfinite(hess(x, np.array(4))))


def test_switched_off_every_state_is_recorded(monkeypatch):
    monkeypatch.setattr(history, "DROP_UNREAD", False)
    source = _source(sine_loop, X, np.array(3), grad=True)
    assert "i_states.append" in source
    np.testing.assert_allclose(at.grad(sine_loop)(X, np.array(4)), sine_loop_grad(X, 4),
                               rtol=1e-13)


# -- a trip's temporaries released (codegen.RELEASE_IN_LOOPS) ---------------------------------
def _peak(fn, *args) -> int:
    fn(*args)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        fn(*args)
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def test_a_trip_holds_no_temporaries_of_the_last_one(monkeypatch):
    monkeypatch.setattr(codegen, "CHECK", False)  # (checking copies the record)
    x, n = np.linspace(-1.0, 1.0, 1000), np.array(5)
    source = _source(sine_loop, x, n, grad=True)
    body = source.split("while True:")[2]  # the reverse sweep
    assert "del " in body
    assert "del x_2" in source  # the body's name for the next state, once it is passed on
    # the record, the gradient and a statement's temporaries, as the hand-written version
    # (an 8 kB array more would be a temporary or a state kept too long)
    assert _peak(at.grad(sine_loop), x, n) <= _peak(sine_loop_grad, x, n) + 1_000


def test_switched_off_a_trip_s_temporaries_live_on(monkeypatch):
    monkeypatch.setattr(codegen, "RELEASE_IN_LOOPS", False)
    monkeypatch.setattr(codegen, "CHECK", False)
    x, n = np.linspace(-1.0, 1.0, 1000), np.array(5)
    assert "del " not in _source(sine_loop, x, n, grad=True).split("while True:")[2]
    assert _peak(at.grad(sine_loop), x, n) > _peak(sine_loop_grad, x, n) + 8_200


def test_big_loop_temporaries_are_written_into_not_the_recorded_states(monkeypatch):
    monkeypatch.setattr(buffers, "MIN_BYTES", 0)
    x = np.linspace(-1.0, 1.0, 6)
    grad = at.grad(sine_loop)
    source = grad.get_concrete_function(x, np.array(2))._call.source
    assert "out=" in source.split("while True:")[1]  # the forward trip
    np.testing.assert_allclose(grad(x, np.array(6)), sine_loop_grad(x, 6), rtol=1e-14)
    _same(at.trace(counted)(x, np.array(4)), counted(x, np.array(4)))


# -- every trip count, all the passes against none of them ------------------------------------
PASSES = [(codegen, "HOIST_BOUNDS"), (history, "DROP_UNREAD"), (codegen, "RELEASE_IN_LOOPS"),
          (factoring, "ENABLED")]


def two_states(x, w, n):
    i = 0
    y = x * 0.0
    while i < n:
        y = y * 0.5 + np.sin(x) * w
        x = x * 0.9 + np.cos(y) * 0.1
        i += 1
    return np.sum(x * y)


def _compiled(enabled: bool):
    """The gradient of `two_states`, compiled with every pass on or off (flags are read
    when the concrete function is made; later calls reuse it)."""
    grad = at.grad(two_states, argnums=(0, 1))
    saved = [getattr(m, f) for m, f in PASSES]
    try:
        for m, f in PASSES:
            setattr(m, f, enabled)
        grad(np.zeros(3), np.zeros(3), np.array(1))
    finally:
        for (m, f), value in zip(PASSES, saved):
            setattr(m, f, value)
    return grad


_GRADS = {}


@settings(max_examples=40, deadline=None)
@given(trips=st.integers(0, 60), seed=st.integers(0, 2**16))
def test_every_trip_count_gives_the_unoptimised_gradient(trips, seed):
    if not _GRADS:
        _GRADS.update({flag: _compiled(flag) for flag in (True, False)})
    rng = np.random.default_rng(seed)
    x, w = rng.uniform(-2, 2, 3), rng.uniform(-1, 1, 3)
    on, off = (_GRADS[flag](x, w, np.array(trips)) for flag in (True, False))
    for a, b in zip(on, off):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    assert all(g.trace_count == 1 for g in _GRADS.values())
    np.testing.assert_allclose(at.grad(sine_loop)(x, np.array(trips)),
                               sine_loop_grad(x, trips), rtol=1e-13)


@pytest.mark.parametrize("trips", [0, 1, 5])
def test_two_states_and_a_captured_weight_against_finite_differences(trips):
    x, w = np.array([0.3, -0.6, 1.1]), np.array([0.5, -0.2, 0.8])
    at.check_grads(lambda x, w: two_states(x, w, np.array(trips)), (x, w), order=1)


# -- `range(n)`'s trip count is max(n - start, 0) (runtime.iterables.RangeSequence) ----------
def range_from(x, start, n):
    for k in range(start, n):
        x = x + k
    return x


def range_float_stop(x, n):
    for _ in range(n):
        x = x + 1.0
    return x


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8])
def test_a_unit_step_range_counts_with_no_arithmetic_on_a_zero_start(dtype):
    """and a bound of a narrow or unsigned dtype does not wrap (`range(6, uint8(2))`)."""
    graph = at.trace(ranged).get_concrete_function(X, np.array(3, dtype)).graph
    widened = [] if dtype == np.int64 else ["cast"]  # narrower bounds count in int64
    assert [n.op.name for n in graph.nodes] == [*widened, "maximum", "while_loop"]
    traced = at.trace(range_from)
    for start in (0, 6):  # Python ints: one graph each
        for n in (0, 2, 5, 7):
            _same(traced(X, start, np.array(n, dtype)), range_from(X, start, np.array(n, dtype)))
    for start, n in ((0, 5), (2, 7), (6, 2), (3, 3)):  # both traced: one graph
        _same(traced(X, np.array(start, dtype), np.array(n, dtype)),
              range_from(X, np.array(start, dtype), np.array(n, dtype)))
    assert traced.trace_count == 3


def test_a_float_range_bound_is_refused_as_python_does():
    with pytest.raises(TypeError) as python:
        range_float_stop(X, np.array(2.5))
    with pytest.raises(TypeError) as traced:  # it used to count floor(2.5) trips
        at.trace(range_float_stop)(X, np.array(2.5))
    assert str(python.value) == "only integer scalar arrays can be converted to a scalar index"
    assert str(traced.value).startswith(str(python.value) + "\n  while tracing, at File ")
    assert str(traced.value).endswith("in range_float_stop: for _ in range(n):")


def test_a_narrow_signed_range_counts_past_its_dtype():
    x = np.zeros(1)
    start, stop = np.array(-100, np.int8), np.array(100, np.int8)  # 200 trips: not an int8
    _same(at.trace(range_float_stop)(x, np.array(200, np.uint8)), np.full(1, 200.0))
    _same(at.trace(sum_range)(x, start, stop), sum_range(x, start, stop))
    assert sum_range(x, start, stop)[0] == 200.0


def sum_range(x, start, stop):
    for _ in range(start, stop):
        x = x + 1.0
    return x
