"""`try`/`except`/`else`/`finally` and `with np.errstate(...)` around traced code run when
the graph runs: one concrete graph, inputs taking each path, compared with the plain
function (values, the exception that escapes, printed output), gradients vs finite
differences."""

from __future__ import annotations

import numpy as np
import pytest

import autotrace as at


def fallback(x):
    try:
        with np.errstate(divide="raise"):
            y = 1.0 / x
        total = y.sum()
    except FloatingPointError as e:
        print("caught:", str(e))
        total = x.sum() * 2.0
    else:
        total = total + 1.0
    finally:
        print("finally")
    return total


def reraising(x):
    try:
        with np.errstate(invalid="raise"):
            y = np.sqrt(x)
    except FloatingPointError:
        print("cleanup")
        raise
    return y


def raise_in_if(x):
    try:
        if x.sum() > 0:
            raise ValueError("positive")
        y = x * 2.0
    except ValueError:
        y = x * 3.0
    return y


def nested(x):
    try:
        try:
            with np.errstate(divide="raise"):
                y = 1.0 / x
        except FloatingPointError:
            with np.errstate(invalid="raise"):
                y = np.sqrt(x - 10.0)
    except FloatingPointError:
        y = x * 0.0 - 1.0
    return y


def in_loop(x, n):
    s = 0.0
    for i in range(n):
        try:
            with np.errstate(divide="raise"):
                s = s + 1.0 / (x[i] - 1.0)
        except FloatingPointError:
            s = s - 100.0
    return s


def partial_state(x):
    y = x * 0.0
    try:
        y = x + 1.0
        with np.errstate(divide="raise"):
            y = y / x
    except FloatingPointError:
        pass
    return y


def _same(traced, fn, *args, capsys=None):
    want_out = got_out = None
    try:
        want = fn(*args)
    except Exception as e:
        want = e
    if capsys is not None:
        want_out = capsys.readouterr().out
    try:
        got = traced(*args)
    except Exception as e:
        got = e
    if capsys is not None:
        got_out = capsys.readouterr().out
    if isinstance(want, Exception):
        assert type(got) is type(want) and str(want) in str(got)
    else:
        np.testing.assert_allclose(got, want)
        assert np.shape(got) == np.shape(want)
    assert got_out == want_out


@pytest.mark.parametrize("fn, inputs", [
    (fallback, [np.array([1.0, 2.0]), np.array([0.0, 2.0]), np.array([4.0, -1.0])]),
    (reraising, [np.array([1.0, 4.0]), np.array([-1.0, 4.0])]),
    (raise_in_if, [np.array([1.0, 2.0]), np.array([-1.0, -2.0])]),
    (nested, [np.array([1.0, 2.0]), np.array([0.0, 16.0]), np.array([0.0, 2.0])]),
    (partial_state, [np.array([1.0, 2.0]), np.array([0.0, 2.0])]),
])
def test_one_graph_takes_every_path(fn, inputs, capsys):
    traced = at.trace(fn)
    for x in inputs:
        _same(traced, fn, x, capsys=capsys)
    assert len(traced.concrete_functions) == 1


def test_try_in_a_graph_loop():
    traced = at.trace(in_loop)
    for x in (np.array([0.0, 2.0, 1.0, 3.0]), np.array([2.0, 3.0, 4.0, 5.0])):
        for n in (np.asarray(4), np.asarray(2)):
            np.testing.assert_allclose(traced(x, n), in_loop(x, int(n)))


def test_errstate_ignore_and_warn():
    def ignore(x):
        with np.errstate(divide="ignore"):
            return 1.0 / x

    def warn(x):
        with np.errstate(divide="warn"):
            return 1.0 / x

    x = np.array([0.0, 1.0])
    with np.errstate(divide="raise"):
        np.testing.assert_array_equal(at.trace(ignore)(x), [np.inf, 1.0])
        with pytest.warns(RuntimeWarning, match="divide by zero"):
            at.trace(warn)(x)


