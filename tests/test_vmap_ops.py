"""Every op under `at.vmap` against a Python loop over the examples, driven by the registry.

The differentiable ops come from `test_grad_ops.CASES` (every shape variant), the others
from `OTHER_CASES` below; `test_every_op_is_batched` fails for an op in neither, so no op
can skip this file. Each case runs batched over all its arguments, and over the first one
only (the others shared by every example, `in_axes=None`), in float64 and float32.
"""

from __future__ import annotations

import logging

import numpy as np
import op_cases
import pytest
from test_grad_ops import ANY, CASES, NOT_DIFFERENTIABLE, UNARY_SHAPES, Case, distinct, op

import autotrace as at
from autotrace.ops import OPS

pytestmark = [pytest.mark.filterwarnings("ignore::autotrace.RetracingWarning"),
              pytest.mark.filterwarnings("ignore::RuntimeWarning")]

BATCH = 3
COMPARE_SHAPES = [((2, 3), (2, 3)), ((2, 3), (3,)), ((), (3,))]


def _int(fn):
    return lambda *xs: fn(*[np.round(x * 3).astype(np.int64) for x in xs])


def _printing(x):
    print("x is", x)
    return x * 2


def _logging(x):
    logging.getLogger("autotrace.tests").warning("x is %s", x)
    return x * 2


def _asserting(x):
    assert (x > -100).all(), "too small"
    return x * 2


def _raising(x):
    if x.sum() > 100:  # a batched `if` whose branch has an effect: a loop over examples
        raise ValueError("too big")
    return x + 1


OTHER_CASES: dict[str, list[Case]] = {
    "full_like": [Case(lambda x: np.full_like(x, 2.0) + x, UNARY_SHAPES)],
    "arange": [Case(lambda x: np.arange(3.0) * x, [((3,),)])],
    "eye": [Case(lambda x: np.eye(3) @ x, [((3,),)])],
    "dim": [Case(lambda x: op("dim", x, axis=0) * x, [((3,),)])],
    "size": [Case(lambda x: op("size", x) * x, [((2, 3),)])],
    "sign": [Case(np.sign, UNARY_SHAPES)], "floor": [Case(np.floor, UNARY_SHAPES)],
    "ceil": [Case(np.ceil, UNARY_SHAPES)], "trunc": [Case(np.trunc, UNARY_SHAPES)],
    "rint": [Case(np.rint, UNARY_SHAPES)], "round": [Case(lambda x: np.round(x, 1),
                                                          UNARY_SHAPES)],
    "isnan": [Case(lambda x: np.isnan(np.log(x)), UNARY_SHAPES)],
    "isinf": [Case(lambda x: np.isinf(1 / np.floor(x)), UNARY_SHAPES)],
    "isfinite": [Case(lambda x: np.isfinite(np.log(x)), UNARY_SHAPES)],
    "logical_not": [Case(lambda x: np.logical_not(x > 0), UNARY_SHAPES)],
    "invert": [Case(_int(np.invert), UNARY_SHAPES)],
    "floordiv": [Case(np.floor_divide, COMPARE_SHAPES, (ANY, distinct(0.5, 2.0)))],
    **{name: [Case(fn, COMPARE_SHAPES)] for name, fn in [
        ("eq", lambda x, y: np.equal(x > 0, y > 0)),
        ("ne", lambda x, y: np.not_equal(x > 0, y > 0)),
        ("lt", np.less), ("le", np.less_equal), ("gt", np.greater),
        ("ge", np.greater_equal), ("logical_and", lambda x, y: np.logical_and(x > 0, y > 0)),
        ("logical_or", lambda x, y: np.logical_or(x > 0, y > 0)),
        ("logical_xor", lambda x, y: np.logical_xor(x > 0, y > 0)),
        ("bitand", _int(np.bitwise_and)), ("bitor", _int(np.bitwise_or)),
        ("bitxor", _int(np.bitwise_xor)),
        ("lshift", lambda x, y: np.left_shift(np.round(x * 3).astype(np.int64), 2)),
        ("rshift", lambda x, y: np.right_shift(np.round(x * 30).astype(np.int64), 2))]},
    "any": [Case(lambda x: np.any(x > 0.5, axis=-1), [((2, 3),)])],
    "all": [Case(lambda x: np.all(x > -0.5), [((2, 3),)])],
    "argmax": [Case(lambda x: np.argmax(x, axis=1), [((2, 3),)], distinct()),
               Case(np.argmax, [((2, 3),), ((3,),), ((),)], distinct()),
               Case(lambda x: np.argmax(x, keepdims=True), [((2, 3),)], distinct())],
    "argmin": [Case(lambda x: np.argmin(x, axis=0), [((2, 3),)], distinct()),
               Case(lambda x: np.argmin(x, axis=-1, keepdims=True), [((2, 3),)], distinct()),
               Case(np.argmin, [((2, 3),)], distinct())],
    "argsort": [Case(lambda x: np.argsort(x, axis=1), [((2, 3),)], distinct())],
    "stop_gradient": [Case(lambda x: at.stop_gradient(x) * 2, UNARY_SHAPES)],
    "print": [Case(_printing, [((2,),)])],
    "effect_call": [Case(_logging, [((2,),)])],
    "assert": [Case(_asserting, [((2,),)])],
    "raise": [Case(_raising, [((2,),)])],
}  # fmt: skip
OTHER_CASES.update(op_cases.BATCH_CASES)  # the families in tests/op_cases/

