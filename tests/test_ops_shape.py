"""Shape ops, joining/splitting, tiling, scans and sorting against numpy as the oracle.

`check` (tests/oracle.py) compares the traced function and the eager path with plain numpy:
values, dtype, shape and Python type; graphs run with `AUTOTRACE_CHECK=1`, so every static
shape/dtype rule is validated against the run-time value.

VJPs are checked without any autodiff engine: `backprop` walks a traced graph in reverse
calling each op's `vjp` (on numpy values, or on symbolic tensors when itself traced), and
`check_vjp` compares the result with central finite differences, to second order.
`test_ops_index.py`, `test_ops_linalg.py` and `test_ops_creation.py` import these helpers.
"""

import numpy as np
import pytest
from oracle import DTYPES, assert_same, check, raises_like_numpy, sample

import autotrace as at
from autotrace.graph.ir import Var
from autotrace.ops.registry import apply
from autotrace.ops.shape import unbroadcast

FLOATS = {"f32": np.float32, "f64": np.float64}


# --- VJP helpers --------------------------------------------------------------------------
def backprop(graph, inputs, ct):
    """Gradients of `<ct, graph(*inputs)[0]>` w.r.t. every input, from the ops' VJP rules."""
    env = dict(zip((v.uid for v in graph.inputs), inputs))

    def value(x):
        return env[x.uid] if isinstance(x, Var) else x

    results = {}
    for node in graph.nodes:
        out = apply(node.op, *map(value, node.inputs), **node.params)
        results[node.uid] = out
        env.update(zip((v.uid for v in node.outputs), out if node.op.multiple_results else (out,)))
    grads = {graph.outputs[0].uid: ct}
    for node in reversed(graph.nodes):
        cts = [grads.get(v.uid) for v in node.outputs]
        if node.op.vjp is None or all(c is None for c in cts):
            continue
        ct_arg = tuple(cts) if node.op.multiple_results else cts[0]
        in_grads = node.op.vjp(ct_arg, *map(value, node.inputs), results[node.uid],
                               **node.params)
        assert len(in_grads) == len(node.inputs), f"{node.op.name}: one VJP entry per input"
        for x, g in zip(node.inputs, in_grads):
            if isinstance(x, Var) and g is not None:
                g = _unbroadcast_elementwise(node.op, g, value(x))
                grads[x.uid] = grads[x.uid] + g if x.uid in grads else g
    return [grads.get(v.uid) for v in graph.inputs]


def _unbroadcast_elementwise(op, g, x):
    """Elementwise VJPs leave broadcasting to the engine (as autodiff does); every other
    op's VJP must return exactly the input's shape."""
    if isinstance(op.impl, np.ufunc) or op.impl in (np.where, np.clip):
        return unbroadcast(g, x)
    if isinstance(g, np.ndarray | np.generic):
        assert np.shape(g) == np.shape(x), f"{op.name}: VJP shape {np.shape(g)} != {np.shape(x)}"
    return g


def _graph(fn, args):
    """The graph of `fn` and the values of the arrays it captures (inputs after `args`)."""
    cf = at.trace(fn, autograph=False).get_concrete_function(*args)
    return cf.graph, [c.snapshot() for c in cf.captures]


def _fd_check(fn, args, seed=0):
    """Every float input's gradient from `backprop` matches central differences (float
    inputs are checked in float64; integer inputs, e.g. indices, are passed as they are)."""
    args = [np.asarray(a, np.float64) if np.asarray(a).dtype.kind == "f" else a for a in args]
    out = np.asarray(fn(*args))
    rng = np.random.default_rng(seed)
    ct = rng.standard_normal(out.shape)
    graph, captured = _graph(fn, args)
    grads = backprop(graph, [*args, *captured], ct)
    for k, (a, g) in enumerate(zip(args, grads)):
        if a.dtype.kind != "f":
            continue
        d = rng.standard_normal(a.shape)
        eps = 1e-6
        plus = [x + eps * d if i == k else x for i, x in enumerate(args)]
        minus = [x - eps * d if i == k else x for i, x in enumerate(args)]
        numeric = np.sum(ct * (np.asarray(fn(*plus)) - np.asarray(fn(*minus)))) / (2 * eps)
        analytic = 0.0 if g is None else np.sum(np.asarray(g) * d)
        assert np.isclose(analytic, numeric, rtol=1e-5, atol=1e-6), (k, analytic, numeric)
        if g is not None:
            assert np.shape(g) == a.shape, f"gradient shape {np.shape(g)} != {a.shape}"
    return ct


