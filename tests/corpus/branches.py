"""if / elif / else, nested ifs, early returns, conditional expressions, raise and assert in
branches: each function with inputs of one signature that take different branches."""

import numpy as np

from corpus.registry import Registry

CORPUS = Registry()
case = CORPUS.case

POS = np.array([1.0, 2.0, 3.0])
NEG = np.array([-1.0, -2.0, 0.5])
MIX = np.array([2.0, -5.0, 1.0])
BIG = np.array([10.0, 20.0, 30.0])
P32 = np.array([1.0, 2.0, 3.0], np.float32)
N32 = np.array([-1.0, -2.0, 0.5], np.float32)
INTS = np.array([1, 2, 3])
NINTS = np.array([-1, -2, 3])


@case(POS, NEG)
def if_else(x):
    if x.sum() > 0:
        y = x * 2
    else:
        y = -x
    return y


@case(POS, NEG)
def if_without_else(x):
    y = x + 1
    if x.sum() > 0:
        y = y * 2
    return y


@case(BIG, POS, NEG, -BIG)
def elif_chain(x):
    s = x.sum()
    if s > 10:
        y = x * 3
    elif s > 0:
        y = x * 2
    elif s > -10:
        y = x
    else:
        y = -x
    return y


@case(POS, NEG, MIX, -POS)
def nested_if(x):
    if x[0] > 0:
        if x[1] > 0:
            y = x + 1
        else:
            y = x - 1
    else:
        if x[2] > 0:
            y = x * 2
        else:
            y = x * 3
    return y


@case(POS, NEG, MIX)
def nested_if_without_else(x):
    y = x
    if x[0] > 0:
        y = y + 1
        if x[1] > 0:
            y = y * 10
    return y


@case(POS, NEG)
def early_return(x):
    if x.sum() > 0:
        return x
    y = -x
    return y * 2


@case(BIG, POS, NEG)
def early_returns_elif(x):
    s = x.sum()
    if s > 10:
        return x / 10
    elif s > 0:
        return x
    z = x * x
    return z


@case(POS, NEG, MIX)
def early_return_nested(x):
    if x[0] > 0:
        if x[1] < 0:
            return x * 5
        x = x + 1
    return x - 2


@case(POS, NEG)
def early_return_then_code(x):
    y = x * 2
    if y.sum() < 0:
        return y
    y = y + 1
    if y[0] > 2:
        y = y * 3
    return y


@case((POS, True), (NEG, True))
def python_flag_and_tensor(x, flag):
    if flag:
        x = x * 2
    if x.sum() > 0:
        x = x + 1
    return x


@case((POS, False), (NEG, False))
def python_flag_off(x, flag):
    if flag:
        x = x * 2
    else:
        x = x - 1
    if x.sum() > 0:
        x = x + 1
    return x


@case(POS, NEG)
def shape_condition(x):
    if x.shape[0] > 2:  # a Python condition: only this branch is traced
        y = x[:2]
    else:
        y = x
    if y.sum() > 0:
        y = y * 2
    return y


@case(POS, NEG)
def temporaries_stay_in_branch(x):
    if x.sum() > 0:
        t = x * 2
        u = t + 1
        y = u * t
    else:
        t = -x
        y = t
    return y


@case(POS, NEG, MIX)
def several_outputs(x):
    a = x
    b = x * 0
    if x[0] > 0:
        a = x + 1
        b = x - 1
    elif x[1] > 0:
        b = x * 3
    return a, b


@case(POS, NEG)
def weak_int_in_branches(x):
    if x.sum() > 0:
        k = 2
    else:
        k = 3
    return x * k, k


@case(POS, NEG)
def python_int_counter_in_branch(x):
    n = 0
    if x.sum() > 0:
        n = n + 1
    return n


@case(P32, N32)
def float32_branches(x):
    if x.sum() > 0:
        y = x * 0.5
    else:
        y = x + 1
    return y


@case(P32, N32)
def float32_python_scalar_joins_array(x):
    if x.sum() > 0:
        s = 0.5
    else:
        s = x.sum()
    return s * x


@case(INTS, NINTS)
def int_arrays(x):
    if x.sum() > 3:
        y = x // 2
    else:
        y = x * x
    return y


@case(POS, NEG)
def branches_of_different_lengths(x):
    if x.sum() > 0:
        y = x[:1]
    else:
        y = x[1:]
    return y.sum(), y


@case(POS, NEG)
def dict_outputs(x):
    if x.sum() > 0:
        d = {"a": x, "n": 1.0}
    else:
        d = {"a": -x, "n": 2.0}
    return d


@case(POS, NEG)
def if_all(x):
    if (x > 0).all():
        return x
    return np.abs(x)


@case(POS, NEG, MIX)
def if_any(x):
    if (x < 0).any():
        x = np.maximum(x, 0)
    return x


@case(POS, NEG)
def walrus_in_condition(x):
    if (s := x.sum()) > 0:
        x = x / s
    return x, s


@case(POS, NEG)
def conditional_expression(x):
    y = x * 2 if x.sum() > 0 else x - 1
    return y


@case(POS, NEG, MIX)
def nested_conditional_expressions(x):
    return x if x[0] > 0 else (x * 2 if x[1] > 0 else x * 3)


@case((POS, 2), (NEG, 2))
def conditional_expression_python(x, n):
    k = n * 2 if n > 1 else n
    return x * k if x.sum() > 0 else x


@case(POS, NEG)
def raise_in_branch(x):
    if x.sum() < 0:
        raise ValueError("negative sum")
    return x * 2


@case(POS, NEG, MIX)
def raise_in_nested_branch(x):
    y = x
    if x[0] < 0:
        if x[1] < 0:
            raise ArithmeticError("both negative")
        y = x * 0
    return y


@case(POS, NEG)
def assert_on_tensor(x):
    assert x.sum() > 0, "the sum must be positive"
    return x * 2


@case(POS, NEG)
def assert_in_branch(x):
    if x[0] > 0:
        assert x[1] > 0, "second must be positive too"
        x = x + 1
    return x


@case(POS, NEG)
def print_in_branches(x):
    if x.sum() > 0:
        print("positive", x)
        y = x
    else:
        print("negative, sum", x.sum())
        y = -x
    return y


@case(POS, NEG)
def variable_used_only_in_branch(x):
    if x.sum() > 0:
        scale = x.max()
        x = x / scale
    return x


@case(POS, NEG)
def branch_reads_and_writes(x):
    total = x.sum()
    if total > 0:
        total = total + x[0]
    else:
        total = total - x[0]
    return total


@case(POS, NEG)
def if_none_python_value(x):
    cache = None
    if cache is None:
        cache = x * 0
    if x.sum() > 0:
        cache = cache + x
    return cache


@case(POS, NEG, MIX)
def branches_call_helpers(x):
    if x[0] > 0:
        y = _double(x)
    else:
        y = _negate(_double(x))
    return y


def _double(v):
    return v * 2


def _negate(v):
    if v.sum() > 0:
        return -v
    return v
