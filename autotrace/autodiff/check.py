"""`check_grads`: reverse-mode gradients against central finite differences.

Like `jax.test_util.check_grads(f, args, order, modes=["rev"])`: for random directions
`v` (inputs) and `u` (outputs), `<u, f(x + eps v) - f(x - eps v)> / 2 eps` must match
`<vjp(u), v>`; for order 2 the same check runs on the VJP function itself.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from autotrace.autodiff.transforms import grad
from autotrace.function import TracedFunction
from autotrace.runtime.calls import call
from autotrace.signature import flatten, unflatten

DEFAULT_EPS = {np.dtype(np.float64): 1e-6, np.dtype(np.float32): 1e-2}
DEFAULT_TOL = {np.dtype(np.float64): 1e-5, np.dtype(np.float32): 2e-2}


def check_grads(f: Callable, args: tuple, order: int = 1, eps: float | None = None,
                rtol: float | None = None, atol: float | None = None, seed: int = 0) -> None:
    """Raise `AssertionError` if `f`'s reverse-mode derivatives up to `order` disagree with
    finite differences at `args` (a tuple of float arrays or Python floats).

    Example:
        >>> check_grads(lambda x: np.sin(x) * x, (np.array([0.3, 1.2]),), order=2)
    """
    args = tuple(a if type(a) is float else np.asarray(a) for a in args)
    rng = np.random.default_rng(seed)
    _check(f, args, order, eps, rtol, atol, rng)


def _check(f, args, order, eps, rtol, atol, rng, level: int = 1) -> None:
    """Check derivatives `level` .. `level + order - 1` of the original function, whose
    `(level - 1)`-th VJP is `f`."""

    if order == 0:
        return
    dtype = np.result_type(*args)
    eps = eps or DEFAULT_EPS.get(dtype, 1e-6)
    rtol = rtol or DEFAULT_TOL.get(dtype, 1e-5)
    atol = atol or rtol
    u = _random_like(f(*_copies(args)), rng)  # copies: `f` may write its arguments
    v = tuple(_random_like(a, rng) for a in args)
    projected = _projection(f, u)
    plus = projected(*(_step(a, eps * d) for a, d in zip(args, v)))
    minus = projected(*(_step(a, -eps * d) for a, d in zip(args, v)))
    numeric = (plus - minus) / (2 * eps)
    vjp = grad(TracedFunction(projected, autograph=False), argnums=tuple(range(len(args))))
    analytic = sum(float(np.sum(g * d)) for g, d in zip(vjp(*_copies(args)), v))
    if not np.isclose(analytic, float(numeric), rtol=rtol, atol=atol):
        raise AssertionError(
            f"gradient check failed (order {level}): reverse mode gives {analytic!r}, "
            f"finite differences give {float(numeric)!r} (eps={eps}, rtol={rtol}, atol={atol})"
        )
    _check(vjp, args, order - 1, eps, rtol, atol, rng, level + 1)


def _copies(args: tuple) -> tuple:
    return tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)


def _step(a, d):
    """`a + d`, a Python float again for a Python float `a`."""
    return float(a + d) if type(a) is float else a + d


def _projection(f, u):
    """`x -> <u, f(x)>`. `f` is called through `at__.call`, which converts user code at
    run time (the function itself is traced as written: a closure over `f` must not be
    resolved when it is converted, since `f` differs from call to call)."""

    def projected(*xs):
        total = 0.0
        for o, w in zip(flatten(call(f, *xs))[0], flatten(u)[0]):
            total = total + (o * w).sum()
        return total

    return projected


def _random_like(x, rng):
    leaves, tree = flatten(x)
    return unflatten(tree, [rng.standard_normal(np.shape(leaf)).astype(
        np.result_type(leaf)) if np.result_type(leaf).kind == "f" else np.zeros(np.shape(leaf))
        for leaf in leaves])
