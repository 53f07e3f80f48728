"""Linear algebra (matmul, dot, outer, tensordot, einsum, diagonal, trace) against numpy
as the oracle, with errors at trace time and VJPs checked by finite differences."""

import numpy as np
import pytest
from oracle import DTYPES, assert_same, check, raises_like_numpy, sample
from test_ops_shape import backprop, check_vjp

import autotrace as at
from autotrace.ops.einsum import parse_subscripts, tensordot_subscripts

MATMUL_SHAPES = [
    ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)),
    ((5, 2, 3), (5, 3, 4)), ((5, 1, 2, 3), (4, 3, 2)), ((3,), (5, 3, 2)), ((0, 3), (3, 2)),
    ((2, 0), (0, 3)),
]


# --- matmul / dot / outer -----------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES.values(), ids=DTYPES.keys())
@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul(shapes, dtype):
    a, b = sample(shapes[0], dtype), sample(shapes[1], dtype, seed=1)
    check(lambda x, y: x @ y, a, b)
    check(lambda x, y: np.matmul(x, y), a, b)


def test_matmul_mixed_dtypes():
    check(lambda x, y: x @ y, sample((2, 3), np.float32), sample((3,), np.int64))
    check(lambda x, y: x @ y, sample((2, 3), np.bool_), sample((3, 2), np.int32))


def test_matmul_errors_at_trace_time():
    err = raises_like_numpy(lambda x, y: x @ y, np.ones((2, 3)), np.ones((2, 3)))
    assert "mismatch in its core dimension" in str(err)
    raises_like_numpy(lambda x, y: x @ y, np.ones(3), np.ones(()))
    raises_like_numpy(lambda x, y: x @ y, np.ones((2, 2, 3)), np.ones((3, 3, 2)))


@pytest.mark.parametrize("shapes", [
    ((), ()), ((), (2, 3)), ((3,), (3,)), ((2, 3), (3,)), ((2, 3), (3, 4)),
    ((2, 3), (4, 3, 5)), ((3,), (2, 3, 4)), ((2, 2, 3), (4, 3, 2)),
], ids=str)
def test_dot(shapes):
    a, b = np.asarray(sample(shapes[0], np.float64)), sample(shapes[1], np.float64, seed=1)
    check(lambda x, y: np.dot(x, y), a, b)
    check(lambda x, y: x.dot(y), a, b)
    check(lambda x, y: np.dot(x, y), a[()], b)  # a numpy scalar


def test_outer():
    check(lambda x, y: np.outer(x, y), sample((3,), np.float32), sample((2, 2), np.int64))
    check(lambda x, y: np.outer(x, y), sample((), np.float64), sample((0,), np.float64))


# --- tensordot ----------------------------------------------------------------------------
@pytest.mark.parametrize("shapes, axes", [
    (((2, 3, 4), (3, 4, 5)), 2),
    (((2, 3), (3, 4)), 1),
    (((2, 3), (4,)), 0),
    (((3,), (3,)), 1),             # full contraction: a 0-d ndarray, not a scalar
    (((2, 3, 4), (4, 3, 5)), ([1, 2], [1, 0])),
    (((2, 3, 4), (4, 3)), ([-1, -2], [0, 1])),
    (((2, 3), (3, 2)), (1, 0)),
], ids=str)
def test_tensordot(shapes, axes):
    for dtype in (np.float32, np.int64, np.bool_):
        a, b = sample(shapes[0], dtype), sample(shapes[1], dtype, seed=1)
        check(lambda x, y: np.tensordot(x, y, axes), a, b)


def test_tensordot_errors_and_subscripts():
    err = raises_like_numpy(lambda x, y: np.tensordot(x, y, 1), np.ones((2, 3)), np.ones((4, 5)))
    assert "shape-mismatch for sum" in str(err)
    raises_like_numpy(lambda x, y: np.tensordot(x, y, ([0, 1], [0])), np.ones((2, 3)),
                      np.ones((2, 3)))
    assert tensordot_subscripts(3, 2, ((1, 2), (1, 0))) == "abc,cb->a"


