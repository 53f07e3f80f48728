"""Refuse Python containers changed inside graph control flow.

A graph branch or loop body is traced once, so `items.append(v)` inside it runs once at
trace time instead of on the path or per iteration the original takes, and appends a
value that only exists inside the sub-graph. `Snapshot` remembers the lists, dicts and
sets the statement's helper functions reach through their closures (the variables of the
enclosing function), and `check` raises a `TracingError` naming the variable and the
statement when one of them changed while tracing.
"""

from __future__ import annotations

from autotrace.errors import TracingError
from autotrace.runtime.where import graph_statement

_CONTAINERS = (list, dict, set)


class Snapshot:
    """The contents of the containers that `fns` close over, by variable name."""

    __slots__ = ("seen",)

    def __init__(self, *fns):
        self.seen = {}
        for fn in fns:
            for name, value in _closure(fn):
                if isinstance(value, _CONTAINERS) and name not in self.seen:
                    self.seen[name] = (value, _fingerprint(value))

    def changed(self) -> list[tuple[str, object]]:
        """(name, container) of every container whose contents differ from the snapshot."""
        return [(name, value) for name, (value, before) in self.seen.items()
                if _fingerprint(value) != before]

    def check(self, kind: str, where: str) -> None:
        """Raise a `TracingError` if a container changed inside the `kind` at `where`."""
        changed = self.changed()
        if changed:
            raise mutation_error(*changed[0], kind, where)


def mutation_error(name: str, value, kind: str, where: str) -> TracingError:
    what = type(value).__name__
    body = "body" if kind in ("while", "for") else "branches"
    grows = " (`append`, `extend` and `+=` work on a list the function made itself: it is " \
        "carried as a stacked array; a list passed in belongs to the caller)" \
        if what == "list" else ""
    return TracingError(
        f"The Python {what} `{name}` is changed inside {graph_statement(kind)} ({where}). "
        f"A graph `{kind}` traces its {body} once, so a Python {what} cannot change per "
        f"iteration or per path{grows}. Carry an array instead (e.g. `{name} = "
        f"np.concatenate([{name}, v[None]])`, whose first dim becomes unknown), or make the "
        "condition a Python value so the statement runs in Python."
    )


def _closure(fn):
    if fn is None:
        return
    code = getattr(fn, "__code__", None)
    for name, cell in zip(getattr(code, "co_freevars", ()), getattr(fn, "__closure__", None)
                          or ()):
        try:
            yield name, cell.cell_contents
        except ValueError:  # an unbound cell
            continue


def _fingerprint(value) -> tuple:
    if isinstance(value, dict):
        return tuple((k, id(v)) for k, v in value.items())
    if isinstance(value, set):
        return (len(value), frozenset(map(id, value)))
    return tuple(map(id, value))
