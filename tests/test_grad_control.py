"""Gradients through Python control flow: ifs, data-dependent loops, break/continue, early
returns, helper calls, nested loops and loop-carried arrays.

Each function below is plain Python on numpy. For each, `at.grad` (which converts it with
AutoGraph and traces it once) must match central finite differences of the *original*
Python function on several inputs of one signature, and those inputs must take different
paths through it: the lines executed (counted with `sys.settrace`) differ between them,
so one graph computes the gradient of several branches and trip counts. A while loop
whose trip count depends on the data is among them (JAX refuses reverse mode there).
"""

from __future__ import annotations

import sys
from collections import Counter

import numpy as np
import pytest

import autotrace as at


# --- if / elif / else ----------------------------------------------------------------------
def if_else(x):
    if x.sum() > 0:
        y = x * x
    else:
        y = -3 * x
    return y.sum()


def if_elif_else(x):
    s = x.sum()
    if s > 2:
        r = np.sin(x).sum()
    elif s > 0:
        r = (x ** 2).sum()
    else:
        r = np.exp(x).sum()
    return r


def nested_if(x, y):
    if x.sum() > 0:
        if y.sum() > 0:
            z = x * y
        else:
            z = x - y * y
    else:
        z = np.tanh(x) * y
    return z.sum()


def if_without_else(x):
    y = x * 2
    if x[0] > 0:
        y = y * x
    return y.sum()


def early_return(x):
    if x.sum() < 0:
        return (x * x).sum()
    y = np.sin(x)
    return (y * x).sum()


def several_returns(x):
    if x[0] > 1:
        return x.sum() * 2
    if x[1] > 1:
        return (x ** 3).sum()
    return np.tanh(x).sum()


def conditional_expression(x):
    y = (x * x
         if x.sum() > 0
         else x * 3)
    return y.sum()


def and_or_conditions(x):
    if x[0] > 0 and x[1] > 0:
        y = x * x
    elif x[0] > 0 or x[2] > 0:
        y = np.exp(x)
    else:
        y = -x
    return y.sum()


def not_condition(x):
    y = x
    if not x.max() > 1:
        y = x * 4
    return (y * y).sum()


def branch_assigns_two(x):
    if x.mean() > 0.5:
        a, b = x * 2, np.sin(x)
    else:
        a, b = x * x, x
    return (a * b).sum()


def clip_by_norm(x):
    norm = np.sqrt((x * x).sum())
    if norm > 1:
        x = x / norm
    return (x * np.arange(1.0, 4.0)).sum()


def stable_log_sum_exp(x):
    m = x.max()
    if m > 2:
        r = m + np.log(np.exp(x - m).sum())
    else:
        r = np.log(np.exp(x).sum())
    return r


# --- while loops (trip counts depend on the data) --------------------------------------------
def newton_sqrt(x):
    y = x
    while np.abs(y * y - x) > 1e-12:
        y = 0.5 * (y + x / y)
    return y


def grow_until(x):
    s = x
    while s.sum() < 10:
        s = s * 1.5 + x
    return (s * s).sum()


def halve_and_count(x):
    n = 0
    y = x
    while y > 1:
        y = y / 2
        n += 1
    return y * n + y


def while_with_break(x):
    y = x
    i = 0
    while i < 10:
        y = y * x
        if y.sum() > 5:
            break
        i += 1
    return y.sum()


def while_with_continue(x):
    i = 0
    acc = x * 0
    while i < 5:
        i += 1
        if x.sum() * i < 2:
            continue
        acc = acc + np.sin(x * i)
    return acc.sum()


def while_true_break(x):
    y = x
    while True:
        y = y * 1.3 + 0.1 * x
        if y.sum() > 4:
            break
    return y.sum()


def while_two_conditions(a, b):
    while a.sum() < 5 and b.sum() < 7:
        a = a * 1.2 + b
        b = b + 0.5 * a
    return (a * b).sum()


def fixed_point_cos(x):
    y = x * 0
    delta = x * 0 + 1
    while delta > 1e-12:
        new = np.cos(y) * x
        delta = np.abs(new - y)
        y = new
    return y


def carried_arrays(x):
    y = x
    z = x * 0
    while (y * y).sum() > 0.01:
        y, z = y * 0.5, z + y * y
    return z.sum() + y.sum()


def cond_inside_while(x):
    y = x
    i = 0
    while i < 4:
        if y.sum() > 0:
            y = y - x * x
        else:
            y = y + np.sin(x)
        i += 1
    return y.sum()


def while_inside_if(x):
    if x.sum() > 0:
        y = x
        while y.sum() < 8:
            y = y * 2
    else:
        y = x * x
    return y.sum()


