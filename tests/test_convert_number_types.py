"""A Python number keeps its type across the paths of graph control flow (issue 15): an
`int` on one path and a `float` on another (or a `bool` and an `int`) cannot be one graph
value, so it is refused at trace time, as an array whose dtype changes is. Where the
paths agree, Python numbers stay Python numbers."""

import inspect

import numpy as np
import pytest
from corpus.check import compare_call

import autotrace as at
from autotrace.errors import TracingError

SMALL = np.array([0.1, 0.2])  # sum below 1: the loops below run zero times
LARGE = np.array([3.0, 4.0])


def where(fn, text: str) -> str:
    """`line N of test_convert_number_types.py (`<the line>`)` of the line with `text`."""
    lines, first = inspect.getsourcelines(fn)
    i = next(i for i, line in enumerate(lines) if text in line)
    return f"line {first + i} of test_convert_number_types.py (`{lines[i].strip()}`)"


def message(fn, *args) -> str:
    with pytest.raises(TracingError) as info:
        at.trace(fn)(*args)
    return str(info.value)


def int_becomes_float_in_loop(x):
    n = 0
    while x.sum() > 1.0:
        x = x * 0.5
        n = n + 0.5
    return x, n


def test_int_that_becomes_float_in_a_graph_loop_is_refused():
    assert message(int_becomes_float_in_loop, SMALL) == (
        "`n` is a Python int before the loop but a Python float after one iteration "
        f"({where(int_becomes_float_in_loop, 'while')}). A graph needs one type per variable "
        "when the path depends on a tensor. Start it as a Python float before the loop, "
        "e.g. `n = 0.0` (not `n = 0`)."
    )


def bool_becomes_int_in_for_loop(x):
    seen = False
    for v in x:
        seen = seen + v.ndim + 1
    return seen


def test_bool_that_becomes_int_in_a_graph_for_loop_is_refused():
    assert message(bool_becomes_int_in_for_loop, SMALL) == (
        "`seen` is a Python bool before the loop but a Python int after one iteration "
        f"({where(bool_becomes_int_in_for_loop, 'for v')}). A graph needs one type per "
        "variable when the path depends on a tensor. Start it as a Python int before the "
        "loop, e.g. `seen = 0` (not `seen = False`)."
    )


def int_or_float_branches(x):
    if x.sum() > 1.0:
        n = 1
    else:
        n = 2.5
    return x * n, n


def test_int_and_float_from_the_branches_of_a_tensor_if_are_refused():
    assert message(int_or_float_branches, SMALL) == (
        "`n` is a Python int in the `if` branch but a Python float in the `else` branch "
        f"({where(int_or_float_branches, 'if x')}). A graph needs one type per variable "
        "when the path depends on a tensor. Give it a Python float on both paths, e.g. "
        "`n = float(...)`."
    )


def bool_or_int_returned(x):
    if x.sum() > 1.0:
        return True
    return 0


def test_bool_and_int_returned_from_a_tensor_if_are_refused():
    assert message(bool_or_int_returned, SMALL) == (
        "The result is a Python bool in the `if` branch but a Python int in the `else` "
        f"branch ({where(bool_or_int_returned, 'if x')}). A graph needs one type per "
        "variable when the path depends on a tensor. Give it a Python int on both paths, "
        "e.g. `int(...)`."
    )


def array_dtype_changes_in_loop(x):
    n = np.int64(0)
    while n < x.sum():
        n = n + 1.5
    return n


def test_array_dtype_change_in_a_loop_is_the_same_rule():
    assert message(array_dtype_changes_in_loop, LARGE) == (
        "`n` is an i64[] array before the loop but a f64[] array after one iteration "
        f"({where(array_dtype_changes_in_loop, 'while')}). A graph needs one type per "
        "variable when the path depends on a tensor. Cast it before the loop (e.g. "
        "`n = n.astype(np.float64)`) or inside the body."
    )


def counters(x):
    n, found, total = 0, False, 0.0
    while x.sum() > 1.0:
        x = x * 0.5
        n = n + 1
        found = found or x[0] > 0.4
        total = total + 0.5
    k = 2 if x[0] > 0.3 else 3
    return n, found, total, k


def floats_and_arrays(x):
    s = 0  # a Python int meeting a float array takes its dtype, as numpy says
    for v in x:
        s = s + v
    return s


@pytest.mark.parametrize("x", [SMALL, LARGE, np.array([0.9, 0.7])])
def test_numbers_whose_type_agrees_on_every_path_stay_python_numbers(x):
    traced = at.trace(counters)
    compare_call(traced, counters, (x,), merged_scalars=True)  # `found`: np.bool_ (documented)
    n, found, total, k = traced(x)
    assert (type(n), type(total), type(k)) == (int, float, int)
    compare_call(at.trace(floats_and_arrays), floats_and_arrays, (x,), merged_scalars=True)
