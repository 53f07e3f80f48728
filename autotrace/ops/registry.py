"""The op registry: the op-family API on top of `autotrace.core`.

Every op is one `core.Op` (numpy impl + shape/dtype rule + VJP, JVP and batching rules),
registered here by name (`OPS`); `dispatches` routes numpy functions and ufuncs to an op
family's front end (`UFUNC_DISPATCH`, `FUNCTION_DISPATCH`, read by tensors'
`__array_ufunc__` / `__array_function__`).

`apply(op, *args, **params)` is `core.bind`: the trace stack picks the mode from the
arguments (plain numpy, eager tensors and tapes, graph building, forward mode, batching);
no op family knows a tensor type.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from autotrace.core import PY_TYPE_OF_KIND, Aval, Op, bind, weak_result  # noqa: F401

OPS: dict[str, Op] = {}
UFUNC_DISPATCH: dict[np.ufunc, Callable] = {}
FUNCTION_DISPATCH: dict[Callable, Callable] = {}

apply = bind


def register(op: Op) -> Op:
    if op.name in OPS:
        raise ValueError(f"op {op.name!r} registered twice")
    OPS[op.name] = op
    return op


def dispatches(*numpy_callables):
    """Decorator: route these numpy functions/ufuncs to the decorated front-end function."""

    def deco(frontend):
        for fn in numpy_callables:
            table = UFUNC_DISPATCH if isinstance(fn, np.ufunc) else FUNCTION_DISPATCH
            table[fn] = frontend
        return frontend

    return deco
