"""Formatting traced values (issue 9, item 8): inside print/logging the string is made
at run time on every call; elsewhere a TracingError says why and what to do."""

import logging

import numpy as np
import pytest

import autotrace as at

logger = logging.getLogger("autotrace.test.formatting")
XS = [np.array([1.0, 2.0, 3.0]), np.array([-4.0, 0.5, 2.0]), np.array([0.25, -0.125, 9.0])]


def report(x):
    loss = np.sum(x * x)
    m = x[0]
    print(f"loss {loss:.4f} first={m!r} {x}", "%s|%.2f" % (m, loss), str(loss), repr(m))
    print("sizes", format(loss, ".3e"), f"{x.shape[0] * 1.5}")
    return loss


def branchy(x):
    s = np.sum(x)
    if s > 0:
        print(f"positive {s:.3f}")
        print("hello")
    else:
        print("negative", "%.1f" % s)
    return s * 2


def logs(x):
    loss = np.mean(x)
    logging.getLogger("autotrace.test.formatting").info(f"mean={loss:.3f}")
    logger.warning("max %s min %.2f", np.max(x), np.min(x))
    logger.debug("not shown %s", loss)
    return loss


def methods_and_variables(x):
    fmt = "var %s / %.1f"
    loss = np.sum(x)
    print("loss {:.4f} {n} {}".format(loss, x.shape[0], n=x[0]), fmt % (loss, x[1]))
    logger.warning("w {}".format(x[2]))
    return loss


def str_format_elsewhere(x):
    return "{}".format(x[0])


def fmt_variable_elsewhere(x):
    fmt = "%s"
    return fmt % x[0]


def format_method_of_variable(x):
    fmt = "{}"
    return fmt.format(x[0])


def formats_elsewhere(x):
    label = f"value {np.sum(x):.2f}"
    return label


def percent_elsewhere(x):
    return np.sum(x), "%s" % x[0]


def str_elsewhere(x):
    return str(x[0])


def _same_output(fn, capsys, xs=XS):
    traced = at.trace(fn)
    for x in xs:
        got = traced(x)
        out = capsys.readouterr().out
        want = fn(x)
        assert out == capsys.readouterr().out
        np.testing.assert_allclose(got, want)
    assert traced.trace_count == 1
    return out


def test_print_formats_run_time_values_every_call(capsys):
    out = _same_output(report, capsys)
    assert out.startswith("loss 81.0781 first=np.float64(0.25)")


def test_print_only_on_the_branch_taken(capsys):
    xs = [np.array([1.0, 2.0]), np.array([-3.0, 1.0]), np.array([0.5, 0.25])]
    _same_output(branchy, capsys, xs)


def test_constant_print_runs_at_run_time_not_at_trace_time(capsys):
    traced = at.trace(branchy)
    traced.get_concrete_function(np.array([1.0, 2.0]))
    assert capsys.readouterr().out == ""
    traced(np.array([-1.0, -2.0]))
    assert capsys.readouterr().out == "negative -3.0\n"
    traced(np.array([1.0, 2.0]))
    assert capsys.readouterr().out == "positive 3.000\nhello\n"


def test_logging_calls_format_at_run_time(caplog):
    traced = at.trace(logs)
    for x in XS:
        with caplog.at_level(logging.INFO, logger="autotrace.test.formatting"):
            traced(x)
            got = [r.getMessage() for r in caplog.records]
            caplog.clear()
            logs(x)
            assert got == [r.getMessage() for r in caplog.records]
            assert len(got) == 2
            caplog.clear()
    assert traced.trace_count == 1


@pytest.mark.parametrize("fn, what", [
    (formats_elsewhere, "This f-string"),
    (percent_elsewhere, "This `%` formatting"),
    (str_elsewhere, "`str(...)`"),
    (str_format_elsewhere, "This `str.format` call"),
    (fmt_variable_elsewhere, "This `%` formatting"),
])
def test_formatting_elsewhere_is_refused(fn, what):
    with pytest.raises(at.TracingError) as info:
        at.trace(fn)(XS[0])
    message = str(info.value)
    assert message.startswith(
        f"{what} formats a traced value into a string. A string is a Python value, fixed "
        "when the function is traced")
    assert "Print it" in message and "return the array" in message
    assert "test_state_formatting.py" in message


def test_formatting_python_values_is_plain_python(capsys):
    def f(x, n):
        print(f"n={n:03d}", "%d items" % n, str(n))
        return x * n

    _same_output(lambda x: f(x, 7), capsys)


V = at.Variable(np.array(1.5))


def loop_and_variable(x):
    i = 0
    s = x[0]
    while s < 10:
        s = s * 2
        print(f"it {i} s={s:.2f}", "%d" % i, sep="|")
        i += 1
    print(f"v={V} {s!r}", V)
    return s


def test_print_in_graph_loop_and_variables_read_live(capsys):
    traced = at.trace(loop_and_variable)
    for x, v in ((np.array([1.0]), 1.5), (np.array([3.0]), 2.5), (np.array([20.0]), -1.0)):
        V.assign(np.array(v))
        traced(x)
        got = capsys.readouterr().out
        loop_and_variable(x)
        assert got == capsys.readouterr().out
    assert traced.trace_count == 1


def test_str_format_and_percent_of_a_variable_in_print(capsys, caplog):
    with caplog.at_level(logging.INFO, logger="autotrace.test.formatting"):
        _same_output(methods_and_variables, capsys)
    messages = [r.getMessage() for r in caplog.records]
    assert messages == ["w 3.0", "w 3.0", "w 2.0", "w 2.0", "w 9.0", "w 9.0"]


def test_format_method_on_a_template_variable_is_refused():
    with pytest.raises(at.TracingError) as info:
        at.trace(format_method_of_variable)(XS[0])
    assert "was formatted into a string (`format(x, '')`, `str.format`)" in str(info.value)
    assert "test_state_formatting.py" in str(info.value)
