"""numpy.linalg (solvers, decompositions, norms, products) against numpy as the oracle:
values, dtypes, shapes and result types (numpy's named tuples) over float32/float64/int/bool,
stacked, 1x1 and empty matrices; numpy's errors (shape errors when tracing, LinAlgError for
singular matrices when the graph runs); the documented gradient conventions and refusals.
Gradient/JVP/vmap cases of the ops are in tests/op_cases/linalg.py."""

import math

import numpy as np
import pytest
from oracle import assert_same, check, raises_like_numpy, sample

import autotrace as at
from autotrace.ops import OPS

# p-norms of zeros (0 ** -1) and gradients at repeated eigenvalues divide by zero
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

DTYPES = {"f32": np.float32, "f64": np.float64, "i64": np.int64, "i32": np.int32,
          "bool": np.bool_}
SQUARE_SHAPES = [(3, 3), (1, 1), (2, 3, 3), (2, 1, 2, 2), (0, 0), (2, 0, 0)]
RECT_SHAPES = [(4, 3), (3, 4), (2, 4, 2), (1, 3), (0, 3), (3, 0)]


def invertible(shape, dtype, seed=0):
    """Integers (halves for floats) with a dominant diagonal: invertible, exact inputs."""
    a = sample(shape, np.float64, seed)
    k = min(shape[-2:]) if len(shape) >= 2 else 0
    if k:
        a[..., range(k), range(k)] += 8 if np.dtype(dtype).kind != "b" else 0
    return a.astype(dtype)


def spd(shape, dtype, seed=0):
    a = sample(shape, np.float64, seed)
    out = a @ np.swapaxes(a, -1, -2) + (shape[-1] + 1) * np.eye(shape[-1])
    return out.astype(dtype)


def check_parts(fn, n, *args):
    """`check` each of the `n` results of `fn` (and the result type, a named tuple)."""
    with np.errstate(all="ignore"):
        expected = fn(*args)
    got = at.trace(fn, autograph=False)(*args)
    assert type(got) is type(expected)
    for k in range(n):
        check(lambda *xs, k=k: fn(*xs)[k], *args)


def _outcome(fn, *args):
    try:
        return fn(*args)
    except np.linalg.LinAlgError as e:
        return e


# --- solve / inv / det / slogdet --------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES.values(), ids=DTYPES.keys())
@pytest.mark.parametrize("shape", SQUARE_SHAPES, ids=str)
def test_inv_det_slogdet(shape, dtype):
    a = invertible(shape, dtype)
    check(np.linalg.inv, a)
    check(np.linalg.det, a)
    check_parts(np.linalg.slogdet, 2, a)


