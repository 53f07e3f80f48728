"""The ops with their own batching rule run once per batch under `at.vmap`, not once per
example: the batched graph holds the op once (or the ops its rule names), and nothing is
stacked from per-example pieces. Oracle: the plain function in a Python loop over the
examples, at float64 and float32, with each operand batched or shared (`in_axes=None`).
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from op_cases.common import op

import autotrace as at

pytestmark = [pytest.mark.filterwarnings("ignore::autotrace.RetracingWarning")]

B = 4
LIKE_23 = np.zeros((2, 3))
IDX = np.array([[2, 0, 0]])


def _diag_scatter(g, like):
    return op("diagonal_scatter", g, like, offset=1, axis1=1, axis2=0)


def _lstsq(a, b):
    x, residuals, rank, s = np.linalg.lstsq(a, b)
    return x, residuals, rank, s


def _fill(x, n):
    return op("fill", x, n, shape=("?", 2), dtype=x.dtype)


def _sorted(v, a):
    return np.searchsorted(np.sort(a), v, side="right")


# (op, fn, per-example shapes, the ops the batched graph holds once, in_axes to try)
BOTH, FIRST, SECOND = (0, 0), (0, None), (None, 0)
CASES = [
    ("round", lambda x: np.round(x, 1), [(2, 3)], {"round"}, [(0,)]),
    ("argmax", lambda x: np.argmax(x, axis=1), [(2, 3)], {"argmax"}, [(0,)]),
    ("argmax", np.argmax, [(2, 3)], {"argmax"}, [(0,)]),
    ("argmax", lambda x: np.argmax(x, keepdims=True), [(2, 3)], {"argmax"}, [(0,)]),
    ("argmax", np.argmax, [()], {"argmax"}, [(0,)]),
    ("argmin", lambda x: np.argmin(x, axis=-1, keepdims=True), [(2, 3)], {"argmin"}, [(0,)]),
    ("argmin", np.argmin, [(3,)], {"argmin"}, [(0,)]),
    ("nanargmax", lambda x: np.nanargmax(np.where(x > 0.8, np.nan, x)), [(2, 3)],
     {"nanargmax"}, [(0,)]),
    ("nanargmin", lambda x: np.nanargmin(x, axis=0), [(2, 3)], {"nanargmin"}, [(0,)]),
    ("einsum", lambda x, y: np.einsum("ij,jk->ik", x, y), [(2, 3), (3, 4)], {"einsum"},
     [BOTH, FIRST, SECOND]),
    ("einsum", lambda x: np.einsum("ii", x), [(3, 3)], {"einsum"}, [(0,)]),
    ("einsum", lambda x, y: np.einsum("...ij,j", x, y), [(2, 2, 3), (3,)], {"einsum"},
     [BOTH, FIRST, SECOND]),
    ("tensordot", lambda x, y: np.tensordot(x, y, axes=1), [(2, 3), (3, 4)], {"tensordot"},
     [FIRST, SECOND]),
    ("tensordot", lambda x, y: np.tensordot(x, y, axes=1), [(2, 3), (3, 4)], {"einsum"},
     [BOTH]),
    ("tensordot", lambda x, y: np.tensordot(x, y, axes=([0], [1])), [(3, 2), (4, 3)],
     {"tensordot"}, [FIRST, SECOND]),
    ("tensordot", lambda x, y: np.tensordot(x, y, axes=2), [(2, 3), (2, 3)], {"tensordot"},
     [SECOND]),
    ("diagonal", lambda x: np.diagonal(x, 1, 2, 0), [(3, 2, 4)], {"diagonal"}, [(0,)]),
    ("diagonal", np.trace, [(3, 3)], {"diagonal"}, [(0,)]),
    ("diagonal_scatter", _diag_scatter, [(3,), (4, 3)], {"diagonal_scatter"},
     [BOTH, FIRST, SECOND]),
    ("split", lambda x: tuple(np.split(x, [1], axis=1)), [(2, 3)], {"split"}, [(0,)]),
    ("split", lambda x: tuple(np.split(x, 2)), [(4, 3)], {"split"}, [(0,)]),
    ("tile", lambda x: np.tile(x, (2, 1, 2)), [(2, 3)], {"tile"}, [(0,)]),
    ("tile", lambda x: np.tile(x, 2), [(2, 3)], {"tile"}, [(0,)]),
    ("tile", lambda x: np.tile(x, (2, 3)), [()], {"tile"}, [(0,)]),
    ("tile_sum", lambda g, like: op("tile_sum", g, like, reps=(2, 1, 2)), [(2, 2, 6), (2, 3)],
     {"tile_sum"}, [BOTH, FIRST, SECOND]),
    ("tile_sum", lambda g, like: op("tile_sum", g, like, reps=(2,)), [(2, 6), (2, 3)],
     {"tile_sum"}, [BOTH, FIRST]),
    ("repeat", lambda x: np.repeat(x, 2, axis=1), [(2, 3)], {"repeat"}, [(0,)]),
    ("repeat", lambda x: np.repeat(x, [1, 2, 0]), [(3,)], {"repeat"}, [(0,)]),
    ("repeat", lambda x: np.repeat(x, 3), [(2, 2)], {"repeat"}, [(0,)]),
    ("repeat_sum", lambda g, like: op("repeat_sum", g, like, repeats=2, axis=1),
     [(2, 6), (2, 3)], {"repeat_sum"}, [BOTH, FIRST, SECOND]),
    ("repeat_sum", lambda g, like: op("repeat_sum", g, like, repeats=(1, 0, 2), axis=1),
     [(2, 3), (2, 3)], {"repeat_sum"}, [BOTH, FIRST]),
    ("take_range", lambda x: op("take_range", x, 1, 3, axis=1), [(2, 4)], {"take_range"},
     [(0,)]),
    ("place_range", lambda g, like: op("place_range", g, like, 1, 3, axis=1), [(2, 2), (2, 4)],
     {"place_range"}, [BOTH, FIRST, SECOND]),
    ("add_along_axis", lambda g, like: op("add_along_axis", g, like, IDX, axis=1),
     [(2, 3), (2, 3)], {"add_along_axis"}, [BOTH, FIRST, SECOND]),
    ("dim", lambda x: op("dim", x, axis=1) * x, [(2, 3)], {"dim"}, [(0,)]),
    ("dim", lambda x: op("dim", x, axis=-1) * x, [(2, 3)], {"dim"}, [(0,)]),
    ("size", lambda x: op("size", x) * x, [(2, 3)], {"size"}, [(0,)]),
    ("searchsorted", _sorted, [(2, 3), (5,)], {"searchsorted"}, [FIRST]),
    ("searchsorted", lambda v, a: np.searchsorted(np.sort(a), v), [(), (5,)], {"searchsorted"},
     [FIRST]),
    ("lstsq", _lstsq, [(5, 3), (5, 2)], {"lstsq"}, [BOTH, FIRST, SECOND]),
    ("lstsq", lambda a, b: np.linalg.lstsq(a, b)[0], [(3, 3), (3,)], {"lstsq"},
     [BOTH, FIRST, SECOND]),
    ("fill", _fill, [(), ()], {"fill"}, [FIRST]),
    ("convolve", np.convolve, [(4,), (3,)], {"where"}, [BOTH, FIRST, SECOND]),
    ("convolve", lambda a, v: np.convolve(a, v, "same"), [(2,), (5,)], {"where"},
     [BOTH, FIRST, SECOND]),
    ("convolve", np.correlate, [(5,), (2,)], {"where"}, [BOTH, FIRST, SECOND]),
    ("convolve", np.convolve, [(1,), (1,)], {"where"}, [BOTH]),
    ("pad", lambda x, c: np.pad(x, ((1, 0), (2, 1)), constant_values=c), [(2, 3), ()],
     {"pad"}, [BOTH, SECOND]),
    ("pad", lambda x, c: np.pad(x, 1, constant_values=c), [(3,), ()], {"pad"}, [SECOND]),
    ("setitem_winners", lambda x: op("setitem_winners", x, np.array([0, 2, 0]), index=(("in", 0),)),
     [(4, 2)], {"setitem_winners"}, [(0,)]),
]


def _id(case) -> str:
    name, _, shapes, _, _ = case
    return name + "-" + "-".join("x".join(map(str, s)) or "0d" for s in shapes)


def _leaves(out) -> list:
    return list(out) if isinstance(out, (list, tuple)) else [out]


def _inputs(name, shapes, dtype, seed):
    rng = np.random.default_rng(seed)
    if name == "lstsq":  # full rank
        return [rng.standard_normal(s).astype(dtype) for s in shapes]
    values = [(rng.permutation(np.linspace(-2, 2, int(np.prod(s)))).reshape(s)
               + rng.uniform(0, 0.01, size=s)).astype(dtype) for s in shapes]
    if name == "fill":  # a batched fill value, a shared int size
        values[1] = np.int64(3)
    return values


def _nodes(graph) -> list:
    out = []
    for node in graph.nodes:
        out.append(node.op.name)
        for sub in node.subgraphs():
            out += _nodes(sub)
    return out


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("case", CASES, ids=_id)
def test_one_node_per_batch_equal_to_a_loop(case, dtype):
    name, fn, shapes, once, variants = case
    for in_axes in variants:
        examples = [_inputs(name, shapes, dtype, seed) for seed in range(B)]
        args = [np.stack([e[k] for e in examples]) if ax == 0 else examples[0][k]
                for k, ax in enumerate(in_axes)]
        batched = at.vmap(fn, in_axes=in_axes)
        got = batched(*args)
        per_example = [fn(*[e[k] if ax == 0 else examples[0][k] for k, ax in enumerate(in_axes)])
                       for e in examples]
        for k, leaf in enumerate(_leaves(got)):
            want = np.stack([np.asarray(_leaves(p)[k]) for p in per_example])
            assert np.shape(leaf) == want.shape, (in_axes, k)
            assert np.result_type(leaf) == want.dtype, (in_axes, k)
            tol = 1e-12 if dtype == np.float64 else 1e-5
            np.testing.assert_allclose(leaf, want, rtol=tol, atol=tol, err_msg=str(in_axes))
        names = _nodes(batched.concrete_functions[-1].graph)
        for target in once:
            assert names.count(target) == 1, (in_axes, names)
        assert "concatenate" not in names, (in_axes, names)  # nothing stacked per example


def test_a_looping_case_shows_one_node_per_example():
    """The graph check above can fail: a batched sorted array still loops (one numpy
    search per example), which shows as B nodes and a stack."""
    batched = at.vmap(lambda v, a: np.searchsorted(a, v))
    v, a = np.ones((B, 3)), np.sort(np.random.default_rng(0).normal(size=(B, 5)))
    np.testing.assert_array_equal(batched(v, a),
                                  np.stack([np.searchsorted(a[b], v[b]) for b in range(B)]))
    names = _nodes(batched.concrete_functions[-1].graph)
    assert names.count("searchsorted") == B and "concatenate" in names


def test_a_batched_convolution_keeps_infinities_and_warns_no_more_than_numpy():
    a = np.array([[np.inf, 1.0, 2.0], [1.0, -np.inf, 0.5]])
    v = np.array([[0.0, 1.0], [2.0, -np.inf]])
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error", RuntimeWarning)
        got = at.vmap(np.convolve)(a, v)
        want = np.stack([np.convolve(x, y) for x, y in zip(a, v)])  # nan, inf, -inf
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.uint8])
def test_integer_convolutions_keep_numpy_s_dtype_and_wrap_as_it_does(dtype):
    a = (np.arange(10).reshape(2, 5) * 37).astype(dtype)
    v = np.full((2, 3), 101).astype(dtype)
    batched = at.vmap(np.convolve)
    got, want = batched(a, v), np.stack([np.convolve(x, y) for x, y in zip(a, v)])
    assert got.dtype == want.dtype == dtype
    np.testing.assert_array_equal(got, want)
    assert "concatenate" not in _nodes(batched.concrete_functions[-1].graph)


def test_bool_convolutions_loop_and_keep_numpy_s_dtype():
    a, v = np.array([[True, False, True], [False, False, True]]), np.ones((2, 2), bool)
    got = at.vmap(np.convolve)(a, v)
    want = np.stack([np.convolve(x, y) for x, y in zip(a, v)])
    assert got.dtype == want.dtype == np.bool_
    np.testing.assert_array_equal(got, want)


def test_a_batched_pad_constant_is_cast_to_the_values_dtype_as_numpy_casts_it():
    x, c = np.arange(6).reshape(2, 3), np.array([2.7, -1.5])
    got = at.vmap(lambda x, c: np.pad(x, 1, constant_values=c))(x, c)
    want = np.stack([np.pad(x[b], 1, constant_values=c[b]) for b in range(2)])
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


def many_ops(x):
    parts = [np.trace(x)[None], np.repeat(x[0], 2), np.tile(x[1], 2),
             np.einsum("ij,jk->ik", x, x).ravel(), np.tensordot(x, x[0], axes=1),
             np.split(x[2], [1])[1], np.take_along_axis(x[0], np.array([2, 0, 0]), axis=0)]
    return np.tanh(np.concatenate(parts))


def test_jacrev_through_the_vectorized_vjps_is_one_backward_pass():
    """The VJPs of these ops (`diagonal_scatter`, `repeat_sum`, `tile_sum`, `einsum`,
    `tensordot`, `add_along_axis`) run once on the batched cotangent, not once per output."""
    x = np.random.default_rng(1).standard_normal((3, 3))
    rev, fwd = at.jacrev(many_ops), at.jacfwd(many_ops)
    np.testing.assert_allclose(rev(x), fwd(x), rtol=1e-12, atol=1e-12)
    at.check_grads(lambda x: many_ops(x).sum(), (x,), order=1)
    names = _nodes(rev.concrete_functions[-1].graph)
    for vjp_op in ("diagonal_scatter", "repeat_sum", "tile_sum", "add_along_axis"):
        assert names.count(vjp_op) == 1, (vjp_op, names)
    assert "stack" not in names and names.count("einsum") <= 5, names  # 5: einsum's and
    # tensordot's VJPs, one einsum per operand


def test_the_ops_left_on_the_per_example_loop_are_the_documented_ones():
    """Every op has its own rule or a generic one, except those `ops/batch_rules.py` lists
    with the reason (effects, data-dependent shapes, ...): a new op must take a side."""
    from autotrace.autodiff import batch_trace
    from autotrace.ops import OPS, batch_rules

    looped = {name for name, o in OPS.items() if batch_trace.rule_for(o) is batch_trace.loop_rule}
    documented = set(re.findall(r"`(\w+)`", batch_rules.__doc__))
    assert looped <= documented, sorted(looped - documented)
    assert len(looped) <= 26, sorted(looped)  # 49 before the ops got their own rules



# -- index arrays that differ per example: one gather (and one scatter for its gradient) --
def _sort_by_value(x):
    return x[np.argsort(x)]


_RNG = np.random.default_rng(7)
_X3 = _RNG.normal(size=(B, 3, 5))
_KEYED = [  # (fn, batched arguments, in_axes)
    (lambda x, i: x[i], (_X3, _RNG.integers(-3, 3, size=(B, 2))), 0),
    (lambda x, i: x[i], (_X3, _RNG.integers(0, 3, size=(B,))), 0),
    (lambda x, i: x[:, i], (_X3, _RNG.integers(-5, 5, size=(B, 2, 2))), 0),
    (lambda x, i, j: x[i, j], (_X3, _RNG.integers(0, 3, size=(B, 2)),
                               _RNG.integers(0, 5, size=(B, 1))), 0),
    (lambda x, i: x[i, 1:], (_X3, _RNG.integers(0, 3, size=(B, 2))), 0),
    (lambda x, i: x[1:, i], (_X3, _RNG.integers(0, 5, size=(B, 3))), 0),
    (lambda x, i: x[1, i], (_X3, _RNG.integers(0, 5, size=(B, 3))), 0),
    (lambda x, i: np.take(x, i), (_X3, _RNG.integers(0, 15, size=(B, 2, 3))), 0),
    (lambda x, i: x[:, i], (_X3[0], _RNG.integers(0, 5, size=(B, 4))), (None, 0)),
    (_sort_by_value, (_X3[:, 0],), 0),
]


@pytest.mark.parametrize("k", range(len(_KEYED)))
def test_index_arrays_that_differ_per_example_are_one_gather(k):
    fn, args, in_axes = _KEYED[k]
    batched = at.trace(at.vmap(fn, in_axes=in_axes))
    shared = in_axes if isinstance(in_axes, tuple) else (0,) * len(args)
    want = np.stack([fn(*[a if d is None else a[b] for a, d in zip(args, shared)])
                     for b in range(B)])
    got = batched(*args)
    np.testing.assert_array_equal(got, want)
    assert got.dtype == want.dtype
    names = _nodes(batched.concrete_functions[-1].graph)
    assert names.count("getitem") == 1 and "concatenate" not in names, names


@pytest.mark.parametrize("k", [0, 2, 3, 5, 7])
def test_their_per_example_gradients_are_one_scatter(k):
    fn, args, _ = _KEYED[k]

    def loss(x, *keys):
        return np.sum(np.sin(fn(x, *keys)) ** 2)

    batched = at.trace(at.vmap(at.grad(loss)))
    want = np.stack([at.grad(loss)(*[a[b] for a in args]) for b in range(B)])
    np.testing.assert_allclose(batched(*args), want, rtol=1e-12, atol=0)
    assert _nodes(batched.concrete_functions[-1].graph).count("scatter_add") == 1
    x = args[0][0]
    at.check_grads(lambda x: loss(x, *[a[0] for a in args[1:]]), (x,))


def test_a_mask_that_differs_per_example_still_loops_exactly():
    x = _X3[:, 0]
    batched = at.vmap(lambda x, m: np.sum(x[m]))
    m = np.argsort(np.argsort(x, axis=1), axis=1) < 2  # two per example, in other places
    np.testing.assert_array_equal(batched(x, m), np.stack([np.sum(x[b][m[b]])
                                                            for b in range(B)]))


def _write(x, i, v):
    y = x.copy()
    y[i] = v
    return y


def _write_columns(x, i, v):
    y = x.copy()
    y[1:, i] = v
    return y


def _add_at(x, i, j, v):
    y = x * 1.0
    y[i, j] += v
    return y


_WRITES = [  # (fn, arguments, in_axes); index arrays with repeats: the last write wins
    (_write, (_X3, np.array([[0, 2, 2, 0]] * B), _RNG.normal(size=(B, 4, 5))), 0),
    (_write, (_X3, _RNG.integers(0, 3, size=(B, 2)), _RNG.normal(size=(B, 5))), 0),
    (_write, (_X3, _RNG.integers(0, 3, size=(B, 2)), _RNG.normal(size=5)), (0, 0, None)),
    (_write, (_X3, np.array([0, 2]), _RNG.normal(size=(B, 1, 2, 5))), (0, None, 0)),
    (_write_columns, (_X3, _RNG.integers(-5, 5, size=(B, 3)), _RNG.normal(size=(B, 2, 3))),
     0),
    (_add_at, (_X3, _RNG.integers(0, 3, size=(B, 6)), _RNG.integers(0, 5, size=(B, 6)),
               _RNG.normal(size=(B, 6))), 0),
]


@pytest.mark.parametrize("k", range(len(_WRITES)))
def test_writes_through_index_arrays_are_one_setitem(k):
    fn, args, in_axes = _WRITES[k]
    axes = in_axes if isinstance(in_axes, tuple) else (0,) * len(args)
    batched = at.trace(at.vmap(fn, in_axes=in_axes))
    want = np.stack([fn(*[a if d is None else a[b] for a, d in zip(args, axes)])
                     for b in range(B)])
    np.testing.assert_array_equal(batched(*args), want)
    names = _nodes(batched.concrete_functions[-1].graph)
    assert names.count("setitem") == 1 and "concatenate" not in names, names


def test_a_write_of_the_wrong_shape_fails_as_numpy_does():
    i, v = np.zeros((B, 2), dtype=np.int64), np.zeros((B, 3))
    with pytest.raises(ValueError) as plain:
        _write(_X3[0], i[0], v[0])
    with pytest.raises(ValueError) as batched:
        at.vmap(_write)(_X3, i, v)
    assert str(batched.value).splitlines()[0] == str(plain.value)


@pytest.mark.parametrize("argnums", [0, 2])
def test_per_example_gradients_through_such_writes(argnums):
    def loss(x, i, v):
        y = x * 1.0
        y[i] = v * 2.0
        return np.sum(np.sin(y) * x)

    args = (_X3, _RNG.integers(0, 3, size=(B, 2)), _RNG.normal(size=(B, 2, 5)))
    batched = at.vmap(at.grad(loss, argnums=argnums))
    want = np.stack([at.grad(loss, argnums=argnums)(*[a[b] for a in args]) for b in range(B)])
    np.testing.assert_allclose(batched(*args), want, rtol=1e-12, atol=0)
