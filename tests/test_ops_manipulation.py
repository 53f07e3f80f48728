"""Array manipulation (pad, roll, take, diff, convolve, meshgrid, diag, triu, insert, ...)
and creation with traced arguments (linspace, zeros with traced sizes, ...) against numpy
as the oracle (`check`: traced and eager results equal numpy's in values, dtype, shape and
type; numpy's errors are autotrace's). Gradients, JVPs and vmap of the compositions:
`op_cases/manipulation.py` `COMPOSED`, checked by `check_composed`.
"""

import numpy as np
import pytest
from composed import check_composed, check_tree
from hypothesis import given, settings
from hypothesis import strategies as st
from op_cases.manipulation import COMPOSED
from oracle import DTYPES, bind, check, raises_like_numpy, sample

import autotrace as at

pytestmark = pytest.mark.filterwarnings("ignore::autotrace.RetracingWarning")

ALL = list(DTYPES.values())
NUMERIC = [np.float32, np.float64, np.int32, np.int64]


def _x(shape=(3, 4), dtype=np.float64, seed=0):
    return sample(shape, dtype, seed)


# --- pad ----------------------------------------------------------------------------------
PAD_WIDTHS = [0, 2, (1,), (1, 2), ((1, 0), (2, 3)), [[0, 1], [2, 0]], np.array([1, 2])]
MODES = ["constant", "edge", "reflect", "symmetric", "wrap"]


@pytest.mark.parametrize("dtype", ALL)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("width", PAD_WIDTHS, ids=str)
def test_pad(width, mode, dtype):
    check(bind(np.pad, width, mode=mode), _x((3, 4), dtype))


@pytest.mark.parametrize("mode", MODES)
def test_pad_wider_than_the_array(mode):
    check(bind(np.pad, ((7, 5),), mode=mode), _x((3,)))
    check(bind(np.pad, 4, mode=mode), _x((2, 1)))


@pytest.mark.parametrize("values", [3, (1, 2), ((1, 2), (3, 4)), 1.7, -1])
@pytest.mark.parametrize("dtype", ALL)
def test_pad_constant_values(values, dtype):
    check(bind(np.pad, ((1, 2), (2, 1)), constant_values=values), _x((2, 3), dtype))


def test_pad_traced_constant_and_corners():
    check(lambda x, c: np.pad(x, 1, constant_values=c), _x((2, 2)), np.float64(9.0))
    check(lambda x, c: np.pad(x, 1, constant_values=c), _x((2, 2), np.int32), np.float64(9.5))


def test_pad_0d_and_empty():
    check(bind(np.pad, 0), _x(()))
    check(bind(np.pad, 2), _x((0, 2)))
    raises_like_numpy(bind(np.pad, 1, mode="edge"), _x((0, 2)))


@pytest.mark.parametrize("kwargs", [{"pad_width": -1}, {"pad_width": 1.5},
                                    {"pad_width": 1, "mode": "edge", "constant_values": 1},
                                    {"pad_width": 1, "mode": "nope"}])
def test_pad_errors_like_numpy(kwargs):
    raises_like_numpy(lambda x: np.pad(x, **kwargs), _x((2, 2)))


@pytest.mark.parametrize("mode", ["mean", "linear_ramp", "median"])
def test_pad_unsupported_modes_refused(mode):
    with pytest.raises(NotImplementedError, match=f"mode='{mode}'"):
        at.trace(lambda x: np.pad(x, 1, mode=mode), autograph=False)(_x((3,)))
    with pytest.raises(NotImplementedError, match="reflect_type='odd'"):
        at.trace(lambda x: np.pad(x, 1, mode="reflect", reflect_type="odd"),
                 autograph=False)(_x((3,)))


def test_pad_unknown_batch_dim():
    def f(x):
        return np.pad(x, ((0, 0), (1, 2)), mode="reflect") + np.pad(x, ((0, 0), (2, 1)))

    def g(x, c):
        return np.pad(x, ((1, 0), (2, 1)), constant_values=c)

    traced_f = at.trace(f, input_signature=[at.TensorSpec((None, 4), np.float64)])
    traced_g = at.trace(g, input_signature=[at.TensorSpec((None, 4), np.float64),
                                            at.TensorSpec((), np.float64)])
    for n in (1, 3):
        x = _x((n, 4))
        np.testing.assert_array_equal(traced_f(x), f(x))
        np.testing.assert_array_equal(traced_g(x, np.float64(2.5)), g(x, np.float64(2.5)))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=3), st.data())