@pytest.mark.parametrize("dtype", DTYPES.values(), ids=DTYPES.keys())
@pytest.mark.parametrize("shapes", [
    ((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (3, 1)), ((2, 3, 3), (2, 3, 4)),
    ((3, 3), (2, 3, 2)), ((2, 1, 2, 2), (3, 2, 1)), ((0, 0), (0,)), ((2, 2), (2, 0)),
], ids=str)
def test_solve(shapes, dtype):
    a, b = invertible(shapes[0], dtype), sample(shapes[1], dtype, seed=1)
    check(np.linalg.solve, a, b)


def test_mixed_dtypes_promote_like_numpy():
    a32, a64 = invertible((3, 3), np.float32), invertible((3, 3), np.float64)
    check(np.linalg.solve, a32, sample((3,), np.float32))
    check(np.linalg.solve, a32, sample((3,), np.int64))
    check(np.linalg.solve, a32, sample((3,), np.float64))
    check(lambda a: np.linalg.inv(a) + a, a32)
    check(np.linalg.pinv, a64.astype(np.int32))


def test_singular_matrices_raise_linalgerror_when_the_graph_runs():
    singular = np.array([[1.0, 2.0], [2.0, 4.0]])
    for fn, bad in [(np.linalg.inv, singular), (np.linalg.cholesky, -np.eye(2)),
                    (lambda a: np.linalg.solve(a, np.ones(2)), singular),
                    (np.linalg.slogdet, singular), (np.linalg.matrix_rank, singular)]:
        traced = at.trace(fn, autograph=False)
        traced(np.eye(2) * 2)  # the graph is built on a good input...
        with np.errstate(all="ignore"):
            expected = _outcome(fn, bad)
        if isinstance(expected, Exception):
            with pytest.raises(np.linalg.LinAlgError):
                traced(bad)  # ...and raises numpy's error when it runs on a bad one
        else:
            np.testing.assert_array_equal(traced(bad), expected)
    assert np.linalg.det(singular) == at.trace(np.linalg.det)(singular) == 0.0


@pytest.mark.parametrize("fn, args, words", [
    (np.linalg.inv, [np.ones((2, 3))], "Last 2 dimensions of the array must be square"),
    (np.linalg.det, [np.ones(3)], "1-dimensional array given"),
    (np.linalg.solve, [np.ones((2, 2)), np.ones(3)], "solve1: Input operand 1 has a mismatch"),
    (np.linalg.solve, [np.ones((2, 2)), np.ones((3, 1))], "(size 3 is different from 2)"),
    (np.linalg.solve, [np.ones((2, 2)), np.float64(1.0)], "does not have enough dimensions"),
    (np.linalg.solve, [np.ones((2, 2, 2)), np.ones((3, 2, 1))], None),
    (np.linalg.cholesky, [np.ones((2, 3))], "must be square"),
    (np.linalg.inv, [np.ones((2, 2), np.float16)], "float16 is unsupported in linalg"),
    (np.linalg.eigh, [np.ones((3, 2))], "must be square"),
    (lambda a: np.linalg.eigh(a, UPLO="X"), [np.eye(2)], "UPLO argument must be 'L' or 'U'"),
    (np.linalg.svd, [np.ones(3)], "1-dimensional array given"),
    (lambda a: np.linalg.qr(a, mode="x"), [np.eye(2)], "Unrecognized mode 'x'"),
    (np.linalg.lstsq, [np.ones((2, 2, 2)), np.ones(2)], "Array must be two-dimensional"),
    (np.linalg.lstsq, [np.ones((3, 2)), np.ones(4)], "Incompatible dimensions"),
    (lambda a: np.linalg.cond(a, 1), [np.ones((2, 3))], "must be square"),
    (lambda a: np.linalg.cond(a, 3), [np.eye(2)], "Invalid norm order for matrices."),
], ids=lambda v: v if isinstance(v, str) else None)
def test_errors_at_trace_time(fn, args, words):
    fn_name = getattr(fn, "__name__", "")
    err = raises_like_numpy(fn, *args)
    if words:
        assert words in str(err), (fn_name, str(err))


# --- cholesky / qr / svd / eigh / eig ---------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES.values(), ids=DTYPES.keys())
@pytest.mark.parametrize("shape", [s for s in SQUARE_SHAPES if s[-1]] + [(0, 0)], ids=str)
def test_cholesky_eigh(shape, dtype):
    a = spd(shape, dtype) if shape[-1] else np.ones(shape, dtype)
    check(np.linalg.cholesky, a)
    check(lambda x: np.linalg.cholesky(x, upper=True), a)
    check_parts(np.linalg.eigh, 2, a)
    check_parts(lambda x: np.linalg.eigh(x, UPLO="U"), 2, a)
    check(np.linalg.eigvalsh, a)
    check(lambda x: np.linalg.eigvalsh(x, "U"), a)


@pytest.mark.parametrize("dtype", DTYPES.values(), ids=DTYPES.keys())
@pytest.mark.parametrize("shape", RECT_SHAPES + SQUARE_SHAPES[:3], ids=str)
def test_qr_svd_pinv(shape, dtype):
    a = sample(shape, dtype)
    check_parts(np.linalg.qr, 2, a)
    check_parts(lambda x: np.linalg.qr(x, mode="complete"), 2, a)
    check(lambda x: np.linalg.qr(x, mode="r"), a)
    check_parts(np.linalg.svd, 3, a)
    check_parts(lambda x: np.linalg.svd(x, full_matrices=False), 3, a)
    check(lambda x: np.linalg.svd(x, compute_uv=False), a)
    check(np.linalg.svdvals, a)
    check(np.linalg.pinv, a)
    check(lambda x: np.linalg.pinv(x, rcond=0.1), a)
    check(lambda x: np.linalg.pinv(x, rtol=0.1), a)
    check(np.linalg.matrix_rank, a)
    check(lambda x: np.linalg.matrix_rank(x, tol=1.0), a)


@pytest.mark.parametrize("p", [None, 1, -1, 2, -2, np.inf, -np.inf, "fro", "nuc"], ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64], ids=str)
def test_cond(p, dtype):
    check(lambda x: np.linalg.cond(x, p), invertible((3, 3), dtype))
    check(lambda x: np.linalg.cond(x, p), invertible((2, 3, 3), dtype, seed=1))
    check(lambda x: np.linalg.cond(x, p), np.array([[1.0, 2.0], [2.0, 4.0]], dtype))


