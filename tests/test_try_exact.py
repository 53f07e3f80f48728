"""`try` statements agree with plain Python on the paths that used to differ silently:
a variable the body had not bound yet when it raised (Python's `UnboundLocalError` at the
read, the value where it was bound), `finally` after a handler that raises (the
handler's partial updates), Python objects the body changes (refused at the line).
Each test calls one concrete graph with inputs that take different paths and compares
with the plain function: values, dtypes, the exception's type and message, printed
output; gradients against finite differences."""

from __future__ import annotations

import numpy as np
import pytest

import autotrace as at

OK, ZERO, NEG = np.array([1.0, 2.0]), np.array([0.0, 2.0]), np.array([-1.0, 4.0])


def _outcome(fn, *args):
    try:
        return "value", fn(*args)
    except Exception as e:  # noqa: BLE001 - the exception is the result compared
        return "raised", e


def _same(traced, fn, *args, capsys=None):
    """`traced(*args)` gives what `fn(*args)` gives: the value (dtype, shape) or the
    exception (type, and Python's message as the first line of autotrace's), and prints
    the same."""
    want_kind, want = _outcome(fn, *args)
    want_out = capsys.readouterr().out if capsys is not None else None
    got_kind, got = _outcome(traced, *args)
    got_out = capsys.readouterr().out if capsys is not None else None
    assert got_kind == want_kind, (got, want)
    if want_kind == "raised":
        assert type(got) is type(want)
        assert str(got).splitlines()[0] == str(want)
    else:
        _same_value(got, want)
    assert got_out == want_out


def _same_value(got, want):
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want)
        for g, w in zip(got, want):
            _same_value(g, w)
        return
    if isinstance(want, (str, int)):
        assert type(got) is type(want) and got == want
        return
    np.testing.assert_allclose(got, want)
    assert np.asarray(got).dtype == np.asarray(want).dtype
    assert np.shape(got) == np.shape(want)


def _check(fn, inputs, capsys=None):
    traced = at.trace(fn)
    for args in inputs:
        _same(traced, fn, *args, capsys=capsys)
    assert len(traced.concrete_functions) == 1
    return traced


# -- 1. a variable the body had not bound when it raised ------------------------------------
def read_in_handler(x):
    try:
        y = x + 1.0
        with np.errstate(divide="raise"):
            z = 1.0 / x
        w = z + 1.0
    except FloatingPointError:
        return z * 2.0 + y  # `y` bound, `z` not: UnboundLocalError
    return w


def read_bound_in_handler(x):
    try:
        y = x + 1.0
        with np.errstate(divide="raise"):
            z = 1.0 / x
        y = z * 3.0
    except FloatingPointError:
        return y * 2.0  # bound by the first statement
    return y


def read_after(x):
    try:
        with np.errstate(divide="raise"):
            z = 1.0 / x
        w = z + 1.0  # noqa: F841 - the statement after the one that raises
    except FloatingPointError:
        pass
    return z


def read_after_in_expression(x):
    try:
        with np.errstate(divide="raise"):
            z = 1.0 / x
        w = z + 1.0
    except FloatingPointError:
        print("handled")
    print("after")
    return np.sum(w) * 2.0


def read_in_finally(x):
    try:
        with np.errstate(divide="raise"):
            z = 1.0 / x
        w = z + 1.0
    except FloatingPointError:
        pass
    finally:
        print("finally", z)
    return w


def bound_by_handler(x):
    try:
        with np.errstate(divide="raise"):
            z = 1.0 / x
    except FloatingPointError:
        z = x * 0.0 - 1.0
    return z


def print_unbound(x):
    try:
        n = x.shape[0]  # noqa: F841 - a save before the statement that raises
        with np.errstate(invalid="raise"):
            s = np.sqrt(x)
    except FloatingPointError:
        print("no root for", s)
    return s


def aliased_read(x):
    try:
        y = x * 2.0
        with np.errstate(divide="raise"):
            z = 1.0 / x
    except FloatingPointError:
        t = z  # Python raises here, before the print
        print("handling", y)
        return t * 2.0
    finally:
        u = y  # noqa: F841 - a read with no use: raises where `y` is unbound
    return z


def unbound_counter(x):
    try:
        with np.errstate(divide="raise"):
            z = 1.0 / x
        count = 2  # a Python int: unbound (a weak value) where the division raised
    except FloatingPointError:
        pass
    return z * count


