"""Every registered op's VJP against finite differences, driven by the registry.

`autotrace.ops.OPS` is walked: an op is either declared non-differentiable (no VJP, listed
in `NOT_DIFFERENTIABLE`) or has cases in `CASES`, a table keyed by op name. An op in
neither (a new op, or an op that lost its rule) fails `test_every_op_is_covered`, so no op
can skip this file. Each case is a function of float arrays that applies the op, and a
generator of kink-free inputs; it is checked with `at.check_grads`

* in float64 to order 2 (order 1 for piecewise ops, whose second derivative is 0 almost
  everywhere but whose VJP is built from non-differentiable comparisons),
* in float32 to order 1 with looser tolerances, and the gradients must be float32,

over several shapes, including broadcasting pairs and 0-d values. A case must really
produce a node of its op (`test_case_uses_its_op`), and the VJP rule itself, called on
numpy float32 values, must return float32 cotangents (`test_vjp_keeps_float32`).
"""

from __future__ import annotations

import math

import numpy as np
import op_cases
import pytest
from op_cases.common import (  # noqa: F401 - re-exported for test_vmap_ops / test_jvp_ops
    ANY,
    BINARY_SHAPES,
    POS,
    UNARY_SHAPES,
    UNIT,
    Case,
    away_from_zero,
    binary,
    distinct,
    op,
    unary,
    uniform,
)

import autotrace as at
from autotrace.graph.builder import GraphBuilder
from autotrace.ops import OPS, effects
from autotrace.ops.index import index_add_into, normalize_key
from autotrace.ops.shapes import shape_of

# --- the table ------------------------------------------------------------------------------
LIKE_23 = np.zeros((2, 3))
LIKE_13 = np.zeros((1, 3))


def _mod_inputs(rng, shape):
    return rng.uniform(1.0, 2.0, size=shape)  # divisor


def _mod_dividend(rng, shape):
    return rng.uniform(0.2, 0.8, size=shape) + rng.integers(-2, 3, size=shape)


def _cond_fn(x, y):
    return at.cond(x.sum() > 0, lambda: np.sin(x) * y, lambda: x * y * y)


def _while_fn(x):
    def body(i, s):
        return i + 1, s * 1.5 + x

    return at.while_loop(lambda i, s: s.sum() < 20.0, body, (0, x))[1]


def _call_target(x, y):
    return np.tanh(x) * y + x


def _called(x, y):
    cf = at.trace(_call_target).get_concrete_function(
        at.TensorSpec(np.shape(x), x.dtype), at.TensorSpec(np.shape(y), y.dtype))
    return cf(x, y)


@at.custom_gradient
def _softplus(x):
    def grad_fn(g):
        return g / (1 + np.exp(-x))

    return np.log1p(np.exp(x)), grad_fn


def _second_order_while(x):
    def loop(x):
        s = x
        while s.sum() < 8.0:
            s = s * s + x
        return (s * s).sum()

    return at.grad(loop)(x)


NEWTON_POS = uniform(1.5, 3.0)

