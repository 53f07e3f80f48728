"""The guarded entry (compile/guarded.py): a traced function's hit path for the signature
of its latest hit. Its checks must accept exactly the calls the hit-path table would send
to the same compiled entry, so every scenario here runs twice, with guarded entries and
without, and every observable must agree: results (values, dtypes, types), exceptions and
their messages, warnings, `trace_count`, the call counter and the cache's LRU order."""

from __future__ import annotations

import gc
import warnings

import numpy as np
import pytest

import autotrace as at
from autotrace import concrete, function
from autotrace.compile import guarded


def seed(a, b):
    return (a + b) * (b + 1)


def scale_by(x, n):
    return x * n


def choose(x, mode=None):
    return x * 2 if mode is None else x - len(mode)


class Sub(np.ndarray):
    pass


F32 = np.array([2.0], np.float32)
G32 = np.array([1.0], np.float32)


def _outcome(traced, args, kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = traced(*args, **kwargs)
            got = ("ok", type(out).__name__, repr(out), getattr(out, "dtype", None))
        except Exception as e:
            got = ("raised", type(e).__name__, str(e))
    if isinstance(traced, at.ConcreteFunction):
        return got, [(w.category.__name__, str(w.message)) for w in caught]
    stamps = [cf._call.stamp.last_call for cf in traced.concrete_functions]
    return (got, [(w.category.__name__, str(w.message)) for w in caught],
            traced.trace_count, traced._calls, stamps)


def _run(make, calls, hot: bool, monkeypatch):
    with monkeypatch.context() as m:
        if not hot:
            m.setattr(function, "guarded_entry", lambda *a: None)
            m.setattr(concrete, "guarded_entry", lambda *a: None)
        traced = make()
        return [_outcome(traced, args, kwargs) for args, kwargs in calls]


def _same_with_and_without(make, calls, monkeypatch):
    with_hot = _run(make, calls, True, monkeypatch)
    without = _run(make, calls, False, monkeypatch)
    for i, (a, b) in enumerate(zip(with_hot, without)):
        assert a == b, f"call {i}: {calls[i]}"
    return with_hot


ARRAY_CALLS = [
    ((F32, G32), {}), ((F32, G32), {}), ((F32, G32), {}),           # hot from the 2nd hit
    ((F32.astype(np.float64), G32), {}),                             # another dtype
    ((F32, G32), {}),
    ((np.ones(2, np.float32), np.ones(2, np.float32)), {}),          # another shape
    ((np.ones((1, 1), np.float32), G32), {}),                        # another ndim
    ((np.float32(2), G32), {}),                                      # a numpy scalar
    ((np.array(2, np.float32), G32), {}),                            # 0-d
    ((2.0, G32), {}), ((2, G32), {}), (([2.0], G32), {}),            # Python values
    ((F32.view(Sub), G32), {}),                                      # a subclass
    ((F32.astype(">f4"), G32), {}),                                  # byte-swapped
    ((F32.astype(np.dtype(np.float32, metadata={"m": 1})), G32), {}),  # equal dtype
    ((np.ones(3, np.float32)[::2][:1], G32), {}),                    # a strided view
    ((F32,), {}), ((F32, G32, G32), {}), ((F32,), {"b": G32}),       # arity, keywords
    ((F32, G32), {}), ((F32, G32), {}),
]


def test_array_arguments(monkeypatch):
    out = _same_with_and_without(lambda: at.trace(seed), ARRAY_CALLS, monkeypatch)
    assert out[2][0][2] == repr(seed(F32, G32))


def test_concrete_function_calls(monkeypatch):
    def make():
        return at.trace(seed).get_concrete_function(F32, G32)
    out = _same_with_and_without(make, ARRAY_CALLS, monkeypatch)
    assert out[2][0][2] == repr(seed(F32, G32))
    assert out[3][0][0] == "raised"  # another dtype: TypeError naming the argument
    cf = make()
    for _ in range(3):
        cf(F32, G32)
    assert cf._hot is not guarded.cold
    assert "_g_traced" not in cf._hot.source  # a concrete function counts no calls


def test_python_value_arguments(monkeypatch):
    x = np.arange(3.0)
    calls = [((x, n), {}) for n in (3, 3, 3, 4, 3, 3.0, True, 3.5, 3.5, 3.5, -0.0, 0.0)]
    _same_with_and_without(lambda: at.trace(scale_by), calls, monkeypatch)
    calls = [((x, m), {}) for m in (None, None, None, "ab", "ab", "ab", "abc", None, "ab")]
    calls += [((x,), {}), ((x,), {}), ((x,), {}), ((x, None), {})]
    _same_with_and_without(lambda: at.trace(choose), calls, monkeypatch)


def test_alternating_signatures_keep_one_guarded_entry():
    traced = at.trace(seed)
    x, y = np.ones(2), np.ones(3)
    traced(y, y)
    for _ in range(3):
        traced(x, x)
    hot = traced._hot
    assert hot is not guarded.cold
    for _ in range(5):
        traced(y, y)
        traced(x, x)
    assert traced._hot is hot
    traced(y, y)
    traced(y, y)
    assert traced._hot is not hot and traced._hot(y, y) is not guarded.MISS


def test_eviction_and_retracing_warnings(monkeypatch):
    shapes = [1, 2, 3, 1, 1, 1, 2, 2, 3, 3, 3, 1, 4, 5, 6, 7, 1, 1]
    calls = [((np.ones(n), np.ones(n)), {}) for n in shapes]
    out = _same_with_and_without(lambda: at.trace(seed, max_traces=2), calls, monkeypatch)
    assert any(w[0] == "CacheEvictionWarning" for o in out for w in o[1])


def test_grad_transform(monkeypatch):
    calls = ARRAY_CALLS[:6] + [((F32, G32), {})] * 3
    _same_with_and_without(lambda: at.grad(seed, argnums=(0, 1)), calls, monkeypatch)


def _hot_after_calls(traced, *args):
    for _ in range(3):  # a trace, then two table hits in a row
        traced(*args)
    assert traced._hot is not guarded.cold
    return traced._hot


def test_the_checks_are_written_out():
    traced = at.trace(seed)
    hot = _hot_after_calls(traced, F32, G32)
    assert "type(a) is not _g_ndarray" in hot.source
    assert "a.dtype is not _g_d0 or a.ndim != 1 or len(a) != 1" in hot.source
    assert "v1 = b + _f32_1" in hot.source  # the body, inlined
    assert hot(F32.astype(np.float64), G32) is guarded.MISS
    assert hot(F32, G32, G32) is guarded.MISS
    assert hot(F32) is guarded.MISS
    hot2 = _hot_after_calls(at.trace(seed), np.ones((2, 3)), np.ones((2, 3)))
    assert "a.shape != (2, 3)" in hot2.source
    hot3 = _hot_after_calls(at.trace(scale_by), np.ones(2), 3)
    assert "type(n) is not _g_t1" in hot3.source and "n != 3" in hot3.source
    assert hot3(np.ones(2), 4) is guarded.MISS and hot3(np.ones(2), 3.0) is guarded.MISS


def test_objects_keyed_by_identity_keep_the_table():
    class Box:
        pass

    traced = at.trace(lambda x, box: x * 2)
    box = Box()
    for _ in range(4):
        traced(np.ones(2), box)
    assert traced._hot is guarded.cold


def test_any_change_of_the_table_drops_the_guarded_entry():
    traced = at.trace(seed, max_traces=1)
    _hot_after_calls(traced, F32, G32)
    with pytest.warns(at.CacheEvictionWarning):
        traced(np.ones(2), np.ones(2))  # evicts the (1,) trace
    assert traced._hot is guarded.cold
    _hot_after_calls(traced, np.ones(2), np.ones(2))
    traced._fast.clear()
    assert traced._hot is guarded.cold


def test_a_dead_object_of_a_key_drops_the_guarded_entry():
    class Box:
        pass

    traced = at.trace(lambda x, box: x * 2)
    box = Box()
    _ = traced(np.ones(2), box)
    traced._hot = lambda *a: guarded.MISS  # stands for a guarded entry of the table now
    del box
    gc.collect()
    assert traced._hot is guarded.cold


STATE = np.ones(2)


def read_state(x):
    return x + STATE


def test_captured_state_is_checked_on_the_guarded_entry():
    global STATE
    traced = at.trace(read_state)
    x = np.arange(2.0)
    _hot_after_calls(traced, x)
    STATE = np.full(2, 5.0)  # rebound: read at call time
    np.testing.assert_array_equal(traced(x), x + 5)
    STATE = np.full(3, 1.0)  # another shape: traced again for the new state
    with pytest.raises(ValueError):
        traced(x)
    STATE = np.ones(2)
    np.testing.assert_array_equal(traced(x), x + 1)


def test_run_eagerly_bypasses_the_guarded_entry():
    seen = []

    def f(x):
        seen.append(1)
        return x * 2

    traced = at.trace(f)
    _hot_after_calls(traced, np.ones(2))
    with at.config.run_eagerly(True):
        traced(np.ones(2))
    assert len(seen) == 2  # the trace, then the eager call


def test_a_run_time_error_names_the_users_line():
    def invert(m):
        return np.linalg.inv(m)

    traced = at.trace(invert)
    _hot_after_calls(traced, np.eye(2))
    with pytest.raises(np.linalg.LinAlgError, match=r"while running the graph, in `inv`"
                                                     r" from .*test_guarded_entry.py"):
        traced(np.zeros((2, 2)))


def test_a_long_body_is_called_not_inlined(monkeypatch):
    monkeypatch.setattr(guarded, "INLINE_MAX_LINES", 2)
    traced = at.trace(seed)
    hot = _hot_after_calls(traced, F32, G32)
    assert "return _g_entry(a, b)" in hot.source
    np.testing.assert_array_equal(traced(F32, G32), seed(F32, G32))
