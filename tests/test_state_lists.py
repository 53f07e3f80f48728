"""Lists that grow in graph loops and branches (issue 9, item 5), and numpy reductions of
list variables (item 6).

Each function runs traced and plain on inputs that take different trip counts through ONE
concrete graph (`assert_same_as_python`: one trace, at least two paths): the returned list
(type, length, each element's type, dtype, shape and value) and the uses after the loop;
gradients against finite differences; the errors for elements of another shape or dtype.
"""

import inspect
import sys

import numpy as np
import pytest
from corpus.check import assert_same

import autotrace as at
from autotrace.errors import TracingError

SMALL, MEDIUM, LARGE = np.array([0.3, 0.1]), np.array([1.0, 2.0]), np.array([6.0, 7.0])
ROWS = at.TensorSpec((None, 2), np.float64)  # one graph for any number of rows


def lines_run(fn, args) -> tuple:
    """`fn(*args)` (or the exception it raises) and how many lines of this file it ran
    (trip counts differ in it)."""
    count = [0]

    def tracer(frame, event, arg):
        if frame.f_code.co_filename != __file__:
            return None
        if event == "line":
            count[0] += 1
        return tracer

    sys.settrace(tracer)
    try:
        result = fn(*args)
    except Exception as e:  # noqa: BLE001 - the plain function's error is the oracle
        result = e
    finally:
        sys.settrace(None)
    return result, count[0]


def assert_same_as_python(fn, inputs, signature=None):
    """Traced `fn` against `fn` on every input (result, or error type and message), through
    one trace, with at least two different trip counts among the inputs."""
    traced = at.trace(fn, input_signature=signature)
    counts = set()
    for args in inputs:
        expected, n = lines_run(fn, args)
        counts.add(n)
        if isinstance(expected, Exception):
            with pytest.raises(type(expected)) as info:
                traced(*args)
            assert str(info.value).startswith(str(expected)), (str(info.value), expected)
        else:
            assert_same(traced(*args), expected, f"{fn.__name__}{args}")
    assert traced.trace_count == 1, f"{fn.__name__} traced {traced.trace_count} times"
    assert len(counts) >= 2, f"{fn.__name__}: the inputs take one path only"


# -- the loops that grow a list --------------------------------------------------------------
def while_doubling(x):
    hs = []
    h = x
    while np.sum(h) < 10:
        h = h * 2
        hs.append(h)
    return hs


def while_with_break(x):
    hs = [x]
    h = x
    i = 0
    while i < 20:
        h = np.tanh(h) + h
        if h.sum() > 8:
            break
        hs.append(h)
        i += 1
    return hs


def python_then_graph_while(x):
    hs = []
    h = x
    i = 0
    while i < 2 or h.sum() < 10:  # Python iterations first, then a graph loop
        h = h * 2
        hs.append(h)
        i += 1
    return hs, i


def python_range_with_traced_break(x):
    hs = []
    h = x
    for _ in range(6):
        h = h * 1.5
        if h.max() > 5:
            break
        hs.append(h)
    return hs


def rows_of_a_tensor(m):
    hs = [np.zeros(2)]
    for r in m:
        hs.append(hs[-1] * r + 1)
    return hs


def tensor_bounded_range(x, n):
    hs = []
    for i in range(n):
        hs.append(x * i)
    return hs


def pairs_of_values(x):
    pairs = []
    h = x
    while h.sum() < 10:
        h = h * 2
        pairs.append((h, h.sum()))
    return pairs


def python_numbers(x):
    vals = []
    k = 0
    while k < x.sum():
        vals.append(k * 0.5)
        k += 1
    return vals


def extend_and_iadd(x):
    hs = []
    h = x
    while h.sum() < 10:
        h = h * 2
        hs.extend([h])
        hs += [h + 1]
    return hs


def appends_in_a_branch(x):
    xs = [x, x + 1]
    if x.sum() > 2:
        xs.append(x * 3)
    return xs


def nested_graph_loops(m):
    hs = []
    for r in m:
        h = r
        while h.sum() < 5:
            h = h * 2
            hs.append(h)
    return hs