def matrix_power_until(m):
    p = m
    while np.abs(p).sum() < 50:
        p = p @ m
    return p.sum()


def sequential_whiles(x):
    y = x
    while y.sum() < 4:
        y = y * 1.7
    z = y
    while z.sum() > 1:
        z = z * 0.6
    return (y + z).sum()


def nested_whiles(x):
    y = x
    outer = 0
    while outer < 2:
        inner = y
        while inner.sum() < 6:
            inner = inner * 1.5 + x
        y = inner * 0.25
        outer += 1
    return y.sum()


# --- for loops -----------------------------------------------------------------------------
def for_python_range(x):
    y = x
    for i in range(3):
        y = y * x + i
        if y.sum() > 2:
            y = y * 0.5
    return y.sum()


def for_traced_range(x):
    n = (x.sum() * 2).astype(np.int64)
    acc = x * 0
    for i in range(n):
        acc = acc * 0.5 + x * i
    return acc.sum()


def for_over_tensor(x):
    acc = 0.0
    for v in x:
        acc = acc * 0.5 + v * v
        if acc > 1:
            acc = np.sqrt(acc)
    return acc


def for_over_rows(m):
    acc = m[0] * 0 + 1
    for row in m:
        if row.sum() > 0:
            acc = acc * np.sin(row)
        else:
            acc = acc + row
    return acc.sum()


def for_with_break(x):
    acc = x[0] * 0
    for v in x:
        if v > 1:
            break
        acc = acc + v * v
    return acc


def for_with_continue(x):
    acc = x[0] * 0
    for v in x:
        if v < 0:
            continue
        acc = acc + v ** 3
    return acc


def for_enumerate(x):
    acc = x[0] * 0
    for i, v in enumerate(x):
        acc = acc + v * i
        if acc > 3:
            acc = acc * 0.5
    return acc


def for_zip(x, y):
    acc = x[0] * 0
    for a, b in zip(x, y):
        if a > b:
            acc = acc + a * b
        else:
            acc = acc - b
    return acc


def nested_for(x):
    acc = x * 0
    for i in range(2):
        for v in x:
            acc = acc + v * x * (i + 1)
            if acc.sum() > 4:
                acc = acc * 0.5
    return acc.sum()


def while_inside_for(x):
    total = x[0] * 0
    for v in x:
        t = v
        while t < 3:
            t = t * 2 + 0.1
        total = total + t
    return total


def horner(coeffs, x):
    acc = x * 0
    for c in coeffs:
        acc = acc * x + c
        if acc.sum() > 2:
            acc = acc * 0.5
    return acc.sum()


def python_list_of_parts(x):
    parts = []
    for i in range(3):
        if i == 1:
            parts.append(np.sin(x))
        else:
            parts.append(x * i)
    total = np.stack(parts).sum(axis=0)
    if total.sum() > 0:
        total = total * total
    return total.sum()


def dict_state(x):
    state = {"a": x, "b": x * 0}
    while state["a"].sum() < 3:
        state = {"a": state["a"] * 1.5, "b": state["b"] + state["a"]}
    return (state["a"] * state["b"]).sum()


def unrolled_gradient_descent(x):
    w = x * 0
    for _ in range(5):
        g = 2 * (w - x) + np.cos(w)
        w = w - 0.2 * g
    if w.sum() > 0:
        w = w * w
    return w.sum()


def growing_array(x):
    y = x[:1]
    while y.sum() < 5:
        y = np.concatenate([y, y[-1:] * 1.5 + x[1:]])
    return (y * y).sum() + y.shape[0]


def return_inside_loop(x):
    acc = x[0] * 0
    for v in x:
        if acc > 2:
            return acc * v
        acc = acc + v * v
    return acc


def counter_in_float_math(x):
    i = 0
    y = x
    while y.sum() < 6:
        i += 1
        y = y + x * i
    return (y / (i + 1)).sum()


# --- helper calls --------------------------------------------------------------------------
def _soft_threshold(v, t):
    if v > t:
        return v - t
    if v < -t:
        return v + t
    return v * 0


def helper_calls(x):
    acc = 0.0
    for v in x:
        acc = acc + _soft_threshold(v, 0.5) ** 2
    return acc


def _poly(x, n):
    return 1 if n == 0 else x * _poly(x, n - 1) + n


def python_recursion(x):
    y = _poly(x, 3)
    if y.sum() > 10:
        y = np.log(y)
    return y.sum()


def _bounded_growth(v):
    while v < 5:
        v = v * 1.5 + 0.2
    return v


