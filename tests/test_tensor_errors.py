"""Misusing a symbolic tensor while tracing: each error says what happened, why (tracing),
what to do, and points at the user's file and line.

Most cases trace with `autograph=False`, so the tensor itself meets the misuse (with
autograph on, the converter gives some of these calls graph meanings: `len(x)` of an
unknown dimension becomes a traced size, `np.asarray(x)` the value itself).
"""

import inspect

import numpy as np
import pytest

import autotrace as at


def uses_bool(x):
    return bool(x)


def uses_if(x):
    if x:
        return x
    return -x


def uses_float(x):
    return float(x) * 2


def uses_int(x):
    return int(x) + 1


def uses_item(x):
    return x.item()


def uses_tolist(x):
    return x.tolist()


def uses_asarray(x):
    return np.asarray(x) + 1


def uses_index(x):
    return [1, 2, 3][x]


def uses_len(x):
    return x * len(x)


def sets_item(x):
    x[0] = 1
    return x


def uses_tensorinv(x):
    return np.linalg.tensorinv(x, ind=1)


def line_of(fn, text: str) -> int:
    """Line number (in this file) of the line of `fn`'s body containing `text`."""
    lines, first = inspect.getsourcelines(fn)
    return first + next(i for i, line in enumerate(lines) if i and text in line)


def trace_error(fn, arg, autograph=False, error=at.TracingError):
    with pytest.raises(error) as info:
        at.trace(fn, autograph=autograph).get_concrete_function(arg)
    return str(info.value)


def assert_points_at(message: str, fn, text: str) -> None:
    assert f'at File "{__file__}", line {line_of(fn, text)}, in {fn.__name__}' in message


TRACING = "While tracing, a traced value is symbolic: it has a shape and a dtype but no value"

CASES = [
    # (function, argument, source text of the failing line, words the message must hold)
    (uses_bool, np.ones(1), "bool(x)", ["`x` (f64[1])", "Python bool", "np.where", "at.cond"]),
    (uses_float, np.ones(1), "float(x)", ["Python float by `float(x)`", "Keep it a tensor",
                                          "pass it in as an argument"]),
    (uses_int, np.ones((), np.int64), "int(x)", ["`x` (i64[])", "Python int by `int(x)`"]),
    (uses_item, np.ones(1), "x.item()", ["Python scalar by `x.item()`", "Keep it a tensor"]),
    (uses_tolist, np.ones(2), "x.tolist()", ["Python list by `x.tolist()`"]),
    (uses_asarray, np.ones(2), "np.asarray(x)", ["numpy array by `np.asarray(x)`",
                                                 "drop the conversion"]),
    (uses_index, np.ones((), np.int64), "[1, 2, 3][x]", ["Python integer", "sizes known at "
                                                         "trace time"]),
]


@pytest.mark.parametrize("fn, arg, text, words", CASES, ids=[c[0].__name__ for c in CASES])
def test_concrete_value_errors(fn, arg, text, words):
    message = trace_error(fn, arg)
    assert TRACING in message
    for word in words:
        assert word in message
    assert_points_at(message, fn, text)


def test_errors_point_at_the_user_line_through_converted_code():
    message = trace_error(uses_float, np.ones(1), autograph=True)
    assert "Python float by `float(x)`" in message
    assert_points_at(message, uses_float, "float(x)")


def test_tracing_error_is_a_type_error():
    assert issubclass(at.TracingError, TypeError)
    with pytest.raises(TypeError):
        at.trace(uses_bool).get_concrete_function(np.ones(1))


def test_if_on_a_tensor_without_autograph():
    message = trace_error(uses_if, np.ones(1), autograph=False)
    assert "Python bool" in message and "autograph on" in message and TRACING in message
    assert_points_at(message, uses_if, "if x:")


def test_len_with_an_unknown_first_dimension():
    message = trace_error(uses_len, at.TensorSpec((None, 3)))
    assert "len() of the traced value `x` (f64[?,3])" in message
    assert "first dimension is unknown until the graph runs" in message
    assert "use `x.shape[0]`" in message and TRACING in message
    assert_points_at(message, uses_len, "len(x)")


def test_len_with_a_known_first_dimension_is_an_int():
    f = at.trace(uses_len)
    np.testing.assert_array_equal(f(np.ones((2, 3))), uses_len(np.ones((2, 3))))


def test_item_assignment():
    message = trace_error(sets_item, np.ones(2))
    assert "Item assignment `x[...] = v` on the traced value `x` (f64[2])" in message
    assert "immutable" in message and "np.where" in message and TRACING in message
    assert_points_at(message, sets_item, "x[0] = 1")


def test_numpy_function_without_an_op():
    message = trace_error(uses_tensorinv, np.eye(2), error=NotImplementedError)
    assert "tensorinv is not supported on traced values" in message
    assert "autotrace has no op for it" in message
    assert_points_at(message, uses_tensorinv, "np.linalg.tensorinv(x, ind=1)")


def test_numpy_function_without_an_op_is_named_with_its_module():
    message = trace_error(uses_tensorinv, np.eye(2), error=NotImplementedError)
    assert "numpy.linalg.tensorinv is not supported" in message