def two_loops_one_list(x):
    hs = []
    h = x
    while h.sum() < 10:
        h = h * 2
        hs.append(h)
    for r in np.stack(hs):
        hs.append(r + 1)
    if h.sum() > 20:
        hs.append(h * 0)
    return hs


def returns_from_the_loop(x):
    hs = []
    h = x
    while np.sum(h) < 10:
        h = h * 2
        hs.append(h)
        if h.sum() > 5:
            return hs
    return hs


M1, M3 = np.array([[1.0, 0.5]]), np.array([[1.0, 0.5], [3.0, 4.0], [1.0, 0.1]])
GROWING = [
    (while_doubling, [(SMALL,), (MEDIUM,), (LARGE,)], None),
    (while_with_break, [(SMALL,), (MEDIUM,), (LARGE,)], None),
    (python_range_with_traced_break, [(SMALL,), (MEDIUM,), (LARGE,)], None),
    (python_then_graph_while, [(SMALL,), (MEDIUM,), (LARGE,)], None),
    (rows_of_a_tensor, [(M1,), (M3,), (M3[:0],)], [ROWS]),
    (tensor_bounded_range, [(MEDIUM, np.int64(0)), (MEDIUM, np.int64(3)), (SMALL, np.int64(5))],
     None),
    (pairs_of_values, [(SMALL,), (MEDIUM,), (LARGE,)], None),
    (python_numbers, [(SMALL,), (MEDIUM,), (LARGE,)], None),
    (extend_and_iadd, [(SMALL,), (MEDIUM,), (LARGE,)], None),
    (appends_in_a_branch, [(SMALL,), (MEDIUM,)], None),
    (nested_graph_loops, [(M1,), (M3,)], [ROWS]),
    (two_loops_one_list, [(SMALL,), (MEDIUM,), (LARGE,)], None),
    (returns_from_the_loop, [(SMALL,), (MEDIUM,), (LARGE,), (np.array([3.0, 4.0]),)], None),
]


@pytest.mark.parametrize("fn, inputs, signature", GROWING,
                         ids=lambda v: getattr(v, "__name__", ""))
def test_returned_list_matches_python(fn, inputs, signature):
    assert_same_as_python(fn, inputs, signature)


def test_returned_list_is_a_list_of_new_arrays():
    out = at.trace(while_doubling)(SMALL)
    assert type(out) is list and len(out) == len(while_doubling(SMALL)) == 5
    assert all(type(h) is np.ndarray and h.shape == (2,) for h in out)
    assert type(at.trace(python_numbers)(MEDIUM)[1]) is float
    assert at.trace(pairs_of_values)(MEDIUM)[0][1].dtype == np.float64


def test_one_concrete_graph_for_every_trip_count():
    cf = at.trace(while_doubling).get_concrete_function(SMALL)
    for x in (SMALL, MEDIUM, LARGE, np.array([-1.0, 20.0])):
        assert_same(cf(x), while_doubling(x))


# -- uses after the loop ---------------------------------------------------------------------
def length_and_index(x, i):
    hs = []
    h = x
    while h.sum() < 10:
        h = h * 2
        hs.append(h)
    return len(hs), hs[-1], hs[0], hs[i], hs[1:]


def as_arrays(x):
    hs = [x]
    h = x
    while h.sum() < 10:
        h = h * 2
        hs.append(h)
    return (np.stack(hs), np.stack(hs, axis=1), np.array(hs), np.asarray(hs),
            np.concatenate(hs), np.vstack(hs), np.hstack(hs))


def reductions(x):
    hs = [x]
    h = x
    while h.sum() < 10:
        h = h * 2
        hs.append(h)
    return sum(hs), np.sum(hs), np.mean(hs, axis=0), np.max(hs), sum(hs, 1.0)


def iterates_after(x):
    hs = [x]
    h = x
    while h.sum() < 10:
        h = h * 2
        hs.append(h)
    total = np.zeros(2)
    for k, h in enumerate(hs):
        total = total + h * k
    return total


