"""Creation ops that depend on traced values (zeros_like, ones_like, full_like, arange
with traced bounds, eye with a traced size) against numpy as the oracle."""

import numpy as np
import pytest
from oracle import DTYPES, assert_same, check, sample
from test_ops_shape import backprop

import autotrace as at


@pytest.mark.parametrize("dtype", DTYPES.values(), ids=DTYPES.keys())
def test_like_creation(dtype):
    for x in (sample((2, 3), dtype), sample((0,), dtype), np.asarray(sample((), dtype))):
        check(lambda a: np.zeros_like(a), x)
        check(lambda a: np.ones_like(a, dtype=np.float32), x)
        check(lambda a: np.full_like(a, 7), x)
        check(lambda a: np.full_like(a, 2.5, dtype=np.float64), x)
        check(lambda a: np.zeros_like(a, dtype=bool), x)


def test_like_creation_with_a_traced_fill_value_and_unknown_dims():
    check(lambda a, v: np.full_like(a, v), sample((2, 3), np.float32), np.float64(4.5))
    f = at.trace(lambda a: np.ones_like(a) + np.zeros_like(a, dtype=np.int64), autograph=False)
    cf = f.get_concrete_function(at.TensorSpec((None, 2), np.float32))
    assert cf.graph.outputs[0].shape == (None, 2)
    for n in (0, 3):
        x = np.empty((n, 2), np.float32)
        assert_same(cf(x), np.ones_like(x) + np.zeros_like(x, dtype=np.int64))


def test_like_creation_has_no_gradient():
    graph = at.trace(lambda a: a + np.zeros_like(a), autograph=False) \
        .get_concrete_function(np.ones(3)).graph
    assert_same(backprop(graph, [np.ones(3)], np.ones(3))[0], np.ones(3))


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.float64], ids=str)
def test_arange_with_traced_bounds(dtype):
    n = np.asarray(7, dtype)
    check(lambda m: at.arange(m), n)
    check(lambda m: at.arange(1, m, 2), n)
    check(lambda m: at.arange(m, 0, -3), n)
    check(lambda m: at.arange(0.5, m), n)
    check(lambda m: at.arange(m, dtype=np.float32), n)
    check(lambda m: at.arange(m)[::2] * m, n)


def test_arange_graph_reused_on_new_bounds():
    f = at.trace(lambda m: at.arange(2, m) * 2, autograph=False)
    cf = f.get_concrete_function(np.asarray(5))
    assert cf.graph.outputs[0].shape == (None,)
    for m in (0, 2, 9):
        assert_same(cf(np.asarray(m)), np.arange(2, m) * 2)
    assert f.trace_count == 1


def test_eye():
    check(lambda m: at.eye(m), np.asarray(3))
    check(lambda m: at.eye(m, 4, k=1, dtype=np.int64), np.asarray(2))
    check(lambda m: at.eye(3, m, -1), np.asarray(5))
    check(lambda x: x @ np.eye(3, dtype=np.float32), sample((2, 3), np.float32))
    cf = at.trace(lambda m: at.eye(m), autograph=False).get_concrete_function(np.asarray(2))
    assert_same(cf(np.asarray(4)), np.eye(4))


def test_numpy_arange_and_eye_are_in_the_dispatch_table():
    from autotrace.ops.registry import FUNCTION_DISPATCH

    assert FUNCTION_DISPATCH[np.arange] is at.arange
    assert FUNCTION_DISPATCH[np.eye] is at.eye