def check_vjp(fn, *args, order=2):
    """VJPs of every op in `fn`'s graph against finite differences; with `order=2` the
    backward graph (traced, so the VJPs' own ops and shape rules run) is checked too."""
    ct = _fd_check(fn, args)
    if order < 2:
        return
    graph, captured = _graph(fn, args)

    def first_grad(*args_and_ct):
        *xs, ct_ = args_and_ct
        return backprop(graph, [*xs, *captured], ct_)[0]

    _fd_check(first_grad, [*args, ct], seed=1)


def check_list(fn, *args):
    """Like `check` for functions returning a list of arrays (the traced path only)."""
    expected = fn(*args)
    got = at.trace(fn, autograph=False)(*args)
    assert type(got) is type(expected) and len(got) == len(expected)
    for g, e in zip(got, expected):
        assert_same(g, e)


# --- reshape ------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES.values(), ids=DTYPES.keys())
def test_reshape_forms(dtype):
    x = sample((3, 4), dtype)
    check(lambda a: a.reshape(-1), x)
    check(lambda a: a.reshape((2, 6)), x)
    check(lambda a: a.reshape(2, -1, 3), x)
    check(lambda a: np.reshape(a, (4, 3)), x)
    check(lambda a: a.ravel(), x)
    check(lambda a: a.flatten(), x)


@pytest.mark.parametrize("shape, new", [((), (1, 1)), ((1,), ()), ((0, 3), (-1,)),
                                        ((0, 3), (3, 0)), ((2, 0), (0, -1, 5))])
def test_reshape_zero_d_and_empty(shape, new):
    check(lambda a: a.reshape(new), sample(shape, np.float64))


def test_reshape_with_unknown_dims_reuses_one_graph():
    f = at.trace(lambda a: (a.reshape(-1), a.reshape(-1, 1, 3), a.reshape(a.shape[0], 3, 1)),
                 autograph=False)
    cf = f.get_concrete_function(at.TensorSpec((None, 3), np.float64))
    assert [o.shape for o in cf.graph.outputs] == [(None,), (None, 1, 3), (None, 3, 1)]
    for n in (0, 1, 4):
        x = sample((n, 3), np.float64, seed=n)
        for got, want in zip(cf(x), (x.reshape(-1), x.reshape(-1, 1, 3), x.reshape(n, 3, 1))):
            assert_same(got, want)


def test_bad_reshape_raises_at_trace_time():
    err = raises_like_numpy(lambda a: a.reshape(4, 2), np.ones((2, 3)))
    assert "cannot reshape array of size 6" in str(err)
    raises_like_numpy(lambda a: a.reshape(-1, -1), np.ones((2, 3)))


@pytest.mark.parametrize("fn, shapes, error, words", [
    (lambda a: a.reshape(4, 2), [(2, 3)], ValueError, "cannot reshape array of size 6"),
    (lambda a, b: np.concatenate([a, b]), [(2, 3), (2, 4)], ValueError, "must match exactly"),
    (lambda a, b: a @ b, [(2, 3), (2, 3)], ValueError, "mismatch in its core dimension"),
    (lambda a: a[3], [(3, 2)], IndexError, "index 3 is out of bounds for axis 0 with size 3"),
    (lambda a: a[:, -3], [(3, 2)], IndexError, "out of bounds for axis 1"),
], ids=["reshape", "concatenate", "matmul", "index", "negative index"])
def test_errors_are_raised_while_tracing(fn, shapes, error, words):
    """No value is needed: tracing on specs alone finds these errors (numpy's types)."""
    f = at.trace(fn, autograph=False)
    with pytest.raises(error, match=words):
        f.get_concrete_function(*[at.TensorSpec(s) for s in shapes])