def maps_into_another_list(x):
    hs = []
    h = x
    while h.sum() < 10:
        h = h * 2
        hs.append(h)
    doubled = []
    for i, h in enumerate(hs):
        doubled.append(h * i)
    return doubled, hs[::2]


def tuples_as_array(x):
    pairs = [(x[0], x[1])]
    h = x
    while h.sum() < 10:
        h = h * 2
        pairs.append((h[0], h[1] * 2))
    return np.array(pairs), len(pairs)


def reads_the_list_in_the_loop(x):
    hs = [x]
    while len(hs) < 4 and hs[-1].sum() < 20:
        hs.append(hs[-1] * 2 + hs[0])
    return np.stack(hs)


USES = [
    (length_and_index, [(SMALL, np.int64(1)), (MEDIUM, np.int64(-1)), (np.array([2.0, 3.0]),
                                                                       np.int64(0))]),
    (as_arrays, [(SMALL,), (MEDIUM,), (LARGE,)]),
    (reductions, [(SMALL,), (MEDIUM,), (LARGE,)]),
    (iterates_after, [(SMALL,), (MEDIUM,), (LARGE,)]),
    (tuples_as_array, [(SMALL,), (MEDIUM,), (LARGE,)]),
    (maps_into_another_list, [(SMALL,), (MEDIUM,), (LARGE,)]),
    (reads_the_list_in_the_loop, [(SMALL,), (MEDIUM,), (LARGE,)]),
]


@pytest.mark.parametrize("fn, inputs", USES, ids=lambda v: getattr(v, "__name__", ""))
def test_uses_after_the_loop_match_python(fn, inputs):
    assert_same_as_python(fn, inputs)


def test_traced_length_is_a_python_int_at_run_time():
    cf = at.trace(length_and_index).get_concrete_function(SMALL, np.int64(0))
    for x in (SMALL, MEDIUM):
        n = cf(x, np.int64(0))[0]
        assert type(n) is int and n == length_and_index(x, np.int64(0))[0]


# -- gradients -------------------------------------------------------------------------------
def loss_stack(x):
    hs = while_doubling(x)
    return np.stack(hs).sum() ** 0.5


def loss_break(x):
    hs = while_with_break(x)
    return (np.stack(hs) ** 2).sum() + hs[-1].sum()


def loss_sum(x):
    hs = rows_of_a_tensor(x)
    return np.sum(sum(hs) * 0.5) + np.mean(hs)


def loss_pairs(x):
    pairs = pairs_of_values(x)
    a, b = pairs[-1]
    return a.sum() * b + pairs[0][1]


def loss_branch(x):
    xs = appends_in_a_branch(x)
    return np.sum(np.stack(xs) ** 2)