def test_pad_hypothesis(shape, data):
    widths = [(data.draw(st.integers(0, 6)), data.draw(st.integers(0, 6))) for _ in shape]
    mode = data.draw(st.sampled_from(MODES))
    check(bind(np.pad, widths, mode=mode), _x(tuple(shape)), eager=False)


# --- roll / take --------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ALL)
@pytest.mark.parametrize("shift, axis", [(1, None), (-5, None), (2, 1), (-1, -2), (0, 0),
                                         ((1, 2), (0, 1)), ((1, 1), (1, 1)), (7, (0, 1))])
def test_roll(shift, axis, dtype):
    check(bind(np.roll, shift, axis=axis), _x((3, 4), dtype))


def test_roll_0d_empty_and_errors():
    check(bind(np.roll, 1), _x(()))
    check(bind(np.roll, 2, axis=0), _x((0, 3)))
    raises_like_numpy(bind(np.roll, 1, axis=2), _x((2, 2)))


def test_roll_traced_shift():
    f = at.trace(lambda x, s: np.roll(x, s, axis=1))
    cf = f.get_concrete_function(_x(), np.int64(1))
    for s in (-9, -1, 0, 1, 4, 6):
        np.testing.assert_array_equal(cf(_x(), np.int64(s)), np.roll(_x(), s, axis=1))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 4), min_size=1, max_size=3), st.integers(-9, 9), st.data())
def test_roll_hypothesis(shape, shift, data):
    axis = data.draw(st.sampled_from([None, *range(-len(shape), len(shape))]))
    check(bind(np.roll, shift, axis=axis), _x(tuple(shape)), eager=False)


@pytest.mark.parametrize("dtype", ALL)
@pytest.mark.parametrize("indices, axis, mode", [
    ([0, 5, 11], None, "raise"), (3, None, "raise"), ([[0, 2], [1, 1]], 1, "raise"),
    ([-1, 0], 0, "raise"), ([5, -7, 2], 1, "wrap"), ([5, -7, 2], -2, "clip"),
    (np.array([True, False]), 0, "raise"), ([], 1, "raise"), (7, 0, "wrap")])
def test_take(indices, axis, mode, dtype):
    check(bind(np.take, indices, axis=axis, mode=mode), _x((3, 4), dtype))


def test_take_method():
    check(lambda x: x.take([1, -1]), _x())
    check(lambda x: x.take([[2]], axis=1, mode="clip"), _x())


def test_take_traced_indices_and_errors():
    check(lambda x, i: np.take(x, i, axis=1), _x(), np.array([[3, 0], [1, 1]]))
    check(lambda x, i: np.take(x, i), _x(), np.array([True, False]))
    check(lambda x, i: np.take(x, i, mode="wrap"), _x(), np.array([13, -1]))
    raises_like_numpy(bind(np.take, [12]), _x())
    raises_like_numpy(lambda x, i: np.take(x, i), _x(), np.array([1.0]))
    check(bind(np.take, [1.5, True]), _x())
    raises_like_numpy(bind(np.take, [1], mode="bad"), _x())


# --- diff / ediff1d -----------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ALL)
@pytest.mark.parametrize("kwargs", [{}, {"n": 2}, {"n": 0}, {"axis": 0}, {"n": 5},
                                    {"prepend": 0}, {"append": [[1], [2], [3]]},
                                    {"n": 2, "axis": -2, "prepend": 1, "append": 2}])
def test_diff(kwargs, dtype):
    check(lambda x: np.diff(x, **kwargs), _x((3, 4), dtype))


def test_diff_errors_and_traced_edges():
    raises_like_numpy(bind(np.diff), _x(()))
    raises_like_numpy(bind(np.diff, -1), _x((3,)))
    raises_like_numpy(bind(np.diff, axis=2), _x((3,)))
    check(lambda x, p: np.diff(x, prepend=p, append=p), _x((2, 3)), np.float64(2.5))
    check(bind(np.diff), _x((0,)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64])
@pytest.mark.parametrize("kwargs", [{}, {"to_begin": 5}, {"to_end": [1, 2]},
                                    {"to_begin": [[0]], "to_end": -1}])
