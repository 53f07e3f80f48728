"""`jacrev`, `jacobian` (picks forward or reverse mode by shape) and `hessian`.

* `jacrev(f)`: reverse mode, the VJP vectorized over the output elements (one backward
  pass on a batched identity cotangent; `autodiff/jacobian.py`).
* `jacfwd(f)`: forward mode, the JVP vectorized over the input elements
  (`autodiff/forward.py`).
* `jacobian(f)`: forward mode when every differentiated argument is one array with fewer
  elements than the float outputs together, and the graph is free of control flow (whose
  forward Jacobian runs one JVP per column); reverse mode otherwise.
* `hessian(f) = jacobian(grad(f))`: the gradient has the input's size, so this is reverse
  over reverse; forward over reverse (`jacfwd(grad(f))`) gives the same, through
  data-dependent `while` loops too, in about the same time on straight-line code.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from autotrace import config
from autotrace.autodiff import transforms
from autotrace.autodiff.forward import _needs_columns, forward_jacobians, positional
from autotrace.autodiff.transforms import (
    _argnums,
    _selected,
    _traced,
    _transform,
    grad,
)
from autotrace.function import TracedFunction
from autotrace.ops.shapes import shape_of
from autotrace.signature import TensorSpec
from autotrace.tensor import TensorBase

jacrev = transforms.jacobian


def jacobian(f: Callable, argnums: int | Sequence[int] = 0) -> TracedFunction:
    """The Jacobian of `f` w.r.t. the arguments in `argnums`, by forward or reverse mode,
    whichever is cheaper for the shapes (see the module doc); the result is the same.

    Returns:
        A traced function. For an array output and an array argument: an array of shape
        `f(x).shape + x.shape`; in general the output's structure, each leaf holding the
        arguments' structure (like `jax.jacrev`).

    Example:
        >>> jacobian(lambda x: x * 2)(np.array([1.0, 2.0]))
        array([[2., 0.],
               [0., 2.]])
    """
    traced = _traced(f)
    target = positional(traced)
    nums, many = _argnums(argnums)
    reverse = jacrev(traced, argnums)
    fname = f"jacobian({traced.__name__})"

    def body(bound):
        if config.EAGER:  # forward mode traces `f`; eager mode runs it as Python
            return reverse(*bound.args, **bound.kwargs)
        chosen, args = _selected(bound.args, nums, fname)
        if not bound.kwargs and _forward_is_cheaper(target, args, chosen):
            return forward_jacobians(target, args, nums, chosen, many)
        return reverse(*bound.args, **bound.kwargs)

    return _transform(traced, "jacobian", body, nums)


def _forward_is_cheaper(target, args, chosen) -> bool:
    if not all(isinstance(x, TensorBase) and None not in shape_of(x) for x in chosen):
        return False
    n_in = sum(int(np.prod(shape_of(x), dtype=np.int64)) for x in chosen)
    if _needs_columns(target, args):
        return False
    leaves, tree = target._canonical(tuple(args), {})
    out = target._lookup([_spec(x) for x in leaves], tree).graph.outputs
    n_out = sum(int(np.prod(v.shape, dtype=np.int64)) for v in out
                if hasattr(v, "shape") and None not in v.shape and v.dtype.kind in "fc")
    return n_in < n_out


def _spec(x):
    return TensorSpec(shape_of(x), x.dtype) if isinstance(x, TensorBase) else x


def hessian(f: Callable, argnums: int | Sequence[int] = 0) -> TracedFunction:
    """The Hessian of scalar-valued `f`: `jacobian(grad(f))` (see the module doc).

    Example:
        >>> hessian(lambda x: (x ** 3).sum())(np.array([1.0, 2.0]))
        array([[ 6.,  0.],
               [ 0., 12.]])
    """
    return jacobian(grad(f, argnums), argnums)