# --- axes ---------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES.values(), ids=DTYPES.keys())
def test_transpose_swapaxes_moveaxis(dtype):
    x = sample((2, 3, 4), dtype)
    check(lambda a: a.T, x)
    check(lambda a: a.transpose(), x)
    check(lambda a: a.transpose(1, 0, 2), x)
    check(lambda a: np.transpose(a, (-1, 0, 1)), x)
    check(lambda a: np.swapaxes(a, 0, -1), x)
    check(lambda a: a.swapaxes(1, 2), x)
    check(lambda a: np.moveaxis(a, 0, -1), x)
    check(lambda a: np.moveaxis(a, [0, 1], [-1, 0]), x)
    check(lambda a: a.T, sample((), dtype))


def test_axis_errors_are_numpys():
    raises_like_numpy(lambda a: np.swapaxes(a, 0, 2), np.ones((2, 3)))
    raises_like_numpy(lambda a: np.transpose(a, (0, 0)), np.ones((2, 3)))
    raises_like_numpy(lambda a: np.expand_dims(a, 3), np.ones((2, 3)))


@pytest.mark.parametrize("dtype", DTYPES.values(), ids=DTYPES.keys())
def test_expand_dims_and_squeeze(dtype):
    x = sample((2, 1, 3), dtype)
    check(lambda a: np.expand_dims(a, 0), x)
    check(lambda a: np.expand_dims(a, (0, -1)), x)
    check(lambda a: np.expand_dims(a, -2), x)
    check(lambda a: a.squeeze(), x)
    check(lambda a: np.squeeze(a, axis=-2), x)
    check(lambda a: np.squeeze(a, (1,)), x)
    check(lambda a: np.squeeze(a, (0, 2)), sample((1, 3, 1), dtype))
    check(lambda a: np.squeeze(a, 0), sample((), dtype))
    check(lambda a: np.expand_dims(a, 0), sample((), dtype))


def test_squeeze_of_a_non_unit_axis_raises_like_numpy():
    err = raises_like_numpy(lambda a: np.squeeze(a, 0), np.ones((2, 1)))
    assert "size not equal to one" in str(err)


def test_broadcast_to_and_flip():
    x = sample((3, 1), np.float32)
    check(lambda a: np.broadcast_to(a, (2, 3, 4)), x)
    check(lambda a: np.broadcast_to(a, (3, 1)), x)
    raises_like_numpy(lambda a: np.broadcast_to(a, (2, 2)), x)
    y = sample((2, 3, 4), np.int64)
    check(lambda a: np.flip(a), y)
    check(lambda a: np.flip(a, -1), y)
    check(lambda a: np.flip(a, (0, 2)), y)


@pytest.mark.parametrize("target", DTYPES.values(), ids=DTYPES.keys())
@pytest.mark.parametrize("source", DTYPES.values(), ids=DTYPES.keys())
def test_astype(source, target):
    x = sample((2, 3), source)
    check(lambda a: a.astype(target), x)
    check(lambda a: a.astype(target), x[0, 0])  # numpy scalar stays a scalar
    check(lambda a: a.astype(target), np.asarray(x[0, 0]))  # 0-d array stays an array


def test_shape_queries():
    x = sample((2, 3), np.float64)
    check(lambda a: a * np.shape(a)[0] + np.ndim(a) + np.size(a) + np.size(a, -1), x)
    check(lambda a: a * np.size(a, (0, 1)), x)
    # A tuple of axes is numpy >= 2.4's (older numpy raises TypeError, checked above).
    axes = (0, 1) if np.lib.NumpyVersion(np.__version__) >= "2.4.0" else 0
    f = at.trace(lambda a: a.sum() / np.size(a) + np.shape(a)[0] + np.size(a, axes),
                 autograph=False)
    cf = f.get_concrete_function(at.TensorSpec((None, 3), np.float64))
    for n in (1, 5):
        x = sample((n, 3), np.float64, seed=n)
        assert_same(cf(x), x.sum() / x.size + n + np.size(x, axes))


