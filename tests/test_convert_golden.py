"""Golden text of `fn.code` for a representative function per construct.

The expected text was written by hand, for what careful functional Python doing the same
thing reads like: the user's names, one helper per branch or loop body that takes and
returns the variables the statement changes, Python literals left alone, no boilerplate
the function does not need. A change here changes what users read and must be deliberate.
The printed code of the whole corpus also parses and prints back to the same text.
"""

import ast

import numpy as np
import pytest
from corpus import branches, calls, logic, loops, python_values
from corpus.check import assert_same

import autotrace as at
from autotrace.convert.codegen import to_source


def if_else(x):
    if x.sum() > 0:
        y = x * 2
    else:
        y = -x
    return y


def if_without_else(x):
    y = x
    if x.sum() > 0:
        y = y * 2
    return y


def early_return(x):
    if x.sum() > 0:
        return x
    y = -x
    return y


def while_loop(x):
    i = 0
    while x.sum() < 100:
        x = x * 2
        i += 1
    return x, i


def for_range(x):
    s = 0.0
    for i in range(3):
        s = s + x[i]
    return s


def for_break(x):
    s = 0.0
    for v in x:
        if v < 0:
            break
        s = s + v
    return s


def for_continue(x):
    s = 0.0
    for v in x:
        if v < 0:
            continue
        s = s + v
    return s


def return_in_loop(x):
    for v in x:
        if v < 0:
            return v
    return x.sum()


def while_else(x):
    i = 0
    while i < 3:
        if x[i] < 0:
            break
        i += 1
    else:
        i = -1
    return i


def logic_ops(x, flag):
    return x.sum() > 0 and not flag or x.max() < 1


def conditional_expression(x):
    return x if x.sum() > 0 else -x


def chained_comparison(x):
    return 0 < x.sum() < 10


def assertion(x):
    assert x.sum() > 0, "the sum must be positive"
    return x


def printing(x):
    print("x is", x)
    return x


def _double(v):
    return v * 2


def helper_call(x):
    return _double(x) + 1


def with_lambda(x):
    shift = lambda v: v + 1  # noqa: E731
    return shift(x)


def closure_in_branch(x):
    t = 2.0
    scale = lambda v: v * t  # noqa: E731
    if x.sum() > 0:
        t = 3.0
        x = scale(x)
    return x


