"""Bounded resources: the cache's `max_traces` (least recently used evicted, with a
warning), generated source freed with its compiled function, and the node budget of a
trace (Python loops unrolled at trace time warn, then stop)."""

import gc
import linecache
import threading
import traceback
import warnings

import numpy as np
import pytest

import autotrace as at
from autotrace import errors
from autotrace.graph import budget


def double(x):
    return x * 2.0


def scaled(x, n):
    return x * n


def evictions(record) -> list[str]:
    return [str(w.message) for w in record if w.category is at.CacheEvictionWarning]


def eviction_message(name: str, signature: str, bound: int) -> str:
    return (f"{name} holds {bound} concrete functions (max_traces), so the least recently "
            f"used one, {name}({signature}), was evicted; calling it with that signature "
            "again traces again. Raise the bound with autotrace.trace(..., max_traces=N) if "
            f"{name} really needs this many signatures, or make them fewer "
            "(reduce_retracing=True, an input_signature with None dims, arrays instead of "
            "Python values).")


# -- the cache bound -----------------------------------------------------------------------
def test_default_bound_is_256():
    assert at.trace(double).max_traces == 256


def test_least_recently_used_is_evicted_and_retraces_with_right_values():
    f = at.trace(double, max_traces=3)
    xs = {n: np.arange(n, dtype=np.float64) for n in (1, 2, 3, 4)}
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        for n in (1, 2, 3):
            f(xs[n])
        f(xs[1])  # the hit path counts as a use
        f(x=xs[2])  # and so does the keyword path
        assert evictions(record) == []
        np.testing.assert_array_equal(f(xs[4]), xs[4] * 2.0)  # evicts 3, the LRU
        assert evictions(record) == [eviction_message("double", "x: f64[3]", 3)]
        assert f.trace_count == 4
        np.testing.assert_array_equal(f(xs[3]), xs[3] * 2.0)  # traced again; evicts 1
        assert f.trace_count == 5
        assert evictions(record)[1] == eviction_message("double", "x: f64[1]", 3)
        for n in (2, 3, 4):  # still cached
            np.testing.assert_array_equal(f(xs[n]), xs[n] * 2.0)
        assert f.trace_count == 5
    cached = {id(cf) for cf in f._cache.values()}
    assert len(cached) == 3
    assert all(any(run is cf._call for cf in f._cache.values()) for run in f._fast.values())


def test_eviction_warning_points_at_the_call_and_names_python_values():
    f = at.trace(scaled, max_traces=1)
    f(np.ones(2), 3)
    with pytest.warns(at.CacheEvictionWarning) as record:
        f(np.ones(2), 4)
    assert str(record[0].message) == eviction_message("scaled", "x: f64[2], n=3", 1)
    assert record[0].filename == __file__
    assert isinstance(record[0].message, at.RetracingWarning)  # filters of those apply


def test_a_held_evicted_concrete_function_keeps_working():
    f = at.trace(double, max_traces=1)
    cf = f.get_concrete_function(np.ones(2))
    with pytest.warns(at.CacheEvictionWarning):
        f(np.ones(3))
    np.testing.assert_array_equal(cf(np.array([1.0, 5.0])), [2.0, 10.0])
    assert all(c is not cf for c in f._cache.values())


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_max_traces_must_be_a_positive_int(bad):
    with pytest.raises(ValueError, match="max_traces must be a positive int"):
        at.trace(double, max_traces=bad)