def test_shape_vjps():
    x = sample((2, 3, 4), np.float64, seed=3)
    check_vjp(lambda a: a.reshape(4, 6) * 2, x)
    check_vjp(lambda a: np.transpose(a, (2, 0, 1)), x)
    check_vjp(lambda a: np.moveaxis(a, 0, -1), x)
    check_vjp(lambda a: np.squeeze(np.expand_dims(a, (0, 2)), 0), x)
    check_vjp(lambda a: np.broadcast_to(a[:, :1], (5, 2, 1, 4)), x)
    check_vjp(lambda a: np.flip(a, (0, 2)), x)
    check_vjp(lambda a: a.astype(np.float64) * 2, x)


# --- joining and splitting ----------------------------------------------------------------
@pytest.mark.parametrize("axis", [0, 1, -1, None])
def test_concatenate_and_stack(axis):
    a, b = sample((2, 3), np.float32), sample((2, 3), np.int64, seed=1)
    check(lambda x, y: np.concatenate([x, y], axis=axis), a, b)  # mixed dtypes promote
    check(lambda x, y: np.concatenate((x, y, x), axis=axis), a, a)
    if axis is not None:
        check(lambda x, y: np.stack([x, y], axis=axis), a, b)
        check(lambda x, y: np.stack([x, y, x], axis=axis), sample((2, 3), np.bool_), a)


def test_concatenate_with_unknown_dims_and_hstack_vstack():
    f = at.trace(lambda x, y: np.concatenate([x, y]), autograph=False)
    cf = f.get_concrete_function(at.TensorSpec((None, 3)), at.TensorSpec((2, 3)))
    assert cf.graph.outputs[0].shape == (None, 3)
    x, y = sample((4, 3), np.float64), sample((2, 3), np.float64)
    assert_same(cf(x, y), np.concatenate([x, y]))
    v = sample((3,), np.float64)
    check(lambda p, q: np.hstack([p, q]), v, v)
    check(lambda p, q: np.vstack([p, q]), v, v)
    check(lambda p, q: np.hstack([p, q]), x, x)


def test_join_errors_are_numpys():
    err = raises_like_numpy(lambda x, y: np.concatenate([x, y]), np.ones((2, 3)), np.ones((2, 4)))
    assert "must match exactly" in str(err)
    err = raises_like_numpy(lambda x, y: np.concatenate([x, y]), np.ones((2, 3)), np.ones(3))
    assert "same number of dimensions" in str(err)
    raises_like_numpy(lambda x: np.concatenate([x, x]), np.ones(()))
    err = raises_like_numpy(lambda x, y: np.stack([x, y]), np.ones((2, 3)), np.ones((3, 2)))
    assert "same shape" in str(err)
    raises_like_numpy(lambda x: np.concatenate([x, x], axis=2), np.ones((2, 3)))


def test_split_returns_a_list():
    x = sample((6, 4), np.float64)
    check_list(lambda a: np.split(a, 3), x)
    check_list(lambda a: np.split(a, 2, axis=-1), x)
    check_list(lambda a: np.split(a, [1, 4]), x)
    check_list(lambda a: np.split(a, [-2, 10]), x)
    check_list(lambda a: np.split(a, [3, 1]), x)
    check_list(lambda a: np.split(a, 2), sample((0, 2), np.int64))
    err = raises_like_numpy(lambda a: np.split(a, 4), x)
    assert "equal division" in str(err)


def test_join_vjps():
    x, y = sample((2, 3), np.float64, seed=1), sample((4, 3), np.float64, seed=2)
    check_vjp(lambda a, b: np.concatenate([a, b, a]) * 3, x, y)
    check_vjp(lambda a, b: np.stack([a, a * b], axis=1), x, x)
    check_vjp(lambda a: np.concatenate(np.split(a, [1, 3])[::-1]), y)
    check_vjp(lambda a: np.split(a, 3, axis=1)[1] * 2, y)


