"""Attribute assignments in traced code (issue #9): Python's where the graph can keep its
meaning, a `TracingError` at the user's line where it cannot, never a silent difference.

* `obj.m = traced` on an object from outside the function would leave the object holding
  a value of the trace: refused (in-place writes of the attribute's array are written
  back instead);
* an attribute of a dataclass argument: the trace rebuilds the argument, so the caller's
  object would not change: refused;
* an attribute assignment inside a graph `if`/loop/`try` on an object from outside it
  would happen on every path, once: refused;
* objects the function makes, and Python values assigned outside graph control flow,
  are Python's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

import autotrace as at


class State:
    def __init__(self):
        self.m = np.zeros(2)
        self.count = 0
        self.flag = 0.0


class Box:
    pass


@dataclass
class Params:
    w: np.ndarray


def rebinds_with_a_traced_value(s, g):
    s.m = 0.9 * s.m + 0.1 * g
    return np.sum(s.m)


def writes_in_place(s, g):
    s.m *= 0.9
    s.m += 0.1 * g
    return np.sum(s.m)


def counts(s, x):
    s.count += 1  # a Python value: traced again on every change, as Python counts
    return x * s.count


def sets_in_a_graph_branch(s, x):
    if np.sum(x) > 0:
        s.flag = 1.0
    return x * 2.0


def sets_a_local_box_in_a_graph_branch(x):
    b = Box()
    b.v = 0.0
    if np.sum(x) > 0:
        b.v = 1.0
    return x * b.v


def assigns_a_dataclass_argument(p, x):
    p.w = x * 2.0
    return x


def uses_its_own_box(x):
    b = Box()
    b.v = x * 3.0
    return b.v + 1.0


def _line(fn, text):
    lines, first = open(fn.__code__.co_filename).read().splitlines(), fn.__code__.co_firstlineno
    return next(k + 1 for k in range(first - 1, len(lines)) if text in lines[k])


@pytest.mark.parametrize("fn, args, text, message", [
    (rebinds_with_a_traced_value, lambda: (State(), np.ones(2)), "s.m = 0.9",
     "Assigning a traced value to the attribute `m` of an object from outside"),
    (sets_in_a_graph_branch, lambda: (State(), np.ones(2)), "s.flag = 1.0",
     "Assigning the attribute `flag` of an object from outside this graph `if`"),
    (sets_a_local_box_in_a_graph_branch, lambda: (np.ones(2),), "b.v = 1.0",
     "Assigning the attribute `v` of an object from outside this graph `if`"),
    (assigns_a_dataclass_argument, lambda: (Params(np.zeros(2)), np.ones(2)), "p.w = x",
     "rebuilds a dataclass (or registered pytree) argument"),
])
def test_assignments_that_cannot_keep_pythons_meaning_are_refused_at_the_line(
        fn, args, text, message):
    arguments = args()
    before = [vars(a).copy() for a in arguments if hasattr(a, "__dict__")]
    with pytest.raises(at.TracingError) as info:
        at.trace(fn)(*arguments)
    assert message in str(info.value)
    assert f"line {_line(fn, text)}" in str(info.value).splitlines()[-1] or \
        f", line {_line(fn, text)}," in str(info.value).splitlines()[-1]
    after = [vars(a) for a in arguments if hasattr(a, "__dict__")]
    for b, a in zip(before, after):  # the caller's objects are left as they were
        assert b.keys() == a.keys() and all(type(b[k]) is type(a[k]) for k in b)


def test_in_place_writes_of_the_attribute_are_written_back():
    s, expected = State(), State()
    traced = at.trace(writes_in_place)
    for k in range(3):
        g = np.array([1.0, -2.0]) * (k + 1)
        np.testing.assert_array_equal(traced(s, g), writes_in_place(expected, g))
        np.testing.assert_array_equal(s.m, expected.m)
    assert traced.trace_count == 1


def test_python_values_and_the_functions_own_objects_are_pythons():
    s, expected = State(), State()
    traced = at.trace(counts)
    with pytest.warns(at.RetracingWarning):
        for _ in range(6):
            np.testing.assert_array_equal(traced(s, np.ones(2)), counts(expected, np.ones(2)))
    assert s.count == expected.count == 6
    np.testing.assert_array_equal(at.trace(uses_its_own_box)(np.ones(2)), np.full(2, 4.0))


def rebinds_two_at_once(s, g):
    s.m, s.count = 0.5 * g, 3
    return g


def test_a_tuple_of_attribute_targets_is_checked_too():
    s = State()
    with pytest.raises(at.TracingError, match="attribute `m` of an object from outside"):
        at.trace(rebinds_two_at_once)(s, np.ones(2))
    assert type(s.m) is np.ndarray and s.count == 0

    def local(x):
        b, c = Box(), Box()
        b.v, c.v = x * 2.0, 1.0
        return b.v + c.v

    np.testing.assert_array_equal(at.trace(local)(np.ones(2)), np.full(2, 3.0))