def dead_read_in_finally(x):
    try:
        with np.errstate(divide="raise"):
            z = 1.0 / x
    except FloatingPointError:
        return x
    finally:
        unused = z  # noqa: F841
    return z


def dead_read_after(x):
    try:
        with np.errstate(divide="raise"):
            z = 1.0 / x
    except FloatingPointError:
        pass
    t = z  # noqa: F841 - a read that makes no graph value still raises where `z` is unbound
    return x * 2.0


def dead_read_after_a_branch(x):
    try:
        with np.errstate(divide="raise"):
            z = 1.0 / x
    except FloatingPointError:
        pass
    if np.sum(x) > 0:  # a graph `if`; `z` is read in one branch only
        y = x + 1.0
        keep = [z]  # noqa: F841
    else:
        y = x - 1.0
    return y


def dead_read_in_a_python_loop(x):
    try:
        with np.errstate(divide="raise"):
            z = 1.0 / x
    except FloatingPointError:
        pass
    total = x
    for _ in range(2):
        zs = (z, z)  # noqa: F841
        total = total + 1.0
    return total


@pytest.mark.parametrize("fn", [read_in_handler, read_bound_in_handler, read_after,
                                read_after_in_expression, read_in_finally, bound_by_handler,
                                print_unbound, aliased_read,
                                dead_read_in_finally, unbound_counter, dead_read_after,
                                dead_read_after_a_branch, dead_read_in_a_python_loop])
def test_unbound_variable_read_on_the_path_that_did_not_bind_it(fn, capsys):
    _check(fn, [(OK,), (ZERO,), (NEG,), (OK,)], capsys)


def test_unbound_message_is_pythons_and_names_the_line():
    traced = at.trace(read_in_handler)
    with pytest.raises(UnboundLocalError) as info:
        traced(ZERO)
    assert str(info.value) == ("cannot access local variable 'z' where it is not associated "
                               "with a value")  # Python's, exactly; the line is a note
    if hasattr(info.value, "add_note"):  # Python 3.11+
        where = "\n".join(getattr(info.value, "__notes__", []))
        assert "test_try_exact.py" in where and "return z * 2.0 + y" in where


def loop_in_try(x, n):
    s = x * 0.0
    try:
        for i in range(n):
            with np.errstate(divide="raise"):
                s = s + 1.0 / (x - i)
        last = s * 2.0
    except FloatingPointError:
        return s - last
    return last


def cond_in_try(x):
    try:
        if x.sum() > 0:
            t = x * 2.0
        else:
            t = x * 3.0
        with np.errstate(all="raise"):
            q = t / x
    except FloatingPointError:
        return t + q
    return q


def test_graph_loop_and_cond_inside_try():
    traced = at.trace(loop_in_try)
    x = np.array([0.5, 2.5])
    for n in (0, 1, 3, 2, 0):
        _same(traced, loop_in_try, x, np.asarray(n))
    assert len(traced.concrete_functions) == 1
    _check(cond_in_try, [(OK,), (ZERO,), (-ZERO,), (NEG,)])


def with_else(x):
    try:
        with np.errstate(divide="raise"):
            z = 1.0 / x
    except FloatingPointError:
        print("except")
    else:
        w = z * 2.0
    return w


def nested_unbound(x):
    try:
        try:
            with np.errstate(divide="raise"):
                z = 1.0 / x
            u = z + 1.0
        except FloatingPointError:
            with np.errstate(invalid="raise"):
                v = np.sqrt(x - 1.0)
            return u
    except FloatingPointError:
        return v
    return u


def test_else_and_nested_try(capsys):
    _check(with_else, [(OK,), (ZERO,), (NEG,)], capsys)
    _check(nested_unbound, [(OK,), (ZERO,), (np.array([0.0, 0.5]),), (NEG,)])


# -- 3. `finally` after a handler that raises --------------------------------------------------
def finally_after_raising_handler(x):
    y = x * 0.0
    try:
        with np.errstate(divide="raise"):
            y = 1.0 / x
    except FloatingPointError:
        y = x + 5.0
        raise ValueError("bad input")  # noqa: B904
    finally:
        print("finally y =", y)
    return y


def finally_after_raising_else(x):
    y = x * 0.0
    try:
        y = x + 1.0
        y = y * 2.0
    except FloatingPointError:
        pass
    else:
        y = y - 1.0
        if x.sum() < 0:
            raise ValueError("negative")
        y = y * 10.0
    finally:
        print("finally y =", y)
    return y


