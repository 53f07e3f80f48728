"""Early returns (tests/corpus/returns.py): one graph per function, every path equal to the
original; the converted code holds each statement once; falling off the end is None, or a
clear error where a tensor decides it; calls in nested lambdas are converted."""

import ast

import numpy as np
import pytest
from corpus import branches, calls, logic, loops, python_values, returns
from corpus.check import assert_same_as_python, compare_call
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import autotrace as at
from autotrace.convert import converter
from autotrace.errors import TracingError

ONES = np.ones(3)


@pytest.mark.parametrize("case", returns.CORPUS.cases, ids=lambda c: c.id)
def test_early_returns_match_python(case):
    assert_same_as_python(case.fn, case.inputs, case.merged_scalars, case.paths, case.rtol)


CORPUS_FUNCTIONS = [case.fn for module in (branches, calls, logic, loops, python_values, returns)
                    for case in module.CORPUS.cases]


@pytest.mark.parametrize("fn", sorted(set(CORPUS_FUNCTIONS), key=lambda f: f.__qualname__),
                         ids=lambda f: f.__qualname__)
def test_converted_code_shares_no_ast_nodes(fn):
    # Tokens (`Load()`, `Add()`, `Not()`...) have no fields: the parser gives one instance
    # of each kind, which the converter keeps (it changes the parsed tree in place).
    tokens = (ast.expr_context, ast.operator, ast.unaryop, ast.boolop, ast.cmpop)
    nodes = [id(n) for n in ast.walk(converter._run_pipeline(fn)._tree)
             if not isinstance(n, tokens)]
    assert len(nodes) == len(set(nodes))


@pytest.mark.parametrize("fn", [returns.lift_gives_up, returns.lift_gives_up_with_loops])
def test_converted_code_holds_each_statement_once(fn):
    code = at.trace(fn).code
    assert code.count("at__.add(x, 2") == 1
    assert code.count("at__.gt(np.sum(x), 0)") + code.count("at__.gt(np.sum(x), 5)") == 1


def test_python_side_effects_after_early_returns_run_once_while_tracing():
    traced = at.trace(returns.side_effects_after_early_returns)
    returns.TRACE_TIME_CALLS.clear()
    for (x,) in returns.CORPUS.cases[2].inputs:
        traced(x)
    assert returns.TRACE_TIME_CALLS == [1]
    assert traced.trace_count == 1


@pytest.mark.parametrize("k", [3, 0, 1])
def test_falling_off_the_end_returns_none_like_python(k):
    traced = at.trace(returns.falls_off_after_loop)
    compare_call(traced, returns.falls_off_after_loop, (ONES, k))
    assert (traced(ONES, k) is None) == (k == 3)


def test_falling_off_the_end_on_a_tensor_path_is_refused_at_the_def_line():
    line = returns.falls_off_after_loop.__code__.co_firstlineno
    with pytest.raises(TracingError) as info:
        at.trace(returns.falls_off_after_loop)(ONES, np.int64(3))
    assert str(info.value) == (
        "`falls_off_after_loop` returns a f64[3] array on some paths but reaches the end of "
        "its body without a `return` (so returns None) on others, and which one depends on "
        f"a tensor (the function at line {line} of returns.py (`def "
        "falls_off_after_loop(x, k):`)). A graph gives one type on every path: end "
        "`falls_off_after_loop` with a `return` of the value it should give."
    )


@pytest.mark.parametrize("k", [7, 3, -1])
def test_calls_inside_nested_lambdas_with_a_python_condition(k):
    traced = at.trace(returns.call_in_nested_lambda)
    compare_call(traced, returns.call_in_nested_lambda, (ONES, k))
    compare_call(traced, returns.call_in_nested_lambda, (-ONES, k))


@pytest.mark.parametrize("fn, first, second", [
    (returns.returns_two_strings, "the Python value 'positive'", "the Python value 'negative'"),
    (returns.returns_none_or_array, "a f64[2] array", "the Python value None"),
])
def test_python_values_returned_on_tensor_paths_must_agree(fn, first, second):
    with pytest.raises(TracingError) as info:
        at.trace(fn)(np.ones(2))
    assert str(info.value).startswith(
        f"`retval` is {first} in the `if` branch but {second} in the `else` branch (line "), \
        str(info.value)


_RANDOM = [returns.lift_gives_up, returns.lift_gives_up_with_loops,
           returns.return_from_graph_loops, returns.tuples_from_branches,
           returns.nested_def_with_early_returns]
_TRACED = {fn: at.trace(fn) for fn in _RANDOM}


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(_RANDOM),
       arrays(np.float64, 3, elements=st.floats(-8, 8, allow_subnormal=False)))
def test_early_returns_on_random_inputs_one_graph(fn, x):
    compare_call(_TRACED[fn], fn, (x,))
    assert _TRACED[fn].trace_count == 1
