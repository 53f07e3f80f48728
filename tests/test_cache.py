"""The tracing cache: one concrete function per input signature, and only one.

Every test runs the plain Python function on the same inputs as the oracle (values, dtypes,
Python types and containers must match exactly) and asserts `trace_count`.
"""

import collections
import gc
import math
import threading
import warnings
import weakref

import numpy as np
import pytest
from oracle import assert_same

import autotrace as at


def assert_tree_same(got, expected) -> None:
    """Same container types and structure all the way down; leaves as `assert_same`."""
    assert type(got) is type(expected), f"{type(got).__name__} != {type(expected).__name__}"
    if isinstance(expected, dict):
        assert list(got) == list(expected)
        for k in expected:
            assert_tree_same(got[k], expected[k])
    elif isinstance(expected, (tuple, list)):
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            assert_tree_same(g, e)
    elif isinstance(expected, (np.ndarray, np.generic)):
        assert_same(got, expected)
    else:
        assert got == expected


def check_call(traced, fn, *args, **kwargs):
    """Call the traced function and the plain one; assert they agree; return the result."""
    got = traced(*args, **kwargs)
    assert_tree_same(got, fn(*args, **kwargs))
    return got


def seed(a, b):
    c = a + b
    d = b + 1
    e = c * d
    return e


def scale_by(x, n):
    return x * n


def by_mode(x, mode, scale=None):
    y = x * 2 if mode == "double" else x * 3
    return y if scale is None else y * scale


def nested_in(params, xs, pair):
    y = xs[0] * params["w"] + params["b"]
    for x in xs[1:]:
        y = y + x
    return y * pair[1] + pair[0]


def nested_out(x, y):
    e = x + y
    return {"out": e, "n": 3, "msg": "hi"}, (x, None), [e, e * 2]


Point = collections.namedtuple("Point", "x y")


def named_out(x):
    return Point(x * 2, x.sum())


def constant_out(x):
    return x + 1, np.zeros(2)


def plus_sign(x, s):
    return x + math.copysign(1.0, s)


def identity_and_double(x):
    return x, x * 2, x.sum()


def with_default(x, scale=2.0):
    return x * scale


def star(*xs, **opts):
    y = xs[0]
    for x in xs[1:]:
        y = y + x
    return y * opts.get("k", 1)


class Config:
    def __init__(self, factor):
        self.factor = factor


def configured(x, cfg):
    return x * cfg.factor


class Model:
    def __init__(self, scale):
        self.scale = scale

    @at.trace
    def apply(self, x):
        return x * self.scale + 1


# -- hits and misses ----------------------------------------------------------------------
def test_same_signature_hits_the_cache():
    f = at.trace(seed)
    a, b = np.array([2.0]), np.array([1.0])
    np.testing.assert_array_equal(check_call(f, seed, a, b), [6.0])
    for k in range(3):
        check_call(f, seed, a + k, b - k)
    assert f.trace_count == 1


def test_new_shape_and_new_dtype_retrace_once_each():
    f = at.trace(seed)
    check_call(f, seed, np.ones(1), np.ones(1))
    check_call(f, seed, np.ones(3), np.ones(3))
    assert f.trace_count == 2
    check_call(f, seed, np.ones(3, np.float32), np.ones(3, np.float32))
    assert f.trace_count == 3
    check_call(f, seed, np.ones(1), np.ones(1))
    check_call(f, seed, np.ones(3, np.float32), np.ones(3, np.float32))
    assert f.trace_count == 3


def test_python_scalars_are_keyed_by_value():
    f = at.trace(scale_by)
    x = np.arange(3)
    check_call(f, scale_by, x, 1)
    check_call(f, scale_by, x, 2)
    assert f.trace_count == 2
    check_call(f, scale_by, x, 1)
    assert f.trace_count == 2


def test_one_and_one_point_oh_and_true_are_different_keys():
    f = at.trace(scale_by)
    x = np.arange(3, dtype=np.int32)
    results = [check_call(f, scale_by, x, n) for n in (1, 1.0, True)]
    assert f.trace_count == 3
    assert [r.dtype for r in results] == [np.int32, np.float64, np.int32]


def test_negative_zero_and_nan_keys():
    f = at.trace(plus_sign)
    x = np.zeros(2)
    for _ in range(2):
        check_call(f, plus_sign, x, 0.0)
        check_call(f, plus_sign, x, -0.0)
    assert f.trace_count == 2
    check_call(f, plus_sign, x, float("nan"))
    check_call(f, plus_sign, x, float("nan"))
    assert f.trace_count == 3