def finally_after_handler_reraises(x):
    n = 0
    try:
        with np.errstate(divide="raise"):
            y = 1.0 / x
        n = 1
    except FloatingPointError:
        n = 2
        y = x - 1.0
        raise
    finally:
        print("finally", n, y)
    return y


def test_finally_sees_the_raising_parts_updates(capsys):
    for fn in (finally_after_raising_handler, finally_after_raising_else,
               finally_after_handler_reraises):
        _check(fn, [(OK,), (ZERO,), (NEG,), (OK,)], capsys)


def test_finally_after_a_handler_raising_in_a_graph_branch(capsys):
    def f(x):
        s = 0.0
        try:
            with np.errstate(divide="raise"):
                y = 1.0 / x
            s = 1.0
        except FloatingPointError:
            s = 2.0
            if x.sum() > 1.0:
                raise ValueError("positive")  # noqa: B904
            s = 3.0
            y = x
        finally:
            print("s =", s)
        return y * s

    _check(f, [(OK,), (ZERO,), (np.array([0.0, -2.0]),)], capsys)


# -- gradients follow the path taken --------------------------------------------------------
def _loss_unbound_else(x):
    try:
        with np.errstate(divide="raise"):
            z = np.sum(1.0 / x)
    except FloatingPointError:
        z = np.sum(np.sin(x) * x)
    else:
        w = z * z
        z = w + np.sum(x)
    return z


def test_gradients_through_each_path():
    traced = at.trace(_loss_unbound_else)
    for x in (np.array([1.0, 2.0]), np.array([0.5, -3.0])):
        at.check_grads(traced, (x,), order=1)
        np.testing.assert_allclose(traced(x), _loss_unbound_else(x))
    g = at.grad(traced)(ZERO)  # the except path's own derivative
    np.testing.assert_allclose(g, np.sin(ZERO) + ZERO * np.cos(ZERO))


def test_gradient_where_the_handler_reads_an_unbound_variable_raises_pythons_error():
    def loss(x):
        try:
            with np.errstate(divide="raise"):
                z = np.sum(1.0 / x)
        except FloatingPointError:
            return np.sum(x) + z
        return z

    g = at.grad(at.trace(loss))
    np.testing.assert_allclose(g(OK), -1.0 / OK ** 2)
    with pytest.raises(UnboundLocalError, match="local variable 'z'"):
        g(ZERO)


# -- 2. Python objects the body changes -----------------------------------------------------
def stage_log(x):
    stage = "start"
    try:
        stage = "invert"
        y = np.linalg.inv(x)
        stage = "done"
    except np.linalg.LinAlgError:
        print("failed at", stage)
        y = x
    return y


def appended_in_body(x):
    hs = []
    try:
        hs.append(x * 2.0)
        with np.errstate(divide="raise"):
            y = 1.0 / x
        hs.append(y)
    except FloatingPointError:
        return len(hs)
    return len(hs)


class _Counter:
    def __init__(self):
        self.calls = 0


def attribute_in_handler(x, counter):
    try:
        with np.errstate(divide="raise"):
            y = 1.0 / x
    except FloatingPointError:
        counter.calls += 1
        y = x
    return y


@pytest.mark.parametrize("fn, args, message", [
    (stage_log, (np.eye(2),), "`stage` is the Python value 'start' before the `try` at "
                              "line 3"),
    (appended_in_body, (OK,), "`hs` (a Python list) is changed in place inside the body of "
                              "the `try`"),
    (attribute_in_handler, (OK, _Counter()), "`counter` (a Python _Counter object) is "
                                             "changed in place inside the `except` clause"),
])
def test_python_objects_a_path_would_see_differently_are_refused(fn, args, message):
    with pytest.raises(at.TracingError) as info:
        at.trace(fn)(*args)
    text = str(info.value)
    assert message.split(" at line")[0] in text
    assert "test_try_exact.py" in text


def test_python_objects_that_every_path_agrees_on_work(capsys):
    def f(x):
        mode = "fast"
        try:
            mode = "fast"  # the same object on every path
            with np.errstate(divide="raise"):
                y = 1.0 / x
        except FloatingPointError:
            print("mode", mode)
            y = x
        return y, mode

    _check(f, [(OK,), (ZERO,)], capsys)


def test_a_dict_item_written_in_the_body_is_seen_by_the_handler():
    def f(x):
        d = {"a": x * 0.0, "n": 0}
        try:
            d["a"] = x + 1.0
            d["n"] = 1
            with np.errstate(divide="raise"):
                d["a"] = d["a"] / x
            d["n"] = 2
        except FloatingPointError:
            return d["a"] * 10.0, d["n"]
        return d["a"], d["n"]

    _check(f, [(OK,), (ZERO,), (NEG,)])


