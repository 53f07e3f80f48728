"""`at.defop`: the public op API. A user function becomes a registry op (impl, shape/dtype
rule, VJP, optional JVP and batching rule in one block), so calling it on traced values
builds graph nodes, it is differentiable, batched by `vmap`, compiled and saved like any
built-in op; `dispatches=` routes a numpy function (or any ufunc, e.g. `scipy.special.erf`)
on traced values to it. docs/defop.md has the worked example.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from autotrace.core import Aval, Op
from autotrace.ops.registry import FUNCTION_DISPATCH, OPS, UFUNC_DISPATCH, apply, register
from autotrace.ops.registry import dispatches as _route
from autotrace.ops.shapes import broadcast_shapes
from autotrace.ops.ufuncs import elementwise_batch

# ops defined by `defop`, by name: (op, {numpy callable routed to it: the front end it
# replaced, or None})
DEFINED: dict[str, tuple[Op, dict]] = {}


def forget(name: str) -> None:
    """Remove a `defop` op from the registry and the dispatch tables (for test suites that
    define ops in one process)."""
    op, routed = DEFINED.pop(name)
    OPS.pop(name, None)
    for fn, previous in routed.items():
        table = _table(fn)
        if getattr(table.get(fn), "op", None) is op:
            if previous is None:
                del table[fn]
            else:
                table[fn] = previous


def _table(fn) -> dict:
    return UFUNC_DISPATCH if isinstance(fn, np.ufunc) else FUNCTION_DISPATCH


def _elementwise_rule(*avals):
    shape = broadcast_shapes(*(a.shape for a in avals))
    return Aval(shape, np.result_type(*(a.promote_arg for a in avals)))


def _same_rule(first, *rest):
    return Aval(first.shape, first.dtype)


def _to_aval(spec, name: str) -> Aval:
    if isinstance(spec, Aval):
        return spec
    if isinstance(spec, tuple) and len(spec) == 2 and not hasattr(spec, "shape"):
        shape, dtype = spec
    elif hasattr(spec, "shape") and hasattr(spec, "dtype"):
        shape, dtype = spec.shape, spec.dtype
    else:
        raise TypeError(f"the shape rule of op {name!r} returned {spec!r}; return an object "
                        "with .shape and .dtype (at.TensorSpec, an input), a (shape, dtype) "
                        "pair, or a list of them for several results")
    return Aval(tuple(None if d is None else int(d) for d in shape), np.dtype(dtype))


def defop(fn: Callable | None = None, *, shape="elementwise", vjp: Callable | None = None,
          jvp: Callable | None = None, batch: Callable | None = None, name: str | None = None,
          dispatches=None, multiple_results: bool = False):
    """Define an op from a function of numpy values; returns the op's front end.

    Usable as `@at.defop(shape=..., vjp=...)` or `at.defop(fn, ...)`. The front end called
    on numpy values runs `fn`; on traced values it adds a graph node. Keyword arguments of
    a call are static parameters of the node (hashable: numbers, strings, tuples) and are
    passed on to `fn` and to every rule.

    Args:
        fn: the implementation, `fn(*arrays, **params)` on numpy values (it may call
            anything: scipy, numba, C code). It never sees a traced value.
        shape: the shape/dtype rule, run while tracing instead of `fn`:
            `"elementwise"` (numpy broadcasting of the inputs' shapes, their promoted
            dtype), `"same"` (the first input's shape and dtype), or a callable
            `shape(*specs, **params)` of the inputs' specs (`.shape`, `.dtype`, `.ndim`;
            unknown dimensions are None) returning a spec (`at.TensorSpec`, an input's
            spec or a `(shape, dtype)` pair), or a list of specs for several results.
        vjp: `vjp(g, *inputs, out, **params) -> tuple` with one cotangent (or None) per
            input; `g` and `out` are tuples for several results. Written with numpy
            functions, which work on traced values, so it is itself differentiable (higher
            orders). None: the op is not differentiable.
        jvp: optional `jvp(primals, tangents, **params) -> (out, tangent_out)` (a tangent
            entry is None for an input without one). Without it forward mode (`at.jvp`,
            `jacfwd`) transposes the VJP.
        batch: optional `batch(args, dims, **params) -> (out, out_dims)`: the op on inputs
            with a batch axis at `dims[i]` (0, or None for an input shared by all
            examples). Without it `vmap` runs the op example by example, except for
            `shape="elementwise"` ops, which are batched by broadcasting.
        name: the registry name (graph text, saved files); default `fn.__name__`. Each name
            is registered once.
        dispatches: a numpy function or ufunc (or a sequence of them) routed to this op
            when called on traced values (`np.unwrap`, `scipy.special.erf`, ...); it
            replaces autotrace's own op for a function that has one.
        multiple_results: `fn` returns a tuple; `shape` then returns a list of specs, and
            the front end returns a tuple.

    Raises:
        ValueError: `name` is already a registered op.
        TypeError: `shape` is not one of the accepted forms.
    """
    if fn is None:
        return lambda f: defop(f, shape=shape, vjp=vjp, jvp=jvp, batch=batch, name=name,
                               dispatches=dispatches, multiple_results=multiple_results)
    op_name = name or getattr(fn, "__name__", None)
    if not op_name or op_name == "<lambda>":
        raise ValueError("at.defop needs a name= for a lambda")
    if op_name in OPS:
        raise ValueError(f"op {op_name!r} is already registered; pass defop(..., name=...) "
                         "with another name")
    if multiple_results and not callable(shape):
        raise TypeError("defop(multiple_results=True) needs a shape callable returning a list")
    rule = _shape_rule(shape, op_name, multiple_results)
    op = Op(op_name, fn, rule, vjp=vjp, jvp=jvp, differentiable=vjp is not None,
            multiple_results=multiple_results, doc=(fn.__doc__ or "").strip())
    if batch is not None:
        op.batch = lambda trace, op_, values, dims, params: batch(values, dims, **params)
    elif shape == "elementwise" and not multiple_results:
        op.batch = elementwise_batch
    register(op)

    def frontend(*args, **params):
        return apply(op, *args, **params)

    frontend.__name__ = frontend.__qualname__ = op_name
    frontend.__doc__ = fn.__doc__
    frontend.__wrapped__ = fn
    frontend.op = op
    targets = () if dispatches is None else tuple(
        dispatches if isinstance(dispatches, (list, tuple)) else (dispatches,))
    for target in targets:
        if not callable(target):
            raise TypeError(f"defop(dispatches=...) takes numpy functions, not {target!r}")
    previous = {target: _table(target).get(target) for target in targets}
    _route(*targets)(frontend)
    DEFINED[op_name] = (op, previous)
    return frontend


def _shape_rule(shape, name: str, multiple: bool):
    """The abstract rule for defop's `shape` argument."""
    if shape == "elementwise":
        return _elementwise_rule
    if shape == "same":
        return _same_rule
    if not callable(shape):
        raise TypeError(f"defop(shape=...) of op {name!r} must be 'elementwise', 'same' or a "
                        f"callable, not {shape!r}")

    def rule(*avals, **params):
        spec = shape(*avals, **params)
        if not multiple:
            return _to_aval(spec, name)
        if not isinstance(spec, (list, tuple)) or hasattr(spec, "shape"):
            raise TypeError(f"the shape rule of op {name!r} (multiple_results=True) must "
                            "return a list of specs, one per result")
        return tuple(_to_aval(s, name) for s in spec)

    return rule
