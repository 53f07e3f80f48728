"""Indexing (`x[key]`) against numpy as the oracle: basic keys, advanced integer arrays,
boolean masks, traced indices and slice bounds, errors, VJPs, and a property test of
random basic keys on random shapes."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle import DTYPES, assert_same, check, raises_like_numpy, sample
from test_ops_shape import backprop, check_vjp

import autotrace as at

X = sample((3, 4, 5), np.float64)


# --- basic keys ---------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES.values(), ids=DTYPES.keys())
def test_basic_keys(dtype):
    x = sample((3, 4, 5), dtype)
    check(lambda a: a[1], x)
    check(lambda a: a[-1, 2], x)
    check(lambda a: a[1, -2, 3], x)  # a numpy scalar
    check(lambda a: a[1:, ::2], x)
    check(lambda a: a[::-1, -2::-2, 4:0:-3], x)
    check(lambda a: a[None, 1, None], x)
    check(lambda a: a[..., 1], x)
    check(lambda a: a[1, ..., None, :2], x)
    check(lambda a: a[...], x)
    check(lambda a: a[()], x)
    check(lambda a: a[5:, 10:20], x)  # empty
    check(lambda a: a[...], sample((), dtype))
    check(lambda a: a[None], sample((), dtype))


# --- advanced keys ------------------------------------------------------------------------
@pytest.mark.parametrize("key", [
    [0, 0, 2],                                      # repeated indices
    ([0, 2], [1, 3]),                               # two arrays, pairwise
    (np.array([[0], [2]]), np.array([1, 3, 0])),    # two arrays broadcast to (2, 3)
    (slice(None), [3, 0, 0]),
    (slice(None), [[1, 2]], [0, 4]),                # adjacent arrays: result dims in place
    ([1, 2], slice(None), [0, 4]),                  # separated by a slice: result dims first
    ([1, 2], None, [0, 4]),                         # separated by None: also first
    (slice(None), 0, slice(None), None),
    (1, slice(None), [0, 4]),                       # an int among arrays is advanced too
    (Ellipsis, [-1, 0]),
    (np.array([], dtype=np.int64),),
    (np.array([[2, -1]]), slice(1, None)),
], ids=repr)
def test_integer_array_keys(key):
    check(lambda a: a[key], X)


def test_integer_array_key_as_traced_input():
    idx = np.array([[2, 0], [0, 0]])
    check(lambda a, i: a[i, :, i[0]], X, idx)
    check(lambda a, i: a[:, i], X, idx.astype(np.int32))


def test_boolean_masks():
    x = sample((3, 4), np.float32)
    check(lambda a: a[a > 0], x)
    check(lambda a, m: a[m], x, x > 0)
    check(lambda a, m: a[m, 1:], x, np.array([True, False, True]))
    check(lambda a: a[:, np.array([True, False, False, True])], x)
    check(lambda a: a[np.array([True, False, True]), np.array([0, 3])], x)
    check(lambda a: a[True], x)
    check(lambda a: a[False], x)
    check(lambda a: a[np.array(True), 1], x)
    check(lambda a: a[a > 9], x)  # selects nothing
    cf = at.trace(lambda a: a[a > 0], autograph=False).get_concrete_function(x)
    assert cf.graph.outputs[0].shape == (None,)


def test_traced_index_and_slice_bounds_on_new_values():
    def f(a, i, j):
        return a[i], a[i:], a[:j, i], a[::-1][j], a[i:j:-1], a[::j]

    cf = at.trace(f, autograph=False).get_concrete_function(
        at.TensorSpec((5, 3)), at.TensorSpec((), np.int64), at.TensorSpec((), np.int64))
    assert cf.graph.outputs[1].shape == (None, 3)
    x = sample((5, 3), np.float64)
    for i, j in [(0, 1), (2, 4), (-1, 3), (-3, -2)]:
        i, j = np.array(i), np.array(j)
        for got, want in zip(cf(x, i, j), f(x, i, j)):
            assert_same(got, want)


def test_graph_text_shows_the_key():
    def f(a, i):
        return a[::-1, None, ..., i], a[[0, 0, 2]], a[a > 3], a[1:i]

    cf = at.trace(f, autograph=False).get_concrete_function(X, np.array(1))
    text = str(cf.graph)
    assert text.count("getitem") == 4 and "::-1" in text and "1:i" in text


# --- errors -------------------------------------------------------------------------------
@pytest.mark.parametrize("key, words", [
    (3, "out of bounds"),
    ((0, -5), "out of bounds"),
    ((0, 0, 0, 0), "too many indices"),
    ((Ellipsis, 0, Ellipsis), "single ellipsis"),
    (np.array([0.5]), "integer (or boolean)"),
    (np.ones(4, bool), "boolean index did not match"),
    ((slice(None), [0, 1, 2]), None),
], ids=repr)
def test_index_errors_at_trace_time(key, words):
    x = np.ones((3, 4, 2))
    if words is None:  # numpy's out-of-bounds array index, raised when the graph runs
        raises_like_numpy(lambda a: a[key], np.ones((3, 2)))
        return
    err = raises_like_numpy(lambda a: a[key], x)
    assert words in str(err)


# --- VJPs ---------------------------------------------------------------------------------
def test_getitem_vjps():
    x = sample((3, 4), np.float64, seed=2)
    check_vjp(lambda a: a[1:, ::-2] * 2, x)
    check_vjp(lambda a: a[-1] * a[0, None], x)
    check_vjp(lambda a: a[[0, 0, 2], 1:], x)
    check_vjp(lambda a: a[np.array([[0], [2]]), [1, 1, 3]], x)
    check_vjp(lambda a: a[x > 0] * 3, x)
    check_vjp(lambda a, i: a[i, 1:i], x, np.array(2))


def test_getitem_vjp_with_unknown_dims():
    graph = at.trace(lambda a, i: a[i:], autograph=False).get_concrete_function(
        at.TensorSpec((None, 2)), at.TensorSpec((), np.int64)).graph
    x = sample((4, 2), np.float64)
    g, gi = backprop(graph, [x, np.array(1)], np.ones((3, 2)))
    assert gi is None
    assert_same(g, np.array([[0.0, 0.0]] + [[1.0, 1.0]] * 3))


# --- property: random basic keys on random shapes ----------------------------------------
_slices = st.builds(slice, st.none() | st.integers(-6, 6), st.none() | st.integers(-6, 6),
                    st.none() | st.sampled_from([-3, -2, -1, 1, 2, 3]))


@st.composite
def shape_and_basic_key(draw):
    shape = tuple(draw(st.lists(st.integers(0, 4), max_size=3)))
    items = [draw(_slices | st.integers(-n, n - 1)) if n else draw(_slices) for n in shape]
    if draw(st.booleans()):
        i = draw(st.integers(0, len(items)))
        items[i:draw(st.integers(i, len(items)))] = [Ellipsis]
    else:
        items = items[:draw(st.integers(0, len(items)))]
    for _ in range(draw(st.integers(0, 2))):
        items.insert(draw(st.integers(0, len(items))), None)
    return shape, tuple(items)


@settings(max_examples=60, deadline=None)
@given(shape_and_basic_key(), st.sampled_from(list(DTYPES.values())))
def test_random_basic_keys_match_numpy(shape_key, dtype):
    shape, key = shape_key
    check(lambda a: a[key], sample(shape, dtype))