@pytest.mark.parametrize("x", [np.array([1.0, 2.0]), np.array([0.0, 2.0])])
def test_gradient_follows_the_path_taken(x):
    def loss(x):
        try:
            with np.errstate(divide="raise"):
                y = np.sum(1.0 / x)
        except FloatingPointError:
            y = np.sum(np.sin(x) * x)
        return y

    g = at.grad(at.trace(loss))(x)
    eps = 1e-6
    for k in range(len(x)):
        e = np.eye(len(x))[k]
        if x[k] == 0:  # a step would change the path: the except path's own derivative
            np.testing.assert_allclose(g[k], np.sin(x[k]) + x[k] * np.cos(x[k]))
            continue
        fd = (loss(x + eps * e) - loss(x - eps * e)) / (2 * eps)
        np.testing.assert_allclose(g[k], fd, rtol=1e-5)


def test_gradient_through_a_partial_body_is_refused_when_taken():
    traced = at.trace(partial_state)
    g = at.grad(lambda x: traced(x).sum())
    np.testing.assert_allclose(g(np.array([1.0, 2.0])), -1.0 / np.array([1.0, 2.0]) ** 2)
    with pytest.raises(at.UnsupportedError, match="part of the body that ran"):
        g(np.array([0.0, 2.0]))


def zero_division(x, n):
    k = 0
    for _ in range(n):
        k = k + 1
    try:
        r = 1 / k
    except ZeroDivisionError:
        r = -1.0
    return x * r


def test_zero_division_of_traced_python_numbers():
    traced = at.trace(zero_division)
    x = np.array([2.0, 3.0])
    for n in (0, 2, 0, 4):
        np.testing.assert_allclose(traced(x, np.asarray(n)), zero_division(x, n))


def seterr_inside(x):
    old = np.seterr(divide="raise")
    try:
        y = 1.0 / x
    except FloatingPointError as e:
        raise ValueError("bad input") from e
    finally:
        np.seterr(**old)
    return y


def test_seterr_inside_takes_effect_at_run_time_and_raise_from():
    traced = at.trace(seterr_inside)
    before = np.geterr()
    np.testing.assert_allclose(traced(np.array([2.0])), [0.5])
    for fn in (seterr_inside, traced):
        with pytest.raises(ValueError, match="bad input") as info:
            fn(np.array([0.0]))
        assert isinstance(info.value.__cause__, FloatingPointError)
    assert np.geterr() == before


def test_unmatched_exception_escapes_after_finally(capsys):
    def f(x):
        try:
            with np.errstate(divide="raise"):
                y = 1.0 / x
        except ValueError:
            y = x
        finally:
            print("finally ran")
        return y

    traced = at.trace(f)
    for fn in (f, traced):
        with pytest.raises(FloatingPointError, match="divide by zero"):
            fn(np.array([0.0]))
        assert capsys.readouterr().out == "finally ran\n"


def test_exception_raised_while_tracing_is_caught_at_run_time():
    def f(x, d):
        try:
            y = x * d["scale"]
        except KeyError:
            y = x * 0.0
        return y

    traced = at.trace(f)
    np.testing.assert_allclose(traced(X2, {}), f(X2, {}))
    np.testing.assert_allclose(traced(X2, {"scale": 3.0}), f(X2, {"scale": 3.0}))


X2 = np.array([1.0, 2.0])


def linalg_error(x):
    try:
        if x.sum() < 0:
            raise np.linalg.LinAlgError("not positive definite")
        y = np.sqrt(x)
    except np.linalg.LinAlgError as e:
        print("fallback:", e)
        y = x * 0.0
    return y


def test_linalg_error_raised_in_a_traced_branch_is_caught(capsys):
    traced = at.trace(linalg_error)
    for x in (np.array([1.0, 4.0]), np.array([-1.0, -4.0]), np.array([9.0, 1.0])):
        _same(traced, linalg_error, x, capsys=capsys)
    assert len(traced.concrete_functions) == 1


def test_try_graph_saves_and_loads(tmp_path, capsys):
    cf = at.trace(nested).get_concrete_function(np.array([1.0, 2.0]))
    cf.save(tmp_path / "nested.json")
    loaded = at.load(tmp_path / "nested.json")
    assert str(loaded.graph) == str(cf.graph)
    for x in (np.array([1.0, 2.0]), np.array([0.0, 16.0]), np.array([0.0, 2.0])):
        _same(loaded, nested, x, capsys=capsys)