ALL = {**CASES, **OTHER_CASES}
# Per-example results of different shapes (a boolean mask's selection; the gradient of a
# while loop, whose record is as long as that example's trip count) cannot be stacked:
# numpy's error, at the user's line. Documented in docs/autodiff.md.
RAGGED = {("getitem", 2), ("loop_history", 0), ("history_read", 0), ("history_write", 0),
          *op_cases.RAGGED}
ITEMS = [(name, k, case, shapes) for name, cases in sorted(ALL.items())
         for k, case in enumerate(cases) for shapes in case.shapes]


def _id(item) -> str:
    name, k, _, shapes = item
    return f"{name}[{k}]-" + "-".join("x".join(map(str, s)) or "0d" for s in shapes)


def _leaves(out) -> list:
    return list(out) if isinstance(out, (list, tuple)) else [out]


def _stacked(case, shapes, dtype, batched) -> tuple:
    examples = [case.inputs(shapes, dtype, seed) for seed in range(BATCH)]
    args = tuple(np.stack([e[i] for e in examples]) if batched[i] else examples[0][i]
                 for i in range(len(shapes)))
    return args, examples


def test_every_op_is_batched():
    missing = sorted(set(OPS) - set(ALL))
    assert not missing, f"ops with no vmap case: {missing}"
    assert set(OTHER_CASES) <= NOT_DIFFERENTIABLE | set(OTHER_CASES)
    assert op_cases.VMAP_REFUSED <= set(OTHER_CASES)  # each refusal is checked by a case


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("item", ITEMS, ids=_id)
def test_vmap_matches_a_loop(item, dtype):
    name, _, case, shapes = item
    variants = [(True,) * len(shapes)]
    if len(shapes) > 1:
        variants.append((True,) + (False,) * (len(shapes) - 1))
    for batched in variants:
        args, examples = _stacked(case, shapes, dtype, batched)
        in_axes = tuple(0 if b else None for b in batched)
        if name in op_cases.VMAP_REFUSED:
            with pytest.raises(at.UnsupportedError, match="vmap cannot batch the random draw"):
                at.vmap(case.fn, in_axes=in_axes)(*args)
            continue
        if (name, item[1]) in RAGGED:
            with pytest.raises(ValueError, match="must match exactly|shape differs per example"):
                at.vmap(case.fn, in_axes=in_axes)(*args)
            continue
        got = at.vmap(case.fn, in_axes=in_axes)(*args)
        per_example = [case.fn(*[x if b else examples[0][i] for i, (x, b) in enumerate(
            zip(example, batched))]) for example in examples]
        for k, leaf in enumerate(_leaves(got)):
            want = np.stack([np.asarray(_leaves(p)[k]) for p in per_example])
            assert np.shape(leaf) == want.shape, (name, np.shape(leaf), want.shape)
            assert np.result_type(leaf) == want.dtype, (name, np.result_type(leaf), want.dtype)
            tol = 1e-12 if dtype == np.float64 else 1e-5
            np.testing.assert_allclose(leaf, want, rtol=tol, atol=tol, err_msg=name)
