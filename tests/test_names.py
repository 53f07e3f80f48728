"""One name allocator (`graph.names.NameAllocator`) for the graph printer, the code
generators and the ONNX exporter: printed and generated names follow one rule."""

from __future__ import annotations

import re

import numpy as np

import autotrace as at
from autotrace.compile.codegen import Emitter
from autotrace.graph.ir import Namer, Var
from autotrace.graph.names import PYTHON_RESERVED, NameAllocator


def test_a_base_gets_the_first_free_suffix():
    names = NameAllocator()
    assert [names.fresh("x") for _ in range(3)] == ["x", "x_1", "x_2"]
    names.take("y_1")
    assert [names.fresh("y"), names.fresh("y")] == ["y", "y_2"]
    assert names.fresh("x_1") == "x_1_1"  # taken by the suffix rule: a new one
    assert "x_1_1" in names and "z" not in names


def test_names_without_a_base_count_up_past_taken_ones():
    names = NameAllocator(taken={"v1"}, anonymous="v")
    assert [names.fresh(None), names.fresh(""), names.fresh(None)] == ["v0", "v2", "v3"]
    printer = NameAllocator(anonymous="%")
    assert [printer.fresh(None), printer.fresh("a"), printer.fresh(None)] == ["%0", "a", "%1"]


def test_reserved_names_are_never_given():
    names = NameAllocator(PYTHON_RESERVED)
    assert [names.fresh("np"), names.fresh("sum"), names.fresh("lambda")] == \
        ["np_1", "sum_1", "lambda_1"]


def repeated(x):
    c = x * 2
    c = c + 1
    c = np.sin(c)
    return c * x + np.cos(x)


def test_printed_and_generated_names_agree_and_are_unique():
    f = at.trace(repeated)
    x = np.array([0.5, 1.0, 2.0])
    np.testing.assert_allclose(f(x), repeated(x))
    cf = f.get_concrete_function(x)
    text = str(cf.graph)
    printed = re.findall(r"^\s+(\S+): f64", text, re.M)
    assert printed == ["c", "c_1", "c_2", "%0", "%1", "%2"]
    generated = re.findall(r"^    ([a-z]\w*) = ", cf.source, re.M)
    assert generated == ["c", "c_1", "c_2", "v0", "v1", "v2"]  # same rule; `v` for `%`


def test_emitter_locals_and_namespace_entries_are_apart():
    em = Emitter(check=False)
    em.define("_check", print)
    assert em.bind(len, "check") == "_check_1"  # a fixed entry is never given again
    assert em.bind(abs, "abs") == "_abs" and em.bind(max, "abs") == "_abs_1"
    assert em.fresh("_abs") == "abs_1"  # locals drop the `_` (and skip builtins)
    assert em.fresh("not an identifier") == "v0"


def test_namer_names_each_var_once():
    namer = Namer()
    a, b, c = Var((), np.dtype(float), "a"), Var((), np.dtype(float), "a"), \
        Var((), np.dtype(float))
    assert [namer(a), namer(b), namer(c), namer(a)] == ["a", "a_1", "%0", "a"]
