"""numpy's in-place functions on traced arrays (`put_along_axis`, `putmask`, `place`,
`put`, `fill_diagonal`): the traced function against the plain one, values and the
caller's array after the call, and gradients; numpy's cycling of short values refused."""

from __future__ import annotations

import numpy as np
import pytest

import autotrace as at


def _along(x, idx, v):
    y = x * 1.0
    np.put_along_axis(y, idx, v, axis=1)
    return y


def _putmask(x):
    y = x + 0.0
    np.putmask(y, x > 0, x * 10)
    return y


def _place(x):
    y = x + 0.0
    np.place(y, x < 0, 0.5)
    return y


def _put(x, mode):
    y = x + 0.0
    np.put(y, [0, 5, -1], [7.0, 8.0, 9.0], mode=mode)
    return y


def _diag(x):
    y = x * 2
    np.fill_diagonal(y, np.diagonal(x) + 1)
    return y


def _caller_written(x):
    np.put_along_axis(x, np.array([[1], [0]]), 9.0, axis=1)
    return x.sum()


X = np.array([[1.0, -2.0, 3.0], [-4.0, 5.0, -6.0]])


@pytest.mark.parametrize("idx, v", [(np.array([[2], [0]]), np.array([[10.0], [20.0]])),
                                    (np.array([[0, 1], [2, 2]]), 3.5)])
def test_put_along_axis(idx, v):
    got = at.trace(_along)(X, idx, v)
    np.testing.assert_array_equal(got, _along(X, idx, v))
    g = at.grad(lambda x: (_along(x, idx, v) ** 2).sum())(X)
    want = 2 * _along(X, idx, v)
    want[np.broadcast_to(np.arange(2)[:, None], idx.shape), idx] = 0
    np.testing.assert_allclose(g, want)


def test_putmask_place_and_one_graph_for_different_masks():
    f, p = at.trace(_putmask), at.trace(_place)
    for x in (X, -X, np.abs(X)):
        np.testing.assert_array_equal(f(x), _putmask(x))
        np.testing.assert_array_equal(p(x), _place(x))
    assert f.trace_count == 1 and p.trace_count == 1
    at.check_grads(_putmask, (X,), order=2)


@pytest.mark.parametrize("mode", ["raise", "wrap", "clip"])
def test_put_modes(mode):
    np.testing.assert_array_equal(at.trace(_put)(X, mode), _put(X, mode))


def test_put_out_of_bounds_raises_as_numpy():
    def bad(x):
        y = x + 0.0
        np.put(y, [10], 1.0)
        return y

    with pytest.raises(IndexError):
        bad(X)
    with pytest.raises(IndexError):
        at.trace(bad)(X)


def test_fill_diagonal():
    sq = np.arange(9.0).reshape(3, 3)
    for x in (sq, X):
        np.testing.assert_array_equal(at.trace(_diag)(x), _diag(x))


def test_the_callers_array_is_written():
    a, b = X.copy(), X.copy()
    assert at.trace(_caller_written)(a) == _caller_written(b)
    np.testing.assert_array_equal(a, b)


def test_cycling_short_values_is_refused():
    def cyc(x):
        y = x + 0.0
        np.putmask(y, x > 0, np.array([1.0, 2.0]))
        return y

    with pytest.raises(at.TracingError, match="numpy repeats the values over the array's "
                                              "flat positions"):
        at.trace(cyc)(X)
    with pytest.raises(at.TracingError, match="numpy cycles them over the positions"):
        at.trace(lambda x: np.place(x + 0.0, x > 0, [1.0, 2.0]))(X)
