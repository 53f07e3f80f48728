"""The types of a `try` statement's variables across its parts (`runtime/graph_try.py`):
what a handler reads after the body's saves, what `finally` gets when an exception
escapes, what the parts that complete give, joined as a loop relaxes its variables; and
the inputs of the sub-graph a part (or a `with np.errstate(...)` region) is traced into.
"""

from __future__ import annotations

from autotrace.errors import TracingError
from autotrace.runtime import merge
from autotrace.runtime.try_objects import Ambiguous, ambiguous
from autotrace.runtime.undefined import Undefined

LABELS = ("before the `try`", "inside the `try` statement")


def region_inputs(child, types, names) -> list:
    values = []
    for t, name in zip(types, names):
        if t.kind == "tensor":
            values.append(child.add_input(t.shape, t.dtype, name, weak=t.weak))
        elif t.kind == "undefined":
            values.append(t.value if t.value is not None and (
                t.value.placeholder or isinstance(t.value, Ambiguous)) else
                Undefined(name, "it may be unassigned inside the `try` statement"))
        else:
            values.append(t.value)
    return values


def no_assigns(child, mark: int, what: str, where: str) -> None:
    if len(child.assign_log) > mark:
        raise TracingError(
            f"Variable.assign (or assign_add/assign_sub) inside {what} traced as a graph "
            f"region ({where}) is not supported: the region's parts cannot carry the "
            "Variable's new value. Assign it before or after the statement.")


def spec(t) -> tuple:
    return (t.shape, t.dtype, t.weak)


def escape_value(inside, after):
    """What `finally` gets for a variable when an exception escapes and the variable is
    a Python value inside the statement."""
    value = inside.value if inside.kind == "const" else Undefined("try value",
                                                                   placeholder=True)
    return merge.to_value(value, after)


def after_body(stmt, body) -> list:
    """The types a handler reads: the values before the `try` and the body's saves (a
    Python object other than a number the body binds: `saved_type`)."""
    types = list(stmt.init)
    for positions, leaves, _, _, save_where in body.saves:
        for i, x in zip(positions, leaves):
            types[i] = saved_type(stmt, i, types[i], merge.classify(x), save_where)
    # A variable unbound before the statement that no save binds is unbound in every
    # handler: a traced value of the type the body gives it, `Unbound` at run time, so a
    # read raises Python's `UnboundLocalError` when the handler runs.
    for i in stmt.unbound:
        if types[i].kind == "undefined" and body.leaves is not None:
            leaf = merge.classify(body.leaves[i])
            if leaf.is_value:
                types[i] = norm(leaf)
    return types


def escaping_types(stmt, parts) -> list:
    """The types `finally` gets its variables as when an exception escapes: what a
    handler reads (the body's saves), joined with the saves of the handlers and `else`
    (Python objects other than numbers as `after_body` leaves them)."""
    types = list(stmt.types)
    for part in parts:
        if part.kind not in ("handler", "else"):
            continue
        for positions, leaves, _, _, save_where in part.saves:
            for i, x in zip(positions, leaves):
                types[i] = norm(saved_type(stmt, i, types[i], merge.classify(x),
                                             save_where))
    return [norm(t) for t in types]


def saved_type(stmt, i, current, leaf, save_where):
    """`current` (the type a variable is read as in a handler) joined with a value the
    body saves for it. A Python object other than the one it holds is `Ambiguous`: which
    one a handler would see depends on where the body raised (try_objects.py)."""
    if isinstance(current.value, Ambiguous):
        return current
    if leaf.kind == "const" and not leaf.is_value:
        if i in stmt.placeholders or (
                current.kind == "const" and merge.same_constant(current.value, leaf.value)):
            return current  # a `retval` is read only after the part that set it completes
        before = current.value if current.kind != "tensor" else 0
        return merge.Leaf("undefined", ambiguous(stmt.leaf_names[i], before, leaf.value,
                                                 stmt.where, save_where))
    return join(stmt, i, current, leaf)


def completed(stmt, parts, default) -> list:
    """The types the `parts` that complete give (joined); `default` if none completes."""
    out = None
    for part in parts:
        if part.leaves is None:
            continue
        leaves = [norm(merge.classify(x)) for x in part.leaves]
        out = leaves if out is None else [norm(join(stmt, i, a, b))
                                          for i, (a, b) in enumerate(zip(out, leaves))]
    return list(default) if out is None else out


def same_types(a: list, b: list) -> bool:
    """The types of two tracing rounds agree (a Python object a part makes, such as a
    function defined in it, is a new object each round: its type is what counts)."""
    def key(t):
        return (t.kind, type(t.value)) if t.kind == "const" else t
    return [key(t) for t in a] == [key(t) for t in b]


def norm(leaf):
    """A path's value as a type (a tensor's type without the tensor itself)."""
    return merge.single(leaf) if leaf.kind == "tensor" else leaf


def join(stmt, i, a, b):
    for leaf in (a, b):
        if isinstance(leaf.value, Ambiguous):
            return leaf
    if a.kind == "const" and b.kind == "const" and merge.same_constant(a.value, b.value):
        return a  # keeps its type (a number saved again unchanged stays that number)
    joined = merge.join(stmt.leaf_names[i], a, b, LABELS, stmt.where)
    if joined.kind == "undefined" and joined.value is None:
        return merge.Leaf("undefined", Undefined(stmt.leaf_names[i]))
    return joined
