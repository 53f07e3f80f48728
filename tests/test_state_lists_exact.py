"""Grown lists that are empty at run time, and other names for a grown list: exactly as
plain Python, or a loud error (never a silent difference).

Each consumer runs in ONE concrete graph on inputs that give 0 and >0 trips: where the
graph can give what numpy / Python give for an empty list it must (compared with the plain
function); where it cannot (a rank or dtype an empty list does not have) the empty call
raises a `ValueError` naming the list, the line, what numpy gives and what to write.
"""

import inspect
import warnings

import numpy as np
import pytest
from corpus.check import assert_same

import autotrace as at
from autotrace.errors import TracingError

ZERO, ONE, THREE = np.array([11.0, 2.0]), np.array([3.0, 4.0]), np.array([1.0, 0.5])


def line_of(fn, text: str) -> int:
    lines, first = inspect.getsourcelines(fn)
    return first + next(i for i, line in enumerate(lines) if text in line)


def grow(x, element):
    """The list of `element(h)` over the doubling loop (0, 1, 3 trips for ZERO/ONE/THREE)."""
    hs = []
    h = x
    while np.sum(h) < 10:
        h = h * 2
        hs.append(element(h))
    return hs


def trips(x):
    return len(grow(x, lambda h: h))


def test_inputs_take_0_1_and_3_trips():
    assert [trips(x) for x in (ZERO, ONE, THREE)] == [0, 1, 3]


def same_for_every_trip_count(fn):
    traced = at.trace(fn)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # np.mean of an empty list
        for x in (ZERO, ONE, THREE):
            assert_same(traced(x), fn(x), f"{fn.__name__}({x})")
    assert traced.trace_count == 1


# -- exact: float64 scalar elements are an empty list's numpy array ---------------------------
def scalar_array(x):
    hs = grow(x, np.sum)
    return np.array(hs), np.asarray(hs), np.sum(hs), np.exp(hs), np.mean(hs)


def scalar_sums(x):
    vals = grow(x, lambda h: float(0.5) * 2)  # Python floats
    ints = grow(x, lambda h: 3)                # Python ints
    hs = grow(x, np.sum)
    arrays = grow(x, lambda h: h)
    return (sum(vals, 0.0), sum(ints), sum(ints, 1.5), sum(hs, np.float64(1.0)),
            sum(arrays, np.zeros(2)), np.array(ints, dtype=np.float32))


def given_dtype(x):
    hs = grow(x, lambda h: (h * 4).astype(np.int64).sum())
    return np.array(hs, dtype=np.float64), np.asarray(hs, np.int32)


@pytest.mark.parametrize("fn", [scalar_array, scalar_sums, given_dtype],
                         ids=lambda f: f.__name__)
def test_consumers_exact_for_an_empty_list(fn):
    same_for_every_trip_count(fn)


def _sequence(fn, scalars: bool):
    def run(x):
        hs = grow(x, np.sum if scalars else lambda h: h)
        return fn(hs)

    run.__name__ = fn.__name__ + ("_scalars" if scalars else "")
    return run


# numpy's own ValueError for an empty list, as in numpy
SEQUENCE = [_sequence(np.stack, False), _sequence(np.stack, True),
            _sequence(np.concatenate, False), _sequence(np.vstack, False),
            _sequence(np.vstack, True), _sequence(np.hstack, False),
            _sequence(np.hstack, True)]


@pytest.mark.parametrize("fn", SEQUENCE, ids=lambda f: f.__name__)
def test_sequence_functions_raise_numpys_error_for_an_empty_list(fn):
    traced = at.trace(fn)
    for x in (ONE, THREE):
        assert_same(traced(x), fn(x), fn.__name__)
    with pytest.raises(ValueError) as plain:
        fn(ZERO)
    with pytest.raises(ValueError) as info:
        traced(ZERO)
    assert str(info.value).startswith(str(plain.value))
    assert traced.trace_count == 1


# -- refused when empty: the rank or dtype an empty list's array does not have ----------------
def vector_array(x):
    hs = grow(x, lambda h: h)
    return np.array(hs)


def vector_asarray(x):
    hs = grow(x, lambda h: h)
    return np.asarray(hs)


def vector_sum(x):
    hs = grow(x, lambda h: h)
    return np.sum(hs)


def vector_mean(x):
    hs = grow(x, lambda h: h)
    return np.mean(hs, axis=0)


def vector_ufunc(x):
    hs = grow(x, lambda h: h)
    return np.exp(hs)


def int_array(x):
    hs = grow(x, lambda h: (h * 4).astype(np.int64).sum())
    return np.array(hs)


def float32_sum(x):
    hs = grow(x, lambda h: h.sum().astype(np.float32))
    return np.sum(hs)


def pairs_array(x):
    hs = grow(x, lambda h: (h[0], h[1]))
    return np.array(hs)


