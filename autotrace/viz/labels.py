"""Text inside pictures: node expressions (`c = a + b`), values, derivatives.

Expressions use the names of the graph's text form (`str(graph)`), so a picture and the
text can be read side by side. Binary operators print infix and indexing as a subscript;
other ops print as calls with their non-default params (`sum(x, axis=(0,))`), and
constants print as in the text form (`1`, `[1.,2.]:f32`, `const<f64[3,3]>`).
"""

from __future__ import annotations

import numpy as np

from autotrace.graph.ir import (
    Graph,
    Namer,
    Node,
    format_index,
    format_param,
    format_value,
    type_str,
)
from autotrace.ops.registry import OPS

# How an op prints in a picture (display only; ops not listed print as calls), keyed by
# the ops themselves.
_INFIX = {OPS[name]: symbol for name, symbol in {
    "add": "+", "sub": "-", "mul": "*", "div": "/", "floordiv": "//", "mod": "%",
    "pow": "**", "matmul": "@", "eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">",
    "ge": ">=", "bitand": "&", "bitor": "|", "bitxor": "^", "lshift": "<<", "rshift": ">>",
}.items()}
_PREFIX = {OPS["neg"]: "-", OPS["pos"]: "+", OPS["invert"]: "~"}
_GETITEM = OPS["getitem"]
_NUMBER = "{:.4g}"


def expression(node: Node, namer: Namer) -> str:
    """`c = a + b`, `s = sum(h, axis=(0,))`, `z, i = while_loop(z, 0)`; side effects
    (print, assert, raise) as the user's statement."""
    if node.op.effect and node.origin is not None and node.origin.source:
        return node.origin.source
    targets = ", ".join(namer(v) for v in node.outputs)
    body = _call(node, namer)
    return f"{targets} = {body}" if targets else body


def _call(node: Node, namer: Namer) -> str:
    inputs = list(node.inputs)
    params = {k: v for k, v in node.params.items() if not isinstance(v, Graph)}
    index = params.pop("index", None) if node.op is _GETITEM else None
    if index is not None:
        text, inputs = format_index(index, inputs, namer)
    args = [format_value(x, namer) for x in inputs]
    shown = {k: v for k, v in params.items() if v is not None and v is not False}
    if index is not None and len(args) == 1 and not shown:
        return f"{args[0]}{text}"
    if node.op in _INFIX and len(args) == 2 and not shown:
        return f"{args[0]} {_INFIX[node.op]} {args[1]}"
    if node.op in _PREFIX and len(args) == 1 and not shown:
        return f"{_PREFIX[node.op]}{args[0]}"
    args += [f"{k}={format_param(v)}" for k, v in shown.items()]
    return f"{node.op.name}({', '.join(args)})"


def value_text(x, max_inline: int = 6) -> str:
    """A value in a label: small arrays inline (`[2, 1]`; a one-element vector as its
    number, `2`, since the type row beside it says `f64[1]`), big ones as type and summary
    (`f64[100,3] min -2.1 max 3.4 mean 0.02`)."""
    if isinstance(x, (bool, int, str)) or x is None:
        return repr(x)
    if isinstance(x, float):
        return _NUMBER.format(x)
    arr = np.asarray(x)
    if arr.dtype.kind not in "biufc":
        return type(x).__name__
    if arr.shape == (1,):
        return _number(arr.item())
    if arr.size <= max_inline and arr.ndim <= 2:
        return _inline(arr)
    return _summary(arr)


def _inline(arr: np.ndarray) -> str:
    if arr.ndim == 0:
        return _number(arr.item())
    if arr.ndim == 1:
        return "[" + ", ".join(_number(v) for v in arr.tolist()) + "]"
    return "[" + ", ".join(_inline(row) for row in arr) + "]"


def _number(v) -> str:
    if isinstance(v, float):
        return _NUMBER.format(v)
    if isinstance(v, complex):
        return f"{_NUMBER.format(v.real)}{v.imag:+.4g}j"
    return repr(v)


def _summary(arr: np.ndarray) -> str:
    kind = type_str(arr.shape, arr.dtype)
    if arr.size == 0:
        return kind
    if arr.dtype.kind == "b":
        return f"{kind} {int(arr.sum())} true"
    if arr.dtype.kind == "c":
        return f"{kind} mean {_number(complex(arr.mean()))}"
    stats = (("min", arr.min()), ("max", arr.max()), ("mean", arr.mean()))
    return kind + "".join(f" {k} {_number(float(v))}" for k, v in stats)


def partial_text(y: str, x: str, value=None, max_inline: int = 6) -> str:
    """`∂c/∂a = [1]`."""
    return f"∂{y}/∂{x} = {value_text(value, max_inline)}"


def jacobian_text(y: str, x: str, y_shape: tuple, x_shape: tuple) -> str:
    """For edges whose local derivative is a full Jacobian (not drawn)."""
    shape = ",".join(str(d) for d in tuple(y_shape) + tuple(x_shape))
    return f"∂{y}/∂{x}: Jacobian [{shape}]"
