"""What the converter and the control-flow runtime refuse: each error's type, the user's
line in its message, and the words that say what was wrong and what to do."""

import inspect

import numpy as np
import pytest

import autotrace as at
from autotrace.errors import ConversionError, TracingError

X = np.array([1.0, 2.0, 3.0])
X_NEG = np.array([-1.0, -2.0, 0.5])


def line_of(fn, text: str) -> int:
    """The line number (in this file) of the first line of `fn` containing `text`."""
    lines, first = inspect.getsourcelines(fn)
    return first + next(i for i, line in enumerate(lines) if text in line)


def raises(exc_type, fn, *args, line_text: str, words=()):
    """Call `at.trace(fn)(*args)`; check the error type, `line N` of the line containing
    `line_text`, and `words` in the message. Returns the message."""
    with pytest.raises(exc_type) as info:
        at.trace(fn)(*args)
    message = str(info.value)
    assert f"line {line_of(fn, line_text)}" in message, message
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    return message


# -- types across paths ----------------------------------------------------------------------
def dtype_changes_in_loop(x):
    n = np.int64(0)
    while n < x.sum():
        n = n + 1.5
    return n


def test_loop_variable_dtype_change_names_variable_dtypes_and_line():
    raises(TracingError, dtype_changes_in_loop, X, line_text="while n < x.sum()",
           words=("`n` is an i64[] array before the loop but a f64[] array after one iteration",
                  "`n = n.astype(np.float64)`"))


def branches_give_different_structures(x):
    if x.sum() > 0:
        y = (x, x)
    else:
        y = x
    return y


def test_branches_with_different_structures():
    raises(TracingError, branches_give_different_structures, X, line_text="if x.sum() > 0",
           words=("different structures", "same nesting"))


def branches_give_none_and_array(x):
    y = None
    if x.sum() > 0:
        y = x
    return y


def test_branches_with_none_and_array_name_variable():
    raises(TracingError, branches_give_none_and_array, X, line_text="if x.sum() > 0",
           words=("`y`", "None", "f64[3] array"))


def branches_give_different_dtypes(x):
    if x.sum() > 0:
        y = x.astype(np.float32)
    else:
        y = x
    return y


def test_branches_with_different_dtypes_name_both():
    raises(TracingError, branches_give_different_dtypes, X, line_text="if x.sum() > 0",
           words=("`y`", "f32[3]", "f64[3]", "astype"))


# -- names bound on some paths only --------------------------------------------------------
def assigned_in_one_branch(x):
    if x.sum() > 0:
        y = x * 2
    return y


def test_one_sided_assignment_with_tensor_condition_fails_on_use():
    raises(UnboundLocalError, assigned_in_one_branch, X, line_text="if x.sum() > 0",
           words=("'y'", "not assigned on every path", "`if`"))


def assigned_with_python_flag(x, flag):
    if flag:
        y = x * 2
    return y


def test_one_sided_assignment_with_python_condition_is_pythons_error():
    assert np.array_equal(at.trace(assigned_with_python_flag)(X, True), X * 2)
    with pytest.raises(UnboundLocalError) as info:
        at.trace(assigned_with_python_flag)(X, False)
    with pytest.raises(UnboundLocalError) as python:
        assigned_with_python_flag(X, False)
    assert str(python.value) in str(info.value)


def first_assigned_in_graph_loop(x):
    while x.sum() < 10:
        last = x
        x = x * 2
    return last


def test_variable_first_assigned_in_graph_loop():
    raises(UnboundLocalError, first_assigned_in_graph_loop, X, line_text="while x.sum()",
           words=("'last'", "first assigned inside", "zero times", "before the loop"))


# -- refused at conversion ------------------------------------------------------------------
def generator(x):
    for v in x:
        yield v * 2


def yield_from(x):
    yield from [x]


def nested_generator(x):
    def gen():
        yield x

    return list(gen())


def awaits(x):
    async def inner():
        return x

    return inner()


async def coroutine(x):
    return x


@pytest.mark.parametrize("fn, construct, text", [
    (generator, "`yield`", "yield v * 2"),
    (yield_from, "`yield from`", "yield from"),
    (nested_generator, "`yield`", "yield x"),
    (awaits, "`async def`", "async def inner"),
    (coroutine, "`async def`", "async def coroutine"),
])
def test_unsupported_constructs_are_refused_at_conversion(fn, construct, text):
    with pytest.raises(ConversionError) as info:
        at.to_code(fn)
    message = str(info.value)
    assert construct in message and f"line {line_of(fn, text)}" in message, message


def rebinds_global(x):
    global _LEAKED
    _LEAKED = x * 2
    return x


def augments_global(x):
    global _TOTAL
    _TOTAL += x
    return x


_LEAKED = None
_TOTAL = 0.0


@pytest.mark.parametrize("fn, text", [(rebinds_global, "_LEAKED = x * 2"),
                                      (augments_global, "_TOTAL += x")])
def test_global_rebinding_of_traced_value(fn, text):
    raises(ConversionError, fn, X, line_text=text, words=("global", "Return it"))


def global_rebound_in_tensor_branch(x):
    global _FLAG
    if x.sum() > 0:
        _FLAG = 1
    return x


_FLAG = 0


def test_global_assigned_in_tensor_branch():
    raises(ConversionError, global_rebound_in_tensor_branch, X, line_text="if x.sum() > 0",
           words=("_FLAG", "global/nonlocal", "`if`"))


