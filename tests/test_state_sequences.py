"""Python lists of traced values where numpy wants an array (issue 9, item 6):
`np.array([[...]])`, `np.asarray(list_of_arrays)`, `np.sum([1, a * a, 2])`."""

import numpy as np
import pytest
from oracle import assert_same

import autotrace as at

X = [np.array([1.0, 2.0, 3.0]), np.array([-0.5, 4.0, 0.25]), np.array([2.0, -1.0, 1.5])]


def matrix_of_scalars(x):
    return np.array([[x[i] * x[j] for j in range(3)] for i in range(3)])


def rotation(x):
    c, s = np.cos(x[0]), np.sin(x[0])
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]]) @ x


def list_of_arrays(x):
    rows = [x, 2 * x, x * x]
    return np.array(rows) + np.asarray([x, x, -x])


def sum_with_python_numbers(x):
    a = x[1]
    return np.sum([1, a * a, 2]) + np.mean((a, 3.0)) + np.max([x[0], x[2]])


def ufunc_of_list(x):
    return np.exp([x[0], 1.0, x[1]]) * np.add([1, 2, 3], [x[2], x[0], 0])


def weak_and_typed(x, k):
    return np.array([k, x[0], 2])


def float32_list(x):
    return np.array([x[0], 1, x[1]])  # a Python int in a list is int64 to numpy


def ragged(x):
    return np.array([x, x[:2]])


CASES = [matrix_of_scalars, rotation, list_of_arrays, sum_with_python_numbers, ufunc_of_list]


@pytest.mark.parametrize("fn", CASES, ids=lambda f: f.__name__)
def test_matches_numpy_over_calls(fn):
    traced = at.trace(fn)
    for x in X:
        assert_same(traced(x), fn(x))
    assert traced.trace_count == 1


@pytest.mark.parametrize("fn", CASES, ids=lambda f: f.__name__)
def test_gradients_match_finite_differences(fn):
    def loss(x):
        return np.sum(fn(x) ** 2)

    for x in X:
        at.check_grads(loss, (x,), order=1)
        np.testing.assert_allclose(at.trace(loss)(x), loss(x))


@pytest.mark.parametrize("x", [np.array([1.5, 2.0], np.float32), np.array([3, 4]),
                               np.array([True, False])])
def test_dtype_promotion_is_numpy_s(x):
    assert_same(at.trace(float32_list)(x), float32_list(x))
    for k in (2, 2.5, True):
        assert_same(at.trace(weak_and_typed)(x, k), weak_and_typed(x, k))


def test_ragged_list_fails_as_numpy_does():
    with pytest.raises(ValueError) as plain:
        ragged(X[0])
    with pytest.raises(ValueError) as traced:
        at.trace(ragged)(X[0])
    assert str(traced.value).startswith(str(plain.value))


def test_concatenate_of_a_list_is_not_stacked():
    def f(x):
        return np.concatenate([x, x[:1] * 2]), np.stack([x, -x], axis=1)

    for x in X:
        for got, want in zip(at.trace(f)(x), f(x)):
            assert_same(got, want)


def with_dtype_and_axis(x):
    a = np.array([x[0], 2, x[1]], dtype=np.float32)
    b = np.asarray([[x[0]], [x[1]]], np.int64)
    c = np.mean([x, x * 2], axis=0)
    return a, b, c


def test_dtype_argument_and_keywords():
    traced = at.trace(with_dtype_and_axis)
    for x in X:
        for got, want in zip(traced(x), with_dtype_and_axis(x)):
            assert_same(got, want)
    assert traced.trace_count == 1