def test_strings_and_none_are_keyed_by_value():
    f = at.trace(by_mode)
    x = np.arange(3.0)
    check_call(f, by_mode, x, "double")
    check_call(f, by_mode, x, "triple")
    check_call(f, by_mode, x, "double", None)
    assert f.trace_count == 2
    check_call(f, by_mode, x, "double", 0.5)
    assert f.trace_count == 3


# -- nested arguments and results ---------------------------------------------------------
def test_nested_arguments_flatten_into_the_key():
    f = at.trace(nested_in)
    params = {"w": np.ones(2), "b": np.full(2, 0.5)}
    xs = [np.arange(2.0), np.ones(2)]
    check_call(f, nested_in, params, xs, (np.ones(2), 3))
    check_call(f, nested_in, {"w": np.zeros(2), "b": np.ones(2)}, xs, (np.zeros(2), 3))
    assert f.trace_count == 1
    check_call(f, nested_in, params, xs + [np.ones(2)], (np.ones(2), 3))
    check_call(f, nested_in, params, xs, [np.ones(2), 3])
    check_call(f, nested_in, params, xs, (np.ones(2), 4))
    assert f.trace_count == 4


def test_nested_results_keep_structure_python_values_and_dtypes():
    f = at.trace(nested_out)
    x, y = np.arange(3.0), np.ones(3)
    for _ in range(2):
        got = check_call(f, nested_out, x, y)
    assert got[1][0] is x
    assert got[0]["out"] is got[2][0]  # one value returned twice stays one object
    assert f.trace_count == 1
    assert len(f.get_concrete_function(x, y).graph.outputs) == 3  # e, x, e * 2


def test_namedtuple_and_scalar_results():
    f = at.trace(named_out)
    got = check_call(f, named_out, np.arange(3.0))
    assert isinstance(got, Point) and isinstance(got.y, np.float64)


def test_constant_array_results_are_fresh_each_call():
    f = at.trace(constant_out)
    _, first = check_call(f, constant_out, np.ones(2))
    first[0] = 99.0
    _, second = check_call(f, constant_out, np.ones(2))
    assert second[0] == 0.0 and second is not first


@pytest.mark.filterwarnings("ignore::autotrace.RetracingWarning")
def test_numpy_scalars_and_0d_arrays_return_numpys_types():
    f = at.trace(identity_and_double)
    for value in (np.float64(2.0), np.array(2.0), np.float32(1.5), np.int64(3), np.bool_(True),
                  np.array(7, dtype=np.int8)):
        got = check_call(f, identity_and_double, value)
        assert got[0] is value
    # a numpy scalar and a 0-d array of one dtype share the trace
    assert f.trace_count == 5


# -- objects by identity ------------------------------------------------------------------
def test_other_objects_are_keyed_by_identity():
    f = at.trace(configured)
    x = np.arange(3.0)
    a, b = Config(2.0), Config(2.0)
    check_call(f, configured, x, a)
    check_call(f, configured, x, a)
    check_call(f, configured, x, b)
    assert f.trace_count == 2


def test_an_object_that_dies_does_not_keep_its_cache_entry():
    f = at.trace(configured)
    x = np.arange(3.0)
    keep, dies = Config(2.0), Config(3.0)
    check_call(f, configured, x, keep)
    check_call(f, configured, x, dies)
    check_call(f, configured, x, dies)
    cf = f.get_concrete_function(x, dies)
    entries = len(f._cache) + len(f._fast)
    ref = weakref.ref(dies)
    del dies
    gc.collect()
    assert ref() is None
    assert len(f._cache) + len(f._fast) < entries
    assert not cf._accepted
    check_call(f, configured, x, keep)
    assert f.trace_count == 2


# -- shapes unknown until run time --------------------------------------------------------
def test_tensorspec_with_none_dims_serves_every_size():
    f = at.trace(seed)
    spec = at.TensorSpec((None,), np.float64)
    cf = f.get_concrete_function(spec, spec)
    assert str(cf.graph).startswith("graph seed(a: f64[?], b: f64[?]) -> f64[?]")
    for n in (1, 3, 7):
        check_call(f, seed, np.arange(n, dtype=np.float64), np.ones(n))
        assert_same(cf(np.ones(n), np.ones(n)), seed(np.ones(n), np.ones(n)))
    assert f.trace_count == 1


