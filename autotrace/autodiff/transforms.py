"""`grad`, `value_and_grad`, `jacobian`, `hessian`: function transforms built on the tape.

Each returns a *traced* function (cached per input signature like any other) whose body
runs `f` under a `GradientTape` inside the trace, so the result is one graph holding the
forward and the backward pass. They accept plain or traced functions and compose:
`grad(grad(f))`, `jacobian(grad(f))`, `trace(grad(f))`.
"""

from __future__ import annotations

import functools
import inspect
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np

from autotrace.autodiff.backprop import is_float
from autotrace.autodiff.jacobian import jacobian as jacobian_of
from autotrace.autodiff.tape import GradientTape
from autotrace.function import TracedFunction
from autotrace.signature import flatten
from autotrace.tensor import Tensor

if TYPE_CHECKING:
    from autotrace.function import TracedFunction


def _traced(f):

    return f if isinstance(f, TracedFunction) else TracedFunction(f)


def _argnums(argnums) -> tuple[tuple, bool]:
    if isinstance(argnums, int):
        return (argnums,), False
    argnums = tuple(argnums)
    if not argnums or not all(isinstance(i, int) for i in argnums):
        raise TypeError(f"argnums must be an int or a non-empty tuple of ints, got {argnums}")
    return argnums, True


def _transform(f, name: str, body, base: str | None = None):
    """A traced function with `f`'s signature whose body is `body(bound_args)`, named
    `{name}_{base}` (base: `f`'s name)."""

    python_fn = getattr(f, "python_function", f)
    sig = inspect.signature(python_fn)

    @functools.wraps(python_fn)
    def transformed(*args, **kwargs):
        bound = sig.bind(*args, **kwargs)
        return body(bound)

    transformed.__signature__ = sig
    base = base or python_fn.__name__.replace("<lambda>", "lambda")
    transformed.__name__ = transformed.__qualname__ = f"{name}_{base}"
    return TracedFunction(transformed, autograph=False)


def _selected(bound, argnums, fname: str) -> list:
    args = bound.args
    for i in argnums:
        if not -len(args) <= i < len(args):
            raise ValueError(f"argnums {i} is out of range: {fname} got {len(args)} positional "
                             "arguments")
    chosen = [args[i] for i in argnums]
    for i, x in zip(argnums, chosen):
        for leaf in flatten(x)[0]:
            _check_differentiable(leaf, i, fname)
    return chosen


def _check_differentiable(leaf, i: int, fname: str) -> None:
    if type(leaf) in (bool, int, float, complex):
        raise TypeError(
            f"{fname}: argument {i} is a Python {type(leaf).__name__}. Python numbers are "
            "constants of a trace (part of its signature), so they have no gradient: pass "
            f"np.float64({leaf!r}) or an array instead."
        )
    if not is_float(leaf) or not hasattr(leaf, "dtype"):
        raise TypeError(
            f"{fname}: argument {i} has dtype {getattr(leaf, 'dtype', type(leaf).__name__)}; "
            "gradients are defined for float arrays only. Pass it as a float array, or leave "
            "it out of argnums."
        )


def _scalar(value, fname: str):

    shape = value.symbol.shape if isinstance(value, Tensor) else np.shape(value)
    if None in shape or int(np.prod(shape, dtype=np.int64)) != 1:
        shown = tuple("?" if d is None else d for d in shape)
        raise TypeError(
            f"{fname} needs a function with a scalar output (size 1), but it returned shape "
            f"{shown}. Reduce it first (e.g. `.sum()`), or use jacobian() for vector outputs."
        )
    return value


def value_and_grad(f: Callable, argnums: int | Sequence[int] = 0,
                   has_aux: bool = False) -> TracedFunction:
    """A function returning `(f(*args), gradient of f w.r.t. the args in argnums)`.

    Args:
        f: plain or traced function with a scalar (size-1) float output.
        argnums: int or tuple of ints: which positional arguments to differentiate.
        has_aux: `f` returns `(output, aux)`; the result is `((output, aux), grads)`.

    Returns:
        A traced function; gradients have the structure and dtype of the arguments.

    Example:
        >>> value_and_grad(lambda x: (x ** 2).sum())(np.array([3.0]))
        (np.float64(9.0), array([6.]))
    """
    traced = _traced(f)
    body = _value_and_grad_body(traced, argnums, has_aux, f"value_and_grad({traced.__name__})")
    return _transform(traced, "value_and_grad", body)


def grad(f: Callable, argnums: int | Sequence[int] = 0,
         has_aux: bool = False) -> TracedFunction:
    """The gradient of scalar-valued `f` w.r.t. the arguments in `argnums` (like jax.grad).

    Args:
        f: plain or traced function with a scalar (size-1) float output.
        argnums: int (one gradient) or tuple of ints (a tuple of gradients).
        has_aux: `f` returns `(output, aux)`; the result is `(grads, aux)`.

    Returns:
        A traced function; gradients have the structure and dtype of the arguments.

    Example:
        >>> grad(lambda x: (x ** 2).sum())(np.array([3.0]))
        array([6.])
    """
    traced = _traced(f)
    value_and_grads = _value_and_grad_body(traced, argnums, has_aux,
                                           f"grad({traced.__name__})")

    def body(bound):
        value, grads = value_and_grads(bound)
        return (grads, value[1]) if has_aux else grads

    return _transform(traced, "grad", body)


def _value_and_grad_body(traced, argnums, has_aux: bool, fname: str):
    """`body(bound_args) -> (value, grads)`, run inside the transform's trace."""
    nums, many = _argnums(argnums)

    def body(bound):
        chosen = _selected(bound, nums, fname)
        with GradientTape() as tape:
            tape.watch(chosen)
            out = traced(*bound.args, **bound.kwargs)
        value, aux = (out[0], out[1]) if has_aux else (out, None)
        grads = tape.gradient(_scalar(value, fname), chosen, unconnected_gradients="zero")
        grads = tuple(grads) if many else grads[0]
        return ((value, aux) if has_aux else value), grads

    return body


def jacobian(f: Callable, argnums: int | Sequence[int] = 0) -> TracedFunction:
    """Reverse-mode Jacobian of `f` w.r.t. the arguments in `argnums`.

    Args:
        f: plain or traced function; its output may be nested (dicts, lists, tuples).
        argnums: int, or tuple of ints (then a tuple of Jacobians per output leaf).

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
    nums, many = _argnums(argnums)
    fname = f"jacobian({traced.__name__})"

    def body(bound):
        chosen = _selected(bound, nums, fname)
        with GradientTape(persistent=True) as tape:
            tape.watch(chosen)
            out = traced(*bound.args, **bound.kwargs)
        return jacobian_of(tape, out, tuple(chosen) if many else chosen[0])

    return _transform(traced, "jacobian", body)


def hessian(f: Callable, argnums: int | Sequence[int] = 0) -> TracedFunction:
    """The Hessian of scalar-valued `f`: `jacobian(grad(f))`.

    Example:
        >>> hessian(lambda x: (x ** 3).sum())(np.array([1.0, 2.0]))
        array([[ 6.,  0.],
               [ 0., 12.]])
    """
    return jacobian(grad(f, argnums), argnums)