def test_finally_changes_python_state_once_per_trace():
    log = []

    def f(x):
        try:
            with np.errstate(divide="raise"):
                y = 1.0 / x
        except FloatingPointError:
            y = x
            raise ValueError("zero")  # noqa: B904
        finally:
            log.append("cleanup")
        return y

    traced = at.trace(f)
    traced(OK)
    assert log == ["cleanup"]  # the escaping `finally` is traced too, its effect undone
    with pytest.raises(ValueError, match="zero"):
        traced(ZERO)


def try_in_graph_loop(x, n):
    total = 0.0
    for i in range(n):
        try:
            with np.errstate(divide="raise"):
                r = 1.0 / (x[i] - 1.0)
            total = total + r
        except FloatingPointError:
            total = total - 1.0
    return total


def test_try_with_unbound_variables_in_a_graph_loop():
    traced = at.trace(try_in_graph_loop)
    x = np.array([2.0, 1.0, 3.0, 1.0])
    for n in (4, 0, 2, 3):
        _same(traced, try_in_graph_loop, x, np.asarray(n))
    assert len(traced.concrete_functions) == 1


def test_graph_saves_and_loads_with_unbound_values_and_escaping_finally(tmp_path, capsys):
    for k, fn in enumerate((read_in_handler, read_in_finally, finally_after_handler_reraises)):
        cf = at.trace(fn).get_concrete_function(OK)
        cf.save(tmp_path / f"f{k}.json")
        loaded = at.load(tmp_path / f"f{k}.json")
        for x in (OK, ZERO, NEG):
            _same(loaded, fn, x, capsys=capsys)


# -- the handler sees the statements that ran inside compound statements --------------------
def python_loop_in_body(x):
    total = 0.0
    try:
        for i in range(3):
            with np.errstate(divide="raise"):
                total = total + 1.0 / x[i]
            last = i
    except FloatingPointError:
        print("last", last, "at", i)
        return total
    return total * 2.0


def graph_loop_in_body(x, n):
    total = x[0] * 0.0
    count = 0
    try:
        for i in range(n):
            count = count + 1
            with np.errstate(divide="raise"):
                total = total + 1.0 / x[i]
    except FloatingPointError:
        return total - 100.0, count
    return total, count


def two_statements_in_errstate(x):
    try:
        with np.errstate(divide="raise"):
            a = x + 1.0
            b = 1.0 / x
    except FloatingPointError:
        return a * 3.0
    return a + b


def nested_body_progress(x):
    try:
        try:
            a = x * 2.0
            with np.errstate(divide="raise"):
                b = 1.0 / x
        except ValueError:
            b = x
    except FloatingPointError:
        return a + 7.0
    return a + b


def test_a_handler_sees_the_statements_that_ran_in_loops_blocks_and_nested_trys(capsys):
    _check(python_loop_in_body, [(np.array([1.0, 2.0, 4.0]),), (np.array([1.0, 0.0, 4.0]),),
                                 (np.array([0.0, 1.0, 1.0]),)], capsys)
    _check(two_statements_in_errstate, [(OK,), (ZERO,)])
    _check(nested_body_progress, [(OK,), (ZERO,)])
    traced = at.trace(graph_loop_in_body)
    x = np.array([1.0, 2.0, 0.0, 4.0])
    for n in (4, 2, 0, 3, 1):
        _same(traced, graph_loop_in_body, x, np.asarray(n))
    assert len(traced.concrete_functions) == 1


# -- found by the fuzzer ----------------------------------------------------------------------
def constant_division_in_errstate(x):
    buf = np.zeros(3)
    try:
        with np.errstate(divide="raise"):
            s = 1.0 / np.floor(np.min(buf))  # numpy on constants: raises while tracing
        buf = buf + s
    except FloatingPointError:
        buf[0] = x[0]
    return buf


def try_after_an_early_return(x, c):
    b = x * 2.0
    while c < 0.5:
        return x
    try:
        with np.errstate(divide="raise"):
            q = 1.0 / x
    except FloatingPointError:
        b = x  # noqa: F841 - assigned, not read after: the `try` still reads it
        q = x * 0.0
    return q


def errstate_after_an_early_return(x, c):
    b = x * 2.0
    if c < 0.0:
        return x
    with np.errstate(all="ignore"):
        b = x / 0.0  # noqa: F841
    return x + 1.0


