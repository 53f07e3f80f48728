"""Diagnosing retracing: the warning a traced function gives when it keeps tracing, and
the likely cause (which argument changed, and what to do about it)."""

from __future__ import annotations

import logging
import os
import sys

from autotrace.config import logger
from autotrace.errors import CONVERTED_CODES
from autotrace.signature import ID, TensorSpec, describe_key, describe_leaf, is_array_key

RETRACE_WINDOW = 10
RETRACE_LIMIT = 5
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


class RetracingWarning(UserWarning):
    """A traced function keeps tracing new graphs."""


class CacheEvictionWarning(RetracingWarning):
    """A traced function's cache was full (`max_traces`): its least recently used concrete
    function was dropped, and calling with that signature again traces again."""


def retrace_cause(traced, previous, latest) -> str:
    """Which argument changed between the last two traces, and what to do about it."""
    (tree_a, a), (tree_b, b) = previous, latest
    if tree_a != tree_b:
        return (f"The structure of the arguments changed from {tree_a} to {tree_b}; pass "
                "containers of a fixed structure.")
    changed = [(p, x, y) for p, x, y in zip(traced._paths(tree_b), a, b) if x != y]
    if not changed:
        return "Its arguments were objects that died and were replaced by new ones."
    path, x, y = changed[0]
    cause = f"Argument `{path}` changed from {describe_key(x)} to {describe_key(y)}."
    if is_array_key(y):
        return cause + (" Its shape or dtype is part of the signature: use "
                        "reduce_retracing=True or an input_signature with None dims.")
    if y[0] == ID:
        return cause + " Objects are keyed by identity: each new object traces again."
    return cause + (" Python values are part of the signature (each value is baked into "
                    "its graph): pass it as an array, np.asarray(...), to trace once.")


def state_cause(why: str) -> str:
    """The retracing cause when captured state changed (`why`, from captures.py)."""
    if why.startswith("captured array") or why.startswith("the length"):
        return (f"The {why}: the shapes and dtypes of captured arrays (and the lengths of "
                "captured containers) are part of the signature.")
    return (f"The {why}: captured Python values are baked into the graph and checked on "
            "every call, so each new value traces again. Keep it fixed while calling, or "
            "pass it as an argument (as an array, np.asarray(...), to trace once).")


def eviction_message(traced, victim) -> str:
    """The `CacheEvictionWarning` text: which signature `traced` evicted, what to do."""
    name = traced.__name__
    params = [f"{path}: {describe_leaf(t)}" if isinstance(t, TensorSpec)
              else f"{path}={describe_key(t)}"
              for path, t in zip(traced._paths(victim._tree), victim._template)]
    return (f"{name} holds {traced.max_traces} concrete functions (max_traces), so the "
            f"least recently used one, {name}({', '.join(params)}), was evicted; calling it "
            "with that signature again traces again. Raise the bound with "
            f"autotrace.trace(..., max_traces=N) if {name} really needs this many "
            "signatures, or make them fewer (reduce_retracing=True, an input_signature with "
            "None dims, arrays instead of Python values).")


def user_stacklevel() -> int:
    """`stacklevel` that makes a warning raised by our caller point at the user's line."""
    frame, level = sys._getframe(2), 2
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR) and \
            frame.f_code not in CONVERTED_CODES:
        frame, level = frame.f_back, level + 1
    return level


def log_trace(traced, seconds: float) -> None:
    """Log the trace `traced` just made (its latest key): signature, time and cause."""
    if not logger.isEnabledFor(logging.DEBUG):
        return
    keys = traced._trace_keys
    tree, leaf_keys = keys[-1]
    args = ", ".join(f"{p}: {describe_key(k)}" for p, k in zip(traced._paths(tree), leaf_keys))
    state = traced._trace_causes[-1] if traced._trace_causes else None
    cause = f"trace {traced.trace_count}: {state}" if state else \
        "first trace" if traced.trace_count <= 1 or len(keys) < 2 else \
        f"trace {traced.trace_count}: {retrace_cause(traced, *keys[-2:])}"
    logger.debug("traced %s(%s) in %.1f ms, %s", traced.__name__, args, seconds * 1e3, cause)