def test_eig_of_complex_matrices_forward():
    a = sample((3, 3), np.complex128)
    check_parts(np.linalg.eig, 2, a)
    check(np.linalg.eigvals, a)
    check(np.linalg.eigvals, sample((2, 3, 3), np.complex64))
    assert not OPS["eig"].differentiable and OPS["eig"].vjp is None


def test_eig_of_real_matrices_is_refused():
    for fn in (np.linalg.eig, np.linalg.eigvals):
        with pytest.raises(at.UnsupportedError, match="the dtype depends on the values"):
            at.trace(fn)(np.eye(2))
    check(lambda x: np.linalg.eigvals(x + 0j), np.array([[0.0, -1.0], [1.0, 0.0]]))


def test_qr_raw_and_svd_hermitian_are_refused():
    with pytest.raises(at.UnsupportedError, match="mode='raw'"):
        at.trace(lambda x: np.linalg.qr(x, mode="raw"))(np.eye(2))
    with pytest.raises(at.UnsupportedError, match="hermitian=True"):
        at.trace(lambda x: np.linalg.svd(x, hermitian=True))(np.eye(2))


# --- lstsq ------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64], ids=str)
@pytest.mark.parametrize("shapes", [((5, 3), (5,)), ((5, 3), (5, 2)), ((3, 3), (3,)),
                                    ((2, 4), (2, 3)), ((2, 4), (2,))], ids=str)
def test_lstsq(shapes, dtype):
    a, b = invertible(shapes[0], dtype), sample(shapes[1], dtype, seed=1)
    for k in range(4):
        check(lambda x, y, k=k: np.linalg.lstsq(x, y)[k], a, b)
        check(lambda x, y, k=k: np.linalg.lstsq(x, y, rcond=0.01)[k], a, b)
    assert isinstance(at.trace(np.linalg.lstsq)(a, b), tuple)


def test_lstsq_rank_deficient_raises_when_the_graph_runs():
    a = np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]])
    assert np.linalg.lstsq(a, np.ones(3))[1].shape == (0,)  # numpy: empty residuals
    with pytest.raises(np.linalg.LinAlgError, match="has rank 1 < 2"):
        at.trace(np.linalg.lstsq)(a, np.ones(3))


# --- norm -------------------------------------------------------------------------------------
VECTOR_ORDS = [None, 1, 2, -1, -2, 3, 0.5, 0, np.inf, -np.inf]
MATRIX_ORDS = [None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf]


P_NORMS = (3, 0.5, -1, -2)


