"""The IR verifier (autotrace/graph/verify.py): graphs that break an invariant are named
with the rule they break; every graph the tests build passes it (checking mode runs it
after simplification, see tests/conftest.py)."""

from __future__ import annotations

import numpy as np
import pytest

import autotrace as at
from autotrace.control.cond import cond as cond_op
from autotrace.graph.ir import Graph, Node, Var
from autotrace.graph.verify import IRError, verify
from autotrace.ops import OPS


def _add(x, y):
    out = Var(x.shape, x.dtype)
    node = Node(OPS["add"], (x, y), {}, (out,), None)
    out.node = node
    return node, out


def _branching(x):
    y = x
    flag = False
    if x.sum() > 0:
        y = x * 2
        flag = True
    i = 0
    while i < 3:
        y = y + 1
        i += 1
    return y, flag


def test_graphs_of_converted_control_flow_pass():
    cf = at.trace(_branching).get_concrete_function(np.ones(3))
    assert verify(cf.graph) is cf.graph
    grad = at.trace(at.grad(lambda x: _branching(x)[0].sum())).get_concrete_function(np.ones(3))
    verify(grad.graph)


def test_a_value_read_before_it_is_defined():
    x = Var((3,), np.float64, "x")
    node, out = _add(x, x)
    later, _ = _add(out, x)
    with pytest.raises(IRError, match=r"graph 'g', node add .*: reads .* before it is defined"):
        verify(Graph("g", [x], [later, node], [out]))


def test_a_value_defined_twice_and_an_undefined_output():
    x = Var((3,), np.float64, "x")
    node, out = _add(x, x)
    with pytest.raises(IRError, match="is defined twice"):
        verify(Graph("g", [x], [node, node], [out]))
    with pytest.raises(IRError, match="output .* is not defined in the graph"):
        verify(Graph("g", [x], [], [out]))


def test_a_sub_graph_that_reads_an_outer_value_is_not_closed():
    x = Var((3,), np.float64, "x")
    pred = Var((), np.bool_, "p")
    inner_in = Var((3,), np.float64)
    leak, leak_out = _add(inner_in, x)  # reads the outer `x` directly
    then = Graph("then", [inner_in], [leak], [leak_out])
    orelse = Graph("orelse", [Var((3,), np.float64)], [], [])
    orelse.outputs = [orelse.inputs[0]]
    result = Var((3,), np.float64)
    node = Node(cond_op, (pred, x), {"then": then, "orelse": orelse}, (result,), None)
    result.node = node
    with pytest.raises(IRError, match="graph 'then'.*reads .* before it is defined"):
        verify(Graph("g", [pred, x], [node], [result]))


def test_branch_inputs_must_have_their_operands_types():
    x = Var((3,), np.float64, "x")
    pred = Var((), np.bool_, "p")
    branches = {}
    for key, dtype in (("then", np.float32), ("orelse", np.float64)):
        inner = Var((3,), dtype)
        branches[key] = Graph(key, [inner], [], [inner])
    result = Var((3,), np.float64)
    node = Node(cond_op, (pred, x), branches, (result,), None)
    result.node = node
    with pytest.raises(IRError, match=r"then inputs #0: f64\[3\] does not fit f32\[3\]"):
        verify(Graph("g", [pred, x], [node], [result]))


def test_a_weak_operand_needs_a_weak_branch_input():
    flag = Var((), np.bool_, "flag", weak=bool)
    pred = Var((), np.bool_, "p")
    branches = {key: Graph(key, [Var((), np.bool_)], [], []) for key in ("then", "orelse")}
    for g in branches.values():
        g.outputs = [g.inputs[0]]
    result = Var((), np.bool_, weak=bool)
    node = Node(cond_op, (pred, flag), branches, (result,), None)
    result.node = node
    with pytest.raises(IRError, match="then inputs #0"):
        verify(Graph("g", [pred, flag], [node], [result]))