# --- einsum -------------------------------------------------------------------------------
EINSUMS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("ij->", [(2, 3)]),
    ("ij->ji", [(2, 3)]),
    ("bij,bjk->bik", [(5, 2, 3), (5, 3, 4)]),
    ("i,i", [(3,), (3,)]),
    ("i,j->ij", [(3,), (2,)]),
    ("ba", [(2, 3)]),
    ("...ij,...jk", [(5, 2, 3), (3, 4)]),
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (4, 3, 2)]),
    ("i...->...", [(2, 3, 4)]),
    ("ij,ij->ij", [(2, 1), (2, 3)]),
    ("ijk,ikl,l->ij", [(2, 3, 4), (2, 4, 5), (5,)]),
    ("i,", [(3,), ()]),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.bool_], ids=str)
@pytest.mark.parametrize("subscripts, shapes", EINSUMS, ids=[s for s, _ in EINSUMS])
def test_einsum(subscripts, shapes, dtype):
    args = [sample(s, dtype, seed=k) for k, s in enumerate(shapes)]
    check(lambda *xs: np.einsum(subscripts, *xs), *args)


def test_einsum_explicit_form_in_the_graph():
    a, b = np.ones((5, 2, 3)), np.ones((3, 4))
    cf = at.trace(lambda x, y: np.einsum("...ij,...jk", x, y), autograph=False) \
        .get_concrete_function(a, b)
    assert "subscripts='aij,jk->aik'" in str(cf.graph)
    assert parse_subscripts("ij,jk", [2, 2]) == (["ij", "jk"], "ik")
    assert parse_subscripts("Ba", [2]) == (["Ba"], "Ba")
    check(lambda x, y: np.einsum("ij,jk->ik", x, y, optimize=True), a[0], b)


@pytest.mark.parametrize("subscripts, shapes, words", [
    ("ij,jk->ik", [(2, 3), (4, 5)], "could not be broadcast"),
    ("ij,jk->ik", [(2, 3)], None),
    ("ij->ik", [(2, 3)], "never appeared in an input"),
    ("ijk->ij", [(2, 3)], "too many subscripts"),
    ("i->ii", [(2,)], "multiple times"),
    ("...i->i", [(2, 3)], "no '...' ellipsis"),
    ("i1->i", [(2, 3)], "invalid subscript"),
])
def test_einsum_errors_at_trace_time(subscripts, shapes, words):
    err = raises_like_numpy(lambda *xs: np.einsum(subscripts, *xs),
                            *[np.ones(s) for s in shapes])
    if words:
        assert words in str(err)


# --- diagonal / trace ---------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES.values(), ids=DTYPES.keys())
@pytest.mark.parametrize("offset", [0, 1, -1, 5])
@pytest.mark.parametrize("shape", [(3, 3), (2, 4), (4, 2), (2, 3, 4), (0, 3)], ids=str)
def test_diagonal_and_trace(shape, offset, dtype):
    x = sample(shape, dtype)
    check(lambda a: np.diagonal(a, offset), x)
    check(lambda a: np.trace(a, offset), x)
    check(lambda a: a.diagonal(offset, -1, 0), x)
    check(lambda a: a.trace(offset, axis1=-1, axis2=0), x)
    check(lambda a: np.trace(a, offset, dtype=np.float32), x)


def test_diagonal_errors():
    err = raises_like_numpy(lambda a: np.diagonal(a), np.ones(3))
    assert "at least two dimensions" in str(err)
    err = raises_like_numpy(lambda a: np.diagonal(a, 0, 1, -1), np.ones((2, 2)))
    assert "cannot be the same" in str(err)
    raises_like_numpy(lambda a: np.trace(a, axis2=2), np.ones((2, 2)))


# --- VJPs ---------------------------------------------------------------------------------
@pytest.mark.parametrize("shapes", MATMUL_SHAPES[:8], ids=str)
def test_matmul_vjp(shapes):
    a, b = sample(shapes[0], np.float64, seed=1), sample(shapes[1], np.float64, seed=2)
    check_vjp(lambda x, y: x @ y, a, b)