def close_scalar(fn, x):
    """A p-norm reduced to a scalar: numpy takes its final root `ret **= 1/p` with scalar
    math (libm's pow), the graph with the `np.power` ufunc loop (which may be SIMD): they
    can differ in the last bit, so compare to within 2 ulp."""
    want, got = fn(x), at.trace(fn, autograph=False)(x)
    assert type(got) is type(want) and got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=2 * np.finfo(want.dtype).eps)


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("dtype", DTYPES.values(), ids=DTYPES.keys())
@pytest.mark.parametrize("ord", VECTOR_ORDS, ids=str)
def test_vector_norms(ord, dtype, keepdims):
    v, m = sample((5,), dtype), sample((3, 4), dtype, seed=1)
    scalar_check = check if keepdims or ord not in P_NORMS else close_scalar
    scalar_check(lambda x: np.linalg.norm(x, ord, keepdims=keepdims), v)
    scalar_check(lambda x: np.linalg.norm(x, ord, axis=0, keepdims=keepdims), v)
    check(lambda x: np.linalg.norm(x, ord, axis=-1, keepdims=keepdims), m)
    check(lambda x: np.linalg.norm(x, ord, axis=(0,), keepdims=keepdims), m)
    check(lambda x: np.linalg.vector_norm(x, ord=ord if ord is not None else 2,
                                          keepdims=keepdims), m)
    check(lambda x: np.linalg.vector_norm(x, axis=(0, 2), ord=ord if ord else 2,
                                          keepdims=keepdims), sample((2, 3, 2), dtype))
    check(lambda x: np.linalg.norm(x, ord, axis=0), np.zeros((0, 2), dtype))


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("dtype", DTYPES.values(), ids=DTYPES.keys())
@pytest.mark.parametrize("ord", MATRIX_ORDS, ids=str)
def test_matrix_norms(ord, dtype, keepdims):
    m, stack = sample((3, 4), dtype), sample((2, 3, 4), dtype, seed=1)
    check(lambda x: np.linalg.norm(x, ord, keepdims=keepdims), m)
    check(lambda x: np.linalg.norm(x, ord, axis=(1, 0), keepdims=keepdims), m)
    check(lambda x: np.linalg.norm(x, ord, axis=(-1, 0), keepdims=keepdims), stack)
    check(lambda x: np.linalg.norm(x, ord, axis=(1, 2), keepdims=keepdims), stack)
    check(lambda x: np.linalg.matrix_norm(x, ord=ord or "fro", keepdims=keepdims), stack)


def test_norm_of_any_rank_and_scalars():
    check(np.linalg.norm, sample((2, 3, 4), np.float32))
    check(lambda x: np.linalg.norm(x, keepdims=True), sample((2, 3, 4), np.float64))
    check(np.linalg.norm, sample((), np.float64))
    check(np.linalg.norm, np.zeros((0,)))
    check(np.linalg.vector_norm, sample((2, 3), np.int64))
    check(lambda x: np.linalg.vector_norm(x, axis=1, keepdims=True), sample((2, 3), np.int64))


@pytest.mark.parametrize("fn, x", [
    (lambda x: np.linalg.norm(x, "fro", axis=0), np.ones(3)),
    (lambda x: np.linalg.norm(x, "nuc"), np.ones(3)),
    (lambda x: np.linalg.norm(x, 3), np.ones((2, 2))),
    (lambda x: np.linalg.norm(x, axis=(0, 0)), np.ones((2, 2))),
    (lambda x: np.linalg.norm(x, axis=(0, 1, 2)), np.ones((2, 2, 2))),
    (lambda x: np.linalg.norm(x, 1), np.ones((2, 2, 2))),
    (lambda x: np.linalg.norm(x, axis=2), np.ones((2, 2))),
    (lambda x: np.linalg.norm(x, axis="a"), np.ones((2, 2))),
])
def test_norm_errors(fn, x):
    raises_like_numpy(fn, x)


def test_norm_gradients_and_the_convention_at_zero():
    x = np.array([3.0, -4.0])
    np.testing.assert_allclose(at.grad(np.linalg.norm)(x), x / 5)
    for ord in (1, 2, 3, np.inf, -np.inf):
        at.check_grads(lambda v, o=ord: np.linalg.norm(v, o), (np.array([0.5, -1.5, 1.0]),),
                       order=1)
    at.check_grads(lambda m: np.linalg.norm(m, "fro") * np.linalg.norm(m, 2),
                   (np.array([[2.0, 0.5], [0.3, 1.0]]),), order=2)
    at.check_grads(lambda m: np.linalg.norm(m, 1) + np.linalg.norm(m, -np.inf),
                   (np.array([[2.0, 0.5], [-0.3, 1.1]]),), order=1)
    # the 2-norm at 0 is sqrt(0): nan gradient, as in jax.numpy.linalg.norm (documented)
    assert np.isnan(at.grad(np.linalg.norm)(np.zeros(3))).all()
    np.testing.assert_array_equal(at.grad(lambda v: np.linalg.norm(v, 1))(np.zeros(2)), 0.0)


