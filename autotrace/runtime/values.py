"""What the runtime asks of a value: is it traced (symbolic), and its Python truth."""

from __future__ import annotations

from autotrace.tensor import EagerTensor, Tensor


def is_traced(x) -> bool:
    return isinstance(x, Tensor)


def truth(x) -> bool:
    """Python truthiness (numpy's errors for ambiguous arrays included)."""
    return bool(x.numpy() if isinstance(x, EagerTensor) else x)
