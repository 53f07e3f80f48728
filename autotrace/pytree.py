"""Pytree node types beyond Python's containers: dataclasses, and classes given to
`register_pytree`. `signature.flatten` opens them like tuples (arguments, results,
gradients); compiled code rebuilds them (`rebuild`). No autotrace imports: it sits below
both."""

from __future__ import annotations

import dataclasses

_PYTREES: dict = {}  # type -> (flatten, unflatten)
registered = _PYTREES  # read by signature's hit-path classification


def register_pytree(cls: type, flatten, unflatten) -> type:
    """Make instances of `cls` pytree nodes: flattened into their children wherever
    arguments, results and gradients are (their arrays become graph inputs).

    `flatten(obj) -> (children, aux)`: an iterable of children (arrays, Python values or
    nested pytrees) and hashable auxiliary data (part of the cache key);
    `unflatten(aux, children) -> obj` rebuilds an instance. Dataclasses are pytrees
    without registering (their fields are the children). Returns `cls`.

    Example:
        >>> class Pair:
        ...     def __init__(self, a, b): self.a, self.b = a, b
        >>> register_pytree(Pair, lambda p: ((p.a, p.b), None), lambda _, c: Pair(*c))
        <class '...Pair'>
    """
    if not isinstance(cls, type):
        raise TypeError(f"register_pytree needs a class, got {cls!r}")
    if not callable(flatten) or not callable(unflatten):
        raise TypeError("register_pytree(cls, flatten, unflatten): flatten and unflatten "
                        "must be callables")
    _PYTREES[cls] = (flatten, unflatten)
    for hook in _on_register:
        hook()
    return cls


_on_register: list = []  # called after each registration (caches of type classes)


def is_node_type(kind: type) -> bool:
    """Instances of `kind` are dataclass or registered pytree nodes."""
    return kind in _PYTREES or (isinstance(kind, type) and dataclasses.is_dataclass(kind))


def children_of(obj):
    """(kind, meta, children) of a dataclass or registered node, else None. `meta`:
    (class, field names) or (class, aux data)."""
    kind = type(obj)
    custom = _PYTREES.get(kind)
    if custom is not None:
        children, aux = custom[0](obj)
        try:
            hash(aux)
        except TypeError:
            raise TypeError(f"the flatten function registered for {kind.__name__} returned "
                            f"unhashable aux data {aux!r}; it is part of the cache key, so "
                            "make it hashable (a tuple, not a list)") from None
        return "custom", (kind, aux), list(children)
    if hasattr(kind, "__dataclass_fields__") and dataclasses.is_dataclass(kind):
        names = tuple(f.name for f in dataclasses.fields(obj))
        return "dataclass", (kind, names), [getattr(obj, n) for n in names]
    return None


def rebuild(kind: str, meta, items):
    """The node of `kind` ("dataclass" or "custom") and `meta` from its children."""
    if kind == "dataclass":
        cls, names = meta
        obj = cls.__new__(cls)  # fields set directly: frozen ones too, no __post_init__
        for name, value in zip(names, items):
            object.__setattr__(obj, name, value)
        return obj
    cls, aux = meta
    return _PYTREES[cls][1](aux, list(items))