# --- matrix_power / multi_dot -----------------------------------------------------------------
@pytest.mark.parametrize("n", [0, 1, 2, 3, 4, 5, 7, 13, -1, -2, -5])
@pytest.mark.parametrize("dtype", DTYPES.values(), ids=DTYPES.keys())
def test_matrix_power(n, dtype):
    a = invertible((3, 3), dtype) if n < 0 else sample((3, 3), dtype)
    if np.dtype(dtype).kind in "f":
        a = a / 4  # bounded powers
    check(lambda x: np.linalg.matrix_power(x, n), a)
    check(lambda x: np.linalg.matrix_power(x, n), invertible((2, 2, 2), dtype, seed=1))


def test_matrix_power_errors_and_gradient():
    raises_like_numpy(lambda x: np.linalg.matrix_power(x, 1.5), np.eye(2))
    raises_like_numpy(lambda x: np.linalg.matrix_power(x, 2), np.ones((2, 3)))
    raises_like_numpy(lambda x: np.linalg.matrix_power(x, 2), np.ones(3))
    check(lambda x: np.linalg.matrix_power(x, np.int64(3)), sample((2, 2), np.float64))
    a = invertible((3, 3), np.float64) / 8
    at.check_grads(lambda x: np.linalg.matrix_power(x, 5), (a,), order=2)
    at.check_grads(lambda x: np.linalg.matrix_power(x, -2), (a,), order=2)
    np.testing.assert_array_equal(at.grad(lambda x: np.linalg.matrix_power(x, 0).sum())(a), 0)


@pytest.mark.parametrize("shapes", [
    [(2, 3), (3, 4)], [(3,), (3, 4), (4,)], [(2, 30), (30, 5), (5, 20)],
    [(20, 5), (5, 30), (30, 2)], [(3,), (3, 4), (4, 2)], [(2, 3), (3, 4), (4,)],
    [(10, 2), (2, 30), (30, 3), (3, 40)], [(4,), (4, 5), (5, 6), (6, 2), (2,)],
    [(3,), (3,)],
], ids=str)
def test_multi_dot(shapes):
    arrays = [sample(s, np.float64, seed=k) for k, s in enumerate(shapes)]
    check(lambda *xs: np.linalg.multi_dot(xs), *arrays)
    check(lambda *xs: np.linalg.multi_dot(list(xs)), *[a.astype(np.int64) for a in arrays])


def test_multi_dot_errors():
    raises_like_numpy(lambda x: np.linalg.multi_dot([x]), np.ones((2, 2)))
    raises_like_numpy(lambda x, y, z: np.linalg.multi_dot([x, y, z]), np.ones((2, 2)),
                      np.ones((2, 2, 2)), np.ones((2, 2)))


# --- cross / inner / kron / vdot / vecdot -----------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.int32], ids=str)
@pytest.mark.parametrize("shapes, kwargs", [
    (((3,), (3,)), {}), (((4, 3), (3,)), {}), (((2, 1, 3), (4, 3)), {}),
    (((3, 4), (3, 4)), {"axis": 0}), (((3, 2), (2, 3)), {"axisa": 0, "axisc": 0}),
    (((2, 3), (2, 3)), {"axisb": -1, "axisc": 1}),
    (((4, 2), (4, 2)), {}), (((4, 2), (4, 3)), {}), (((3,), (2,)), {}),
], ids=str)
def test_cross(shapes, kwargs, dtype):
    a, b = sample(shapes[0], dtype), sample(shapes[1], dtype, seed=1)
    with pytest.warns(DeprecationWarning) if 2 in (shapes[0][-1], shapes[1][-1]) and \
            "axis" not in kwargs and "axisa" not in kwargs else _nothing():
        check(lambda x, y: np.cross(x, y, **kwargs), a, b)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_cross_errors_and_linalg_cross():
    raises_like_numpy(lambda x, y: np.cross(x, y), np.ones(4), np.ones(3))
    raises_like_numpy(lambda x, y: np.cross(x, y), np.ones(()), np.ones(3))
    raises_like_numpy(lambda x, y: np.cross(x, y, axisc=3), np.ones(3), np.ones(3))
    check(lambda x, y: np.linalg.cross(x, y), sample((2, 3), np.float64), sample((3,), np.int64))
    check(lambda x, y: np.linalg.cross(x, y, axis=0), sample((3, 2), np.float32),
          sample((3, 2), np.float32, seed=1))
    err = raises_like_numpy(lambda x, y: np.linalg.cross(x, y), np.ones(2), np.ones(3))
    assert "but they are 2 and 3 dimensional instead" in str(err)
    at.check_grads(lambda x, y: np.cross(x, y), (sample((2, 3), np.float64),
                                                 sample((3,), np.float64, seed=1)), order=2)