REFUSED = [
    (vector_array, "np.array(hs)", "f64[0,2]"),
    (vector_asarray, "np.asarray(hs)", "f64[0,2]"),
    (vector_sum, "np.sum(hs)", "f64[0,2]"),
    (vector_mean, "np.mean(hs)", "f64[0,2]"),
    (vector_ufunc, "np.exp(hs)", "f64[0,2]"),
    (int_array, "np.array(hs)", "i64[0]"),
    (float32_sum, "np.sum(hs)", "f32[0]"),
    (pairs_array, "np.array(hs)", "f64[0,2]"),
]


@pytest.mark.parametrize("fn, use, typed", REFUSED, ids=lambda v: getattr(v, "__name__", ""))
def test_arrays_of_an_empty_list_numpy_shapes_otherwise_raise(fn, use, typed):
    traced = at.trace(fn)
    for x in (ONE, THREE):
        assert_same(traced(x), fn(x), fn.__name__)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # np.mean of an empty list
        fn(ZERO)  # plain numpy: the (0,) float64 array, which this graph cannot give
    with pytest.raises(ValueError) as info:
        traced(ZERO)
    message = str(info.value)
    line = line_of(fn, "return ")
    assert message.startswith(f"{use}: `hs` is empty here, at run time (line {line} of "
                              "test_state_lists_exact.py"), message
    assert "numpy makes an empty list the array of shape (0,) and dtype float64" in message
    assert f"this graph's array of `hs` (a list that grew in graph control flow) is {typed}" \
        in message
    assert "Write `np.stack(hs)`" in message
    assert traced.trace_count == 1


def sum_of_arrays(x):
    hs = grow(x, lambda h: h)
    return sum(hs)


def sum_of_floats(x):
    vals = grow(x, lambda h: 0.5)
    return sum(vals)


def sum_float32_start(x):
    hs = grow(x, lambda h: h)
    return sum(hs, np.zeros(2, np.float32))


@pytest.mark.parametrize("fn, start, got, fix", [
    (sum_of_arrays, "the Python int `0`", "a f64[2] array", "sum(hs, np.zeros((2,), "
                                                            "np.float64))"),
    (sum_of_floats, "the Python int `0`", "a Python float", "sum(hs, 0.0)"),
    (sum_float32_start, "a f32[2] array", "a f64[2] array", "sum(hs, np.zeros((2,), "
                                                            "np.float64))"),
], ids=lambda v: getattr(v, "__name__", ""))
def test_sum_of_an_empty_list_of_another_type_than_start_raises(fn, start, got, fix):
    traced = at.trace(fn)
    for x in (ONE, THREE):
        assert_same(traced(x), fn(x), fn.__name__)
    name = "hs"  # the list as it grew (in `grow`)
    with pytest.raises(ValueError) as info:
        traced(ZERO)
    message = str(info.value)
    assert message.startswith(f"sum({name}): `{name}` is empty here, at run time (line "
                              f"{line_of(fn, 'return ')} of test_state_lists_exact.py"), message
    assert f"Python's sum of an empty list is its start, {start}, but this graph's sum of " \
           f"`{name}` (a list that grew in graph control flow) is {got}" in message, message
    assert f"`{fix}`" in message, message
    assert traced.trace_count == 1


def test_gradient_through_a_checked_array():
    def loss(x):
        return np.sum(vector_array(x) ** 2)

    at.check_grads(at.trace(loss), (THREE,), order=1)


# -- other references to a grown list --------------------------------------------------------
def alias_before(x):
    hs = []
    alias = hs
    h = x
    while np.sum(h) < 10:
        h = h * 2
        hs.append(h)
    return alias


def alias_inside(x):
    hs = [x]
    h = x
    while np.sum(h) < 10:
        h = h * 2
        hs.append(h)
        last = hs
    return last


def stored_in_a_dict(x):
    hs = []
    state = {"hs": hs}
    if np.sum(x) < 10:
        hs.append(x)
    return state


class Holder:
    pass


def stored_as_attribute(x, holder):
    hs = []
    holder.hs = hs
    if np.sum(x) < 10:
        hs.append(x)
    return hs


def keep(items, store=[]):  # noqa: B006 - a function that keeps the list
    store.append(items)
    return len(items)


def passed_to_a_function(x):
    hs = []
    keep(hs)
    h = x
    while np.sum(h) < 10:
        h = h * 2
        hs.append(h)
    return hs


def bound_to_another_list(x, holder):
    hs = holder.items
    h = x
    while np.sum(h) < 10:
        h = h * 2
        hs.append(h)
    return hs


def appended_to_another_list(rows):
    outs = []
    hs = []
    for r in rows:  # a Python loop around the graph loop: `outs` gets `hs` before it grows
        h = r
        while np.sum(h) < 10:
            h = h * 2
            hs.append(h)
        outs.append(hs)
    return [len(o) for o in outs]


def two_names_at_once(x):
    hs = gs = []
    h = x
    while np.sum(h) < 10:
        h = h * 2
        hs.append(h)
    return gs


def in_a_dict_call(x):
    hs = []
    state = dict(hs=hs)
    if np.sum(x) < 10:
        hs.append(x)
    return state


def holder():
    h = Holder()
    h.items = []
    return h