def helper_with_while(x):
    y = x * 0
    for v in x:
        y = y + _bounded_growth(v) * x
    return y.sum()


# --- the cases: function -> inputs of one signature taking different paths ------------------
def a(*values):
    return np.array(values, dtype=np.float64)


CASES = {
    if_else: [(a(1.0, 2.0),), (a(-1.0, -2.0),), (a(0.5, -0.1),)],
    if_elif_else: [(a(1.5, 1.0),), (a(0.5, 0.3),), (a(-1.0, 0.2),)],
    nested_if: [(a(1.0, 2.0), a(1.0, 1.0)), (a(1.0, 2.0), a(-3.0, 1.0)),
                (a(-1.0, -2.0), a(0.5, 0.7))],
    if_without_else: [(a(0.5, 2.0),), (a(-0.5, 2.0),)],
    early_return: [(a(-1.0, -0.5),), (a(1.0, 0.2),)],
    several_returns: [(a(1.5, 0.2),), (a(0.5, 1.5),), (a(0.2, 0.3),)],
    conditional_expression: [(a(1.0, 0.5),), (a(-1.0, 0.5),)],
    and_or_conditions: [(a(1.0, 1.0, -1.0),), (a(1.0, -1.0, -1.0),), (a(-1.0, -1.0, 2.0),),
                        (a(-1.0, 1.0, -2.0),)],
    not_condition: [(a(0.5, 0.2),), (a(1.5, 0.2),)],
    branch_assigns_two: [(a(1.0, 0.8),), (a(0.1, 0.2),)],
    clip_by_norm: [(a(1.0, 2.0, -1.0),), (a(0.1, 0.2, -0.3),)],
    stable_log_sum_exp: [(a(3.0, 1.0, 0.5),), (a(0.5, 1.0, -1.0),)],
    newton_sqrt: [(a(2.0)[0],), (a(9.0)[0],), (a(100.0)[0],), (a(0.3)[0],)],
    grow_until: [(a(0.5, 1.0),), (a(2.0, 3.0),), (a(0.1, 0.2),)],
    halve_and_count: [(a(0.7)[0],), (a(3.3)[0],), (a(17.0)[0],)],
    while_with_break: [(a(1.2, 1.3),), (a(0.5, 0.6),), (a(2.1, 0.4),)],
    while_with_continue: [(a(0.3, 0.35),), (a(1.2, 0.4),), (a(-0.3, 0.1),)],
    while_true_break: [(a(0.5, 0.6),), (a(2.0, 3.0),)],
    while_two_conditions: [(a(0.5, 0.3), a(0.2, 0.1)), (a(2.0, 2.5), a(0.1, 0.2)),
                           (a(0.1, 0.1), a(3.0, 3.6))],
    fixed_point_cos: [(a(0.5)[0],), (a(0.9)[0],)],
    carried_arrays: [(a(0.3, 0.2),), (a(3.0, -2.0),)],
    cond_inside_while: [(a(0.5, 0.4),), (a(-1.0, 0.3),), (a(2.0, 1.5),)],
    while_inside_if: [(a(0.5, 0.7),), (a(3.0, 2.5),), (a(-1.0, -0.5),)],
    matrix_power_until: [(np.array([[1.1, 0.3], [0.2, 0.9]]),),
                         (np.array([[2.0, 1.0], [0.5, 1.5]]),)],
    sequential_whiles: [(a(0.3, 0.4),), (a(2.0, 3.0),)],
    nested_whiles: [(a(0.5, 0.4),), (a(1.5, 2.0),), (a(0.1, 0.1),)],
    for_python_range: [(a(0.5, -1.0),), (a(1.5, 0.2),)],
    for_traced_range: [(a(0.6, 0.7),), (a(1.2, 1.1),), (a(0.1, 0.1),)],
    for_over_tensor: [(a(0.5, -1.0, 2.0),), (a(1.5, 0.3, -0.7),)],
    for_over_rows: [(np.array([[0.5, 0.2], [-1.0, -0.3], [0.7, 0.4]]),),
                    (np.array([[-0.5, 0.2], [1.0, 0.3], [-0.7, -0.4]]),)],
    for_with_break: [(a(0.5, 0.6, 1.5, 0.2),), (a(1.5, 0.6, 0.3, 0.2),),
                     (a(0.5, 0.6, 0.3, 0.2),)],
    for_with_continue: [(a(0.5, -0.6, 1.5),), (a(-1.5, -0.6, -0.3),), (a(0.5, 0.6, 0.3),)],
    for_enumerate: [(a(0.5, 0.6, 1.5, 0.2),), (a(0.5, 2.6, 1.5, 0.2),)],
    for_zip: [(a(1.0, 0.5, 2.0), a(0.5, 1.0, 1.5)), (a(0.1, 0.5, 0.2), a(0.5, 1.0, 1.5))],
    nested_for: [(a(0.3, 0.2),), (a(1.0, 0.9),)],
    while_inside_for: [(a(0.5, 2.0, 4.0),), (a(0.2, 0.3, 0.7),)],
    horner: [(a(3.0, -2.0, 0.5), a(0.7, 1.3)), (a(0.3, 0.2, -0.1), a(0.7, 1.3))],
    python_list_of_parts: [(a(0.5, 1.0),), (a(-1.5, -1.0),)],
    dict_state: [(a(0.5, 0.6),), (a(1.2, 1.4),), (a(0.1, 0.2),)],
    growing_array: [(a(0.5, 1.0),), (a(2.0, 1.0),), (a(0.2, 0.3),)],
    return_inside_loop: [(a(1.0, 1.2, 0.5),), (a(0.3, 0.2, 0.4),), (a(1.5, 0.2, 0.4),)],
    counter_in_float_math: [(a(0.6, 1.0),), (a(2.0, 3.0),), (a(0.1, 0.2),)],
    unrolled_gradient_descent: [(a(0.5, 1.0),), (a(-2.0, -1.5),)],
    helper_calls: [(a(0.7, -0.9, 0.2),), (a(0.1, 0.2, 1.5),)],
    python_recursion: [(a(1.5, 2.0),), (a(0.2, 0.3),)],
    helper_with_while: [(a(0.5, 2.1),), (a(4.0, 6.0),)],
}  # fmt: skip


