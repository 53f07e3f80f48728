"""Numpy arrays the function makes, written in place with numpy values inside a graph `if`
(`runtime/branch_arrays.py`), and indexed by a traced key (`runtime/subscripts.py`): ONE
concrete graph called on inputs that take both branches, several calls in a row, against
the plain function; and the refusals, with their messages."""

from __future__ import annotations

import numpy as np
import pytest
from corpus.check import compare_call

import autotrace as at
from autotrace.errors import TracingError

POS, NEG = np.array([0.3, 0.2, 0.1]), np.array([-0.3, -0.2, 0.1])
INPUTS = [(POS,), (NEG,), (POS * 2,), (NEG * 2,), (POS,)]  # both branches, alternating


def assert_same_as_python(fn, inputs: list, traces: int = 1) -> None:
    """ONE concrete graph of `fn` (per Python-valued signature: `traces`) against `fn`
    itself on each input, in this order (values, dtypes, types, structure:
    `corpus.check.compare_call`)."""
    traced = at.trace(fn)
    for args in inputs:
        compare_call(traced, fn, args)
    assert traced.trace_count == traces


def written_in_one_branch(x):
    buf = np.zeros(3)
    if np.sum(x) > 0.0:
        buf[1:] -= np.cos(buf * 1.0)[:2]
    else:
        buf = buf + 5.0  # reads `buf`: must see it as it was before the `if`
    return buf + x


def written_in_both_branches(x):
    buf = np.ones(3)
    if np.sum(x) > 0.0:
        buf[0] = 4.0
        buf *= 2.0
    else:
        buf[2] = -1.0
    return x * buf, buf


def written_then_read_after(x):
    buf = np.arange(3.0)
    if np.max(x) > 0.25:
        buf[:] = np.sin(buf)
    total = np.sum(buf) + np.sum(x)
    return total, buf


def written_in_elif(x):
    buf = np.zeros(3)
    if np.sum(x) > 0.5:
        buf[0] = 1.0
    elif np.sum(x) > 0.0:
        buf[1] = 2.0
    else:
        buf[2] = 3.0
    return buf * x


def written_in_returning_branch(x):
    buf = np.zeros(3)
    if np.sum(x) > 0.0:
        buf += 1.5
        return buf * x
    return buf - x


def written_in_nested_branch(x):
    buf = np.zeros(3)
    if np.sum(x) > 0.0:
        if np.max(x) > 0.5:
            buf[0] = 7.0
        else:
            buf[1] += np.cos(buf[1])
        buf *= 3.0
    y = x + buf
    return y, np.sum(buf)


def same_write_in_both_branches(x):
    buf = np.zeros(3)
    if np.sum(x) > 0.0:
        buf[1] = 2.0
        y = x * 2.0
    else:
        buf[1] = 2.0
        y = x - buf
    return y, buf


@pytest.mark.parametrize("fn", [written_in_one_branch, written_in_both_branches,
                                written_then_read_after, written_in_elif,
                                written_in_returning_branch, written_in_nested_branch,
                                same_write_in_both_branches])
def test_branch_writes_match_python(fn):
    big = [(np.array([0.6, 0.1, 0.1]),)]
    inputs = INPUTS + big if fn in (written_in_elif, written_in_nested_branch) else INPUTS
    assert_same_as_python(fn, inputs)


def test_one_graph_several_calls_no_carry_over():
    traced = at.trace(written_in_one_branch)
    for args in INPUTS * 2:
        np.testing.assert_array_equal(traced(*args), written_in_one_branch(*args))
    assert traced.trace_count == 1


def test_written_array_without_assignment_is_refused():
    def fill(x):
        buf = np.zeros(3)
        if np.sum(x) > 0.0:
            buf.fill(2.0)
        return buf + x

    with pytest.raises(TracingError) as info:
        at.trace(fill)(POS)
    message = str(info.value)
    assert "`buf`, a numpy array, is written in place in one branch of the `if` whose " \
        "condition is a tensor (line " in message
    assert "(`if np.sum(x) > 0.0:`)" in message
    assert "which does not assign `buf`" in message


def test_written_array_with_another_name_is_refused():
    def aliased(x):
        buf = np.zeros(3)
        other = buf
        if np.sum(x) > 0.0:
            buf[0] = 2.0
        return buf + x + other

    with pytest.raises(TracingError) as info:
        at.trace(aliased)(POS)
    message = str(info.value)
    assert "`buf`, a numpy array, is written in place in one branch" in message
    assert "and it is also held by `buf` (in aliased, line" in message
    assert "`other` (in aliased, line" in message
    assert "(`buf = buf.copy()` before the `if`)" in message


# -- a numpy array indexed by a traced key ------------------------------------------------
def indexed_by_traced_int(x, n):
    table = np.arange(3.0) * 2.0 + 1.0
    grid = np.arange(6.0).reshape(2, 3)
    m = n * 1
    for i in range(n):
        m = m + i + table.shape[0]
    if table[m % 3] > 2.0:  # a graph `if` on the read
        table[0] = 9.0
    return x * table[m % 3], table[n - 3], grid[m % 2, n % 3], grid[n % 2], table


def test_numpy_array_indexed_by_traced_int_matches_python():
    assert_same_as_python(indexed_by_traced_int,
                          [(POS, np.int64(k)) for k in (0, 1, 2, 3, 4, 5, 1, 0)])


def test_numpy_array_indexed_out_of_bounds_raises_like_python():
    def pick(x, n):
        table = np.arange(3.0)
        return table[n] + x

    traced = at.trace(pick)
    np.testing.assert_array_equal(traced(POS, np.int64(2)), pick(POS, np.int64(2)))
    with pytest.raises(IndexError, match="index 5 is out of bounds for axis 0 with size 3"):
        pick(POS, np.int64(5))
    with pytest.raises(IndexError, match="index 5 is out of bounds for axis 0 with size 3"):
        traced(POS, np.int64(5))
    assert traced.trace_count == 1


def test_python_values_indexed_by_a_computed_key_stay_python():
    def pick(x, k):
        items, names = [x, x * 2.0], {"a": 1}
        key = "a"
        return items[k - 1] * names[key], np.arange(3)[k]

    assert_same_as_python(pick, [(POS, 1), (NEG, 2), (NEG, 1)], traces=2)  # `k`: Python