def test_input_signature_matches_and_names_the_mismatched_argument():
    f = at.trace(seed, input_signature=[at.TensorSpec((None,)), at.TensorSpec((None,))])
    for n in (2, 5):
        check_call(f, seed, np.ones(n), np.arange(n, dtype=np.float64))
    assert f.trace_count == 1
    assert f.get_concrete_function().graph is f.get_concrete_function(np.ones(3),
                                                                      np.ones(3)).graph
    with pytest.raises(TypeError, match=r"argument `b` does not match input_signature: "
                                        r"expected f64\[\?\], got f32\[2\]"):
        f(np.ones(2), np.ones(2, np.float32))
    with pytest.raises(TypeError, match=r"argument `a` .* expected f64\[\?\], got f64\[2,2\]"):
        f(np.ones((2, 2)), np.ones(2))
    with pytest.raises(TypeError, match=r"argument `a` .* got 1\.0"):
        f(1.0, np.ones(2))
    assert f.trace_count == 1


def test_input_signature_must_hold_tensorspecs():
    with pytest.raises(TypeError, match="input_signature entries must be TensorSpecs"):
        at.trace(seed, input_signature=[np.ones(2)])
    with pytest.raises(TypeError, match="input_signature has 3 entries but the function "
                                        "takes 2 parameters"):
        at.trace(seed, input_signature=[at.TensorSpec((1,))] * 3)


def test_input_signature_with_nested_specs_and_python_arguments():
    f = at.trace(nested_in, input_signature=[
        {"w": at.TensorSpec((None,)), "b": at.TensorSpec((None,))},
        [at.TensorSpec((None,)), at.TensorSpec((None,))],
    ])
    for n in (2, 3):
        params = {"w": np.ones(n), "b": np.arange(n, dtype=np.float64)}
        check_call(f, nested_in, params, [np.ones(n), np.ones(n)], (np.float64(n), 3))
    assert f.trace_count == 1
    with pytest.raises(TypeError, match=r"argument `xs` has structure \[\*\], but "
                                        r"input_signature expects \[\*, \*\]"):
        f(params, [np.ones(3)], (np.ones(3), 3))


def test_method_input_signature_skips_self():
    class Scaled:
        factor = 3.0

        @at.trace(input_signature=[at.TensorSpec((None,))])
        def apply(self, x):
            return x * self.factor

    s = Scaled()
    for n in (1, 4):
        np.testing.assert_array_equal(s.apply(np.ones(n)), np.full(n, 3.0))
    assert Scaled.apply.trace_count == 1
    assert str(s.apply.get_concrete_function().graph).startswith("graph apply(x: f64[?])")


def test_reduce_retracing_generalizes_the_second_size():
    f = at.trace(seed, reduce_retracing=True)
    check_call(f, seed, np.ones(3), np.ones(3))
    check_call(f, seed, np.ones(4), np.ones(4))
    assert f.trace_count == 2
    assert str(f.get_concrete_function(np.ones(4), np.ones(4)).graph).startswith(
        "graph seed(a: f64[?], b: f64[?])")
    check_call(f, seed, np.ones(5), np.ones(5))
    check_call(f, seed, np.ones(3), np.ones(3))
    assert f.trace_count == 2