# --- oracle and path probe -----------------------------------------------------------------
def finite_differences(fn, args, eps: float = 1e-6) -> list:
    """Central differences of `fn` (plain Python on numpy) w.r.t. every element of each arg."""
    grads = []
    for k, x in enumerate(args):
        g = np.zeros_like(x)
        for idx in np.ndindex(np.shape(x)):
            plus, minus = [np.array(v, copy=True) for v in args], [np.array(v, copy=True)
                                                                  for v in args]
            plus[k][idx] += eps
            minus[k][idx] -= eps
            g[idx] = (float(fn(*plus)) - float(fn(*minus))) / (2 * eps)
        grads.append(g)
    return grads


def path_of(fn, args) -> tuple:
    """The lines of this test module executed by `fn(*args)`, with their counts."""
    lines: Counter = Counter()

    def tracer(frame, event, arg):
        if frame.f_code.co_filename == __file__ and event == "line":
            lines[frame.f_lineno] += 1
        return tracer

    sys.settrace(tracer)
    try:
        fn(*args)
    finally:
        sys.settrace(None)
    return tuple(sorted(lines.items()))


def test_enough_functions():
    assert len(CASES) >= 40


@pytest.mark.parametrize("fn", list(CASES), ids=lambda f: f.__name__)
def test_grad_matches_finite_differences_on_every_path(fn):
    inputs = CASES[fn]
    paths = {path_of(fn, args) for args in inputs}
    assert len(paths) > 1, f"{fn.__name__}: every input takes the same path"
    grad = at.grad(fn, argnums=tuple(range(len(inputs[0]))))
    for args in inputs:
        got = grad(*args)
        want = finite_differences(fn, args)
        for g, w, x in zip(got, want, args):
            assert np.shape(g) == np.shape(x) and np.result_type(g) == np.float64
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6,
                                       err_msg=f"{fn.__name__} at {args}")
    assert grad.trace_count == 1, f"{fn.__name__} traced {grad.trace_count} times"


@pytest.mark.parametrize("fn", [newton_sqrt, grow_until, halve_and_count, nested_whiles],
                         ids=lambda f: f.__name__)
def test_trip_counts_differ(fn):
    """The while loops above really run a data-dependent number of times."""
    counts = {Counter(dict(path_of(fn, args))).most_common(1)[0][1] for args in CASES[fn]}
    assert len(counts) > 1


@pytest.mark.parametrize("fn", [if_else, grow_until, cond_inside_while, for_over_tensor,
                                for_with_break, nested_whiles], ids=lambda f: f.__name__)
def test_float32_gradients_through_control_flow(fn):
    """float32 in, float32 out, through cond and loop VJPs; values agree with float64."""
    grad = at.grad(fn)
    for (x,) in CASES[fn]:
        g32 = grad(x.astype(np.float32))
        assert g32.dtype == np.float32
        np.testing.assert_allclose(g32, grad(x), rtol=2e-4, atol=1e-5)
    assert grad.trace_count == 2  # one per dtype