def test_ediff1d(kwargs, dtype):
    check(lambda x: np.ediff1d(x, **kwargs), _x((2, 3), dtype))
    check(lambda x: np.ediff1d(x, **kwargs), _x((1,), dtype))


def test_ediff1d_errors():
    raises_like_numpy(bind(np.ediff1d, to_begin=1.5), _x((3,), np.int64))
    raises_like_numpy(bind(np.ediff1d), _x((3,), np.bool_))


# --- convolve / correlate -----------------------------------------------------------------
@pytest.mark.parametrize("dtype", ALL)
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("n, m", [(5, 3), (3, 5), (4, 4), (1, 3), (2, 5), (6, 1)])
def test_convolve_and_correlate(n, m, mode, dtype):
    a, v = _x((n,), dtype), _x((m,), dtype, seed=1)
    check(lambda a, v: np.convolve(a, v, mode), a, v)
    check(lambda a, v: np.correlate(a, v, mode), a, v)


def test_convolve_mixed_dtypes_scalars_and_errors():
    check(lambda a: np.convolve(a, [1, 2]), _x((3,), np.float32))
    check(lambda a: np.convolve(a, 2.0), _x((3,), np.float32))
    check(lambda a, v: np.convolve(a, v), _x((), np.int32), _x((3,), np.float32))
    raises_like_numpy(lambda a: np.convolve(a, np.zeros(0)), _x((3,)))
    raises_like_numpy(lambda a: np.convolve(a, a), _x((2, 2)))
    raises_like_numpy(lambda a: np.correlate(a, a, "nope"), _x((2,)))


# --- meshgrid / diag / tri ----------------------------------------------------------------
@pytest.mark.parametrize("dtype", ALL)
@pytest.mark.parametrize("kwargs", [{}, {"indexing": "ij"}, {"sparse": True},
                                    {"sparse": True, "indexing": "ij"}, {"copy": False}])
def test_meshgrid(kwargs, dtype):
    x, y, z = _x((3,), dtype), _x((2,), dtype, 1), _x((2, 2), dtype, 2)
    check_tree(lambda x, y: np.meshgrid(x, y, **kwargs), x, y)
    check_tree(lambda x, y, z: np.meshgrid(x, y, z, **kwargs), x, y, z)
    check_tree(lambda x: np.meshgrid(x, **kwargs), x)


def test_meshgrid_bad_indexing():
    raises_like_numpy(lambda x: np.meshgrid(x, x, indexing="yx"), _x((2,)))


@pytest.mark.parametrize("dtype", ALL)
@pytest.mark.parametrize("k", [0, 1, -2, 5])
def test_diag_and_diagflat(k, dtype):
    check(bind(np.diag, k), _x((3,), dtype))
    check(bind(np.diag, k), _x((3, 4), dtype))
    check(bind(np.diagflat, k), _x((2, 2), dtype))
    check(bind(np.diag, k), _x((0,), dtype))
    raises_like_numpy(bind(np.diag, k), _x((2, 2, 2), dtype))
    raises_like_numpy(bind(np.diag, k), _x((), dtype))


@pytest.mark.parametrize("dtype", ALL)
@pytest.mark.parametrize("k", [0, 1, -1, 4, -4])
@pytest.mark.parametrize("shape", [(3, 4), (4, 3), (2, 3, 3), (3,), (0, 2)])
def test_triu_tril(shape, k, dtype):
    x = _x(shape, dtype)
    check(bind(np.triu, k), x)
    check(bind(np.tril, k), x)


def test_triu_nan_and_0d():
    check(np.triu, np.array([[np.nan, 1.0], [np.inf, 2.0]]))
    raises_like_numpy(np.triu, _x(()))


def test_tri_and_triu_with_traced_sizes():
    @at.trace(input_signature=[at.TensorSpec((None, None), np.float64)])
    def f(x):
        return np.triu(x, 1) + np.tril(x, -1) * 2 + np.tri(x.shape[0], x.shape[1], 0)

    for shape in [(2, 3), (4, 4), (3, 1)]:
        x = _x(shape)
        want = np.triu(x, 1) + np.tril(x, -1) * 2 + np.tri(*shape)
        np.testing.assert_array_equal(f(x), want)