CASES: dict[str, list[Case]] = {
    # elementwise, unary
    "neg": unary(np.negative), "pos": unary(np.positive),
    "abs": unary(np.abs, away_from_zero(), smooth=False),
    "exp": unary(np.exp), "exp2": unary(np.exp2), "expm1": unary(np.expm1),
    "log": unary(np.log, POS), "log1p": unary(np.log1p, POS), "log2": unary(np.log2, POS),
    "log10": unary(np.log10, POS), "sqrt": unary(np.sqrt, POS), "cbrt": unary(np.cbrt, POS),
    "square": unary(np.square), "reciprocal": unary(np.reciprocal, away_from_zero(0.5)),
    "sin": unary(np.sin), "cos": unary(np.cos), "tan": unary(np.tan, UNIT),
    "arcsin": unary(np.arcsin, UNIT), "arccos": unary(np.arccos, UNIT),
    "arctan": unary(np.arctan), "sinh": unary(np.sinh), "cosh": unary(np.cosh),
    "tanh": unary(np.tanh), "arcsinh": unary(np.arcsinh),
    "arccosh": unary(np.arccosh, uniform(1.3, 3.0)), "arctanh": unary(np.arctanh, UNIT),
    # elementwise, binary (broadcasting is undone centrally)
    "add": binary(np.add), "sub": binary(np.subtract), "mul": binary(np.multiply),
    "div": binary(np.divide, (ANY, away_from_zero(0.5))),
    "mod": binary(np.mod, (_mod_dividend, _mod_inputs), smooth=False),
    "pow": binary(np.power, (POS, ANY)) + [Case(lambda x: x ** 3, UNARY_SHAPES),
                                            Case(lambda x: 2.0 ** x, UNARY_SHAPES)],
    "maximum": binary(np.maximum, smooth=False), "minimum": binary(np.minimum, smooth=False),
    "arctan2": binary(np.arctan2, (ANY, away_from_zero())), "hypot": binary(np.hypot),
    "where": [Case(lambda x, y: np.where(x > 0, x * x, y), BINARY_SHAPES, smooth=False),
              Case(lambda x: np.where(np.array([True, False, True]), x, 2.0), UNARY_SHAPES,
                   smooth=False)],
    "clip": [Case(lambda x, lo, hi: np.clip(x, lo, hi), [((2, 3), (3,), ())],
                  (uniform(-3, 3), uniform(-1.0, -0.5), uniform(0.5, 1.0)), smooth=False)],
    # shape
    "reshape": [Case(lambda x: x.reshape(3, 2) * x.reshape(3, 2), [((2, 3),), ((6,),)]),
                Case(lambda x: x.reshape(-1), [((),), ((2, 3),)])],
    "reshape_like": [Case(lambda x: op("reshape_like", x, np.zeros((3, 2))), [((2, 3),)])],
    "transpose": [Case(lambda x: x.T * 2, [((2, 3),)]),
                  Case(lambda x: np.transpose(x, (1, 2, 0)), [((2, 3, 4),)])],
    "expand_dims": [Case(lambda x: np.expand_dims(x, (0, -1)), UNARY_SHAPES)],
    "squeeze": [Case(lambda x: np.squeeze(x, 1), [((2, 1, 3),)]),
                Case(lambda x: np.squeeze(x), [((1, 1),)])],
    "broadcast_to": [Case(lambda x: np.broadcast_to(x, (4, 2, 3)), [((3,),), ((2, 1),), ((),)])],
    "broadcast_like": [Case(lambda x: op("broadcast_like", x, LIKE_23), [((3,),), ((2, 1),)])],
    "unbroadcast": [Case(lambda g: op("unbroadcast", g, LIKE_13), [((2, 3),), ((4, 2, 3),)])],
    "cast": [Case(lambda x: (x.astype(np.longdouble) * x).astype(x.dtype), UNARY_SHAPES),
             Case(lambda x: x.astype(np.float64) * x, UNARY_SHAPES)],
    "copy": [Case(lambda x: op("copy", x) * x, UNARY_SHAPES)],
    "python_scalar": [Case(lambda x: op("python_scalar", x) * x, [((),)])],
    "math": [Case(lambda x: op("math", x, fn=math.exp) * x, [((),)]),
             Case(lambda x: op("math", x, fn=math.sqrt), [((),)], POS)],
    "conj": [Case(lambda x: op("conj", x) * x, UNARY_SHAPES)],
    "flip": [Case(lambda x: np.flip(x, 1) * x, [((2, 3),)]), Case(np.flip, [((2, 3),)])],
    # indexing
    "getitem": [Case(lambda x: x[1:, ::-2] * x[0, :2], [((3, 4),)]),
                Case(lambda x: x[np.array([0, 0, 2])] * 3, [((3, 2),)]),
                Case(lambda x: x[x > 0] ** 2, [((2, 3),)], away_from_zero(), smooth=True),
                Case(lambda x: x[None, ..., 1], [((2, 3),)])],
    "scatter_add": [Case(lambda g: index_add_into(g, LIKE_23, [], normalize_key(
                             (slice(None), 1))[0]), [((2,),)]),
                    Case(lambda g: index_add_into(g, np.zeros(3), [np.array([0, 0, 2])],
                                                  normalize_key(np.array([0, 0, 2]))[0]),
                         [((3,),)])],
    # joining, tiling
    "concatenate": [Case(lambda x, y: np.concatenate([x, y, x], axis=1),
                         [((2, 3), (2, 1))]),
                    Case(lambda x, y: np.stack([x, y]), [((3,), (3,))])],
    "split": [Case(lambda x: np.split(x, [1, 3], axis=1)[2] * np.split(x, 2)[0].sum(),
                   [((2, 4),)])],
    "take_range": [Case(lambda x: op("take_range", x, 1, 3, axis=1), [((2, 4),)])],
    "place_range": [Case(lambda g: op("place_range", g, np.zeros((2, 4)), 1, 3, axis=1),
                         [((2, 2),)])],
    "repeat": [Case(lambda x: np.repeat(x, 2, axis=1), [((2, 3),)]),
               Case(lambda x: np.repeat(x, [1, 2, 0]), [((3,),)])],
    "repeat_sum": [Case(lambda g: op("repeat_sum", g, LIKE_23, repeats=2, axis=1),
                        [((2, 6),)])],
    "tile": [Case(lambda x: np.tile(x, (2, 1, 2)), [((2, 3),), ((),)])],
    "tile_sum": [Case(lambda g: op("tile_sum", g, LIKE_23, reps=(2, 2)), [((4, 6),)])],
    # reductions
    "sum": [Case(lambda x: x.sum(), UNARY_SHAPES),
            Case(lambda x: x.sum(axis=0, keepdims=True) * x, [((2, 3),)])],
    "mean": [Case(lambda x: x.mean(axis=1), [((2, 3),)]), Case(np.mean, UNARY_SHAPES)],
    "prod": [Case(lambda x: x.prod(axis=0), [((3, 2),)], away_from_zero()),
             Case(np.prod, UNARY_SHAPES, away_from_zero())],
    "max": [Case(lambda x: x.max(axis=1), [((2, 3),)], distinct(), smooth=False),
            Case(np.max, UNARY_SHAPES, distinct(), smooth=False)],
    "min": [Case(lambda x: x.min(axis=0, keepdims=True), [((2, 3),)], distinct(),
                 smooth=False)],
    "var": [Case(lambda x: x.var(axis=1), [((2, 3),)]),
            Case(lambda x: np.var(x, ddof=1), [((4,),)])],
    "std": [Case(lambda x: x.std(axis=0), [((3, 2),)]), Case(np.std, [((4,),)])],
    "cumsum": [Case(lambda x: np.cumsum(x, axis=1) * x, [((2, 3),)]),
               Case(np.cumsum, UNARY_SHAPES)],
    "cumprod": [Case(lambda x: np.cumprod(x, axis=0), [((3, 2),)], away_from_zero())],
    # linear algebra
    "matmul": [Case(np.matmul, [((2, 3), (3, 4)), ((3,), (3, 4)), ((2, 3), (3,)),
                                ((5, 2, 3), (3, 4)), ((3,), (3,)), ((2, 1, 1, 3), (4, 3, 2))])],
    "diagonal": [Case(lambda x: np.diagonal(x, 1), [((3, 4),)]),
                 Case(lambda x: np.diagonal(x, 0, 1, 2), [((2, 3, 3),)]),
                 Case(lambda x: np.trace(x) * x, [((3, 3),)])],
    "diagonal_scatter": [Case(lambda g: op("diagonal_scatter", g, np.zeros((3, 4)), offset=1,
                                           axis1=0, axis2=1), [((3,),)])],
    "einsum": [Case(lambda x, y: np.einsum("ij,jk->ik", x, y), [((2, 3), (3, 4))]),
               Case(lambda x: np.einsum("ii->i", x), [((3, 3),)]),
               Case(lambda x, y: np.einsum("...ij,j", x, y), [((2, 2, 3), (3,))]),
               Case(lambda x: np.einsum("ij->", x * x), [((2, 3),)])],
    "tensordot": [Case(lambda x, y: np.tensordot(x, y, axes=1), [((2, 3), (3, 4))]),
                  Case(lambda x, y: np.tensordot(x, y, axes=([0], [1])), [((3, 2), (4, 3))])],
    # sorting and gathering
    "sort": [Case(lambda x: np.sort(x, axis=1) * np.arange(3.0), [((2, 3),)], distinct(),
                  smooth=False)],
    "take_along_axis": [Case(lambda x: np.take_along_axis(x, np.array([[2, 0, 0]]), 1) * x,
                             [((2, 3),)])],
    "add_along_axis": [Case(lambda g: op("add_along_axis", g, LIKE_23,
                                         np.array([[2, 0, 0]]), axis=1), [((2, 3),)])],
    # control flow, calls, custom rules
    "cond": [Case(_cond_fn, [((3,), (3,)), ((), ())], away_from_zero())],
    "while_loop": [Case(_while_fn, [((),), ((2,),)], uniform(0.5, 1.5))],
    "call": [Case(_called, BINARY_SHAPES[:2])],
    "custom_vjp": [Case(_softplus, UNARY_SHAPES)],
    "loop_history": [Case(_second_order_while, [((),), ((2,),)], uniform(0.5, 1.0))],
    "history_read": [Case(_second_order_while, [((2,),)], uniform(0.5, 1.0))],
    "history_write": [Case(lambda x: at.grad(_second_order_while)(x), [((),)],
                           uniform(0.5, 1.0))],
}  # fmt: skip
CASES.update(op_cases.CASES)  # the families in tests/op_cases/