ALIASED = [
    (alias_before, (ONE,), "while", "alias = hs"),
    (alias_inside, (ONE,), "while", "last = hs"),
    (stored_in_a_dict, (ONE,), "if", 'state = {"hs": hs}'),
    (stored_as_attribute, (ONE, Holder()), "if", "holder.hs = hs"),
    (passed_to_a_function, (ONE,), "while", "keep(hs)"),
    (bound_to_another_list, (ONE, holder()), "while", "hs = holder.items"),
    (appended_to_another_list, ([ONE, THREE],), "while", "outs.append(hs)"),
    (two_names_at_once, (ONE,), "while", "hs = gs = []"),
    (in_a_dict_call, (ONE,), "if", "state = dict(hs=hs)"),
]


@pytest.mark.parametrize("fn, args, kind, text", ALIASED,
                         ids=lambda v: getattr(v, "__name__", ""))
def test_another_reference_to_a_grown_list_is_refused(fn, args, kind, text):
    statement = {"while": "while np.sum(h) < 10:", "if": "if np.sum(x) < 10:"}[kind]
    with pytest.raises(TracingError) as info:
        at.trace(fn)(*args)
    message = str(info.value)
    assert message.startswith("`hs` grows inside "), message
    assert f"(line {line_of(fn, statement)} of test_state_lists_exact.py (`{statement}`))" \
        in message, message
    assert f", and line {line_of(fn, text)} (`{text}`) gives the same list another " \
           "reference" in message, message
    assert f"Use the one name `hs` until the `{kind}` is done" in message, message


def alias_after(x):
    hs = []
    h = x
    while np.sum(h) < 10:
        h = h * 2
        hs.append(h)
    out = hs
    out.append(x)  # the same list: `hs` sees it
    return hs, out, len(hs)


def fresh_per_row(rows):
    outs = []
    for r in rows:
        hs = []  # a new list per row: the one `outs` holds is not grown again
        h = r
        while np.sum(h) < 10:
            h = h * 2
            hs.append(h)
        outs.append(hs)
    return outs


def copy_before(x):
    hs = []
    snapshot = list(hs)
    more = []
    more.extend(hs)  # copies the elements
    h = x
    while np.sum(h) < 10:
        h = h * 2
        hs.append(h)
    return hs, snapshot, more, keep(hs)


def test_references_taken_after_the_statement_are_exact():
    for fn in (alias_after, copy_before):
        same_for_every_trip_count(fn)
    traced = at.trace(fresh_per_row)
    for rows in ([ONE, THREE], [ZERO, ONE, THREE]):
        assert_same(traced(rows), fresh_per_row(rows))


def compares_with_a_list(x):
    hs = grow(x, lambda h: h)
    return hs == []


def compares_with_other_types(x):
    hs = grow(x, lambda h: h)
    return hs == (), hs != (), hs == None, hs != 3  # noqa: E711 - as Python compares


def test_comparing_a_grown_list_with_a_list_is_refused():
    with pytest.raises(TracingError, match=r"`hs` grew in graph control flow, so its elements "
                                           r"are known only when the graph runs and `==` with "
                                           r"a list cannot give a Python bool \(line \d+ of "):
        at.trace(compares_with_a_list)(ONE)
    same_for_every_trip_count(compares_with_other_types)


def list_as_a_later_argument(x):
    hs = grow(x, lambda h: h)
    return np.add(1.0, hs), np.where(True, hs, 0.0), np.dot(hs, np.ones(2))


def test_a_grown_list_is_an_array_in_any_argument():
    traced = at.trace(list_as_a_later_argument)
    for x in (ONE, THREE):
        assert_same(traced(x), list_as_a_later_argument(x))
    with pytest.raises(ValueError, match=r"^np.add\(hs\): `hs` is empty here, at run time"):
        traced(ZERO)
    assert traced.trace_count == 1


def dict_alias_before_item_assignment(x):
    d = {"a": x}
    alias = d
    if np.sum(x) > 2:
        d["a"] = x * 2
    return alias["a"], d["a"]


def dict_alias_after_item_assignment(x):
    d = {"a": x}
    if np.sum(x) > 2:
        d["a"] = x * 2
    alias = d
    alias["b"] = x
    return d


def test_another_name_for_a_dict_changed_in_a_graph_branch_is_refused():
    with pytest.raises(TracingError) as info:
        at.trace(dict_alias_before_item_assignment)(ONE)
    message = str(info.value)
    fn = dict_alias_before_item_assignment
    assert message.startswith(
        f"`d` is changed inside an `if` whose condition is a tensor (line "
        f"{line_of(fn, 'if np.sum')} of test_state_lists_exact.py (`if np.sum(x) > 2:`)), and "
        f"line {line_of(fn, 'alias = d')} (`alias = d`) gives the same dict another reference"
    ), message
    assert "(`dict(d)`)" in message
    traced = at.trace(dict_alias_after_item_assignment)
    for x in (np.ones(2), ONE):
        assert_same(traced(x), dict_alias_after_item_assignment(x))
    assert traced.trace_count == 1