@pytest.mark.parametrize("dtype", DTYPES.values(), ids=DTYPES.keys())
@pytest.mark.parametrize("shapes", [((3,), (3,)), ((2, 3), (3,)), ((2, 3), (4, 3)),
                                    ((), (2, 3)), ((2, 3), ()), ((2, 2, 3), (4, 3)),
                                    ((0,), (0,))], ids=str)
def test_inner_kron_vdot(shapes, dtype):
    a, b = sample(shapes[0], dtype), sample(shapes[1], dtype, seed=1)
    check(np.inner, a, b)
    check(np.kron, a, b)
    check(np.kron, b, a)
    if a.size == b.size:
        check(np.vdot, a, b)


def test_product_errors_and_gradients():
    err = raises_like_numpy(np.inner, np.ones((2, 3)), np.ones(4))
    assert str(err) == "shapes (2,3) and (4,) not aligned: 3 (dim 1) != 4 (dim 0)"
    raises_like_numpy(np.vdot, np.ones(3), np.ones(4))
    check(np.vdot, sample((2, 2), np.float64), sample((4,), np.float64))
    check(np.vdot, sample((3,), np.complex128), sample((3,), np.complex128, seed=1))
    x, y = sample((2, 3), np.float64), sample((3, 2), np.float64, seed=1)
    at.check_grads(lambda a, b: np.kron(a, b) * np.inner(a, a.T @ b.T).sum(), (x, y), order=2)
    at.check_grads(lambda a, b: np.vdot(a, b.T), (x, y), order=2)


@pytest.mark.parametrize("dtype", DTYPES.values(), ids=DTYPES.keys())
def test_vecdot(dtype):
    a, b = sample((2, 3), dtype), sample((4, 1, 3), dtype, seed=1)
    check(np.vecdot, a, b)
    check(np.linalg.vecdot, a, b)
    check(lambda x, y: np.vecdot(x, y, axis=0), sample((3, 2), dtype), sample((3, 1), dtype))
    check(lambda x, y: np.linalg.vecdot(x, y, axis=-2), sample((3, 2), dtype),
          sample((3, 2), dtype, seed=1))
    err = raises_like_numpy(np.vecdot, np.ones(3), np.ones(4))
    assert "(size 4 is different from 3)" in str(err)


# --- numpy.linalg aliases ---------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES.values(), ids=DTYPES.keys())
def test_linalg_aliases(dtype):
    a, b = sample((2, 3, 4), dtype), sample((4, 3), dtype, seed=1)
    check(np.linalg.matmul, a, b)
    check(np.linalg.outer, a[0, 0], b[0])
    check(np.linalg.trace, a)
    check(lambda x: np.linalg.trace(x, offset=1), a)
    check(np.linalg.diagonal, a)
    check(lambda x: np.linalg.diagonal(x, offset=-1), a)
    check(lambda x, y: np.linalg.tensordot(x, y, axes=1), a, b)
    check(np.linalg.matrix_transpose, a)
    check(np.matrix_transpose, b)
    raises_like_numpy(np.linalg.outer, a, b)
    raises_like_numpy(np.linalg.matrix_transpose, b[0])