# --- stacking, splitting, flips, insert / delete / append / resize -----------------------
@pytest.mark.parametrize("dtype", ALL)
def test_column_stack_dstack(dtype):
    a, b, c = _x((3,), dtype), _x((3, 2), dtype, 1), _x((), dtype, 2)
    check(lambda a, b: np.column_stack([a, b]), a, b)
    check(lambda a: np.column_stack((a, a)), a)
    check(lambda c: np.column_stack([c, c]), c)
    check(lambda a, b: np.dstack([a, b[:, 0]]), a, b)
    check(lambda b: np.dstack([b, b, b]), b)
    check(lambda c: np.dstack([c]), c)
    raises_like_numpy(lambda a, b: np.column_stack([a, b[:2]]), a, b)


@pytest.mark.parametrize("sections", [1, 2, 3, 5, [1, 3], [0], [2, 1], [6]])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_array_split(sections, axis):
    check_tree(lambda x: np.array_split(x, sections, axis=axis), _x((4, 5)))


def test_array_split_errors():
    raises_like_numpy(bind(np.array_split, 0), _x((4,)))


@pytest.mark.parametrize("dtype", ALL)
@pytest.mark.parametrize("k", [0, 1, 2, 3, -1, 6])
@pytest.mark.parametrize("axes", [(0, 1), (1, 0), (-1, 0), (0, 2)])
def test_rot90(k, axes, dtype):
    check(bind(np.rot90, k, axes), _x((2, 3, 4), dtype))


@pytest.mark.parametrize("axes", [(0, 0), (0,), (0, 3), (0, -3)])
def test_rot90_errors(axes):
    raises_like_numpy(bind(np.rot90, 1, axes), _x((2, 3, 4)))


@pytest.mark.parametrize("dtype", ALL)
def test_flips(dtype):
    check(np.fliplr, _x((2, 3), dtype))
    check(np.flipud, _x((2, 3), dtype))
    check(np.flipud, _x((3,), dtype))
    raises_like_numpy(np.fliplr, _x((3,), dtype))
    raises_like_numpy(np.flipud, _x((), dtype))


@pytest.mark.parametrize("dtype", ALL)
def test_append(dtype):
    x = _x((2, 3), dtype)
    check(lambda x: np.append(x, [1, 2]), x)
    check(lambda x: np.append(x, x, axis=0), x)
    check(lambda x: np.append(x, x[:, :1], axis=-1), x)
    check(lambda x: np.append(x[0], 2.5), x)
    raises_like_numpy(lambda x: np.append(x, x[0], axis=0), x)


@pytest.mark.parametrize("dtype", ALL)
@pytest.mark.parametrize("obj, values, axis", [
    (1, 9, None), (-1, [7, 8], None), (1, 5, 1), (0, [[1, 2, 3]], 0), (2, [1, 2], 0),
    ([1], [[1], [2]], 1), ([0, 2, 2], 4, 1), ([3, 0], [[1, 2], [3, 4]], 1),
    (slice(0, 3, 2), 6, 1), ([], 1, 0), (np.array([True, False, True]), 0, 1),
    (3, 1.7, 1), (2, [1, 2, 3], 0)])
def test_insert(obj, values, axis, dtype):
    check(lambda x: np.insert(x, obj, values, axis=axis), _x((2, 3), dtype))


def test_insert_traced_values_and_errors():
    x = _x((2, 3))
    check(lambda x, v: np.insert(x, 1, v, axis=1), x, np.array([5.0, 6.0]))
    check(lambda x, v: np.insert(x, [0, 3], v, axis=1), x, np.array([[5.0], [6.0]]))
    check(lambda x, v: np.insert(x, 2, v), x, np.float32(4.0))
    raises_like_numpy(lambda x: np.insert(x, 4, 0, axis=1), x)
    raises_like_numpy(lambda x: np.insert(x, [[0]], 0, axis=1), x)
    raises_like_numpy(lambda x: np.insert(x, 1, [1, 2], axis=0), x)
    with pytest.raises(NotImplementedError, match="traced indices"):
        at.trace(lambda x, i: np.insert(x, i, 0.0), autograph=False)(x, np.int64(1))


@pytest.mark.parametrize("dtype", ALL)
@pytest.mark.parametrize("obj, axis", [(1, None), (-1, 0), ([0, 2], 1), (slice(1, None), 1),
                                       (np.array([True, False, True]), 1), ([], 0),
                                       ([0, 0], 1)])
def test_delete(obj, axis, dtype):
    check(lambda x: np.delete(x, obj, axis=axis), _x((2, 3), dtype))


