"""Public transforms: `trace`, `to_code`, and the differentiation transforms."""

from __future__ import annotations

from typing import Callable, Sequence

from autotrace.autodiff.check import check_grads  # noqa: F401 - public API
from autotrace.autodiff.custom import custom_gradient, stop_gradient  # noqa: F401
from autotrace.autodiff.jacobians import hessian, jacobian, jacrev  # noqa: F401
from autotrace.autodiff.transforms import grad, value_and_grad  # noqa: F401
from autotrace.function import MAX_TRACES, TracedFunction
from autotrace.graph.budget import MAX_NODES
from autotrace.signature import TensorSpec


def trace(fn: Callable | None = None, *, input_signature: Sequence[TensorSpec] | None = None,
          reduce_retracing: bool = False, autograph: bool = True, max_traces: int = MAX_TRACES,
          max_nodes: int | None = MAX_NODES, backend="numpy"):
    """Convert `fn` to graph code and trace it once per input signature.

    Args:
        fn: a Python function (or method) using numpy; used bare as `@trace` or called
            with options as `@trace(input_signature=...)`.
        input_signature: `TensorSpec`s for the positional arguments; one trace serves every
            call that matches (None dims match any size).
        reduce_retracing: after a dim has been seen with two sizes, trace it as unknown.
        autograph: convert Python control flow on tensors (True) or trace as written.
        max_traces: how many concrete functions (one per input signature) the cache
            keeps; tracing one more evicts the least recently used, with a
            `CacheEvictionWarning`.
        max_nodes: the most graph nodes one trace may create (sub-graphs included);
            beyond it tracing stops with `GraphSizeError` (a Python loop unrolled at trace
            time warns from 10,000 nodes on). None: no limit.
        backend: the array library the graphs run on: "numpy" (the default), "torch",
            "cupy" or "dask" (or a `Backend`); see docs/backends.md.

    Returns:
        A `TracedFunction`, called exactly like `fn`.

    Example:
        >>> @trace
        ... def f(a, b):
        ...     return (a + b) * (b + 1)
        >>> f(np.array([2.]), np.array([1.]))
        array([6.])
    """
    from autotrace.compile.backends import get_backend

    placed = get_backend(backend)

    def wrap(f):
        options = dict(input_signature=input_signature, reduce_retracing=reduce_retracing,
                       autograph=autograph, max_traces=max_traces, max_nodes=max_nodes)
        if placed is not None:
            from autotrace.backend_function import BackendTracedFunction

            return BackendTracedFunction(f, placed, **options)
        return TracedFunction(f, **options)

    return wrap if fn is None else wrap(fn)


def to_code(fn: Callable) -> str:
    """The converted source of a plain (undecorated) function, as text.

    Example:
        >>> def f(a, b):
        ...     return a + b
        >>> print(to_code(f))
        def f(a, b):
            return at__.add(a, b)
    """
    # lazy import: start-up cost; the converter (astor, passes) loads on first conversion
    from autotrace.convert.converter import converted_source

    return converted_source(fn)