@pytest.mark.filterwarnings("ignore::autotrace.RetracingWarning")
def test_bounded_cache_stays_thread_safe():
    f = at.trace(double, max_traces=3)
    inputs = [np.arange(n, dtype=np.float64) for n in range(1, 7)]
    failures = []

    def work(seed):
        rng = np.random.default_rng(seed)
        for _ in range(60):
            x = inputs[rng.integers(len(inputs))]
            if not np.array_equal(f(x), x * 2.0):
                failures.append(x.shape)

    threads = [threading.Thread(target=work, args=(s,)) for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    cached = {id(cf): cf for cf in f._cache.values()}
    assert len(cached) <= 3
    assert all(any(run is cf._call for cf in cached.values()) for run in f._fast.values())


# -- generated source lives as long as its compiled function ---------------------------------
def _generated_sources() -> int:
    return sum(1 for name in linecache.cache if name.startswith("<autotrace "))


def test_generated_source_and_line_maps_are_freed_with_the_function():
    gc.collect()
    sources, maps = _generated_sources(), len(errors._LINE_MAPS)
    f = at.trace(double)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", at.RetracingWarning)
        for n in range(1, 9):
            f(np.ones(n))
    assert _generated_sources() >= sources + 8
    assert len(errors._LINE_MAPS) >= maps + 8
    del f
    gc.collect()
    # `<=`: garbage of earlier tests (a cycle freed late) may drop more sources meanwhile
    assert _generated_sources() <= sources
    assert len(errors._LINE_MAPS) <= maps


def test_evicted_functions_free_their_source():
    gc.collect()
    sources = _generated_sources()
    f = at.trace(double, max_traces=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", at.RetracingWarning)
        for n in range(1, 9):
            f(np.ones(n))
    gc.collect()
    assert _generated_sources() == sources + 2


def test_tracebacks_of_live_functions_show_generated_lines():
    f = at.trace(lambda x: x.reshape(2, -1) * 2)
    cf = f.get_concrete_function(at.TensorSpec((None,), np.float64))
    gc.collect()
    with pytest.raises(ValueError, match="cannot reshape array of size 3") as info:
        cf(np.ones(3))
    frames = traceback.extract_tb(info.value.__traceback__)
    generated = [fr for fr in frames if fr.filename.startswith("<autotrace ")]
    assert generated and "reshape" in generated[0].line
    assert generated[0].line == linecache.getline(generated[0].filename,
                                                  generated[0].lineno).strip()


# -- Python loops unrolled at trace time ------------------------------------------------------
def long_loop(x, n):
    for _ in range(n):
        x = x + 1.0
    return x


def counting_while(x, n):
    i = 0
    while i < n:
        x = x * 1.0 + i
        i += 1
    return x


def nested_loops(x, n):
    for _ in range(n):
        for j in range(3):
            x = x + j
    return x


def comprehension(x, n):
    return sum([x * i for i in range(n)])


def _line_of(fn, text: str) -> int:
    import inspect

    lines, first = inspect.getsourcelines(fn)
    return first + next(i for i, line in enumerate(lines) if text in line)


def _advice_for():
    return ("To trace it once as a graph loop, give it a traced bound: pass the bound to "
            "the traced function as an array (f(x, np.asarray(n)) makes `range(n)` a graph "
            "`while_loop`), or iterate over an array.")


def test_long_unrolled_loop_warns_past_10000_nodes_naming_the_loop():
    assert budget.UNROLL_WARNING == 10_000 and budget.MAX_NODES == 250_000
    f = at.trace(long_loop)
    line = _line_of(long_loop, "for _ in range(n):")
    with pytest.warns(at.UnrollingWarning) as record:
        out = f(np.zeros(2), 10_500)
    np.testing.assert_array_equal(out, long_loop(np.zeros(2), 10_500))
    assert len(record) == 1
    w = record[0]
    assert (w.filename, w.lineno) == (__file__, line)
    assert str(w.message) == (
        f'The Python `for` loop at File "{__file__}", line {line}, in long_loop: '
        "`for _ in range(n):` is unrolled at trace time and has added 10,000 graph nodes so "
        "far: every iteration copies its body into the graph, which makes tracing slow and "
        f"the graph large. {_advice_for()}")


def test_the_suggested_array_bound_traces_one_graph_loop_without_warning():
    f = at.trace(long_loop)
    with warnings.catch_warnings():
        warnings.simplefilter("error", at.UnrollingWarning)
        cf = f.get_concrete_function(np.zeros(2), np.asarray(10_500))
        for n in (0, 3, 10_500):
            np.testing.assert_array_equal(cf(np.zeros(2), np.asarray(n)),
                                          long_loop(np.zeros(2), n))
    assert len(cf.graph.nodes) < 10


@pytest.fixture
def small_budget(monkeypatch):
    monkeypatch.setattr(budget, "UNROLL_WARNING", 50)
    monkeypatch.setattr(budget, "CHECK_EVERY", 10)


def test_hard_limit_stops_tracing_with_a_clear_error(small_budget):
    f = at.trace(long_loop, max_nodes=500)
    line = _line_of(long_loop, "for _ in range(n):")
    with pytest.warns(at.UnrollingWarning), pytest.raises(at.GraphSizeError) as info:
        f(np.zeros(2), 10**9)
    assert str(info.value).startswith(
        "long_loop was stopped while tracing: its graph reached 500 nodes (the max_nodes "
        f'limit of autotrace.trace), because the Python `for` loop at File "{__file__}", '
        f"line {line}, in long_loop: `for _ in range(n):` is unrolled and copies its body "
        f"into the graph on every iteration. {_advice_for()} If the graph really is that "
        "large, raise the limit with autotrace.trace(..., max_nodes=N).")
    assert isinstance(info.value, RuntimeError)
    assert f.trace_count == 0
    # Under the limit the same function traces and is right.
    np.testing.assert_array_equal(f(np.zeros(2), 7), long_loop(np.zeros(2), 7))


def test_max_nodes_none_lifts_the_limit(small_budget):
    f = at.trace(long_loop, max_nodes=None)
    with pytest.warns(at.UnrollingWarning):
        np.testing.assert_array_equal(f(np.zeros(1), 600), long_loop(np.zeros(1), 600))
    with pytest.raises(ValueError, match="max_nodes must be a positive int or None"):
        at.trace(long_loop, max_nodes=0)


def test_while_loops_are_guarded_too(small_budget):
    f = at.trace(counting_while, max_nodes=400)
    line = _line_of(counting_while, "while i < n:")
    with pytest.warns(at.UnrollingWarning) as record:
        np.testing.assert_array_equal(f(np.zeros(2), 40), counting_while(np.zeros(2), 40))
    assert (record[0].filename, record[0].lineno) == (__file__, line)
    assert "The Python `while` loop at" in str(record[0].message)
    assert "make its condition depend on a traced value" in str(record[0].message)
    with pytest.warns(at.UnrollingWarning), \
            pytest.raises(at.GraphSizeError, match="the Python `while` loop at"):
        f(np.zeros(2), 10**6)


def test_nested_loops_name_the_outer_loop_once(small_budget):
    f = at.trace(nested_loops)
    with pytest.warns(at.UnrollingWarning) as record:
        np.testing.assert_array_equal(f(np.zeros(2), 100), nested_loops(np.zeros(2), 100))
    assert len(record) == 1
    assert record[0].lineno == _line_of(nested_loops, "for _ in range(n):")


def test_comprehensions_stop_at_the_limit_naming_the_line(small_budget):
    f = at.trace(comprehension, max_nodes=300)
    line = _line_of(comprehension, "return sum(")
    with pytest.raises(at.GraphSizeError) as info:
        f(np.ones(2), 10**6)
    message = str(info.value)
    assert message.startswith("comprehension was stopped while tracing: its graph reached "
                              "300 nodes (the max_nodes limit of autotrace.trace). Something "
                              "at this line repeats at trace time")
    assert f'File "{__file__}", line {line}' in message