def test_delete_errors():
    raises_like_numpy(lambda x: np.delete(x, 3, axis=1), _x((2, 3)))
    raises_like_numpy(lambda x: np.delete(x, 0, axis=2), _x((2, 3)))


@pytest.mark.parametrize("dtype", ALL)
@pytest.mark.parametrize("shape", [(3, 3), 7, (0,), (2, 0), (), (1,), [2, 1, 2]])
def test_resize(shape, dtype):
    check(bind(np.resize, shape), _x((2, 2), dtype))
    check(bind(np.resize, shape), _x((0,), dtype))


def test_resize_errors():
    raises_like_numpy(bind(np.resize, (-1, 2)), _x((2, 2)))


def test_put_along_axis_writes_a_traced_array():
    """numpy's in-place writers work on traced arrays (autotrace/mutation.py; more in
    tests/test_state_inplace_numpy.py)."""
    def f(x):
        y = x * 1.0
        np.put_along_axis(y, np.array([[0], [1]]), 1.0, 1)
        return y

    np.testing.assert_array_equal(at.trace(f, autograph=False)(_x((2, 2))), f(_x((2, 2))))


# --- creation with traced arguments -------------------------------------------------------
@pytest.mark.parametrize("dtype", [None, np.float32, np.int64, np.int32])
@pytest.mark.parametrize("kwargs", [{}, {"num": 1}, {"num": 0}, {"num": 2, "endpoint": False},
                                    {"num": 7, "endpoint": False}, {"num": 5, "axis": -1},
                                    {"num": 1, "endpoint": False}])
@pytest.mark.parametrize("kinds", [("f64", "f64"), ("f32", "f32"), ("i64", "f32"),
                                   ("f32", "py")])
def test_linspace(kinds, kwargs, dtype):
    start = sample((2,), DTYPES[kinds[0]])
    stop = 3.5 if kinds[1] == "py" else sample((), DTYPES[kinds[1]], seed=1) + 4
    check(lambda a: np.linspace(a, stop, dtype=dtype, **kwargs), start)
    check(lambda a, b: np.linspace(b, a, 5, dtype=dtype), start, np.float64(2.0))


def test_linspace_retstep_equal_endpoints_and_errors():
    check_tree(lambda a: np.linspace(a, 3.0, 4, retstep=True), np.float64(1.0))
    check(lambda a: np.linspace(a, a, 4), np.float32(1.0))
    check(lambda a: np.linspace(a, 5e-324, 3), np.float64(0.0))
    raises_like_numpy(lambda a: np.linspace(a, 1.0, -1), np.float64(0.0))


@pytest.mark.parametrize("kwargs", [{}, {"base": 2.0}, {"num": 3, "endpoint": False},
                                    {"dtype": np.float32}, {"base": [2.0, 3.0]},
                                    {"axis": 1, "base": [2.0, 3.0]}])
def test_logspace(kwargs):
    check(lambda a: np.logspace(a, 2.0, **{"num": 4, **kwargs}), np.array([0.5, 1.0]))


@pytest.mark.parametrize("dtype", [None, np.float32, np.int64])
@pytest.mark.parametrize("kwargs", [{}, {"num": 1}, {"num": 0}, {"num": 3, "endpoint": False},
                                    {"num": 4, "axis": -1}])
@pytest.mark.parametrize("ends", [(2.0, 64.0), (-1.0, -1000.0), ([1.0, -2.0], [10.0, -3.0]),
                                  (3, 5)])
def test_geomspace(ends, kwargs, dtype):
    start, stop = (np.asarray(e) for e in ends)
    check(lambda a: np.geomspace(a, ends[1], dtype=dtype, **kwargs), start)
    check(lambda a, b: np.geomspace(a, b, 5, dtype=dtype), start.astype(np.float32), stop)


def test_geomspace_zero_is_refused_when_the_graph_runs():
    cf = at.trace(lambda a: np.geomspace(a, 8.0, 3)).get_concrete_function(np.float64(1.0))
    np.testing.assert_array_equal(cf(np.float64(2.0)), np.geomspace(2.0, 8.0, 3))
    with pytest.raises(ValueError, match="Geometric sequence cannot include zero"):
        cf(np.float64(0.0))
    raises_like_numpy(lambda a: np.geomspace(a, 0.0, 3), np.float64(1.0))
    with pytest.raises(NotImplementedError, match="complex"):
        at.trace(lambda a: np.geomspace(a, 8.0, 3), autograph=False)(np.complex128(1.0))