def test_concatenate_vjp_with_unknown_sizes():
    f = at.trace(lambda a, b: np.concatenate([a, b]), autograph=False)
    graph = f.get_concrete_function(at.TensorSpec((None,)), at.TensorSpec((None,))).graph
    a, b, ct = np.arange(2.0), np.arange(3.0), np.arange(5.0)
    ga, gb = backprop(graph, [a, b], ct)
    assert_same(ga, ct[:2])
    assert_same(gb, ct[2:])


# --- tiling -------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES.values(), ids=DTYPES.keys())
def test_repeat_and_tile(dtype):
    x = sample((2, 3), dtype)
    check(lambda a: np.repeat(a, 2), x)
    check(lambda a: a.repeat(3, axis=0), x)
    check(lambda a: np.repeat(a, [1, 0, 2], axis=-1), x)
    check(lambda a: np.repeat(a, [2], axis=0), x)
    check(lambda a: np.repeat(a, 3), x[0, 0])
    check(lambda a: np.tile(a, 2), x)
    check(lambda a: np.tile(a, (2, 1, 3)), x)
    check(lambda a: np.tile(a, (2,)), sample((2, 1, 2), dtype))
    check(lambda a: np.tile(a, ()), x[0, 0])
    check(lambda a: np.tile(a, (0, 2)), x)


def test_repeat_and_tile_errors():
    x = np.ones((2, 3))
    raises_like_numpy(lambda a: np.repeat(a, [1, 2, 3], axis=0), x)
    raises_like_numpy(lambda a: np.repeat(a, -1), x)
    raises_like_numpy(lambda a: np.tile(a, -1), x)


def test_atleast_nd():
    for shape in [(), (3,), (2, 3), (2, 3, 4)]:
        x = sample(shape, np.float64)
        check(lambda a: np.atleast_1d(a), x)
        check(lambda a: np.atleast_2d(a), x)
        check(lambda a: np.atleast_3d(a), x)
    out = at.trace(lambda a, b: np.atleast_2d(a, b), autograph=False)(np.ones(2), np.ones(()))
    assert [o.shape for o in out] == [(1, 2), (1, 1)]


def test_tiling_vjps_and_unknown_dims():
    x = sample((2, 3), np.float64, seed=4)
    check_vjp(lambda a: np.repeat(a, 3, axis=1) * np.arange(9.0), x)
    check_vjp(lambda a: np.repeat(a, [2, 0, 1], axis=1) * np.arange(3.0), x)
    check_vjp(lambda a: np.repeat(a, 2) * np.arange(12.0), x)
    check_vjp(lambda a: np.tile(a, (2, 1, 2)) * np.arange(6.0), x)
    f = at.trace(lambda a: np.tile(np.repeat(a, 2, axis=0), (1, 2)), autograph=False)
    cf = f.get_concrete_function(at.TensorSpec((None, 3)))
    assert cf.graph.outputs[0].shape == (None, 6)
    y = sample((5, 3), np.float64)
    assert_same(cf(y), np.tile(np.repeat(y, 2, axis=0), (1, 2)))
    assert_same(backprop(cf.graph, [y], np.ones((10, 6)))[0], np.full((5, 3), 4.0))


# --- scans --------------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [np.cumsum, np.cumprod], ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype", DTYPES.values(), ids=DTYPES.keys())
def test_cumsum_cumprod(fn, dtype):
    x = sample((2, 3), dtype)
    check(lambda a: fn(a), x)
    check(lambda a: fn(a, axis=0), x)
    check(lambda a: fn(a, -1), x)
    check(lambda a: fn(a, 1, dtype=np.float32), x)
    check(lambda a: fn(a), x[0, 0])
    check(lambda a: fn(a, 0), np.asarray(x[0, 0]))
    check(lambda a: fn(a, 0), sample((0, 2), dtype))
    check(lambda a: a.cumsum(0) + a.cumprod(), x)
    raises_like_numpy(lambda a: np.cumsum(a, 2), x)


