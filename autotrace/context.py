"""Thread-local tracing state above the core: the current graph builder and the tapes."""

from __future__ import annotations

import threading

from autotrace.core import innermost_graph_trace

_state = threading.local()


def current_builder():
    """The graph being built (the innermost graph-building trace), or None."""
    return innermost_graph_trace()


def active_tapes() -> list:
    """Tapes currently recording (innermost last)."""
    return [t for t in tapes() if t._recording]


def tapes() -> list:
    stack = getattr(_state, "tapes", None)
    if stack is None:
        stack = _state.tapes = []
    return stack