def test_logspace_traced_base():
    check(lambda a, b: np.logspace(0.0, a, 3, base=b), np.float64(2.0), np.float64(3.0))


def test_creation_with_traced_sizes():
    @at.trace(input_signature=[at.TensorSpec((None, 3), np.float32)])
    def f(x):
        n = x.shape[0]
        z = np.zeros((n, 3), np.float32) + np.ones((n, 1)) + np.empty((n, 3))
        return z + np.full((n, 3), x[0, 0]) + np.full_like(x, 2.0)

    for n in (1, 4):
        x = _x((n, 3), np.float32)
        got = f(x)
        want = (np.zeros((n, 3), np.float32) + np.ones((n, 1)) + np.zeros((n, 3)) +
                np.full((n, 3), x[0, 0]) + np.full_like(x, 2.0))
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


def test_full_with_traced_fill_is_differentiable():
    def f(v):
        return (np.full((2, 3), v) * np.arange(6.0).reshape(2, 3)).sum()

    def g(v):
        return np.full((2, 2), v), np.full((2, 2), v, dtype=np.int64), np.full((2, 3), v[:1])

    assert at.grad(f)(np.float64(2.0)) == 15.0
    for v in (np.array([1.5, 2.5, 3.5], np.float32), np.array([1, 2, 3])):
        for got, want in zip(at.trace(g)(v[:1]), g(v[:1])):
            assert got.dtype == want.dtype
            np.testing.assert_array_equal(got, want)
    with pytest.raises(at.TracingError, match="np.asarray"):  # numpy's own np.full
        at.trace(g, autograph=False)(v)


def test_identity_and_indices_with_traced_sizes():
    @at.trace(input_signature=[at.TensorSpec((None,), np.float64)])
    def f(x):
        n = x.shape[0]
        return np.identity(n), np.indices((n, 2)), np.indices((2, n), sparse=True)

    for n in (1, 3):
        eye, grid, sparse = f(np.ones(n))
        np.testing.assert_array_equal(eye, np.identity(n))
        np.testing.assert_array_equal(grid, np.indices((n, 2)))
        for got, want in zip(sparse, np.indices((2, n), sparse=True)):
            np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", ALL)
def test_like_functions(dtype):
    x = _x((2, 3), dtype)
    check(lambda x: np.empty_like(x) * 0, x)
    check(lambda x: np.zeros_like(x, dtype=np.float32), x)
    check(lambda x: np.ones_like(x), x)
    check(lambda x: np.full_like(x, 7), x)


def test_converted_code_calls_creation_through_at_call():
    def f(x):
        return np.zeros((x.shape[0], 2)) + x[:, :2]

    g = at.trace(f, input_signature=[at.TensorSpec((None, 3), np.float64)])
    assert "at__.call(np.zeros" in g.code
    x = _x((2, 3))
    np.testing.assert_array_equal(g(x), f(x))


# --- gradients, JVPs and vmap of the compositions -----------------------------------------
ITEMS = [(name, k, case, shapes) for name, cases in sorted(COMPOSED.items())
         for k, case in enumerate(cases) for shapes in case.shapes]


@pytest.mark.parametrize("item", ITEMS, ids=lambda i: f"{i[0]}[{i[1]}]-{i[3]}")
def test_composed_gradients(item):
    name, _, case, shapes = item
    check_composed(case, shapes)


# --- export and other backends --------------------------------------------------------------
def _convolved(a):
    return np.convolve(a, a) + np.diag(a).sum()


def test_ops_without_onnx_form_are_named():
    pytest.importorskip("onnx")
    with pytest.raises(at.UnsupportedError, match="no ONNX form for the ops convolve, "
                                                  "diagonal_scatter"):
        at.export_onnx(at.trace(_convolved), np.ones(3))


@pytest.mark.parametrize("mode", MODES)
def test_pad_exports_to_onnx(mode):
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    x = _x((3, 4))
    for f in (lambda x: np.pad(x, ((1, 5), (0, 2)), mode=mode),
              lambda x: np.pad(x, 1, mode=mode) * 2):
        model = at.export_onnx(at.trace(f), x)
        session = ort.InferenceSession(model.SerializeToString())
        (got,) = session.run(None, {session.get_inputs()[0].name: x})
        np.testing.assert_array_equal(got, f(x))
    with pytest.raises(at.UnsupportedError, match="differ by side"):
        at.export_onnx(at.trace(lambda x: np.pad(x, 1, constant_values=(1, 2))), x)


