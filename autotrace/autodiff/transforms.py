"""`grad`, `value_and_grad`, `jacobian`, `hessian`: function transforms built on the tape.

Each returns a *traced* function (cached per input signature like any other) whose body
runs `f` under a `GradientTape` inside the trace, so the result is one graph holding the
forward and the backward pass. They accept plain or traced functions and compose:
`grad(grad(f))`, `jacobian(grad(f))`, `trace(grad(f))`.

Under `at.config.run_eagerly(True)` the transform runs as Python too: the arguments it
differentiates become eager tensors watched by the tape, `f` runs as plain Python on them,
and the tape differentiates the ops it recorded (the same rules, applied eagerly).

A Python float at a differentiated position is a graph input like an array (an `f64[]`
that is a Python float at run time, so numpy's promotion against it is unchanged): one
trace serves every value, and its gradient comes back as a Python float, as in JAX.
Python numbers elsewhere stay constants of the trace, part of its signature.
"""

from __future__ import annotations

import functools
from typing import Callable, Sequence

import numpy as np

from autotrace import config, context
from autotrace.autodiff.backprop import is_float
from autotrace.autodiff.jacobian import jacobian as jacobian_of
from autotrace.autodiff.tape import GradientTape
from autotrace.function import TracedFunction
from autotrace.ops.shape import python_scalar
from autotrace.ops.shapes import shape_of
from autotrace.signature import PYTHON_FLOAT, call_signature, flatten, unflatten
from autotrace.tensor import EagerTensor, Tensor, TensorBase


def _traced(f):
    return f if isinstance(f, TracedFunction) else TracedFunction(f)


def _argnums(argnums) -> tuple[tuple, bool]:
    if isinstance(argnums, int):
        return (argnums,), False
    argnums = tuple(argnums)
    if not argnums or not all(isinstance(i, int) for i in argnums):
        raise TypeError(f"argnums must be an int or a non-empty tuple of ints, got {argnums}")
    return argnums, True


def _transform(f, name: str, body, argnums: tuple) -> TracedFunction:
    """A traced function with `f`'s signature whose body is `body(bound_args)`, named
    `{name}_{f's name}`; Python floats at `argnums` are graph inputs."""
    python_fn = getattr(f, "python_function", f)
    sig = call_signature(python_fn)

    @functools.wraps(python_fn)
    def transformed(*args, **kwargs):
        bound = sig.bind(*args, **kwargs)
        return body(bound)

    transformed.__signature__ = sig
    transformed.__name__ = transformed.__qualname__ = \
        f"{name}_{f.__name__.replace('<lambda>', 'lambda')}"
    return _Transformed(transformed, argnums)


class _Transformed(TracedFunction):
    """The traced function of a transform: Python floats at the differentiated positions
    are keyed and traced as `PYTHON_FLOAT` graph inputs instead of constants."""

    def __init__(self, fn, argnums: tuple):
        super().__init__(fn, autograph=False)
        self._argnums = argnums

    def _lookup(self, leaves, tree, skip: int = 0):
        return super()._lookup(self._float_inputs(leaves, tree), tree, skip)

    def _float_inputs(self, leaves, tree) -> list:
        """`leaves` with the Python floats of the positional arguments in argnums replaced
        by `PYTHON_FLOAT`."""
        slots, first = [], 0  # (first leaf, number of leaves) per positional argument
        for param, child in zip(self._signature.parameters.values(), tree.children):
            if param.kind is param.VAR_POSITIONAL:
                for c in child.children:
                    slots.append((first, c.num_leaves))
                    first += c.num_leaves
                continue
            if param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
                slots.append((first, child.num_leaves))
            first += child.num_leaves
        out = list(leaves)
        for i in self._argnums:
            if -len(slots) <= i < len(slots):
                start, count = slots[i]
                for k in range(start, start + count):
                    if type(out[k]) is float:
                        out[k] = PYTHON_FLOAT
        return out


def _as_given(chosen: list) -> list:
    """The differentiated values as they are before the call: new objects for the same
    values, so in-place writes by `f` (which re-point the arguments) leave them alone and
    the derivative is the one of `f`'s result w.r.t. its inputs as they were."""
    leaves, tree = flatten(chosen)
    return unflatten(tree, [x.new_object() if isinstance(x, Tensor) else x for x in leaves])


def _selected(args, argnums, fname: str) -> tuple[list, list]:
    """(the differentiated arguments, all positional arguments with them in place)."""
    args = list(args)
    for i in argnums:
        if not -len(args) <= i < len(args):
            raise ValueError(f"argnums {i} is out of range: {fname} got {len(args)} positional "
                             "arguments")
    for i in argnums:
        for leaf in flatten(args[i])[0]:
            _check_differentiable(leaf, i, fname)
        args[i] = _graph_values(args[i])
    return [args[i] for i in argnums], args


def _graph_values(x):
    """Inside a trace, `x` with its constants (a transform called on literal values) made
    graph values that a tape can watch: their gradient is not zero."""
    builder = context.current_builder()
    if builder is None:
        return x
    leaves, tree = flatten(x)
    return unflatten(tree, [leaf if isinstance(leaf, TensorBase) else _lift(builder, leaf)
                            for leaf in leaves])