# --- documented gradient behaviour and refusals -----------------------------------------------
def test_triangle_reading_ops_have_one_triangle_gradients():
    """cholesky/eigh read one triangle (as LAPACK does): the gradient lives there."""
    a = spd((3, 3), np.float64)
    g = at.grad(lambda x: np.linalg.cholesky(x).sum())(a)
    assert np.all(np.triu(g, 1) == 0)
    g = at.grad(lambda x: np.linalg.eigvalsh(x, UPLO="U")[-1])(a)
    assert np.all(np.tril(g, -1) == 0)
    w, v = np.linalg.eigh(a)
    sym_grad = np.outer(v[:, -1], v[:, -1])  # d lambda_max / dA for symmetric perturbations
    np.testing.assert_allclose(g, np.triu(2 * sym_grad) - np.diag(np.diag(sym_grad)),
                               rtol=1e-10, atol=1e-12)


def test_repeated_eigenvalues():
    """Eigenvalue gradients stay finite; eigenvector gradients divide by the gap (nan/inf)."""
    a = np.diag([1.0, 1.0, 2.0])
    g = at.grad(lambda x: np.linalg.eigvalsh(x).sum())(a)
    np.testing.assert_allclose(g, np.eye(3))
    g = at.grad(lambda x: (np.linalg.eigh(x)[1] ** 2).sum(axis=0)[0] * 2.0)(a)
    assert not np.isfinite(g).all()


def test_gradient_refusals():
    with pytest.raises(at.UnsupportedError, match="full_matrices=False"):
        at.grad(lambda x: np.linalg.svd(x)[0].sum())(np.ones((3, 2)))
    at.grad(lambda x: np.linalg.svd(x)[1].sum())(np.eye(2) + 0.5)  # square: full == reduced
    with pytest.raises(at.UnsupportedError, match="last m - n columns of Q are arbitrary"):
        at.grad(lambda x: np.linalg.qr(x, mode="complete")[1].sum())(np.eye(3, 2) + 0.5)
    with pytest.raises(at.UnsupportedError, match="use mode='reduced'"):
        at.jvp(lambda x: np.linalg.qr(x, mode="complete")[1], (np.eye(3, 2) + 0.5,),
               (np.ones((3, 2)),))
    with pytest.raises(at.UnsupportedError, match="complex matrix is not implemented"):
        OPS["inv"].vjp(np.ones((2, 2)), np.eye(2) + 0j, np.eye(2) + 0j)


def test_det_gradient_uses_the_inverse():
    a = invertible((3, 3), np.float64)
    np.testing.assert_allclose(at.grad(np.linalg.det)(a),
                               np.linalg.det(a) * np.linalg.inv(a).T, rtol=1e-12)
    with pytest.raises(np.linalg.LinAlgError):
        at.grad(np.linalg.det)(np.array([[1.0, 2.0], [2.0, 4.0]]))


