"""`stop_gradient` and `custom_gradient`.

`custom_gradient` (TensorFlow's contract): the decorated function returns
`(value, grad_fn)`; `grad_fn(upstream)` returns the gradient for each argument. The value
is computed with tapes paused, then passed through a `custom_vjp` identity node whose VJP
is `grad_fn`: the rule lives in the graph, so replaying or differentiating the graph again
keeps it.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

from autotrace import context
from autotrace.ops.registry import Op, apply, register

stop = register(Op("stop_gradient", lambda x: x, lambda x: x, vjp=None, differentiable=False))


def stop_gradient(x: Any) -> Any:
    """`x`, through which no gradient flows.

    Example:
        >>> grad(lambda x: (x * stop_gradient(x)).sum())(np.array([3.0]))
        array([3.])
    """
    return apply(stop, x)


def _custom_vjp(ct, value, *rest, grad_fn):
    args = rest[:-1]
    grads = grad_fn(ct)
    grads = grads if isinstance(grads, (tuple, list)) else (grads,)
    if len(grads) != len(args):
        raise ValueError(f"custom gradient function returned {len(grads)} gradients for "
                         f"{len(args)} arguments")
    return (None, *grads)


def _custom_jvp(primals, tangents, grad_fn):
    """Forward mode differentiates the computation of the value (the custom rule is a
    reverse-mode rule; JAX's `custom_vjp` refuses forward mode instead)."""
    return apply(custom_vjp, *primals, grad_fn=grad_fn), tangents[0]


custom_vjp = register(Op("custom_vjp", lambda value, *args, grad_fn: value,
                         lambda value, *args, grad_fn: value, vjp=_custom_vjp,
                         jvp=_custom_jvp))


def custom_gradient(f: Callable) -> Callable:
    """Decorator: `f(*args)` returns `(value, grad_fn)`; gradients use `grad_fn`.

    Example:
        >>> @custom_gradient
        ... def clip_grad(x):
        ...     return x, lambda dy: np.clip(dy, -1, 1)
    """

    @functools.wraps(f)
    def wrapper(*args):
        tapes = context.active_tapes()
        for tape in tapes:
            tape._recording = False
        try:
            value, grad_fn = f(*args)
        finally:
            for tape in tapes:
                tape._recording = True
        return apply(custom_vjp, value, *args, grad_fn=grad_fn)

    return wrapper
