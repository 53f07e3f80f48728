"""Index finding (nonzero, argwhere, flatnonzero, count_nonzero, one-argument where, unique,
isin) and comparison (isclose, allclose, array_equal, array_equiv, select, piecewise)
against numpy as the oracle. Results of data-dependent length are checked on one graph
called with inputs that give different lengths. Gradients, JVPs and vmap of the
differentiable compositions: `op_cases/finding.py` `COMPOSED`.
"""

import numpy as np
import pytest
from composed import check_composed, check_tree
from hypothesis import given, settings
from hypothesis import strategies as st
from op_cases.finding import COMPOSED
from oracle import DTYPES, bind, check, raises_like_numpy, sample

import autotrace as at

pytestmark = pytest.mark.filterwarnings("ignore::autotrace.RetracingWarning")

ALL = list(DTYPES.values())
SHAPES = [(5,), (2, 3), (2, 0, 3), (1, 1, 4)]


def _x(shape=(3, 4), dtype=np.float64, seed=0):
    return sample(shape, dtype, seed)


def _check_count(x):
    """`np.count_nonzero(x)`: numpy < 2.3 gives a Python int (the oracle compares arrays)."""
    want = np.count_nonzero(x)
    if type(want) is not int:
        return check(np.count_nonzero, x)
    got = at.trace(np.count_nonzero, autograph=False)(x)
    assert type(got) is int and got == want


# --- nonzero and friends ------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ALL)
@pytest.mark.parametrize("shape", SHAPES)
def test_nonzero_family(shape, dtype):
    x = _x(shape, dtype)
    check_tree(np.nonzero, x)
    check_tree(lambda x: np.where(x), x)
    check(np.argwhere, x)
    check(np.flatnonzero, x)
    _check_count(x)
    check(lambda x: np.count_nonzero(x, axis=-1), x)
    check(lambda x: np.count_nonzero(x, axis=(0, -1), keepdims=True), x)


def test_nonzero_0d():
    raises_like_numpy(np.nonzero, _x(()))
    check(np.argwhere, _x((), seed=1))
    check(np.argwhere, np.zeros(()))
    check(np.flatnonzero, np.ones(()))
    _check_count(np.float64(3.0))


def test_one_graph_serves_every_count():
    f = at.trace(lambda x: (np.nonzero(x > 0), np.argwhere(x > 0), np.flatnonzero(x > 1)))
    cf = f.get_concrete_function(_x((2, 3)))
    for seed in range(4):
        x = _x((2, 3), seed=seed)
        (rows, cols), where, flat = cf(x)
        want_rows, want_cols = np.nonzero(x > 0)
        np.testing.assert_array_equal(rows, want_rows)
        np.testing.assert_array_equal(cols, want_cols)
        np.testing.assert_array_equal(where, np.argwhere(x > 0))
        np.testing.assert_array_equal(flat, np.flatnonzero(x > 1))
    assert f.trace_count == 1


def test_nonzero_results_index_back():
    def f(x):
        i, j = np.nonzero(x > 0)
        return x[i, j].sum() + np.count_nonzero(x > 0)

    check(f, _x((3, 4)))
    grad = at.grad(lambda x: (x[np.nonzero(x > 0)] ** 2).sum())(_x((3, 4)))
    np.testing.assert_array_equal(grad, np.where(_x((3, 4)) > 0, 2 * _x((3, 4)), 0))


def test_count_nonzero_errors():
    raises_like_numpy(bind(np.count_nonzero, axis=2), _x((2, 2)))


# --- unique -------------------------------------------------------------------------------
FLAGS = [{}, {"return_index": True}, {"return_inverse": True}, {"return_counts": True},
         {"return_index": True, "return_inverse": True, "return_counts": True}]


@pytest.mark.parametrize("dtype", ALL)
@pytest.mark.parametrize("shape", [(7,), (2, 3), (0,), (), (3, 1, 2)])
@pytest.mark.parametrize("flags", FLAGS, ids=str)
def test_unique(flags, shape, dtype):
    check_tree(lambda x: np.unique(x, **flags), _x(shape, dtype))