def test_grads_through_a_least_squares_fit():
    """A typical use: fit, then differentiate the residual w.r.t. the data."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((6, 2)), rng.standard_normal(6)

    def loss(a, b):
        x = np.linalg.lstsq(a, b)[0]
        return np.sum((a @ x - b) ** 2) + np.linalg.norm(x)

    at.check_grads(loss, (a, b), order=2)
    assert math.isclose(at.trace(loss)(a, b), loss(a, b), rel_tol=1e-12)


def test_vmap_of_linalg():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((4, 3, 3)) + 3 * np.eye(3)
    b = rng.standard_normal((4, 3))
    got = at.vmap(np.linalg.solve)(a, b)
    assert_same(got, np.stack([np.linalg.solve(x, y) for x, y in zip(a, b)]))
    got = at.vmap(np.linalg.solve, in_axes=(None, 0))(a[0], b)
    assert_same(got, np.stack([np.linalg.solve(a[0], y) for y in b]))
    got = at.vmap(lambda x: np.linalg.norm(x, axis=0))(a)
    np.testing.assert_allclose(got, np.linalg.norm(a, axis=1), rtol=1e-12)


# --- ONNX export and array backends -----------------------------------------------------------
def test_onnx_exports_det_and_refuses_the_other_decompositions():
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    for dtype, rtol in ((np.float32, 1e-5),):
        a = invertible((2, 3, 3), dtype)
        model = at.export_onnx(np.linalg.det, a)
        onnx.checker.check_model(model, full_check=True)
        sess = ort.InferenceSession(model.SerializeToString(),
                                    providers=["CPUExecutionProvider"])
        (got,) = sess.run(None, {sess.get_inputs()[0].name: a})
        assert got.dtype == dtype
        np.testing.assert_allclose(got, np.linalg.det(a), rtol=rtol)
    with pytest.raises(at.UnsupportedError, match=r"no ONNX form on float64 values"):
        at.export_onnx(np.linalg.det, np.eye(3))
    with pytest.raises(at.UnsupportedError, match=r"no ONNX form for the ops inv, svdvals "
                                                  r"\(first at File .*test_ops_linalg_decomp"):
        at.export_onnx(lambda x: np.linalg.inv(x) + np.linalg.norm(x, 2), np.eye(3))


def test_array_backends_run_inv_and_solve_and_refuse_the_rest():
    pytest.importorskip("dask")
    pytest.importorskip("array_api_compat")
    from backend_check import run_traced

    a, b = invertible((3, 3), np.float64), sample((3, 2), np.float64, seed=1)
    for fn, args in [(np.linalg.inv, (a,)), (np.linalg.solve, (a, b)),
                     (lambda x, y: np.linalg.solve(x, y[:, 0]), (a, b))]:
        assert run_traced(at.trace(fn), args, "dask") == "pass"
    cases = [(np.linalg.svd, a, "svd"), (np.linalg.det, a, "det"),
             (np.linalg.cholesky, spd((3, 3), np.float64), "cholesky"),
             (np.linalg.inv, invertible((2, 3, 3), np.float64), "inv` on stacked matrices")]
    for fn, x, words in cases:
        cf = at.trace(fn).get_concrete_function(x)
        with pytest.raises(at.BackendError, match=f"op `{words}"):
            cf.to("dask")


def test_composed_products_differentiate_and_batch():
    rng = np.random.default_rng(3)
    a, b, c = rng.standard_normal((2, 3)), rng.standard_normal((3, 4)), rng.standard_normal(4)
    at.check_grads(lambda x, y, z: np.linalg.multi_dot([x, y, z]), (a, b, c), order=2)
    at.check_grads(lambda x, y: np.vecdot(x, y) * np.linalg.vecdot(y, x), (a, a[::-1]),
                   order=2)
    at.check_grads(lambda x: np.linalg.vector_norm(x, axis=(0, 1), ord=3), (a,), order=2)
    stacked = rng.standard_normal((5, 2, 3))
    for fn in (lambda x: np.cross(x, x[::-1]), lambda x: np.kron(x, x[0]),
               lambda x: np.linalg.norm(x, "nuc"), lambda x: np.linalg.matrix_power(
                   x @ x.T + np.eye(2), -2)):
        got = at.vmap(fn)(stacked)
        np.testing.assert_allclose(got, np.stack([fn(x) for x in stacked]), rtol=1e-12)


def _numeric_jacobian(f, x, eps=1e-6):
    cols = []
    for i in range(x.size):
        d = np.zeros(x.size)
        d[i] = eps
        d = d.reshape(x.shape)
        cols.append((np.asarray(f(x + d)) - np.asarray(f(x - d))).ravel() / (2 * eps))
    return np.stack(cols, -1).reshape(np.shape(f(x)) + x.shape)


@pytest.mark.parametrize("name", ["inv", "cholesky", "eigvalsh", "svdvals", "qr", "det",
                                  "slogdet", "pinv"])
def test_jacobians_run_the_rules_batched(name):
    """jacrev (vmap over cotangents) and jacfwd (vmap over tangents) of each rule."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 3)) + 3 * np.eye(3)
    fn = {"inv": np.linalg.inv, "cholesky": np.linalg.cholesky,
          "eigvalsh": np.linalg.eigvalsh, "svdvals": lambda m: np.linalg.svd(m, compute_uv=False),
          "qr": lambda m: np.linalg.qr(m).R, "det": np.linalg.det,
          "slogdet": lambda m: np.linalg.slogdet(m).logabsdet, "pinv": np.linalg.pinv}[name]
    x = a @ a.T if name in ("cholesky", "eigvalsh") else a
    want = _numeric_jacobian(fn, x)
    for transform in (at.jacrev, at.jacfwd):
        np.testing.assert_allclose(transform(fn)(x), want, rtol=1e-6, atol=1e-6)
