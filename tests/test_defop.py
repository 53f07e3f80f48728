"""`at.defop`: user-defined ops — traced, differentiated (reverse, forward, higher order),
batched, compiled, saved, routed from numpy functions — and their errors."""

import numpy as np
import pytest
from oracle import check

import autotrace as at
from autotrace.ops import OPS
from autotrace.ops.registry import FUNCTION_DISPATCH


def _cube_vjp(g, x, out):
    return (g * 3 * x * x,)


def test_elementwise_op_traces_and_differentiates():
    @at.defop(vjp=_cube_vjp)
    def cube(x):
        return x * x * x

    x = np.array([0.5, -1.5, 2.0])
    assert "cube" in OPS and cube(x).tolist() == (x ** 3).tolist()
    f = at.trace(lambda x: cube(x).sum())
    assert f(x) == (x ** 3).sum()
    graph = f.get_concrete_function(x).graph
    assert [n.op.name for n in graph.walk()][0] == "cube"
    at.check_grads(lambda x: cube(x), (x,), order=3)
    np.testing.assert_allclose(at.grad(lambda x: cube(x).sum())(x), 3 * x * x)
    out, tangent = at.jvp(cube, (x,), (np.ones(3),))  # transposed VJP
    np.testing.assert_allclose(tangent, 3 * x * x)
    np.testing.assert_allclose(at.vmap(cube)(x.reshape(3, 1)), x.reshape(3, 1) ** 3)
    check(lambda x, y: cube(x) + y, x.astype(np.float32), np.float32(2))


def test_the_fixture_forgets_ops_defined_by_a_test():
    assert "cube" not in OPS


def test_dispatches_routes_a_numpy_function_and_is_restored():
    assert np.unwrap not in FUNCTION_DISPATCH

    @at.defop(shape="same", vjp=lambda g, p, out: (g,), dispatches=np.unwrap)
    def unwrap(p):
        return np.unwrap(p)

    phase = np.array([0.0, 3.0, 6.5, 0.2, 3.4])
    check(np.unwrap, phase)
    np.testing.assert_allclose(at.grad(lambda p: (np.unwrap(p) ** 2).sum())(phase),
                               2 * np.unwrap(phase))
    from autotrace.ops import defop

    defop.forget("unwrap")
    assert np.unwrap not in FUNCTION_DISPATCH
    with pytest.raises(at.UnsupportedError, match=r"dispatches=numpy.unwrap\) \(docs/defop"):
        at.trace(np.unwrap)(phase)


def test_overriding_a_builtin_route_is_undone():
    builtin = FUNCTION_DISPATCH[np.sinc]

    @at.defop(vjp=lambda g, x, out: (g,), dispatches=np.sinc)
    def fake_sinc(x):
        return x + 1

    assert at.trace(np.sinc)(np.array([1.0])).tolist() == [2.0]
    from autotrace.ops import defop

    defop.forget("fake_sinc")
    assert FUNCTION_DISPATCH[np.sinc] is builtin


def test_scipy_ufunc_dispatch():
    special = pytest.importorskip("scipy.special")

    @at.defop(shape=lambda x: (x.shape, np.result_type(x.dtype, np.float16)),
              vjp=lambda g, x, out: (g * (2 / np.sqrt(np.pi)) * np.exp(-x * x),),
              dispatches=special.erf)
    def erf(x):
        return special.erf(x)

    x = np.array([0.3, -1.0, 2.0])
    check(special.erf, x)
    check(special.erf, np.array([1, 2]))
    check(special.erf, x.astype(np.float32))
    at.check_grads(lambda x: special.erf(x) * x, (x,), order=2)


def test_shape_rule_static_params_and_multiple_results():
    def rule(x, axis):
        shape = tuple(d for i, d in enumerate(x.shape) if i != axis)
        return [at.TensorSpec(shape, x.dtype), (shape, np.int64)]

    def vjp(g, x, out, axis):
        g_max = np.expand_dims(g[0], axis)
        return (np.where(x == np.expand_dims(out[0], axis), g_max, 0),)

    @at.defop(shape=rule, vjp=vjp, multiple_results=True)
    def max_and_arg(x, axis=0):
        return x.max(axis=axis), x.argmax(axis=axis).astype(np.int64)

    x = np.array([[1.0, 5.0, 2.0], [4.0, 0.5, 3.0]])
    values, index = at.trace(lambda x: max_and_arg(x, axis=1))(x)
    assert values.tolist() == [5.0, 4.0] and index.tolist() == [1, 0]
    assert index.dtype == np.int64
    g = at.grad(lambda x: (max_and_arg(x, axis=1)[0] * np.array([1.0, 2.0])).sum())(x)
    np.testing.assert_array_equal(g, [[0, 1, 0], [2, 0, 0]])
    text = str(at.trace(lambda x: max_and_arg(x, axis=1)[0]).get_concrete_function(x).graph)
    assert "max_and_arg x axis=1" in text


def test_custom_jvp_and_batch_rules_are_used():
    calls = []

    def jvp(primals, tangents):
        calls.append("jvp")
        (x,), (t,) = primals, tangents
        return twice(x), t * 2

    def batch(args, dims):
        calls.append("batch")
        return twice(args[0]), dims[0]

    @at.defop(shape="same", vjp=lambda g, x, out: (g * 2,), jvp=jvp, batch=batch)
    def twice(x):
        return x * 2

    x = np.arange(3.0)
    assert at.jvp(twice, (x,), (np.ones(3),))[1].tolist() == [2, 2, 2]
    assert at.vmap(twice)(np.ones((4, 3))).shape == (4, 3)
    assert calls == ["jvp", "batch"]
    assert OPS["twice"].jvp is jvp


def test_not_differentiable_without_vjp():
    @at.defop(shape=lambda x: (x.shape, np.bool_))
    def is_big(x):
        return x > 1

    x = np.array([0.5, 2.0])
    assert at.trace(lambda x: is_big(x))(x).tolist() == [False, True]
    g = at.grad(lambda x: np.where(is_big(x), x * 3, x).sum())(x)
    assert g.tolist() == [1.0, 3.0]


def test_saved_graph_with_a_user_op_loads(tmp_path):
    @at.defop(vjp=lambda g, x, out: (g * 2 * x,))
    def sq(x):
        return x * x

    cf = at.trace(lambda x: sq(x) + 1).get_concrete_function(np.ones(2))
    cf.save(tmp_path / "f.json")
    assert at.load(tmp_path / "f.json")(np.array([2.0, 3.0])).tolist() == [5.0, 10.0]


def test_onnx_export_refuses_a_user_op_by_name():
    pytest.importorskip("onnx")

    @at.defop(vjp=lambda g, x, out: (g,))
    def shifted(x):
        return x + 1

    with pytest.raises(at.UnsupportedError, match="shifted"):
        at.export_onnx(at.trace(lambda x: shifted(x)), np.ones(2, np.float32))


def test_errors():
    with pytest.raises(ValueError, match="needs a name="):
        at.defop(lambda x: x)
    with pytest.raises(ValueError, match="'sin' is already registered"):
        at.defop(np.sin, name="sin")
    with pytest.raises(TypeError, match="must be 'elementwise', 'same' or a callable"):
        at.defop(np.cos, name="my_cos", shape="like")
    with pytest.raises(TypeError, match="needs a shape callable"):
        at.defop(np.cos, name="my_cos2", multiple_results=True)

    @at.defop(shape=lambda x: 3)
    def bad(x):
        return x

    with pytest.raises(TypeError, match="the shape rule of op 'bad' returned 3"):
        at.trace(lambda x: bad(x))(np.ones(2))