@pytest.mark.parametrize("equal_nan", [True, False])
def test_unique_nan_and_signed_zeros(equal_nan):
    x = np.array([np.nan, 0.0, -0.0, 1.0, np.nan, -0.0])
    check_tree(lambda x: np.unique(x, return_index=True, return_counts=True,
                                   equal_nan=equal_nan), x)


def test_unique_unsupported():
    with pytest.raises(NotImplementedError, match="axis"):
        at.trace(lambda x: np.unique(x, axis=0), autograph=False)(_x())


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(-3, 3), max_size=12))
def test_unique_hypothesis(values):
    x = np.array(values, dtype=np.float64)
    check_tree(lambda x: np.unique(x, return_index=True, return_inverse=True,
                                   return_counts=True), x, eager=False)


# --- isin ---------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ALL)
@pytest.mark.parametrize("kwargs", [{}, {"invert": True}, {"assume_unique": True},
                                    {"kind": "sort"}])
def test_isin(kwargs, dtype):
    x, test = _x((3, 4), dtype), _x((5,), dtype, seed=1)
    check(lambda x: np.isin(x, [1, 2, -1], **kwargs), x)
    check(lambda x, t: np.isin(x, t, **kwargs), x, test)
    check(lambda t: np.isin(2, t, **kwargs), test)
    check(lambda x: np.isin(x, np.zeros(0, dtype), **kwargs), x)


def test_isin_errors():
    raises_like_numpy(lambda x: np.isin(x, [1], kind="hash"), _x())


# --- isclose / allclose / array_equal / array_equiv ---------------------------------------
CLOSE_PAIRS = [
    (np.array([1.0, 1e-9, np.nan, np.inf, -np.inf, 2.0]),
     np.array([1.0 + 1e-6, 0.0, np.nan, np.inf, np.inf, 2.1])),
    (np.array([1, 2, 3]), np.array([1, 2, 4])),
    (np.array([1e10, 1e-8], np.float32), np.array([1.00001e10, 1e-9], np.float32)),
    (np.float64(1.0), np.float64(1.0 + 1e-9)),
    (np.array([[1.0], [2.0]]), np.array([1.0, 2.0 + 1e-7])),
    (np.array([np.iinfo(np.int64).min]), np.array([0])),
]


@pytest.mark.parametrize("kwargs", [{}, {"equal_nan": True}, {"rtol": 0.1},
                                    {"atol": 1e-3, "rtol": 0}])
@pytest.mark.parametrize("pair", range(len(CLOSE_PAIRS)))
def test_isclose_allclose(pair, kwargs):
    a, b = CLOSE_PAIRS[pair]
    check(lambda a, b: np.isclose(a, b, **kwargs), a, b)
    check(lambda a: np.isclose(a, 1, **kwargs), a)
    check(lambda b: np.isclose(2.0, b, **kwargs), b)
    got = at.trace(lambda a, b: np.allclose(a, b, **kwargs))(a, b)
    assert type(got) is bool and got == np.allclose(a, b, **kwargs)


def test_allclose_in_an_if_is_graph_control_flow():
    @at.trace
    def f(a, b):
        if np.allclose(a, b):
            return a * 0
        return a - b

    x = _x((3,))
    cf = f.get_concrete_function(x, x)
    np.testing.assert_array_equal(cf(x, x), x * 0)
    np.testing.assert_array_equal(cf(x, x + 1), x - (x + 1))
    assert f.trace_count == 1


@pytest.mark.parametrize("dtype", ALL)
@pytest.mark.parametrize("equal_nan", [False, True])
def test_array_equal_equiv(equal_nan, dtype):
    x = _x((2, 3), dtype)
    y = x.copy()
    y[0, 0] = y[0, 0] + 1 if dtype != np.bool_ else not y[0, 0]
    traced = at.trace(lambda a, b: (np.array_equal(a, b, equal_nan=equal_nan),
                                    np.array_equiv(a, b)))
    for a, b in [(x, x), (x, y), (x, x[:1]), (x, x[0]), (x[:1], x[:1] * np.ones((2, 1),
                                                                             dtype))]:
        want = (np.array_equal(a, b, equal_nan=equal_nan), np.array_equiv(a, b))
        got = traced(a, b)
        assert [type(g) for g in got] == [bool, bool] and got == want, (a, b)


