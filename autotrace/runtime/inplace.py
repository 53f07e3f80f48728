"""`setitem` / `setitem_aug`: in-place writes through a local name (`x[k] = v`,
`x[k] += v`), as the converter rewrites them (`convert/passes/inplace.py`).

A traced `x` is written in place (`autotrace/mutation.py`) and returned. A numpy array
that receives a traced key or value while tracing becomes a traced value holding its
contents (the generated code rebinds the name to it). Anything else is written as Python
writes it: `d[k] = v` on a dict, a numpy array written with Python values.
"""

from __future__ import annotations

import operator

import numpy as np

from autotrace import context, mutation
from autotrace import ops as F
from autotrace.errors import TracingError, at_user_line
from autotrace.ops.shape import fresh_copy
from autotrace.runtime.values import is_traced
from autotrace.tensor import Tensor

_UFUNCS = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "truediv": np.true_divide,
           "floordiv": np.floor_divide, "mod": np.remainder, "pow": np.power,
           "matmul": np.matmul, "and": np.bitwise_and, "or": np.bitwise_or,
           "xor": np.bitwise_xor, "lshift": np.left_shift, "rshift": np.right_shift}


def setitem(x, key, value):
    """`x[key] = value`; returns what `x` names afterwards."""
    x = _traced_target(x, key, value)
    x[key] = value
    return x


def setitem_aug(x, key, op: str, value):
    """`x[key] op= value` (Python: `t = x[key]; t op= value; x[key] = t`)."""
    x = _traced_target(x, key, value)
    if isinstance(x, Tensor):
        mutation.setitem(x, key, F.augmented(_UFUNCS[op], F.getitem(x, key), value))
        return x
    item = x[key]
    x[key] = getattr(operator, f"i{op}")(item, value)
    return x


def setitem_into(x, key, value, external: bool) -> None:
    """`x[key] = value` where `x` is not a local name (an attribute, a container item, a
    global): written in place; see `refuse_numpy_target`."""
    refuse_numpy_target(x, external, value, key)
    x[key] = value


def setitem_aug_into(x, key, op: str, value, external: bool) -> None:
    """`x[key] op= value` where `x` is not a local name."""
    refuse_numpy_target(x, external, value, key)
    setitem_aug(x, key, op, value)


def augmented_into(x, op: str, value, external: bool):
    """`obj.attr op= value`: the new value of the attribute (`x` itself when written in
    place)."""
    refuse_numpy_target(x, external, value)
    return getattr(operator, f"i{op}")(x, value)


def refuse_numpy_target(x, external: bool, value, key=()) -> None:
    """While tracing, a numpy array cannot take a traced value in place, and one reached
    from outside the function (`external`: a global or closure name, an argument's
    attribute) would be written once, while tracing, instead of on every call."""
    if type(x) is not np.ndarray or context.current_builder() is None:
        return
    traced = is_traced(value) or any(is_traced(k) for k in _parts(key))
    if not (traced or external):
        return
    raise TracingError(at_user_line(
        "An in-place write into a numpy array that is not a local variable of the traced "
        "function (a global or closure variable, an attribute, or an item of a container): "
        + ("a traced value cannot be written into it. " if traced else
           "it would be written once, when the function is traced, not on every call. ")
        + "Pass the array in as an argument (a traced function writes its arguments back "
        "into the caller's arrays, as numpy does), or bind it to a local name first "
        "(`w = self.w.copy()`) and return the new value."))


def _traced_target(x, key, value):
    """`x`, or a traced value of its contents for a numpy array written while tracing
    with a traced key or value."""
    builder = context.current_builder()
    if type(x) is np.ndarray and builder is not None and \
            (is_traced(value) or any(is_traced(k) for k in _parts(key))):
        return builder.apply(fresh_copy, (x.copy(),), {})
    return x


def _parts(key):
    for item in key if isinstance(key, tuple) else (key,):
        if isinstance(item, slice):
            yield from (item.start, item.stop, item.step)
        else:
            yield item