def test_fuzzer_findings():
    _check(constant_division_in_errstate, [(OK,), (ZERO,)])
    for c in (0.25, 0.75):
        _check(try_after_an_early_return, [(OK, c), (ZERO, c)])
        _check(errstate_after_an_early_return, [(OK, c - 0.5)])


def test_python_objects_returned_from_inside_a_try():
    def f(x, k):
        try:
            if k > 0:
                return "f", x  # a Python object returned inside a block of the body
            with np.errstate(divide="raise"):
                y = 1.0 / x
        except FloatingPointError:
            return "f", x * 0.0
        return "f", y

    for k in (1, 0):
        _check(f, [(OK, k), (ZERO, k)])


# -- in-place writes inside a `try` -----------------------------------------------------------
def alias_sees_in_place_write(x):
    y = x * 1.0
    alias = y
    try:
        y += 1.0
        with np.errstate(divide="raise"):
            z = 1.0 / x  # noqa: F841
    except FloatingPointError:
        pass
    return alias


def argument_written_in_try(x):
    try:
        x -= 1.0
        with np.errstate(divide="raise"):
            z = 1.0 / x  # noqa: F841
    except FloatingPointError:
        x[0] = 7.0
    return x * 2.0


def numpy_buffer_with_python_values(x):
    buf = np.zeros(3)
    try:
        buf[0] = 1.0
        with np.errstate(divide="raise"):
            z = 1.0 / x  # noqa: F841
        buf[1] = 2.0
    except FloatingPointError:
        buf[2] = 3.0
    return buf


def in_place_in_a_graph_loop_around_a_try(x, y):
    buf = np.zeros(3)
    t = np.max(y)
    while t <= 0.25:
        buf += y
        t = t + 0.5
        try:
            pass
        except FloatingPointError:
            pass
        else:
            buf[1:] -= buf[::-1][:2]
    return buf


def test_in_place_writes_inside_try():
    for fn in (alias_sees_in_place_write, numpy_buffer_with_python_values):
        _check(fn, [(np.array([1.5, 2.0]),), (np.array([1.0, 0.0]),), (OK,)])
    traced = at.trace(argument_written_in_try)
    for v in (np.array([1.5, 2.0]), np.array([1.0, 2.0])):
        a, b = v.copy(), v.copy()
        _same_value(traced(b), argument_written_in_try(a))
        _same_value(b, a)  # the caller's array, written as numpy writes it
    _check(in_place_in_a_graph_loop_around_a_try,
           [(OK, np.array([-1.0, 0.1, 0.0])), (OK, np.array([1.0, 2.0, 3.0]))])


def alias_of_a_value_written_on_one_path_and_rebound_on_another(x):
    y = x * 1.0
    v = y
    try:
        with np.errstate(divide="raise"):
            z = 1.0 / x  # noqa: F841
        y += 1.0  # the body writes the array `v` also holds
    except FloatingPointError:
        y = x * 5.0  # the handler binds `y` to another array
    return v, y


def alias_of_a_numpy_buffer_written_with_python_values(x):
    buf = np.zeros(2)
    alias = buf
    try:
        with np.errstate(divide="raise"):
            z = 1.0 / x  # noqa: F841
        buf[0] = 3.0
    except FloatingPointError:
        buf += 1.0
    return alias + x, buf


@pytest.mark.parametrize("fn, name, alias", [
    (alias_of_a_value_written_on_one_path_and_rebound_on_another, "y", "v"),
    (alias_of_a_numpy_buffer_written_with_python_values, "buf", "alias"),
])
def test_another_name_for_an_array_a_path_writes_is_refused_at_the_try(fn, name, alias):
    line = fn.__code__.co_firstlineno + 3  # the `try`
    with pytest.raises(at.TracingError) as info:
        at.trace(fn)(OK)
    message = str(info.value)
    assert f"`{name}` is " in message and f"`{alias}` (in {fn.__name__}, line {line})" in message
    assert f"{name}.copy()" in message
    assert message.splitlines()[-1] == f"  at line {line} of test_try_exact.py (`try:`)"


def one_name_written_on_one_path_and_rebound_on_another(x):
    y = x * 1.0
    try:
        with np.errstate(divide="raise"):
            z = 1.0 / x  # noqa: F841
        y += 1.0
    except FloatingPointError:
        y = x * 5.0
    return y


def test_with_one_name_such_writes_stay_exact():
    _check(one_name_written_on_one_path_and_rebound_on_another, [(OK,), (ZERO,), (NEG,)])