def test_array_equal_nan():
    a = np.array([1.0, np.nan])
    for b in (a.copy(), np.array([np.nan, 1.0]), np.array([1.0, 2.0])):
        for equal_nan in (False, True):
            got = at.trace(lambda a, b, e=equal_nan: np.array_equal(a, b, equal_nan=e))(a, b)
            assert got is np.array_equal(a, b, equal_nan=equal_nan)


def test_array_equal_unknown_dims_refused():
    f = at.trace(lambda a, b: np.array_equal(a, b),
                 input_signature=[at.TensorSpec((None,), np.float64)] * 2)
    with pytest.raises(ValueError, match="shapes of both values known"):
        f(np.ones(2), np.ones(3))


# --- select / piecewise -------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ALL)
@pytest.mark.parametrize("default", [0, 2.5, -1])
def test_select(default, dtype):
    x = _x((2, 3), dtype)
    check(lambda x: np.select([x > 0, x < -1], [x, x * 2], default=default), x)
    check(lambda x: np.select([x > 0], [1], default=default), x)
    check(lambda x: np.select([x > 0, x == 0], [x, x[0]], default=x[1]), x)
    check(lambda x: np.select([x[0, 0] > 0], [x[0, 0]], default=default), x)


def test_select_errors():
    x = _x((2, 3))
    raises_like_numpy(lambda x: np.select([], [], 0), x)
    raises_like_numpy(lambda x: np.select([x > 0], [x, x]), x)
    raises_like_numpy(lambda x: np.select([x], [x]), x)
    check(lambda x: np.select([x[0] > 0], [x]), x)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_piecewise(dtype):
    x = _x((2, 5), dtype)
    check(lambda x: np.piecewise(x, [x < 0, x > 1], [lambda v: v * 3, lambda v: -v]), x)
    check(lambda x: np.piecewise(x, [x < 0, x > 1], [lambda v: v * 3, 2.5, 7]), x)
    check(lambda x: np.piecewise(x, x > 0, [lambda v: v.sum(), lambda v: v + 1]), x)
    check(lambda x: np.piecewise(x, [x > 0], [lambda v, a, b=1: v * a + b], 2, b=3), x)
    check(lambda x: np.piecewise(x, [True], [lambda v: v + 1]), _x((), dtype))
    raises_like_numpy(lambda x: np.piecewise(x, [x < 0, x > 1], [1]), x)


def test_piecewise_graph_serves_every_split():
    f = at.trace(lambda x: np.piecewise(x, [x < 0], [lambda v: v - v.max(), np.sqrt]))
    cf = f.get_concrete_function(_x((6,)))
    for seed in range(3):
        x = _x((6,), seed=seed) + 0.25
        with np.errstate(all="ignore"):
            want = np.piecewise(x, [x < 0], [lambda v: v - v.max(), np.sqrt])
        np.testing.assert_array_equal(cf(x), want)


# --- gradients, JVPs and vmap of the compositions -----------------------------------------
ITEMS = [(name, k, case, shapes) for name, cases in sorted(COMPOSED.items())
         for k, case in enumerate(cases) for shapes in case.shapes]


@pytest.mark.parametrize("item", ITEMS, ids=lambda i: f"{i[0]}[{i[1]}]-{i[3]}")
def test_composed_gradients(item):
    name, _, case, shapes = item
    check_composed(case, shapes, batch=name != "piecewise")  # masks: per-example sizes


def test_nonzero_method():
    check_tree(lambda x: x.nonzero(), _x((2, 3)))
    check_tree(lambda x: (x > 0).nonzero(), _x((4,)))


def test_nonzero_exports_to_onnx():
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")

    def f(x):
        i, j = np.nonzero(x > 0)
        return i * 2 + j, np.argwhere(x < 0), np.flatnonzero(x)

    model = at.export_onnx(at.trace(f), _x((3, 4)))
    session = ort.InferenceSession(model.SerializeToString())
    for seed in range(3):
        x = _x((3, 4), seed=seed)
        got = session.run(None, {session.get_inputs()[0].name: x})
        for g, w in zip(got, f(x)):
            np.testing.assert_array_equal(g, w)