# Ops without a VJP: their outputs carry no gradient (comparisons, integer results,
# piecewise-constant functions, creation, shape queries, effects).
NOT_DIFFERENTIABLE = {
    "full_like", "arange", "eye", "dim", "size", "sign", "floor", "ceil", "trunc", "rint",
    "round", "isnan", "isinf", "isfinite", "logical_not", "invert", "floordiv",
    "eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor",
    "bitand", "bitor", "bitxor", "lshift", "rshift", "any", "all", "argmax", "argmin",
    "argsort", "stop_gradient",
    effects.print_op.name, effects.assert_op.name, effects.raise_op.name, effects.call_op.name,
}  # fmt: skip
NOT_DIFFERENTIABLE |= op_cases.NOT_DIFFERENTIABLE
CASES.update(op_cases.CASES)  # the families in tests/op_cases/

ALL_CASES = [(name, k, case, shapes) for name, cases in CASES.items()
             for k, case in enumerate(cases) for shapes in case.shapes]


def _case_id(item) -> str:
    name, k, _, shapes = item
    return f"{name}[{k}]-" + "-".join("x".join(map(str, s)) or "0d" for s in shapes)


# --- tests ----------------------------------------------------------------------------------
def test_every_op_is_covered():
    missing = sorted(set(OPS) - set(CASES) - NOT_DIFFERENTIABLE - set(op_cases.REFUSED))
    assert not missing, f"ops with neither gradient cases nor a non-differentiable mark: {missing}"
    stale = sorted((set(CASES) | NOT_DIFFERENTIABLE | set(op_cases.REFUSED)) - set(OPS))
    assert not stale, f"the table names ops that are not registered: {stale}"


