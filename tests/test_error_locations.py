"""Error locations at the user's lines: wrong calls of traced functions (Python's own
message, plus the calling line) and RuntimeWarnings raised by compiled graphs."""

import inspect
import warnings

import numpy as np
import pytest

import autotrace as at


def add(a, b, *, scale=1.0):
    return (a + b) * scale


class Model:
    @at.trace
    def apply(self, x):
        return x * 2.0


def python_message(fn, *args, **kwargs) -> str:
    """What Python itself says for this call (the oracle)."""
    with pytest.raises(TypeError) as info:
        fn(*args, **kwargs)
    return str(info.value)


WRONG_CALLS = [
    ((np.ones(2),), {}),  # missing b
    ((np.ones(2), np.ones(2), np.ones(2)), {}),  # one too many
    ((np.ones(2), np.ones(2)), {"shift": 1}),  # unknown keyword
    ((np.ones(2),), {"a": np.ones(2)}),  # a twice
    ((), {"b": np.ones(2)}),  # missing a
]


@pytest.mark.parametrize("args, kwargs", WRONG_CALLS)
def test_wrong_calls_raise_pythons_message_at_the_calling_line(args, kwargs):
    f = at.trace(add)
    f(np.ones(2), np.ones(2))  # a trace exists: the hit path must not hide the error
    expected = python_message(add, *args, **kwargs)
    line = inspect.currentframe().f_lineno + 2
    with pytest.raises(TypeError) as info:
        f(*args, **kwargs)
    assert str(info.value) == (
        f'{expected}\n  at File "{__file__}", line {line}, in '
        "test_wrong_calls_raise_pythons_message_at_the_calling_line: f(*args, **kwargs)")
    assert f.trace_count == 1


def test_wrong_calls_of_concrete_functions_and_methods():
    cf = at.trace(add).get_concrete_function(np.ones(2), np.ones(2))
    with pytest.raises(TypeError) as info:
        cf(np.ones(2))
    assert str(info.value).startswith("add() missing 1 required positional argument: 'b'\n"
                                      f'  at File "{__file__}", line ')
    model = Model()
    plain = Model.apply.python_function
    for args in ((), (np.ones(1), np.ones(1))):
        with pytest.raises(TypeError) as info:
            model.apply(*args)
        assert str(info.value).split("\n")[0] == python_message(plain, model, *args)
        assert f'File "{__file__}"' in str(info.value)


# -- RuntimeWarnings from compiled graphs -----------------------------------------------------
def ratio_then_log(x):
    y = x + 1.0
    z = y / x
    return np.log(z - 2.0)


def root_and_exp(x):
    r = np.sqrt(x)
    return r, np.exp(x * 1000.0)


def branchy(x):
    if np.sum(x) > 0:
        y = x / 0.0
    else:
        y = -x
    return y


def line_of(fn, text: str) -> int:
    lines, first = inspect.getsourcelines(fn)
    return first + next(i for i, line in enumerate(lines) if text in line)


def record_calls(fn, *calls):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        results = [fn(*args) for args in calls]
    return results, [(str(w.message), w.category, w.filename, w.lineno) for w in record]


def test_divide_by_zero_points_at_the_user_line():
    f = at.trace(ratio_then_log)
    x = np.array([0.0, 1.0])
    record_calls(f, (x,))  # traced; now the cached hit path
    (out,), seen = record_calls(f, (x,))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_array_equal(out, ratio_then_log(x))
    assert seen == [
        ("divide by zero encountered in divide", RuntimeWarning, __file__,
         line_of(ratio_then_log, "z = y / x")),
        ("divide by zero encountered in log", RuntimeWarning, __file__,
         line_of(ratio_then_log, "return np.log")),
    ]


def test_invalid_value_and_overflow_point_at_the_user_line():
    cf = at.trace(root_and_exp).get_concrete_function(np.ones(2))
    _, seen = record_calls(cf, (np.array([-1.0, 1.0]),))
    line = line_of(root_and_exp, "r = np.sqrt(x)")
    assert seen == [
        ("invalid value encountered in sqrt", RuntimeWarning, __file__, line),
        ("overflow encountered in exp", RuntimeWarning, __file__, line + 1),
    ]


def test_warnings_inside_graph_branches_point_at_the_branch_line():
    f = at.trace(branchy)
    cf = f.get_concrete_function(np.ones(2))
    (out, _), seen = record_calls(cf, (np.ones(2),), (-np.ones(2),))
    np.testing.assert_array_equal(out, [np.inf, np.inf])
    assert seen == [("divide by zero encountered in divide", RuntimeWarning, __file__,
                     line_of(branchy, "y = x / 0.0"))]


def test_printed_warnings_show_the_user_source_line():
    f = at.trace(ratio_then_log)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        f(np.array([0.0, 1.0]))
    text = warnings.formatwarning(record[0].message, record[0].category, record[0].filename,
                                  record[0].lineno)
    line = line_of(ratio_then_log, "z = y / x")
    assert text == f"{__file__}:{line}: RuntimeWarning: divide by zero encountered in " \
                   "divide\n  z = y / x\n"


def test_warnings_as_errors_name_the_user_line():
    f = at.trace(ratio_then_log)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(RuntimeWarning) as info:
            f(np.array([0.0, 1.0]))
    assert f'File "{__file__}", line {line_of(ratio_then_log, "z = y / x")}' in \
        str(info.value)


def test_warnings_outside_compiled_code_are_left_alone():
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        np.float64(1.0) / np.float64(0.0)
        line = inspect.currentframe().f_lineno - 1
    assert [(w.filename, w.lineno) for w in record] == [(__file__, line)]


def test_signature_mismatches_name_the_calling_line():
    cf = at.trace(add).get_concrete_function(np.ones(2), np.ones(2))
    line = inspect.currentframe().f_lineno + 2
    with pytest.raises(TypeError) as info:
        cf(np.ones(3), np.ones(2))
    assert str(info.value) == (
        "add: argument `a` is f64[3], but this concrete function takes f64[2] (call the "
        "traced function instead to trace a graph for new shapes)\n"
        f'  at File "{__file__}", line {line}, in '
        "test_signature_mismatches_name_the_calling_line: cf(np.ones(3), np.ones(2))")
    f = at.trace(add, input_signature=[at.TensorSpec((None,), np.float64)] * 2)
    with pytest.raises(TypeError) as info:
        f(np.ones(2, np.float32), np.ones(2))
    assert str(info.value).startswith(
        "add(): argument `a` does not match input_signature: expected f64[?], got f32[2]\n"
        f'  at File "{__file__}", line {line + 8}, in ')