def matches_traced(x):
    match x.sum():
        case 0:
            return x
    return -x


def test_match_on_traced_subject():
    raises(ConversionError, matches_traced, X, line_text="match x.sum()",
           words=("`match`", "traced value", "if/elif"))


def recurses_on_tensor(x):
    if x.sum() > 100:
        return x
    return recurses_on_tensor(x * 2)


def test_recursion_depending_on_tensor():
    raises(ConversionError, recurses_on_tensor, X, line_text="return recurses_on_tensor",
           words=("recurses_on_tensor", "recursed more than", "loop"))


# -- concrete values of traced ones ----------------------------------------------------------
def float_of_traced(x):
    if float(x.sum()) > 0:
        return x
    return -x


def item_of_traced(x):
    if x.sum().item() > 0:
        return x
    return -x


def bool_of_traced_in_branch(x):
    y = x
    if x.sum() > 0:
        if bool(x[0] > 0):
            y = x * 2
    return y


@pytest.mark.parametrize("fn, text, words", [
    (float_of_traced, "float(x.sum())", ("`float(x)`", "symbolic", "Keep it a tensor")),
    (item_of_traced, "x.sum().item()", ("`x.item()`", "symbolic", "Keep it a tensor")),
    (bool_of_traced_in_branch, "bool(x[0] > 0)", ("`bool(...)`", "Drop the `bool(...)`")),
])
def test_concrete_value_of_traced_value_names_line(fn, text, words):
    raises(TracingError, fn, X, line_text=text, words=words)


# -- Python containers changed by graph control flow -----------------------------------------
# (Lists that grow by append/extend work: tests/test_state_lists.py.)
def inserts_in_graph_loop(x):
    out = []
    while x.sum() < 10:
        out.insert(0, x)
        x = x * 2
    return out


def pops_in_array_loop(x):
    out = [x, x]
    for _ in x:
        out.pop()
    return out


def adds_to_set_in_tensor_branch(x):
    seen = set()
    if x.sum() > 0:
        seen.add(1)
    return x, seen


def sets_key_in_nested_loop(x):
    cache = {"v": 0.0}
    for k in range(2):
        for v in x:
            cache["v"] = cache["v"] + v * k
    return cache


def adds_key_in_graph_loop(x):
    cache = {}
    for v in x:
        cache["v"] = v
    return cache


@pytest.mark.parametrize("fn, text, name, kind, what", [
    (inserts_in_graph_loop, "while x.sum()", "`out`", "`while`", "Python list"),
    (pops_in_array_loop, "for _ in x", "`out`", "`for`", "Python list"),
    (adds_to_set_in_tensor_branch, "if x.sum() > 0", "`seen`", "`if`", "Python set"),
])
def test_python_container_changed_in_graph_control_flow(fn, text, name, kind, what):
    raises(TracingError, fn, X, line_text=text, words=(name, kind, what))


def test_item_assignment_in_graph_loop_carries_the_dict():
    assert at.trace(sets_key_in_nested_loop)(X)["v"] == sets_key_in_nested_loop(X)["v"]


def test_key_added_in_graph_loop_names_the_dict():
    raises(TracingError, adds_key_in_graph_loop, X, line_text="for v in x",
           words=("`cache`", "structure", "before the loop"))


# -- try / except / finally ------------------------------------------------------------------
def if_in_try(x):
    try:
        if x.sum() > 0:
            x = x * 2
    except ValueError:
        x = x * 0
    return x


def while_in_except(x):
    try:
        x = x + 1
    except ValueError:
        while x.sum() < 10:
            x = x * 2
    return x


def for_in_finally(x):
    s = 0.0
    try:
        s = s + 1
    finally:
        for v in x:
            s = s + v
    return s


def python_if_in_try(x, flag):
    try:
        if flag:
            x = x * 2
    finally:
        x = x + 1
    return x


@pytest.mark.parametrize("fn", [if_in_try, for_in_finally, while_in_except])
def test_tensor_control_flow_inside_try_runs_as_python(fn):
    traced = at.trace(fn)
    for x in (X, -X):
        np.testing.assert_allclose(traced(x), fn(x))


def test_python_control_flow_inside_try_is_fine():
    assert np.array_equal(at.trace(python_if_in_try)(X, True), python_if_in_try(X, True))


# -- conditions that are not scalars -------------------------------------------------------
def array_condition(x):
    if x > 0:
        return x
    return -x


def test_array_condition_is_ambiguous():
    raises(ValueError, array_condition, X, line_text="if x > 0", words=("ambiguous", ".any()"))


def conditional_expression_dtypes(x):
    return x.astype(np.int64) if x.sum() > 0 else x


def test_conditional_expression_with_different_dtypes():
    raises(TracingError, conditional_expression_dtypes, X, line_text="return x.astype",
           words=("The result is an i64[3] array", "f64[3]", "`.astype(np.int64)`"))


def walrus_in_while_with_else(x):
    n = 3
    while (n := n - 1) > 0:
        x = x * 2
    else:
        x = x + 1
    return x


def test_walrus_in_while_condition_with_else_is_refused():
    with pytest.raises(ConversionError) as info:
        at.to_code(walrus_in_while_with_else)
    assert f"line {line_of(walrus_in_while_with_else, 'while (n')}" in str(info.value)
    assert "`:=`" in str(info.value)