def test_compositions_export_to_onnx():
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")

    def f(x):
        return np.pad(x, 1, mode="reflect")[1:-1, :4] + np.roll(np.triu(x), 1, axis=0) + \
            np.diff(x, prepend=0.0) + np.linspace(x[0, 0], 3.0, 4)

    x = _x((3, 4))
    model = at.export_onnx(at.trace(f), x)
    session = ort.InferenceSession(model.SerializeToString())
    (got,) = session.run(None, {session.get_inputs()[0].name: x})
    np.testing.assert_allclose(got, f(x), rtol=1e-12)


def test_vmap_of_compositions_is_vectorized():
    """Indexing with a key shared by every example is one node on the stacked values."""
    def f(x):
        return np.pad(x, 1, mode="reflect")[1:] + np.roll(x, 1)[0] + np.diff(x, prepend=0.0)[1]

    x = _x((5, 3))
    graph = at.trace(at.vmap(f)).get_concrete_function(x).graph
    names = [node.op.name for node in graph.nodes]
    assert names.count("getitem") == 7 and names.count("pad") == 1, names  # not per example
    np.testing.assert_array_equal(at.vmap(f)(x), np.stack([f(row) for row in x]))


def test_traced_sizes_export_to_onnx():
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")

    def f(x, c):
        return np.zeros((x.shape[0], 2), np.float32) + np.full((x.shape[0], 1), c) + \
            np.pad(x, 1, constant_values=c)[1:-1, 1:3]

    spec = [at.TensorSpec((None, 4), np.float32), at.TensorSpec((), np.float32)]
    model = at.export_onnx(at.trace(f, input_signature=spec), *spec)
    session = ort.InferenceSession(model.SerializeToString())
    for n in (1, 3):
        x, c = _x((n, 4), np.float32), np.float32(2.5)
        names = [i.name for i in session.get_inputs()]
        (got,) = session.run(None, dict(zip(names, (x, np.asarray(c)))))
        np.testing.assert_array_equal(got, f(x, c))


def test_meshgrid_and_diag_of_unknown_lengths():
    def f(x, y):
        gx, gy = np.meshgrid(x, y)
        hx, hy, hz = np.meshgrid(x, y, x[:2], indexing="ij")
        return gx * gy, hx + hy * hz, np.diag(x, 1), np.diag(y, -2)

    spec = [at.TensorSpec((None,), np.float64)] * 2
    traced = at.trace(f, input_signature=spec)
    for n, m in [(1, 3), (4, 2)]:
        x, y = _x((n,)), _x((m,), seed=1)
        for got, want in zip(traced(x, y), f(x, y)):
            assert got.shape == want.shape
            np.testing.assert_array_equal(got, want)
    g = at.grad(lambda x, y: (np.meshgrid(x, y)[0] * np.diag(y)[0, 0]).sum(), argnums=(0, 1))
    want = at.grad(lambda x, y: (np.meshgrid(x, y)[0] * y[0]).sum(), argnums=(0, 1))
    for a, b in zip(g(_x((3,)), _x((2,))), want(_x((3,)), _x((2,)))):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("mode", MODES)
def test_pad_on_dask(mode):
    pytest.importorskip("dask")
    x = _x((2, 3), np.int32)

    def f(x, c):
        return np.pad(x, ((1, 2), (3, 0)), mode=mode) + np.pad(x, 1, constant_values=c)[:1, :1]

    got = at.trace(f, backend="dask")(x, np.float64(2.5))
    want = f(x, np.float64(2.5))
    got = np.asarray(got.compute())
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=3), st.data())
def test_insert_delete_take_hypothesis(shape, data):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    n = shape[axis]
    positions = data.draw(st.lists(st.integers(-n, n - 1), max_size=4))
    x = _x(tuple(shape))
    check(lambda x: np.delete(x, positions, axis=axis), x, eager=False)
    check(lambda x: np.take(x, positions, axis=axis), x, eager=False)
    at_ = data.draw(st.lists(st.integers(-n, n), min_size=1, max_size=3))
    check(lambda x: np.insert(x, at_, 7.5, axis=axis), x, eager=False)
    check(lambda x: np.insert(x, at_[0], 7.5, axis=axis), x, eager=False)
