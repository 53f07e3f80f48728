"""and / or / not (lazy for Python values), chained comparisons, conditional expressions,
assert and print with tensor arguments."""

import numpy as np

from corpus.registry import Registry

CORPUS = Registry()
case = CORPUS.case

POS = np.array([1.0, 2.0, 3.0])
NEG = np.array([-1.0, -2.0, 0.5])
MIX = np.array([2.0, -5.0, 1.0])
BIG = np.array([10.0, 20.0, 30.0])


@case(POS, NEG, MIX)
def and_of_tensor_conditions(x):
    if x[0] > 0 and x[1] > 0:
        return x
    return -x


@case(POS, NEG, MIX)
def or_of_tensor_conditions(x):
    if x[0] < 0 or x[1] < 0:
        x = np.abs(x)
    return x


@case(POS, NEG)
def not_of_tensor_condition(x):
    if not x.sum() > 0:
        x = x - 1
    return x


@case(POS, NEG, MIX)
def and_or_not_combined(x):
    if (x[0] > 0 and not x[1] > 0) or x[2] > 2:
        return x * 2
    return x


@case(POS, NEG, merged_scalars=True)  # `not` of a traced bool is a numpy bool
def bool_value_of_and(x):
    both = x.sum() > 0 and x.max() > 2
    either = x.sum() > 0 or x.min() > -1.5
    return both, either, not both


@case((POS, None), (NEG, None))
def python_and_is_lazy(x, extra):
    # `extra.sum()` would fail on None: `and` must not evaluate it.
    if extra is not None and extra.sum() > 0:
        x = x + extra
    if x.sum() > 0:
        x = x * 2
    return x


@case((POS, {"scale": 2.0}), (NEG, {"scale": 2.0}))
def python_or_default(x, config):
    scale = config.get("scale") or 1.0
    shift = config.get("shift") or 0.5
    y = x * scale + shift
    return y if y.sum() > 0 else -y


@case((POS, 0), (NEG, 0))
def python_or_returns_operand(x, n):
    k = n or 3
    label = "" or "none"
    if x.sum() > 0:
        x = x * k
    return x, k, label


@case((POS, [1.0, 2.0]), (NEG, [1.0, 2.0]))
def python_and_returns_operand(x, weights):
    w = weights and weights[-1]
    return x * w if x[0] > 0 else x


@case(POS, NEG, BIG)
def chained_comparison_tensor(x):
    if 0 < x.sum() < 10:
        return x
    return x * 0


@case(POS, NEG, MIX)
def chained_comparison_three_operands(x):
    if x[0] < x[1] < x[2]:
        x = x[::-1]
    return x


@case((POS, 3), (BIG, 3))
def chained_comparison_python_and_tensor(x, n):
    ok = 0 < n < 5  # Python ints: a Python bool
    if ok and x.max() < 5:
        x = x + n
    return x, ok


@case(POS, NEG, MIX)
def chained_comparison_middle_evaluated_once(x):
    calls = []

    def middle():
        calls.append(1)
        return x.sum()

    inside = -1 < middle() < 5
    return inside, len(calls)


@case(POS, NEG)
def conditional_expression_in_loop(x):
    s = x[0] * 0
    for v in x:
        s = s + (v if v > 0 else -v)
    return s


@case(POS, NEG)
def assert_with_python_message(x):
    name = "x"
    assert x.min() > -0.5, f"{name} has a value below -0.5"
    return x


@case(POS, NEG)
def assert_without_message(x):
    assert (x > 0).all()
    return x * 3


@case(POS, NEG)
def print_tensor_values(x):
    s = x.sum()
    print("sum:", s, "positive:", s > 0)
    if s > 0:
        print("max", x.max())
    return s


@case(POS, NEG)
def print_with_sep_and_end(x):
    if x[0] > 0:
        print(x[0], x[1], sep=" | ", end=";\n")
    return x[0] > 0


@case(POS, NEG, MIX)
def comparison_results(x):
    if x[0] == 2.0:
        x = x + 1
    return x[0] == x[1], x[0] != 1.0, x >= 0, x.sum() <= 3


@case(POS, NEG)
def is_and_in_on_python_values(x):
    opts = ["fast", "exact"]
    mode = "exact"
    if mode in opts and opts is not None and x.sum() > 0:
        return x
    return x * 0
