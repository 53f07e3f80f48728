"""Calls converted recursively: helpers calling helpers, lambdas, nested defs, closures,
methods, callable objects, functools.partial, decorators, recursion bounded by Python
ints, nonlocal counters, functions passed as arguments, traced functions."""

import functools

import numpy as np

import autotrace as at
from corpus import helpers
from corpus.registry import Registry

CORPUS = Registry()
case = CORPUS.case

POS = np.array([1.0, 2.0, 3.0])
NEG = np.array([-1.0, -2.0, 0.5])
MIX = np.array([2.0, -5.0, 1.0])
BIG = np.array([10.0, 20.0, 30.0])


def _clip_positive(v):
    if v.sum() > 0:
        return v
    return v * 0


def _scale(v, k=2.0):
    return v * k


def _pipeline(v):
    return _scale(_clip_positive(v), k=3.0) + 1


@case(POS, NEG)
def helper_with_branch(x):
    return _clip_positive(x) * 2


@case(POS, NEG)
def helpers_calling_helpers(x):
    return _pipeline(x) - _pipeline(-x)


@case(POS, NEG)
def helper_from_another_module(x):
    return helpers.soft_sign(x), helpers.count_above(x, 0.0)


@case(POS, NEG)
def lambda_with_tensor_condition(x):
    pick = lambda v: v if v.sum() > 0 else -v  # noqa: E731
    return pick(x) + pick(x * 2)


@case(POS, NEG, MIX)
def nested_def_with_early_return(x):
    def first_negative(v):
        for e in v:
            if e < 0:
                return e
        return v.sum() * 0

    return first_negative(x)


@case(POS, NEG)
def closure_over_local(x):
    factor = x.sum()

    def scaled(v):
        if factor > 0:
            return v * factor
        return v / factor

    return scaled(x)


@case(POS, NEG)
def closure_factory(x):
    adders = [helpers.make_adder(k) for k in (1.0, 2.0)]
    y = x
    for add in adders:
        y = add(y)
    return y


@case(POS, NEG)
def nonlocal_counter(x):
    calls = 0

    def bump(v):
        nonlocal calls
        calls += 1
        return v + 1

    for _ in range(3):
        x = bump(x)
    if x.sum() > 10:
        x = x * 2
    return x, calls


class Layer:
    """A callable object with a method that branches on its input."""

    def __init__(self, w):
        self.w = w

    def __call__(self, x):
        if x.sum() > 0:
            return x * self.w
        return x - self.w

    def twice(self, x):
        return self(self(x))

    @staticmethod
    def relu(x):
        return np.maximum(x, 0) if x.min() < 0 else x

    @classmethod
    def unit(cls, x):
        return cls(1.0)(x)


LAYER = Layer(2.0)


@case(POS, NEG)
def callable_object(x):
    return LAYER(x)


@case(POS, NEG, MIX)
def method_calling_self(x):
    return LAYER.twice(x)


@case(POS, NEG)
def static_and_class_methods(x):
    return Layer.relu(x), Layer.unit(x)


@case(POS, NEG)
def object_created_inside(x):
    layer = Layer(3.0)
    return layer.twice(x)


@case(POS, NEG)
def partial_of_helper(x):
    triple = functools.partial(_scale, k=3.0)
    y = triple(x)
    if y.sum() > 0:
        y = triple(y)
    return y


def _logged(fn):
    @functools.wraps(fn)
    def wrapper(*args):
        return fn(*args) + 0
    return wrapper


@_logged
def _decorated(v):
    if v.sum() > 0:
        return v * 10
    return v


@case(POS, NEG)
def decorated_helper(x):
    return _decorated(x)


def _power(v, n):
    if n == 0:
        return v * 0 + 1
    half = _power(v, n // 2)
    if n % 2:
        return half * half * v
    return half * half


@case((POS, 5), (NEG, 5))
def recursion_bounded_by_python_int(x, n):
    y = _power(x, n)
    if y.sum() > 0:
        y = y + 1
    return y


def _is_even(n, v):
    return v if n == 0 else _is_odd(n - 1, v * 2)


def _is_odd(n, v):
    return -v if n == 0 else _is_even(n - 1, v + 1)


@case((POS, 4), (NEG, 4))
def mutual_recursion(x, n):
    y = _is_even(n, x)
    return y if y.sum() > 0 else y * 0


def _apply_twice(f, v):
    return f(f(v))


@case(POS, NEG)
def function_as_argument(x):
    return _apply_twice(_clip_positive, x - 1)


@at.trace
def _traced_helper(v):
    if v.max() > 2:
        return v / v.max()
    return v


@case(POS, NEG, BIG)
def calls_traced_function(x):
    return _traced_helper(x) + 1


@case(POS, NEG)
def helper_with_varargs_and_kwargs(x):
    y = helpers.weighted_sum(x, x * 2, -x, weights=(1.0, 0.5, 0.5))
    return y if y[0] > 0 else -y


@case(POS, NEG)
def helper_returning_tuple(x):
    lo, hi = helpers.split_sign(x)
    return hi - lo


@case(POS, NEG, MIX)
def helper_with_loop(x):
    return helpers.count_above(x, 1.0) + helpers.count_above(x, -1.0)


@case(POS, NEG)
def builtin_and_numpy_calls(x):
    n = len(x)
    total = np.sum(x) / n
    biggest = max(1.0, 2.0)
    if total > 0:
        total = total * biggest + abs(-1)
    return total, n


@case(POS, NEG)
def comprehension_over_python_values(x):
    parts = [x * k for k in range(3)]
    total = sum(parts)
    return total if total.sum() > 0 else -total


@case(POS, NEG)
def generator_expression_of_helpers(x):
    return sum(_scale(x, k) for k in (1.0, 2.0)) if x.sum() > 0 else x


@case(POS, NEG)
def def_inside_loop(x):
    s = x * 0
    for k in range(3):
        def times_k(v):
            return v * k  # noqa: B023 - called in the same iteration

        s = s + times_k(x)
    return s if s.sum() > 0 else -s


@case((POS, POS), (NEG, NEG))
def star_args_and_keywords(x, *rest, scale=2.0, **opts):
    y = x * scale
    for r in rest:
        y = y + r
    if y.sum() > opts.get("limit", 0):
        y = -y
    return y


@case((POS, 3), (NEG, 3))
def recursive_closure(x, depth):
    def go(v, d):
        if d == 0:
            return v
        return go(v * 2, d - 1)

    y = go(x, depth)
    return y if y.sum() > 0 else -y


@case(POS, NEG)
def class_defined_inside(x):
    class Scale:
        k = 3.0

    return x * Scale.k if x.sum() > 0 else x


@case(POS, NEG)
def lambdas_with_defaults(x):
    fs = [lambda v, k=k: v * k for k in range(3)]
    total = x * 0
    for f in fs:
        total = total + f(x)
    return total if total.sum() > 0 else -total


def loop_body(v):
    """A user function named like the converter's helpers: it must not be shadowed."""
    return v * 2


@case((POS, 1.0), (NEG, 1.0))
def names_like_generated_ones(x, item=1.0):
    cmp_0 = 30
    for a, b in zip(x, x):
        x = x + loop_body(a) * item - b * 0
    while x.sum() < 50 and x.sum() > 0:
        x = loop_body(x)
    return x, 0 < x.sum() < cmp_0
