"""Thread-local tracing state: the stack of graph builders and of recording tapes."""

from __future__ import annotations

import threading

_state = threading.local()
_TENSOR_TYPES: tuple = ()


def set_tensor_types(*types) -> None:
    """Called once by `autotrace.tensor` to tell `apply` what a tensor is."""
    global _TENSOR_TYPES
    _TENSOR_TYPES = tuple(types)


def tensor_types() -> tuple:
    return _TENSOR_TYPES


def _stack(name: str) -> list:
    stack = getattr(_state, name, None)
    if stack is None:
        stack = []
        setattr(_state, name, stack)
    return stack


def builders() -> list:
    return _stack("builders")


def current_builder():
    stack = builders()
    return stack[-1] if stack else None


def active_tapes() -> list:
    """Tapes currently recording (innermost last)."""
    return [t for t in _stack("tapes") if t._recording]


def tapes() -> list:
    return _stack("tapes")