@pytest.mark.parametrize("name", sorted(op_cases.REFUSED))
def test_refused_derivatives_raise(name):
    """An op whose VJP refuses by design says so, naming the construct, when reached."""
    with pytest.raises(at.UnsupportedError, match="not supported"):
        op_cases.REFUSED[name]()


@pytest.mark.parametrize("name", sorted(NOT_DIFFERENTIABLE & set(OPS)))
def test_non_differentiable_ops_have_no_rule(name):
    assert OPS[name].vjp is None and not OPS[name].differentiable


@pytest.mark.parametrize("name", sorted(CASES))
def test_differentiable_ops_have_a_rule(name):
    assert OPS[name].vjp is not None and OPS[name].differentiable


@pytest.mark.parametrize("name", sorted(CASES))
def test_case_uses_its_op(name):
    """Tracing the case (with the gradient, for ops that appear only in backward graphs)
    creates a node of the op, so the table cannot test a neighbour by mistake."""
    case = CASES[name][0]
    args = case.inputs(case.shapes[0], np.float64)
    ops = _ops_in_trace(_gradient_of(case.fn, len(args)), args)
    assert name in ops, f"the first case for {name!r} makes no {name!r} node: {sorted(ops)}"


@pytest.mark.parametrize("item", ALL_CASES, ids=_case_id)
def test_vjp_float64(item):
    name, _, case, shapes = item
    for seed in (0, 1):
        args = case.inputs(shapes, np.float64, seed)
        at.check_grads(case.fn, args, order=2 if case.smooth else 1, seed=seed)