EXPECTED = {
    if_else: """
def if_else(x):
    def if_true():
        y = at__.mul(x, 2)
        return y

    def if_false():
        y = at__.neg(x)
        return y
    y = at__.if_stmt(at__.gt(x.sum(), 0), if_true, if_false, (), ('y',))
    return y
""",
    if_without_else: """
def if_without_else(x):
    y = x

    def if_true(y):
        y = at__.mul(y, 2)
        return y
    y = at__.if_stmt(at__.gt(x.sum(), 0), if_true, None, (y,))
    return y
""",
    early_return: """
def early_return(x):
    def if_true():
        return x

    def if_false():
        y = at__.neg(x)
        return y
    return at__.if_return(at__.gt(x.sum(), 0), if_true, if_false, ())
""",
    while_loop: """
def while_loop(x):
    i = 0

    def loop_cond(x, i):
        return at__.lt(x.sum(), 100)

    def loop_body(x, i):
        x = at__.mul(x, 2)
        i = at__.iadd(i, 1)
        return x, i
    x, i = at__.while_stmt(loop_cond, loop_body, (x, i))
    return x, i
""",
    for_range: """
def for_range(x):
    s = 0.0

    def loop_body(i, s):
        s = at__.add(s, at__.getitem(x, i))
        return s
    s = at__.for_stmt(at__.range(3), loop_body, (s,))
    return s
""",
    for_break: """
def for_break(x):
    s = 0.0
    break_ = False

    def loop_test(break_, s):
        return at__.not_(break_)

    def loop_body(v, break_, s):
        def if_true(break_):
            break_ = True
            return break_
        break_ = at__.if_stmt(at__.lt(v, 0), if_true, None, (break_,))

        def if_true(s):
            s = at__.add(s, v)
            return s
        s = at__.if_stmt(at__.not_(break_), if_true, None, (s,))
        return break_, s
    break_, s = at__.for_stmt(x, loop_body, (break_, s), extra_test=loop_test)
    return s
""",
    for_continue: """
def for_continue(x):
    s = 0.0

    def loop_body(v, s):
        continue_ = False

        def if_true(continue_):
            continue_ = True
            return continue_
        continue_ = at__.if_stmt(at__.lt(v, 0), if_true, None, (continue_,))

        def if_true(s):
            s = at__.add(s, v)
            return s
        s = at__.if_stmt(at__.not_(continue_), if_true, None, (s,))
        return s
    s = at__.for_stmt(x, loop_body, (s,))
    return s
""",
    return_in_loop: """
def return_in_loop(x):
    do_return = False
    retval = at__.Undefined('retval', placeholder=True)

    def loop_test(do_return, retval):
        return at__.not_(do_return)

    def loop_body(v, do_return, retval):
        def if_true(do_return, retval):
            do_return = True
            retval = v
            return do_return, retval
        do_return, retval = at__.if_stmt(at__.lt(v, 0), if_true, None, (do_return, retval))
        return do_return, retval
    do_return, retval = at__.for_stmt(x, loop_body, (do_return, retval), extra_test=loop_test)

    def if_true(retval):
        retval = x.sum()
        return retval
    retval = at__.if_stmt(at__.not_(do_return), if_true, None, (retval,))
    return retval
""",
    while_else: """
def while_else(x):
    i = 0
    break_ = False

    def loop_cond(break_, i):
        return at__.and_(at__.not_(break_), lambda: at__.lt(i, 3))

    def loop_body(break_, i):
        def if_true(break_):
            break_ = True
            return break_
        break_ = at__.if_stmt(at__.lt(at__.getitem(x, i), 0), if_true, None, (break_,))

        def if_true(i):
            i = at__.iadd(i, 1)
            return i
        i = at__.if_stmt(at__.not_(break_), if_true, None, (i,))
        return break_, i
    break_, i = at__.while_stmt(loop_cond, loop_body, (break_, i))

    def if_true(i):
        i = -1
        return i
    i = at__.if_stmt(at__.not_(break_), if_true, None, (i,))
    return i
""",
    logic_ops: """
def logic_ops(x, flag):
    return at__.or_(at__.and_(at__.gt(x.sum(), 0), lambda: at__.not_(flag)), lambda: at__.lt(x.max(), 1))
""",  # noqa: E501 - one statement, one line
    conditional_expression: """
def conditional_expression(x):
    return at__.if_exp(at__.gt(x.sum(), 0), lambda: x, lambda: at__.neg(x))
""",
    chained_comparison: """
def chained_comparison(x):
    return at__.and_(at__.lt(0, (cmp_0 := x.sum())), lambda: at__.lt(cmp_0, 10))
""",
    assertion: """
def assertion(x):
    at__.assert_(at__.gt(x.sum(), 0), 'the sum must be positive')
    return x
""",
    printing: """
def printing(x):
    at__.print('x is', x)
    return x
""",
    helper_call: """
def helper_call(x):
    return at__.add(at__.call(_double, x), 1)
""",
    with_lambda: """
def with_lambda(x):
    shift = lambda v: at__.add(v, 1)
    return at__.call(shift, x)
""",
    # `t` lives in a cell `scale` reads: the helper writes that cell (a parameter cannot be
    # `nonlocal`), so `scale` called in the branch sees `t = 3.0`, as in Python.
    closure_in_branch: """
def closure_in_branch(x):
    t = 2.0
    scale = lambda v: at__.mul(v, t)

    def if_true(at__t, x):
        nonlocal t
        t = at__t
        t = 3.0
        x = at__.call(scale, x)
        return t, x
    t, x = at__.if_stmt(at__.gt(x.sum(), 0), if_true, None, (t, x))
    return x
""",
}


@pytest.mark.parametrize("fn", list(EXPECTED), ids=lambda fn: fn.__name__)
def test_converted_code_reads_as_written(fn):
    assert at.to_code(fn).strip("\n") == EXPECTED[fn].strip("\n")


def test_traced_function_shows_the_same_code():
    assert at.trace(if_else).code.strip("\n") == EXPECTED[if_else].strip("\n")


@pytest.mark.parametrize("fn", list(EXPECTED), ids=lambda fn: fn.__name__)
def test_golden_functions_run_like_python(fn):
    x = np.array([1.0, -2.0, 3.5])
    args = (x, False) if fn is logic_ops else (x,)
    # `and` on a tensor gives a numpy bool where Python gives the operand `not flag`
    assert_same(at.trace(fn)(*args), fn(*args), fn.__name__, merged_scalars=fn is logic_ops)


CORPUS = [c.fn for m in (branches, loops, calls, logic, python_values) for c in m.CORPUS.cases]


@pytest.mark.parametrize("fn", CORPUS, ids=lambda fn: fn.__name__)
def test_printed_code_parses_and_round_trips(fn):
    code = at.to_code(fn)
    assert to_source(ast.parse(code)) == code
