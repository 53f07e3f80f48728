"""`Variable.assign` / `assign_add` / `assign_sub` while tracing: an `assign_variable`
node (ops/state.py) that writes the variable when the graph runs, and the new value as
the variable's value for the reads after it (`GraphBuilder.variable_value`). Graph
branches and loops carry the values of the variables assigned in them like their own
variables (`control/cond.py`, `control/loop_trace.py`).
"""

from __future__ import annotations

import numpy as np

from autotrace import context
from autotrace.errors import at_user_line
from autotrace.ops.registry import apply
from autotrace.ops.shape import astype
from autotrace.ops.state import assign_variable, variable_read
from autotrace.tensor import EagerTensor, Tensor


def graph_assign(variable, value, how: str):
    """Add the assign of `variable` (`how`: "assign", "add" or "sub") to the graph being
    built; returns the variable, as `assign` does."""
    builder = context.current_builder()
    before = builder.current_value(variable)
    if how != "assign":
        value = before + value if how == "add" else before - value
    dtype = variable._value.dtype
    shape = np.shape(variable._value)
    if isinstance(value, Tensor):
        got = value.symbol.shape
        if len(got) != len(shape) or any(g is not None and g != d for g, d in zip(got, shape)):
            raise ValueError(at_user_line(
                f"Variable.assign: shape {value.symbol.type_str()} does not match "
                f"{shape}"))
        if value.dtype != dtype or value.symbol.weak is not None:
            value = astype(value, dtype)
    else:
        raw = np.asarray(value.numpy() if isinstance(value, EagerTensor) else value)
        if raw.shape != shape:
            raise ValueError(at_user_line(
                f"Variable.assign: shape {raw.shape} does not match {shape}"))
        value = raw.astype(dtype, copy=True)
    builder.add_node(assign_variable, (builder.to_input(value),), {"variable": variable}, ())
    builder.set_variable_value(variable, apply(variable_read, value, before), assigned=True)
    return variable


def assigned_in(children) -> list:
    """The Variables assigned in the child builders `children` (first assign order)."""
    seen: dict = {}
    for child in children:
        for key, (variable, _) in child.variable_values.items():
            seen.setdefault(key, variable)
    return list(seen.values())


def variable_label(variable, k: int) -> str:
    return getattr(variable, "name", None) or f"variable{k}"