@pytest.mark.parametrize("item", ALL_CASES, ids=_case_id)
def test_vjp_float32(item):
    name, _, case, shapes = item
    args = case.inputs(shapes, np.float32)
    at.check_grads(case.fn, args, order=1, rtol=case.rtol32, atol=case.rtol32)
    grads = _gradient_of(case.fn, len(args))(*args)
    for g, x in zip(grads, args):
        assert g.dtype == np.float32 and np.shape(g) == x.shape, (name, g.dtype, np.shape(g))


@pytest.mark.parametrize("item", ALL_CASES, ids=_case_id)
def test_vjp_keeps_float32(item):
    """The rule itself (before the engine casts): float32 cotangents for float32 inputs."""
    name, _, case, shapes = item
    args = [at.EagerTensor(x) for x in case.inputs(shapes, np.float32)]
    with at.GradientTape() as tape:
        tape.watch(args)
        case.fn(*args)
    entries = [e for e in tape._entries if e.op.name == name]
    for e in entries:
        inputs = [x.numpy() if isinstance(x, at.EagerTensor) else x for x in e.inputs]
        outs = [o.numpy() for o in e.outputs]
        cts = [np.ones(np.shape(o), np.result_type(o)) for o in outs]
        ct, out = (tuple(cts), tuple(outs)) if e.op.multiple_results else (cts[0], outs[0])
        grads = e.op.vjp(ct, *inputs, out, **e.params)
        assert len(grads) == len(inputs), f"{name}: {len(grads)} cotangents for {len(inputs)}"
        for x, g in zip(inputs, grads):
            if g is not None and np.result_type(x) == np.float32:
                assert np.result_type(g) == np.float32, f"{name}: {np.result_type(g)} cotangent"


def _gradient_of(fn, n: int):
    """The gradient of a weighted sum of `fn`'s outputs w.r.t. all its `n` arguments."""
    def total(*xs):
        return _total(fn(*xs))

    return at.grad(total, argnums=tuple(range(n)))


def _total(out):
    """A weighted sum of all elements (plain sum for sizes unknown while tracing)."""
    leaves = out if isinstance(out, (list, tuple)) else [out]
    total = 0.0
    for leaf in leaves:
        shape = shape_of(leaf)
        if None not in shape:
            leaf = leaf * np.linspace(0.5, 1.5, int(np.prod(shape))).reshape(shape)
        total = total + leaf.sum()
    return total


def _ops_in_trace(fn, args) -> set[str]:
    with GraphBuilder("probe") as b:
        fn(*[b.add_input(x.shape, x.dtype) for x in args])
    return {node.op.name for node in b.graph.walk()}
