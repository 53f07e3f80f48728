"""ONNX export: each exported model passes `onnx.checker` and gives in onnxruntime what the
plain Python function (the oracle) and the traced function give, on inputs that take
different paths through one exported graph."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import autotrace as at

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

RTOL = {np.dtype(np.float32): 1e-5, np.dtype(np.float64): 1e-10}


def session(model):
    onnx.checker.check_model(model, full_check=True)
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])


def run(sess, *args):
    """Run on the array arguments (Python values are baked into the model)."""
    arrays = [a for a in args if isinstance(a, np.ndarray)]
    feed = {i.name: a for i, a in zip(sess.get_inputs(), arrays)}
    return sess.run(None, feed)


def assert_matches(got, expected):
    """One ONNX output against the oracle's leaf: dtype (a Python scalar is 0-d of numpy's
    dtype for it), shape and values."""
    want = np.asarray(expected)
    assert got.dtype == want.dtype, f"dtype {got.dtype} != {want.dtype}"
    assert got.shape == want.shape, f"shape {got.shape} != {want.shape}"
    if want.dtype.kind == "f":
        np.testing.assert_allclose(got, want, rtol=RTOL.get(want.dtype, 1e-3), atol=1e-12)
    else:
        np.testing.assert_array_equal(got, want)


def check(fn, example, inputs):
    """Export `at.trace(fn)` traced on `example`, then compare on every input tuple with
    the Python function and the traced one; returns the model."""
    traced = at.trace(fn)
    model = at.export_onnx(traced, *example)
    sess = session(model)
    for args in inputs:
        expected = fn(*args)
        expected = expected if isinstance(expected, tuple) else (expected,)
        outs = run(sess, *args)
        assert len(outs) == len(expected)
        for got, want, mine in zip(outs, expected, _as_tuple(traced(*args))):
            assert_matches(got, want)
            assert_matches(got, mine)
    return model


def _as_tuple(x):
    return x if isinstance(x, tuple) else (x,)


# -- the corpus ---------------------------------------------------------------------------
def straight_line(a, b):
    c = a * b + 1.5
    return np.exp(-c) / (1 + np.abs(b)), c.astype(np.int32) % 3


def tensor_if(x):
    if x.sum() > 0:
        y = x * 2
    else:
        y = -x + 1
    return y


def while_data_dependent(x):
    steps = 0
    while x.sum() < 100:
        x = x * 2 + 1
        steps += 1
    return x, steps


def for_over_tensor_bound(x, n):
    total = np.zeros_like(x)
    for i in range(n):
        total = total + x * i
    return total


def reductions(x):
    return (x.sum(axis=0), x.mean(axis=1, keepdims=True), x.max(), x.min(axis=0),
            x.prod(axis=1), x.var(axis=0), x.std(), x.argmax(axis=1), x.argmin(),
            (x > 0).any(axis=1), (x > -5).all())


def mlp(w1, b1, w2, x):
    h = np.tanh(x @ w1 + b1)
    return (h @ w2).sum(axis=1)


def mlp_loss(w1, b1, w2, x, y):
    return ((mlp(w1, b1, w2, x) - y) ** 2).mean()


def indexing(x, k):
    return x[1:, ::-1], x[:, k], x[None, -1, 1:3], x[::2, 0], x[..., 1]


def shapes(x):
    y = x.reshape(2, -1).T
    return np.concatenate([y, y * 2], axis=1), np.expand_dims(x, 0).squeeze(0), y.flatten()


def elementwise(x, y):
    return (np.sqrt(np.abs(x)), np.maximum(x, y), np.minimum(x, y), np.where(x > y, x, y),
            np.floor(x), np.ceil(y), x // y, np.mod(x, y), np.clip(x, -1, 1), np.sin(x),
            np.log(np.abs(y) + 1), np.round(x, 1),
            x ** 2, np.sign(y), np.isnan(x), np.logical_and(x > 0, y > 0))


def integer_ops(a, b):
    return a // b, a % b, a * 3 - b, np.maximum(a, b), a.sum(), (a & b) ^ 5


def einsum_matmul(a, b):
    return np.einsum("ij,jk->ik", a, b), np.tensordot(a, b, axes=1), a @ b[:, 0]


def weak_scalars(x, s):
    return x * s + 1, s * 2.5


RNG = np.random.default_rng(0)
V3 = np.array([1.0, -2.0, 3.0])
M34 = RNG.normal(size=(3, 4))


def test_straight_line():
    a = np.array([0.5, -1.0, 2.0], np.float32)
    check(straight_line, (a, a), [(a, a * 2), (a - 1, a + 3)])


def test_tensor_if_takes_both_branches_in_one_model():
    check(tensor_if, (V3,), [(V3,), (-V3 * 3,), (np.zeros(3),)])


def test_while_with_a_data_dependent_trip_count():
    check(while_data_dependent, (V3,), [(V3,), (V3 * 10,), (V3 * 100,), (np.zeros(3),)])


_WHILE = session(at.export_onnx(at.trace(while_data_dependent), at.TensorSpec([None])))


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.integers(1, 6), elements=st.floats(0, 60, allow_subnormal=False)))
def test_one_exported_loop_on_random_inputs(x):
    for got, want in zip(run(_WHILE, x), while_data_dependent(x)):
        assert_matches(got, want)


@at.custom_gradient
def clipped_identity(x):
    return x, lambda g: np.clip(g, -1, 1)


def test_custom_gradients_export_with_their_own_gradient():
    grad = at.grad(lambda x: (clipped_identity(x) * 5).sum())
    x = np.array([1.0, -2.0])
    assert_matches(run(session(at.export_onnx(grad, x)), x)[0], np.array([1.0, 1.0]))


def test_for_over_a_tensor_bound():
    check(for_over_tensor_bound, (V3, np.array(3)),
          [(V3, np.array(0)), (V3, np.array(1)), (V3, np.array(5))])


def test_reductions():
    x = RNG.normal(size=(4, 3))
    check(reductions, (x,), [(x,), (x * -3,), (x.astype(np.float64) + 10,)])
    x32 = x.astype(np.float32)
    check(reductions, (x32,), [(x32,), (x32 - 2,)])


def test_matmul_mlp_and_its_gradient_serve_a_training_step():
    w1, b1, w2 = RNG.normal(size=(3, 5)), RNG.normal(size=5), RNG.normal(size=(5, 2))
    x, y = RNG.normal(size=(8, 3)), RNG.normal(size=8)
    check(mlp, (w1, b1, w2, x), [(w1, b1, w2, x), (w1 * 2, b1, w2, x + 1)])
    grad = at.grad(mlp_loss, argnums=(0, 1, 2))
    spec = (w1, b1, w2, at.TensorSpec([None, 3]), at.TensorSpec([None]))
    sess = session(at.export_onnx(grad, *spec))
    for n in (8, 3):
        args = (w1, b1, w2, x[:n], y[:n])
        for k, (got, want) in enumerate(zip(run(sess, *args), grad(*args))):
            assert_matches(got, want)
            assert_matches(got, _numeric_grad(want, args, k))


_GRAD = at.grad(mlp_loss, argnums=(0, 1, 2))


def sgd_step(w1, b1, w2, x, y):
    g1, gb, g2 = _GRAD(w1, b1, w2, x, y)
    return w1 - 0.1 * g1, b1 - 0.1 * gb, w2 - 0.1 * g2


def test_a_training_step_exports():
    w1, b1, w2 = RNG.normal(size=(3, 5)), RNG.normal(size=5), RNG.normal(size=(5, 2))
    x, y = RNG.normal(size=(8, 3)), RNG.normal(size=8)
    spec = (w1, b1, w2, at.TensorSpec([None, 3]), at.TensorSpec([None]))
    sess = session(at.export_onnx(at.trace(sgd_step), *spec))
    for n in (8, 2):
        args = (w1, b1, w2, x[:n], y[:n])
        for got, want in zip(run(sess, *args), sgd_step(*args)):
            assert_matches(got, want)


def _numeric_grad(want, args, k, eps=1e-6):
    """Central differences of `mlp_loss` w.r.t. argument `k` (the finite-difference oracle)."""
    out = np.zeros_like(args[k])
    for i in np.ndindex(out.shape):
        plus, minus = [list(args), list(args)]
        for sign, copy in ((1, plus), (-1, minus)):
            copy[k] = args[k].copy()
            copy[k][i] += sign * eps
        out[i] = (mlp_loss(*plus) - mlp_loss(*minus)) / (2 * eps)
    np.testing.assert_allclose(want, out, rtol=1e-5, atol=1e-8)
    return want


def test_indexing():
    x = RNG.normal(size=(4, 5))
    check(indexing, (x, np.array(2)), [(x, np.array(2)), (x * 2, np.array(-1))])


def indexed_loss(x, idx, k):
    return (x[1:, ::-1] ** 2).sum() + x[:, k].sum() * 3 + x[idx].sum() + x[None, -1].sum()


def test_gradients_of_indexing_scatter_and_add_up_repeated_indices():
    grad = at.grad(indexed_loss)
    x, idx = RNG.normal(size=(4, 3)), np.array([0, 2, 2, -1])
    sess = session(at.export_onnx(grad, at.TensorSpec([None, 3]), idx, np.array(1)))
    for args in ((x, idx, np.array(1)), (x[:3] * 2, np.array([1, 1, 1, 0]), np.array(-1))):
        got = run(sess, *args)[0]
        assert_matches(got, grad(*args))
        want = np.zeros_like(args[0])
        for i in np.ndindex(want.shape):
            e = np.zeros_like(args[0])
            e[i] = 1e-6
            want[i] = (indexed_loss(args[0] + e, *args[1:]) -
                       indexed_loss(args[0] - e, *args[1:])) / 2e-6
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)


def grow_until(x):
    while x.sum() < 10:
        x = np.concatenate([x * 1.5 + np.sin(x), x[:1]])
    return (x ** 2).sum()


def rows_loss(x, w):
    s = 0.0
    for row in x:
        s = s + np.tanh(row @ w).sum()
    return s


@pytest.mark.parametrize("fn, example, inputs", [
    (grow_until, (np.array([0.5, 1.0]),),
     [(np.array([0.5, 1.0]),), (np.array([3.0, 4.0]),), (np.array([6.0, 5.0]),)]),
    (rows_loss, (M34, M34.T[:, :2]), [(M34, M34.T[:, :2]), (M34[:1] * 2, M34.T[:, :2])]),
], ids=["while_changing_shape", "for_over_rows"])
def test_gradients_through_loops_with_data_dependent_trip_counts(fn, example, inputs):
    grad = at.grad(fn, argnums=tuple(range(len(example))))
    spec = [at.TensorSpec([None, *a.shape[1:]]) if a.ndim == 2 else at.TensorSpec([None])
            for a in example]
    sess = session(at.export_onnx(grad, *spec[:1], *example[1:]))
    for args in inputs:
        got = run(sess, *args)
        for k, (g, want) in enumerate(zip(got, grad(*args))):
            assert_matches(g, want)
            numeric = np.zeros_like(args[k])
            for i in np.ndindex(numeric.shape):
                e = [np.zeros_like(a) for a in args]
                e[k][i] = 1e-6
                plus = fn(*(a + d for a, d in zip(args, e)))
                minus = fn(*(a - d for a, d in zip(args, e)))
                numeric[i] = (plus - minus) / 2e-6
            np.testing.assert_allclose(g, numeric, rtol=1e-5, atol=1e-7)


def test_shapes_and_joins():
    x = np.arange(6.0).reshape(3, 2)
    check(shapes, (x,), [(x,), (x - 7,)])


def test_elementwise_families():
    x, y = RNG.normal(size=(5,)) * 3, RNG.normal(size=(5,)) * 3
    check(elementwise, (x, y), [(x, y), (y, x)])


def test_integer_arithmetic_follows_numpy_floor_semantics():
    a, b = np.array([7, -7, 8, -9], np.int64), np.array([2, 2, -3, -4], np.int64)
    check(integer_ops, (a, b), [(a, b), (b * 5, a)])
    a32, b32 = a.astype(np.int32), b.astype(np.int32)
    check(integer_ops, (a32, b32), [(a32, b32)])


def test_einsum_tensordot_matmul():
    a, b = RNG.normal(size=(3, 4)), RNG.normal(size=(4, 2))
    check(einsum_matmul, (a, b), [(a, b), (a * 2, b - 1)])


def test_python_scalar_arguments_are_baked_in_with_numpy_dtypes():
    # As in the concrete function, a Python number is part of the signature: a constant
    # that takes its partner's dtype (float32 here), or float64 on its own.
    x = np.array([1.0, 2.0], np.float32)
    model = at.export_onnx(at.trace(weak_scalars), x, 2.0)
    assert [(i.name, i.type.tensor_type.elem_type) for i in model.graph.input] == [
        ("x", onnx.TensorProto.FLOAT)]
    y, s2 = run(session(model), x * 3)
    assert_matches(y, weak_scalars(x * 3, 2.0)[0])
    assert_matches(s2, np.float64(5.0))


def test_none_dims_become_symbolic_dims():
    model = at.export_onnx(at.trace(tensor_if), at.TensorSpec([None, 3]))
    dims = model.graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_param or d.dim_value for d in dims] == ["x_dim0", 3]
    sess = session(model)
    for n in (1, 4):
        x = np.linspace(-2, 1, 3 * n).reshape(n, 3)
        assert_matches(run(sess, x)[0], tensor_if(x))


def test_user_names_are_the_value_names():
    model = at.export_onnx(at.trace(while_data_dependent), V3)
    assert [i.name for i in model.graph.input] == ["x"]
    assert [o.name for o in model.graph.output] == ["x_1", "steps"]
    values = {o for n in model.graph.node for o in n.output}
    assert "x_1" in values and "steps" in values


def test_concrete_functions_export_and_the_model_is_written(tmp_path):
    cf = at.trace(mlp).get_concrete_function(M34, np.zeros(4), np.ones((4, 2)), M34.T[:2])
    model = at.export_onnx(cf, path=tmp_path / "mlp.onnx")
    loaded = onnx.load(str(tmp_path / "mlp.onnx"))
    assert loaded.graph.SerializeToString() == model.graph.SerializeToString()
    args = (M34, np.zeros(4), np.ones((4, 2)), M34.T[:2])
    assert_matches(run(session(loaded), *args)[0], mlp(*args))


def test_plain_functions_and_input_signatures_export():
    sess = session(at.export_onnx(tensor_if, V3))
    assert_matches(run(sess, -V3)[0], tensor_if(-V3))
    signed = at.trace(tensor_if, input_signature=[at.TensorSpec([None], np.float32)])
    sess = session(at.export_onnx(signed))
    x = np.array([1.0, -4.0], np.float32)
    assert_matches(run(sess, x)[0], tensor_if(x))


def test_captured_variables_become_initializers():
    v = at.Variable(np.array([1.0, 2.0]))

    @at.trace
    def scale(x):
        return x * v

    model = at.export_onnx(scale, np.ones(2))
    assert [i.name for i in model.graph.initializer] == ["v"]
    assert_matches(run(session(model), np.array([3.0, 4.0]))[0], np.array([3.0, 8.0]))


def unsupported_ops(x):
    y = np.arctan2(x, 2.0)
    print(y)
    return np.left_shift(x.astype(np.int64), 1), y


def test_ops_without_an_onnx_form_are_named_with_the_first_users_line():
    with pytest.raises(at.UnsupportedError) as info:
        at.export_onnx(at.trace(unsupported_ops), V3)
    line = unsupported_ops.__code__.co_firstlineno + 1
    assert str(info.value) == (
        "cannot export `unsupported_ops` to ONNX: no ONNX form for the ops arctan2, print, "
        f'lshift (first at File "{__file__}", line {line}, in unsupported_ops\n'
        "    y = np.arctan2(x, 2.0))")


def test_results_without_an_onnx_form_are_refused():
    with pytest.raises(at.UnsupportedError, match=r"^cannot export a result to ONNX: <U2 "
                                                  r"constants have no ONNX form$"):
        at.export_onnx(lambda x: (x + 1, "ok"), V3)


def test_models_the_checker_rejects_are_refused():
    with pytest.raises(at.UnsupportedError, match=r"cannot export `<lambda>` to ONNX: the ONNX "
                                                  r"checker rejects the model .*Neg.*uint8"):
        at.export_onnx(at.trace(lambda u: -u), np.array([1], np.uint8))


def test_dtypes_without_an_onnx_form_are_refused():
    with pytest.raises(at.UnsupportedError, match=r"cannot export `add` to ONNX: no ONNX "
                                                  r"form on bool, bool values at File"):
        at.export_onnx(at.trace(lambda p: p + p), np.array([True]))


# -- the op oracle: numpy's values on awkward inputs (NaN, inf, signs, zeros) --------------
UNARY = ["negative", "positive", "absolute", "sign", "exp", "log", "sqrt", "square",
         "reciprocal", "exp2", "log2", "log10", "cbrt", "sin", "cos", "tan", "arcsin",
         "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "floor",
         "ceil", "rint", "trunc", "isnan", "isinf", "isfinite", "logical_not"]
BINARY = ["add", "subtract", "multiply", "true_divide", "floor_divide", "remainder", "power",
          "maximum", "minimum", "equal", "not_equal", "less", "less_equal", "greater",
          "greater_equal", "logical_and", "logical_or", "logical_xor"]
REDUCE = ["sum", "mean", "prod", "max", "min", "any", "all", "var", "std", "argmax", "argmin",
          "cumsum"]
# onnxruntime's CPU provider has only float32 kernels for these: it refuses to load them.
NO_F64_KERNEL = {"tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "arcsinh", "arccosh",
                 "arctanh"}
AWKWARD = np.array([-2.5, -1.0, -0.5, 0.0, 0.3, 0.5, 1.0, 1.5, 2.5, 7.0, np.nan, np.inf,
                    -np.inf])
OTHER = np.array([1.5, -1.0, 2.0, 3.0, -0.3, 0.5, -4.0, 1.5, 0.0, -7.0, 1.0, 2.0, np.nan])


def _op_cases():
    for name in UNARY + REDUCE:
        yield name, getattr(np, name), (AWKWARD,)
    for name in BINARY:
        yield name, getattr(np, name), (AWKWARD, OTHER)
    for name in REDUCE:
        f = getattr(np, name)
        yield name + "_rows", lambda x, f=f: f(x[:12].reshape(3, 4), axis=1), (AWKWARD,)
        yield name + "_finite", lambda x, f=f: f(x[:10]), (AWKWARD,)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, fn, args", list(_op_cases()), ids=[c[0] for c in _op_cases()])
def test_op_matches_numpy_on_awkward_values(name, fn, args, dtype):
    args = tuple(a.astype(dtype) for a in args)
    model = at.export_onnx(at.trace(fn, autograph=False), *args)
    if dtype == np.float64 and name in NO_F64_KERNEL:
        with pytest.raises(Exception, match="NOT_IMPLEMENTED"):
            session(model)
        return
    with np.errstate(all="ignore"):
        assert_matches(run(session(model), *args)[0], fn(*args))