def test_scan_vjps():
    x = sample((3, 4), np.float64, seed=5) + 5.0  # no zeros for cumprod
    check_vjp(lambda a: np.cumsum(a, axis=1), x)
    check_vjp(lambda a: np.cumsum(a), x)
    check_vjp(lambda a: np.cumprod(a, axis=0), x)
    x32 = x.astype(np.float32)
    graph = at.trace(lambda a: np.cumsum(a, dtype=np.float64), autograph=False) \
        .get_concrete_function(x32).graph
    (g,) = backprop(graph, [x32], np.ones(12))
    assert_same(g, np.arange(12, 0, -1, dtype=np.float32).reshape(3, 4))  # x's dtype


# --- sorting ------------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [np.sort, np.argsort], ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype", DTYPES.values(), ids=DTYPES.keys())
def test_sort_argsort(fn, dtype):
    x = np.random.default_rng(0).permutation(24).reshape(2, 3, 4).astype(dtype)
    check(lambda a: fn(a), x)
    check(lambda a: fn(a, axis=0), x)
    check(lambda a: fn(a, axis=None), x)
    check(lambda a: fn(a, kind="stable"), x)
    check(lambda a: fn(a, axis=None), x[0, 0, 0])
    check(lambda a: a.argsort(axis=1), x)
    ties = np.array([1, 0, 1, 0, 1, 1, 0, 0] * 5)
    check(lambda a: np.argsort(a, kind="stable"), ties)
    check(lambda a: np.argsort(a, stable=True), ties)
    check(lambda a: np.argsort(a), x[0, 0, 0])
    raises_like_numpy(lambda a: np.sort(a), np.asarray(x[0, 0, 0]))
    check(lambda a: np.take_along_axis(a, np.argsort(a, axis=1), axis=1), x)


@pytest.mark.parametrize("fn", [
    lambda a: np.cumsum(a, 0),
    lambda a: np.cumprod(a),
    lambda a: np.sort(a, 0),
    lambda a: np.argsort(a, None),
    lambda a: np.take_along_axis(a, np.argsort(a, 0), 0),
    lambda a: np.flip(a.T, 1),
    lambda a: np.split(a, [1], axis=1)[1],
    lambda a: np.moveaxis(a[None], 0, -1).squeeze(-1),
    lambda a: np.expand_dims(a, (0, 2)),
], ids=["cumsum", "cumprod", "sort", "argsort", "take_along_axis", "flip", "split",
        "moveaxis", "expand_dims"])
def test_unknown_dims_reuse_one_graph(fn):
    """Shape rules with None dims: one graph serves every size (checked at run time)."""
    cf = at.trace(fn, autograph=False).get_concrete_function(at.TensorSpec((None, 3)))
    for n in (0, 1, 4):
        a = sample((n, 3), np.float64, seed=n)
        assert_same(cf(a), fn(a))


def test_tensor_sort_method_sorts_in_place():
    # ndarray.sort() sorts in place and returns None: a traced value does the same (an
    # in-place write, autotrace/mutation.py), and the caller's array is sorted too.
    def f(a):
        b = a
        r = a.sort(axis=0)
        return r, b

    x, y = np.array([[3.0, 1.0], [2.0, 5.0]]), np.array([[3.0, 1.0], [2.0, 5.0]])
    got, want = at.trace(f, autograph=False)(x), f(y)
    assert got[0] is None and want[0] is None
    np.testing.assert_array_equal(got[1], want[1])
    np.testing.assert_array_equal(x, y)


def test_sort_vjps():
    x = np.random.default_rng(1).permutation(12).reshape(3, 4) / 4.0
    check_vjp(lambda a: np.sort(a, axis=0) * np.arange(4.0), x)
    check_vjp(lambda a: np.sort(a, axis=None) * np.arange(12.0), x)
    idx = np.array([[0, 0, 2], [1, 2, 2], [3, 0, 1]])
    check_vjp(lambda a: np.take_along_axis(a, idx, axis=1) * np.arange(3.0), x)
