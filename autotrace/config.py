"""Debugging switches (`at.config`): run traced functions eagerly, log every trace.

* `run_eagerly(True)` (or the environment variable `AUTOTRACE_EAGER=1`) makes every call
  of a traced function run the original Python function instead of a graph, like
  `tf.config.run_functions_eagerly` or `jax.disable_jit`: breakpoints, `print` and
  exceptions behave as in plain Python. The grad transforms then differentiate with an
  eager `GradientTape` (the arguments in `argnums` become watched eager tensors), so they
  still return the same gradients. Explicit graph requests (`get_concrete_function`,
  calling a `ConcreteFunction`) still trace and run graphs.
* `content_guard_bytes(n)` sets how large a captured array read as numpy while tracing
  may be and still be compared on every call (docs/control_flow.md, "Captured state").
* `log_traces(True)` (or `AUTOTRACE_LOG=1`) prints a line to stderr for each trace: the
  function, why it traced (first call, or which argument changed) and how long it took.
  The records go to the standard `logging` logger named "autotrace" at DEBUG level, so
  `logging.getLogger("autotrace").setLevel(logging.DEBUG)` with your own handler works too.

Example:
    >>> with at.config.run_eagerly(True):
    ...     f(x)                       # runs the Python function
    >>> at.config.running_eagerly()
    False
"""

from __future__ import annotations

import logging
import os
import sys

logger = logging.getLogger("autotrace")

# Read on every call of a traced function (the hit path): a plain module attribute.
EAGER = os.environ.get("AUTOTRACE_EAGER", "") not in ("", "0")

_handler: logging.Handler | None = None


class run_eagerly:
    """Run traced functions as their Python functions (`enabled=True`) or as graphs.

    Takes effect at once, for all threads. Used as a context manager, it restores the
    previous setting on exit.

    Example:
        >>> at.config.run_eagerly(True)      # from now on
        >>> with at.config.run_eagerly(False):
        ...     f(x)                          # a graph again, inside the block only
    """

    def __init__(self, enabled: bool = True):
        global EAGER
        self._previous = EAGER
        EAGER = bool(enabled)

    def __enter__(self) -> run_eagerly:
        return self

    def __exit__(self, *exc) -> None:
        global EAGER
        EAGER = self._previous

    def __repr__(self) -> str:
        return f"run_eagerly({EAGER})"


def running_eagerly() -> bool:
    """Whether traced functions currently run as plain Python (see `run_eagerly`)."""
    return EAGER


def content_guard_bytes(n: int | None = None) -> int:
    """The size limit (bytes; 1 MiB by default) of a captured array whose values a trace
    read as numpy (so they are constants of the graph) and that is compared with them on
    every call; a larger one is a `TracingError` when traced. `n` sets it; returns it.
    Each call copies and compares such an array: about 40 us per MiB."""
    # lazy import: captures is the signature layer, above this module's plain settings
    from autotrace.captures import content_guard_bytes as limit

    return limit(n)


def log_traces(enabled: bool = True) -> None:
    """Print one line per trace to stderr (`enabled=True`), or stop (`False`).

    The lines are the "autotrace" logger's DEBUG records (see `retracing.log_trace`), e.g.
    `autotrace: traced f(x: f64[4]) in 2.1 ms, trace 2: Argument `x` changed from ...`.
    """
    global _handler
    if enabled and _handler is None:
        _handler = logging.StreamHandler(sys.stderr)
        _handler.setFormatter(logging.Formatter("autotrace: %(message)s"))
        logger.addHandler(_handler)
        logger.setLevel(logging.DEBUG)
        logger.propagate = False  # printed once, not again by a root handler
    elif not enabled and _handler is not None:
        logger.removeHandler(_handler)
        logger.setLevel(logging.NOTSET)
        logger.propagate = True
        _handler = None


if os.environ.get("AUTOTRACE_LOG", "") not in ("", "0"):
    log_traces(True)