def test_dot_outer_tensordot_vjps():
    a, b = sample((2, 3, 4), np.float64, seed=1), sample((4, 3, 2), np.float64, seed=2)
    check_vjp(lambda x, y: np.dot(x, y), a, b.transpose(1, 0, 2))
    check_vjp(lambda x, y: np.tensordot(x, y, ([1, 2], [1, 0])), a, b)
    check_vjp(lambda x, y: np.tensordot(x, y, 0), a[0], b[0])
    check_vjp(lambda x, y: np.outer(x, y), a[0], b[0])


@pytest.mark.parametrize("subscripts, shapes", EINSUMS, ids=[s for s, _ in EINSUMS])
def test_einsum_vjp(subscripts, shapes):
    args = [sample(s, np.float64, seed=k + 1) for k, s in enumerate(shapes)]
    check_vjp(lambda *xs: np.einsum(subscripts, *xs), *args)


def test_einsum_vjp_with_unknown_dims():
    graph = at.trace(lambda x: np.einsum("ii->", x), autograph=False) \
        .get_concrete_function(at.TensorSpec((None, None))).graph
    (g,) = backprop(graph, [np.ones((3, 3))], np.float64(2.0))
    assert_same(g, 2 * np.eye(3))


def test_diagonal_trace_vjps():
    x = sample((3, 4, 2), np.float64, seed=3)
    check_vjp(lambda a: np.diagonal(a, 1), x)
    check_vjp(lambda a: np.diagonal(a, -1, 2, 0), x)
    check_vjp(lambda a: np.trace(a, 1, axis1=1, axis2=0), x)
    check_vjp(lambda a: np.trace(a[0]), x)


@pytest.mark.parametrize("fn", [
    lambda a, b: a @ b,
    lambda a, b: np.dot(a, b.T[0]),
    lambda a, b: np.einsum("ij,kj->ik", a, b),
    lambda a, b: np.einsum("...j,kj->...k", a, b),
    lambda a, b: np.tensordot(a, b, ([1], [1])),
    lambda a, b: np.diagonal(a @ b.T, 1),
    lambda a, b: np.trace(a @ b.T),
    lambda a, b: np.outer(a, b),
], ids=["matmul", "dot", "einsum", "einsum...", "tensordot", "diagonal", "trace", "outer"])
def test_unknown_dims_reuse_one_graph(fn):
    """Shape rules with None dims: one graph serves every size (checked at run time)."""
    f = at.trace(fn, autograph=False)
    cf = f.get_concrete_function(at.TensorSpec((None, 3)), at.TensorSpec((3, 3)))
    b = sample((3, 3), np.float64, seed=7)
    for n in (0, 1, 4):
        a = sample((n, 3), np.float64, seed=n)
        assert_same(cf(a, b), fn(a, b))


@pytest.mark.parametrize("fn", [
    lambda a: np.einsum("ij,kj->", a, a * a),
    lambda a: np.einsum("ii", a @ a.T),
    lambda a: np.tensordot(a, a, ([0, 1], [0, 1])),
    lambda a: np.trace(a @ a.T, 1) + np.diagonal(a).sum(),
    lambda a: (np.sort(a, axis=None) * np.arange(6.0)).sum(),
    lambda a: np.cumprod(a, axis=1).sum() + np.cumsum(a).sum(),
    lambda a: (np.repeat(a, [1, 2], axis=0) ** 2).sum() + (np.tile(a, (2, 2)) ** 2).sum(),
    lambda a: (a[[0, 0, 1], ::-1] ** 2).sum() + a[a > 1].sum(),
    lambda a: (np.take_along_axis(a, np.argsort(a, 1), 1) * np.arange(3.0)).sum(),
], ids=["einsum", "einsum-trace", "tensordot", "diagonal", "sort", "scans", "tiling",
        "getitem", "take_along_axis"])
def test_autodiff_engine_through_these_ops(fn):
    """`at.check_grads` (the library's own reverse mode) agrees with finite differences."""
    at.check_grads(fn, (np.arange(1.0, 7.0).reshape(2, 3) / 3 + 0.05,), order=2)