# -- the retracing warning ----------------------------------------------------------------
def test_retracing_warning_is_emitted_once_and_names_the_argument():
    f = at.trace(scale_by)
    x = np.ones(2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for n in range(12):
            check_call(f, scale_by, x, n)
    retracing = [w for w in caught if issubclass(w.category, at.RetracingWarning)]
    assert len(retracing) == 1
    text = str(retracing[0].message)
    assert "scale_by was traced 5 times in its last 10 calls" in text
    assert "Argument `n` changed from 3 to 4" in text
    assert "Python values are part of the signature" in text
    assert "np.asarray" in text
    assert retracing[0].filename == __file__  # points at the user's call


def test_retracing_warning_for_shapes_suggests_reduce_retracing():
    f = at.trace(seed)
    with pytest.warns(at.RetracingWarning, match=r"Argument `a` changed from f64\[4\] to "
                                                 r"f64\[5\].*reduce_retracing=True"):
        for n in range(1, 6):
            f(np.ones(n), np.ones(1))


def test_no_warning_when_traces_are_spread_out():
    f = at.trace(scale_by)
    x = np.ones(2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", at.RetracingWarning)
        for n in range(8):
            for _ in range(10):
                f(x, n)
    assert f.trace_count == 8


# -- methods ------------------------------------------------------------------------------
def test_methods_trace_per_instance_with_attributes_guarded():
    m1, m2 = Model(2.0), Model(3.0)
    x = np.arange(3.0)
    np.testing.assert_array_equal(m1.apply(x), x * 2 + 1)
    np.testing.assert_array_equal(m2.apply(x), x * 3 + 1)
    np.testing.assert_array_equal(m1.apply(x), x * 2 + 1)
    assert Model.apply.trace_count - m1.apply.trace_count == 0
    before = Model.apply.trace_count
    m1.scale = 10.0  # a guarded Python attribute: the next call traces for the new value
    np.testing.assert_array_equal(m1.apply(x), x * 10 + 1)
    assert Model.apply.trace_count == before + 1
    assert m1.apply.__name__ == "apply"
    assert Model.apply(m2, x).tolist() == (x * 3 + 1).tolist()


def test_method_concrete_function_is_called_without_self():
    m = Model(2.0)
    cf = m.apply.get_concrete_function(at.TensorSpec((None,)))
    assert str(cf.graph).startswith("graph apply(x: f64[?]) -> f64[?]")
    for n in (2, 4):
        np.testing.assert_array_equal(cf(np.ones(n)), np.full(n, 3.0))
    with pytest.raises(TypeError, match="argument `x` is f32"):
        cf(np.ones(2, np.float32))


def test_a_traced_method_does_not_keep_its_instance_alive():
    before = Model.apply.trace_count
    m = Model(5.0)
    for _ in range(3):
        m.apply(np.ones(2))
    assert Model.apply.trace_count == before + 1
    ref = weakref.ref(m)
    del m
    gc.collect()
    assert ref() is None


# -- calling conventions ------------------------------------------------------------------
def test_defaults_and_keywords_share_the_positional_trace():
    f = at.trace(with_default)
    x = np.arange(3.0)
    check_call(f, with_default, x)
    check_call(f, with_default, x, 2.0)
    check_call(f, with_default, x=x, scale=2.0)
    check_call(f, with_default, scale=2.0, x=x)
    assert f.trace_count == 1
    check_call(f, with_default, x, scale=3.0)
    assert f.trace_count == 2


def test_varargs_and_varkw():
    f = at.trace(star)
    a, b, c = np.ones(2), np.arange(2.0), np.full(2, 3.0)
    check_call(f, star, a, b)
    check_call(f, star, b, a)
    assert f.trace_count == 1
    check_call(f, star, a, b, c)
    check_call(f, star, a, b, k=2)
    assert f.trace_count == 3
    assert [v.name for v in f.get_concrete_function(a, b, c).graph.inputs] == \
        ["xs_0", "xs_1", "xs_2"]


def test_a_wrong_call_raises_what_python_would():
    f = at.trace(seed)
    with pytest.raises(TypeError, match=r"^seed\(\) missing 1 required positional argument: "
                                        r"'b'\n  at File .*test_cache.py"):
        f(np.ones(1))


def test_concrete_function_rejects_other_signatures_with_clear_errors():
    f = at.trace(scale_by)
    cf = f.get_concrete_function(np.ones(3), 2)
    np.testing.assert_array_equal(cf(np.arange(3.0), 2), np.arange(3.0) * 2)
    with pytest.raises(TypeError, match=r"argument `x` is f64\[4\], but this concrete "
                                        r"function takes f64\[3\]"):
        cf(np.ones(4), 2)
    with pytest.raises(TypeError, match=r"argument `x` is i64\[3\]"):
        cf(np.ones(3, np.int64), 2)
    with pytest.raises(TypeError, match=r"argument `n` is 3, but this concrete function was "
                                        r"traced with 2 \(Python values are part"):
        cf(np.ones(3), 3)
    with pytest.raises(TypeError, match=r"argument `x` is 1\.0, but this concrete function "
                                        r"takes f64\[3\]"):
        cf(1.0, 2)
    with pytest.raises(TypeError, match=r"argument `x` has structure \[\*, \*\], but this "
                                        r"concrete function was traced with \*"):
        cf([np.ones(3), np.ones(3)], 2)
    assert f.trace_count == 1


# -- threads ------------------------------------------------------------------------------
def test_concurrent_first_calls_trace_once():
    f = at.trace(seed)
    n = 8
    barrier = threading.Barrier(n)
    results, errors = [None] * n, []

    def worker(i):
        try:
            barrier.wait()
            results[i] = f(np.full(4, float(i)), np.ones(4))
        except Exception as e:  # reported below, with the thread's traceback lost
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert f.trace_count == 1
    for i, r in enumerate(results):
        assert_same(r, seed(np.full(4, float(i)), np.ones(4)))


def take(x, key):
    return x[key]


def test_slices_are_keyed_by_value():
    f = at.trace(take)
    x = np.arange(6.0)
    check_call(f, take, x, slice(1, None, 2))
    check_call(f, take, x, slice(1, None, 2))
    assert f.trace_count == 1
    check_call(f, take, x, slice(0, 3))
    assert f.trace_count == 2