@pytest.mark.parametrize("fn, args", [
    (loss_stack, (SMALL,)), (loss_stack, (MEDIUM,)),
    (loss_break, (SMALL,)), (loss_break, (MEDIUM,)),
    (loss_sum, (np.array([[0.5, 1.0], [1.5, -1.0], [0.3, 0.2]]),)),
    (loss_pairs, (MEDIUM,)),
    (loss_branch, (SMALL,)), (loss_branch, (MEDIUM,)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_gradients_flow_through_the_stacked_list(fn, args):
    at.check_grads(at.trace(fn), args, order=1)


def test_gradient_matches_the_plain_function_over_trip_counts():
    grad = at.grad(at.trace(loss_stack))
    for x in (SMALL, MEDIUM):
        eps = 1e-6
        fd = [(loss_stack(x + eps * e) - loss_stack(x - eps * e)) / (2 * eps) for e in np.eye(2)]
        np.testing.assert_allclose(grad(x), fd, rtol=1e-5)


# -- numpy reductions of list variables (item 6) ---------------------------------------------
def reduce_list_variable(a, b):
    vals = [a, b * b, 1.0]
    return np.sum(vals), np.mean(vals), np.max(vals), np.stack(vals[:2]), np.concatenate(
        [a[None], b[None]])


def test_numpy_reductions_of_a_list_variable_stack_it():
    traced = at.trace(reduce_list_variable)
    for a, b in ((np.array(1.0), np.array(2.0)), (np.array(-3.0), np.array(0.5))):
        assert_same(traced(a, b), reduce_list_variable(a, b))
    assert traced.trace_count == 1
    at.check_grads(at.trace(lambda a, b: reduce_list_variable(a, b)[1]),
                   (np.array(1.0), np.array(2.0)), order=1)


# -- refusals --------------------------------------------------------------------------------
def line_of(fn, text: str) -> int:
    lines, first = inspect.getsourcelines(fn)
    return first + next(i for i, line in enumerate(lines) if text in line)


def other_shape(x):
    hs = [x]
    while x.sum() < 10:
        x = x * 2
        hs.append(x[:1])
    return hs


def other_dtype(x):
    hs = []
    while x.sum() < 10:
        x = x * 2
        hs.append(x)
        hs.append(x.astype(np.float32))
    return hs


def unknown_shape_from_empty(x):
    hs = []
    h = x
    while h.sum() < 10:
        h = h * 2
        hs.append(h)
    return hs


def comprehension_over_grown(x):
    hs = while_doubling(x)
    return [h * 2 for h in hs]


def numpy_of_a_call(x):
    return np.stack(while_doubling(x))


def test_elements_of_another_shape_name_the_list_both_shapes_and_the_line():
    with pytest.raises(TracingError) as info:
        at.trace(other_shape)(MEDIUM)
    message = str(info.value)
    assert f"line {line_of(other_shape, 'hs.append(x[:1])')}" in message, message
    assert "`hs` holds f64[2] elements, but f64[1] is added to it" in message, message
    assert "same shape and dtype" in message


def test_elements_of_another_dtype_are_refused():
    with pytest.raises(TracingError, match=r"`hs` holds f64\[2\] elements, but f32\[2\] is "
                                           r"added to it"):
        at.trace(other_dtype)(MEDIUM)


def test_empty_list_of_elements_of_unknown_shape_is_refused():
    traced = at.trace(unknown_shape_from_empty,
                      input_signature=[at.TensorSpec((None,), np.float64)])
    with pytest.raises(TracingError, match="`hs` starts empty and grows inside graph control "
                                           r"flow .* start it with its first element"):
        traced(MEDIUM)


def test_python_iteration_of_a_list_of_unknown_length_is_refused():
    with pytest.raises(TracingError, match="cannot be iterated in Python .* Iterate it with "
                                           "a `for` statement"):
        at.trace(comprehension_over_grown)(MEDIUM)
    with pytest.raises(TracingError, match=r"numpy functions take it from a variable \(`hs = "
                                           r"\.\.\.; np.stack\(hs\)`\)"):
        at.trace(numpy_of_a_call)(MEDIUM)


def appends_to_the_callers_list(hs, x):
    while x.sum() < 10:
        x = x * 2
        hs.append(x)
    return x


def passes_its_list(x):
    hs = [x]
    appends_to_the_callers_list(hs, x)
    return hs


def grows_per_example(x):
    hs = []
    for r in x:
        hs.append(r * 2)
    return np.stack(hs).sum()


def test_vmap_of_a_loop_that_grows_a_list_is_refused_loudly():
    with pytest.raises(ValueError, match="vmap: a batched `if` or `while` gives a value whose "
                                         "shape differs per example"):
        at.vmap(at.trace(grows_per_example))(np.ones((3, 4)))
    np.testing.assert_allclose(at.jacobian(at.trace(grows_per_example))(np.ones(4)), 2.0)


def test_saving_a_function_that_returns_a_grown_list_is_refused():
    cf = at.trace(while_doubling).get_concrete_function(MEDIUM)
    with pytest.raises(at.UnsupportedError, match="a list grown in graph control flow"):
        cf.save("unused.json")


def test_a_list_passed_in_is_not_grown_in_a_graph_loop():
    # Python grows the caller's list object; a graph cannot, so it refuses (as before).
    with pytest.raises(TracingError, match="The Python list `hs` is changed inside a `while`"):
        at.trace(passes_its_list)(MEDIUM)
