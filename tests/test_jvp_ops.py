"""Every differentiable op's JVP, driven by the registry and the cases of test_grad_ops.

For each case of `test_grad_ops.CASES` (one table of differentiable ops, so no op can skip
this file) and each shape variant:

* float64: `at.jvp` against central differences of the plain function along a random
  tangent, and the transpose identity `<u, J v>` (forward mode) == `<J^T u, v>` (reverse
  mode, `at.grad`) for random `u`, `v`;
* float32: the JVP against the float64 one with looser tolerances, and float32 tangents.

A differentiable op has a JVP rule of its own (`Op.jvp`), or is one of the few listed in
`TRANSPOSED_VJP`, whose JVP the forward trace derives from their VJP.
"""

from __future__ import annotations

import numpy as np
import op_cases
import pytest
from test_grad_ops import ALL_CASES, CASES, _case_id

import autotrace as at
from autotrace.ops import OPS

pytestmark = pytest.mark.filterwarnings("ignore::autotrace.RetracingWarning")

# Nonlinear ops whose JVP is `d/dg <vjp(g), t>` (autodiff/jvp_trace.py `_transposed_vjp`).
TRANSPOSED_VJP = {"prod", "max", "min", "var", "std", "cumprod", "sort",
                  *op_cases.TRANSPOSED_VJP}
# Every case, the gradients of while loops included (forward over reverse records the
# loop with its tangents, autodiff/history.py `_history_jvp`).
CHECKED = ALL_CASES


def _leaves(out) -> list:
    return [np.asarray(x, dtype=np.float64) for x in
            (out if isinstance(out, (list, tuple)) else [out])]


def _tangents(args, seed: int, dtype=np.float64) -> tuple:
    rng = np.random.default_rng(100 + seed)
    return tuple(rng.standard_normal(np.shape(x)).astype(dtype) for x in args)


def _central(fn, args, tangents, eps: float = 1e-6) -> list:
    plus = fn(*[x + eps * t for x, t in zip(args, tangents)])
    minus = fn(*[x - eps * t for x, t in zip(args, tangents)])
    return [(p - m) / (2 * eps) for p, m in zip(_leaves(plus), _leaves(minus))]


@pytest.mark.parametrize("name", sorted(CASES))
def test_differentiable_op_has_a_jvp(name):
    op = OPS[name]
    if name in TRANSPOSED_VJP:
        assert op.jvp is None and op.vjp is not None
    else:
        assert op.jvp is not None, f"{name} has a VJP but no JVP rule"


def test_transposed_list_is_current():
    assert TRANSPOSED_VJP <= set(CASES)


@pytest.mark.parametrize("item", CHECKED, ids=_case_id)
def test_jvp_float64(item):
    name, _, case, shapes = item
    for seed in (0, 1):
        args = case.inputs(shapes, np.float64, seed)
        tangents = _tangents(args, seed)
        out, t_out = at.jvp(case.fn, args, tangents)
        for got, want in zip(_leaves(out), _leaves(case.fn(*args))):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
        for got, want in zip(_leaves(t_out), _central(case.fn, args, tangents)):
            assert got.shape == want.shape, (name, got.shape, want.shape)
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("item", CHECKED, ids=_case_id)
def test_jvp_transposes_vjp(item):
    """<u, J v> computed forward equals <J^T u, v> computed in reverse."""
    name, _, case, shapes = item
    args = case.inputs(shapes, np.float64, 0)
    v = _tangents(args, 0)
    rng = np.random.default_rng(7)
    u = [rng.standard_normal(np.shape(o)) for o in _leaves(case.fn(*args))]
    _, t_out = at.jvp(case.fn, args, v)
    forward = sum(float(np.sum(a * b)) for a, b in zip(u, _leaves(t_out)))

    def weighted(*xs):
        out = case.fn(*xs)
        leaves = out if isinstance(out, (list, tuple)) else [out]
        total = 0.0
        for leaf, w in zip(leaves, u):
            total = total + (leaf * w).sum()
        return total

    grads = at.grad(weighted, argnums=tuple(range(len(args))))(*args)
    reverse = sum(float(np.sum(g * t)) for g, t in zip(grads, v))
    np.testing.assert_allclose(forward, reverse, rtol=1e-9, atol=1e-9, err_msg=name)


@pytest.mark.parametrize("item", CHECKED, ids=_case_id)
def test_jvp_float32(item):
    name, _, case, shapes = item
    args64 = case.inputs(shapes, np.float64, 0)
    args = tuple(x.astype(np.float32) for x in args64)
    tangents = _tangents(args, 0, np.float32)
    out, t_out = at.jvp(case.fn, args, tangents)
    _, t_want = at.jvp(case.fn, args64, tuple(t.astype(np.float64) for t in tangents))
    as_list = (lambda v: list(v) if isinstance(v, (list, tuple)) else [v])  # noqa: E731
    for o, got, want in zip(as_list(out), as_list(t_out), _leaves(t_want)):
        assert np.result_type(got) == np.result_type(o), (name, np.result_type(got))
        scale = max(1.0, float(np.max(np.abs(want), initial=0.0)))
        np.testing.assert_allclose(np.asarray(got, np.float64), want,
                                   rtol=case.rtol32, atol=case.rtol32 * scale, err_msg=name)
