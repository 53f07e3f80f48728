"""What generated code calls for effects while a graph is built: `print` and logging
calls become effect nodes (`ops.effects`) whose tensor arguments, and strings formatted
from them (`Formatted`), are filled in from the run-time values on every call."""

from __future__ import annotations

from autotrace import context
from autotrace.ops.effects import Live, Slot, call_op, print_op
from autotrace.ops.registry import apply
from autotrace.runtime.undefined import Undefined
from autotrace.tensor import Tensor


class Formatted:
    """A string formatted at run time: `render(*run-time values of values)`.

    Only print and logging nodes take it (see `effect_args`)."""

    __slots__ = ("values", "render")

    def __init__(self, values: list, render):
        self.values, self.render = values, render

    def __repr__(self) -> str:
        return f"<string formatted at run time from {len(self.values)} traced value(s)>"


def effect_args(args) -> tuple[list, tuple]:
    """Split effect arguments into (tensor inputs, template). A tensor becomes a `Slot`; a
    `Formatted` string (from `runtime.formatting`) a `Slot` rendering it at run time."""
    values, template = [], []
    for a in args:
        if isinstance(a, Undefined):  # an unbound variable: Python raises at the read
            a.fail()
        if isinstance(a, Tensor):
            values.append(a)
            template.append(Slot((a.symbol.weak,)))
        elif isinstance(a, Formatted):
            values.extend(v for v in a.values if isinstance(v, Tensor))
            template.append(Slot([_weak(v) if isinstance(v, Tensor) else Live(v)
                                  for v in a.values], a.render))
        else:
            template.append(a)
    return values, tuple(template)


def _weak(x):
    return x.symbol.weak


def _apply_effect(op, values, params):
    """Add the effect node to the graph being built, even when `values` is empty: an
    effect with constant arguments must still run on every call (and only on the branch
    taken), which `apply` would not do (it runs ops without symbolic inputs at once)."""
    builder = context.current_builder()
    if builder is None:
        return apply(op, *values, **params)
    return builder.apply(op, tuple(values), params)


def graph_print(args, sep=" ", end="\n", file=None, flush=False) -> None:
    """Add a print node: tensors print their run-time values, other arguments as given."""
    values, template = effect_args(args)
    _apply_effect(print_op, values, dict(template=template, sep=sep, end=end, file=file,
                                         flush=flush))


def graph_call(fn, args, kwargs) -> None:
    """Add a node calling `fn(*args, **kwargs)` for its effect on every run (a logging
    call), with tensors and `Formatted` strings filled in at run time."""
    values, template = effect_args([*args, *kwargs.values()])
    _apply_effect(call_op, values, dict(fn=fn, template=template, keys=tuple(kwargs)))