def _lift(builder, constant):
    """A copy node of `constant` (a Python float stays a weak Python float)."""
    from autotrace.graph.ir import Var
    from autotrace.ops.shape import fresh_copy

    weak = float if type(constant) is float else None
    var = Var(np.shape(constant), np.result_type(constant), weak=weak)
    builder.add_node(fresh_copy, (constant,), {}, (var,))
    return builder.tensor(var)


def _eager_args(args: tuple, argnums, fname: str) -> tuple[tuple, bool]:
    """Under `run_eagerly` outside a trace: `args` with the differentiated ones as eager
    tensors (so the tape records the plain function's ops), and True.

    A Python float has no eager tensor form that keeps numpy's weak promotion against it
    (an `np.float64` would turn `float32 * x` into float64), so it is refused here rather
    than silently changing dtypes."""
    if not config.EAGER or context.current_builder() is not None:
        return args, False
    args = list(args)
    for i in argnums:
        if -len(args) <= i < len(args):
            leaves, tree = flatten(args[i])
            if any(type(x) is float for x in leaves):
                raise TypeError(
                    f"{fname}: argument {i} is a Python float; under "
                    "at.config.run_eagerly(True) gradients need array inputs: pass "
                    "np.asarray(x) (or switch eager mode off, where Python floats are "
                    "differentiable)")
            args[i] = unflatten(tree, [x if isinstance(x, TensorBase) or not hasattr(x, "dtype")
                                       else EagerTensor(x) for x in leaves])
    return tuple(args), True


def _eager_result(result, eager: bool):
    """A transform's eager result as the graph would return it: numpy values, unless an
    outer tape records them (higher order)."""
    if not eager or context.active_tapes():
        return result
    leaves, tree = flatten(result)
    return unflatten(tree, [x.numpy() if type(x) is EagerTensor else x for x in leaves])


def _check_differentiable(leaf, i: int, fname: str) -> None:
    if type(leaf) in (bool, int, complex):
        raise TypeError(
            f"{fname}: argument {i} is a Python {type(leaf).__name__} ({leaf!r}); gradients "
            "need real float inputs: pass a Python float or a float array, or leave it out "
            "of argnums."
        )
    if not is_float(leaf) or (type(leaf) is not float and not hasattr(leaf, "dtype")):
        raise TypeError(
            f"{fname}: argument {i} has dtype {getattr(leaf, 'dtype', type(leaf).__name__)}; "
            "gradients are defined for float arrays only. Pass it as a float array, or leave "
            "it out of argnums."
        )


def _python_floats(grads, sources):
    """`grads` (the structure of `sources`) with the gradients of Python float sources
    (weak graph inputs) as Python floats."""
    grad_leaves, tree = flatten(grads)
    return unflatten(tree, [python_scalar(g) if _is_python_float(x) else g
                            for g, x in zip(grad_leaves, flatten(sources)[0])])


def _is_python_float(x) -> bool:
    return type(x) is float or (isinstance(x, Tensor) and x.symbol.weak is float)


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
    return _transform(traced, "value_and_grad", body, _argnums(argnums)[0])


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

    return _transform(traced, "grad", body, _argnums(argnums)[0])


def _value_and_grad_body(traced, argnums, has_aux: bool, fname: str):
    """`body(bound_args) -> (value, grads)`, run inside the transform's trace."""
    nums, many = _argnums(argnums)

    def body(bound):
        args, eager = _eager_args(bound.args, nums, fname)
        chosen, args = _selected(args, nums, fname)
        with GradientTape() as tape:
            tape.watch(chosen)
            sources = _as_given(chosen)
            out = traced(*args, **bound.kwargs)
        value, aux = (out[0], out[1]) if has_aux else (out, None)
        grads = tape.gradient(_scalar(value, fname), sources, unconnected_gradients="zero")
        grads = _python_floats(tuple(grads), chosen)
        grads = grads if many else grads[0]
        return _eager_result((((value, aux) if has_aux else value), grads), eager)

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
        args, eager = _eager_args(bound.args, nums, fname)
        chosen, args = _selected(args, nums, fname)
        with GradientTape(persistent=True) as tape:
            tape.watch(chosen)
            given = _as_given(chosen)
            out = traced(*args, **bound.kwargs)
        sources = tuple(given) if many else given[0]
        jac, tree = flatten(jacobian_of(tape, out, sources))
        src = flatten(sources)[0]  # the leaves of `jac` run over `src` once per output leaf
        return _eager_result(unflatten(tree, [
            python_scalar(j) if _is_python_float(src[k % len(src)]) and shape_of(j) == ()
            else j for k, j in enumerate(jac)]), eager)

    return _transform(traced, "jacobian", body, nums)


def hessian(f: Callable, argnums: int | Sequence[int] = 0) -> TracedFunction:
    """The Hessian of scalar-valued `f`: `jacobian(grad(f))`.

    Example:
        >>> hessian(lambda x: (x ** 3).sum())(np.array([1.0, 2.0]))
        array([[ 6.,  0.],
               [ 0., 12.]])
    """
    return jacobian(grad(f, argnums), argnums)
