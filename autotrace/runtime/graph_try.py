"""`try_stmt` / `errstate_stmt`: a `try` statement (and `with np.errstate(...)`) that runs
when the compiled function runs, so run-time errors are caught as in Python.

Generated code passes the statement's parts as helpers over its variables:

    def try_body(at__run, y):          # `at__run`: where `try_save` writes the variables
        y = np.linalg.inv(a)
        return y
    def try_except(at__run, e, y):     # `e`: the exception (a run-time value)
        y = a * 0
        return y
    y = at__.try_stmt(try_body, ((lambda: np.linalg.LinAlgError, try_except),), None,
                      None, (y,))

Outside a graph it is Python's `try`. While tracing, every part is traced into a
sub-graph (types of the variables joined over all parts and all `try_save` points, as a
loop relaxes its variables) and one `try` node is added (`control/trying.py`). An exception
raised while *tracing* a part (a Python error, or a `raise` the converter made a node)
becomes a `raise` node there, so it is raised, and caught, when the graph runs.
"""

from __future__ import annotations

import numpy as np

from autotrace import context
from autotrace.control.common import align_captures, as_state, state_result
from autotrace.control.trying import errstate, try_op
from autotrace.errors import AutotraceError, TracingError, at_user_line
from autotrace.graph.ir import Var
from autotrace.ops.effects import graph_raise
from autotrace.ops.trying import reraise as reraise_op
from autotrace.ops.trying import seterr
from autotrace.ops.trying import try_save as try_save_op
from autotrace.runtime import merge
from autotrace.runtime.calls import EFFECT_OVERLOADS
from autotrace.runtime.merge import branch_output
from autotrace.runtime.raising import BranchRaises
from autotrace.runtime.undefined import Undefined
from autotrace.runtime.values import is_traced
from autotrace.runtime.where import here, param_names
from autotrace.signature import flatten, leaf_paths, unflatten
from autotrace.tensor import Tensor

MAX_ROUNDS = 5
_LABELS = ("before the `try`", "inside the `try` statement")
_parts: list = []  # the parts being traced (innermost last), for `try_save`


class _PyRun:
    """The Python path's running state (what `try_save` writes)."""

    __slots__ = ("values",)

    def __init__(self, values):
        self.values = list(values)


# -- entry points of generated code ---------------------------------------------------------
def try_stmt(body, handlers, orelse, final, state: tuple):
    """`try:` with its parts as helpers of `state` (see module doc); returns the variables
    after the statement. `handlers`: `(types thunk, helper)` per `except` clause (a bare
    `except:` gives `BaseException`)."""
    state = tuple(state)
    if context.current_builder() is None:
        return _python_try(body, handlers, orelse, final, state)
    return _graph_try(body, handlers, orelse, final, state, here(1))


def try_save(run, slots: tuple, values: tuple) -> None:
    """After a statement inside a `try` part: the variables `slots` now hold `values`."""
    if isinstance(run, _PyRun):
        for k, v in zip(slots, values):
            run.values[k] = v
        return
    part = next(p for p in reversed(_parts) if p.run is run)
    part.save(slots, values)


def reraise(exception):
    """A bare `raise` inside `except ... as e`: raise `e` again (at run time in a graph)."""
    if isinstance(exception, Tensor):
        builder = context.current_builder()
        builder.add_node(reraise_op, (builder.to_input(exception),), {}, ())
        raise BranchRaises(RuntimeError("re-raised"))
    raise exception


def _python_try(body, handlers, orelse, final, state):
    n = len(state)
    run = _PyRun(state)
    try:
        run.values = list(as_state(body(run, *run.values), n))
    except BaseException as e:
        for kinds, handler in handlers:
            if isinstance(e, kinds()):
                run.values = list(as_state(handler(run, e, *run.values), n))
                break
        else:
            raise
    else:
        if orelse is not None:
            run.values = list(as_state(orelse(run, *run.values), n))
    finally:
        if final is not None:
            run.values = list(as_state(final(*run.values), n))
    return state_result(tuple(run.values))


# -- graph ------------------------------------------------------------------------------------
class _Part:
    """One part (body, handler, else, finally) traced into a sub-graph."""

    def __init__(self, builder, label, fn, kind, stmt, kinds=()):
        self.fn, self.kind, self.stmt, self.kinds = fn, kind, stmt, kinds
        self.child = builder.child(label)
        self.child.in_branch = True
        self.run = None
        self.leaves = None  # what the part gives, flattened (None: it always raises)
        self.saves: list = []  # (slots, leaves) at each `try_save`

    def trace(self, types, names):
        child = self.child
        with child:
            args = []
            if self.kind != "final":
                self.run = child.add_input((), object, "try_state")
                args.append(self.run)
            if self.kind == "handler":
                args.append(child.add_input((), object, "exception"))
            inputs = _inputs(child, types, names)
            _parts.append(self)
            mark = len(child.assign_log)
            try:
                result = self.fn(*args, *unflatten(self.stmt.tree, inputs))
            except BranchRaises:
                return
            except AutotraceError:
                raise
            except Exception as e:
                if self.kind == "body" and not isinstance(e, self.kinds):
                    raise  # no handler catches it: it escapes on every call
                graph_raise(child, e)  # raised when the graph runs, where `except` sees it
                return
            finally:
                _parts.pop()
                _no_assigns(child, mark, "a `try` statement", self.stmt.where)
        result = as_state(result, len(self.stmt.tree.children))
        self.leaves = self.stmt.leaves_of(result)

    def save(self, slots, values):
        """A `try_save` in the body: what a handler sees if the body raises after it (in
        a handler or `else` nothing reads it). Where each value goes, and as what type,
        is set once the handlers' types are known (`_place_saves`)."""
        if self.kind != "body":
            return
        stmt = self.stmt
        leaves, positions = [], []
        for k, v in zip(slots, values):
            got = stmt.name_leaves(k, v)
            leaves += got
            positions += list(stmt.ranges[k])
        kept = [(i, x) for i, x in zip(positions, leaves) if merge.classify(x).is_value]
        node = None
        if kept:
            child = self.child
            node = child.add_node(try_save_op, (child.to_input(self.run),
                                                *(child.to_input(x) for _, x in kept)),
                                  {"slots": (), "casts": (), "floats": False}, ())
        self.saves.append((positions, leaves, node, [i for i, _ in kept]))

    def finish(self, types):
        child = self.child
        with child:
            leaves = self.leaves if self.leaves is not None else [_PLACEHOLDER] * len(types)
            child.graph.outputs = [branch_output(child, x, t) for x, t in zip(leaves, types)
                                   if t.kind == "tensor"]


_PLACEHOLDER = Undefined("try value", placeholder=True)


def _no_assigns(child, mark: int, what: str, where: str) -> None:
    if len(child.assign_log) > mark:
        raise TracingError(
            f"Variable.assign (or assign_add/assign_sub) inside {what} traced as a graph "
            f"region ({where}) is not supported: the region's parts cannot carry the "
            "Variable's new value. Assign it before or after the statement.")


class _Statement:
    """The variables of one `try` statement: structure, leaves, joined types."""

    def __init__(self, state, names, where):
        self.where = where
        self.names = names
        self.set_state(state)

    def set_state(self, state):
        self.state = tuple(state)
        self.leaves, self.tree = flatten(self.state)
        self.ranges, start = [], 0
        for child in self.tree.children:
            count = len(flatten(unflatten(child, [0] * _count(child)))[0])
            self.ranges.append(range(start, start + count))
            start += count
        self.leaf_names = []
        for name, child in zip(self.names, self.tree.children):
            self.leaf_names += leaf_paths(child, name)
        # A variable unbound before the `try` takes the type a part gives it (reading it
        # before any part binds it is the plain function's UnboundLocalError).
        self.types = [_norm(merge.classify(
            Undefined(x.name, placeholder=True) if isinstance(x, Undefined) else x))
            for x in self.leaves]
        self.init = list(self.types)

    @property
    def slots(self) -> list:
        return [i for i, t in enumerate(self.types) if t.kind == "tensor"]

    def name_leaves(self, k, value) -> list:
        want = self.tree.children[k]
        leaves, tree = flatten(value)
        if tree != want and isinstance(self.state[k], Undefined):  # first bound inside
            raise _Restructure(k, unflatten(tree, [Undefined(self.names[k], placeholder=True)]
                                            * len(leaves)))
        if tree != want:
            aligned, value2 = merge.align_placeholders(self.state[k], value)
            if flatten(aligned)[1] != want:
                raise _Restructure(k, aligned)
            leaves, tree = flatten(value2)
            if tree != want:
                raise TracingError(
                    f"`{self.names[k]}` changes structure inside the `try` statement at "
                    f"{self.where} ({want} before it, {tree} inside). With graph `try` "
                    "every path must give it the same nesting.")
        return leaves

    def leaves_of(self, result) -> list:
        out = []
        for k, value in enumerate(result):
            out += self.name_leaves(k, value)
        return out


class _Restructure(Exception):
    def __init__(self, k, value):
        super().__init__(k)
        self.k, self.value = k, value


def _count(tree) -> int:
    if tree.kind == "leaf":
        return 1
    return sum(_count(c) for c in tree.children)


def _inputs(child, types, names) -> list:
    values = []
    for t, name in zip(types, names):
        if t.kind == "tensor":
            values.append(child.add_input(t.shape, t.dtype, name, weak=t.weak))
        elif t.kind == "undefined":
            values.append(t.value if t.value is not None and t.value.placeholder else
                          Undefined(name, "it may be unassigned inside the `try` statement"))
        else:
            values.append(t.value)
    return values


def _graph_try(body, handlers, orelse, final, state, where):
    """The `try` node. Each part's inputs and results have their own types: the body
    takes the values before the `try`; a handler reads the variables as the body left
    them when it raised (`stmt.types`: joined over those values and the body's
    `try_save`s); `else` takes what the body gives (`stmt.elses`); `finally` and the
    statement's results what the parts that complete give (`stmt.out`). So a flag such as
    `do_return` stays a Python value when every path that completes agrees on it, and
    each part is traced once."""
    builder = context.current_builder()
    names = param_names(body)[1:]
    stmt = _Statement(state, names, where)
    kinds = tuple(get() for get, _ in handlers)
    catches = tuple(k for ks in kinds for k in (ks if isinstance(ks, tuple) else (ks,)))
    for _ in range(MAX_ROUNDS * 2):
        parts = [_Part(builder, "try", body, "body", stmt, catches)]
        parts += [_Part(builder, f"except{k}", fn, "handler", stmt)
                  for k, (_, fn) in enumerate(handlers)]
        if orelse is not None:
            parts.append(_Part(builder, "else", orelse, "else", stmt))
        if final is not None:
            parts.append(_Part(builder, "finally", final, "final", stmt))
        by_kind = {p.kind: p for p in parts if p.kind != "handler"}
        try:
            by_kind["body"].trace(stmt.init, stmt.leaf_names)
            stmt.types = _after_body(stmt, by_kind["body"])
            for part in parts:
                if part.kind == "handler":
                    part.trace(stmt.types, stmt.leaf_names)
            stmt.elses = _completed(stmt, [by_kind["body"]], stmt.types)
            if orelse is not None:
                by_kind["else"].trace(stmt.elses, stmt.leaf_names)
            done = [p for p in parts if p.kind in ("handler", "else") or
                    (p.kind == "body" and orelse is None)]
            stmt.out = out = _completed(stmt, done, stmt.types)
            fin = out
            if final is not None:
                by_kind["final"].trace(out, stmt.leaf_names)
                fin = _completed(stmt, [by_kind["final"]], out)
        except _Restructure as r:  # a `retval` placeholder takes the structure returned
            new = list(stmt.state)
            new[r.k] = r.value
            stmt.set_state(new)
            continue
        break
    else:  # pragma: no cover - a placeholder is restructured once
        raise TracingError(f"the variables of the `try` at {where} did not settle")
    init, types = stmt.init, stmt.types
    results_types = fin if final is not None else out
    for part in parts:
        part.finish({"final": fin, "handler": out, "else": out,
                     "body": stmt.elses if orelse is not None else out}[part.kind])
    slots = stmt.slots  # the variables a handler reads at run time (`stmt.types`)
    _place_saves(by_kind["body"], types, slots)
    captured = align_captures(builder, [p.child for p in parts])
    given = [i for i, t in enumerate(init) if t.kind == "tensor"]
    inputs = [builder.to_input(merge.to_value(stmt.leaves[i], init[i])) for i in given]
    hold = tuple(("in", given.index(i), _type(types[i])) if init[i].kind == "tensor" else
                 ("const", _escape_value(init[i], types[i])) for i in slots)
    escape = tuple(("run", slots.index(i)) if types[i].kind == "tensor" else
                   ("const", _escape_value(types[i], out[i]))
                   for i, t in enumerate(out) if t.kind == "tensor")
    final_slots = [i for i, t in enumerate(results_types) if t.kind == "tensor"]
    outputs = tuple(Var(results_types[i].shape, results_types[i].dtype, stmt.leaf_names[i],
                        weak=results_types[i].weak) for i in final_slots) + (
        Var((), np.int64, "try_path"), Var((), np.bool_))
    graphs = [p.child.graph for p in parts if p.kind == "handler"]
    params = {
        "n": len(given),
        "body": by_kind["body"].child.graph,
        "handlers": tuple(zip(kinds, graphs)),
        "orelse": by_kind["else"].child.graph if "else" in by_kind else None,
        "final": by_kind["final"].child.graph if "final" in by_kind else None,
        "hold": hold,
        "escape": escape,
        "types": tuple(_type(results_types[i]) for i in final_slots),
    }
    builder.add_node(try_op, (*inputs, *captured), params, outputs)
    results, it = [], iter(outputs)
    for t, name in zip(results_types, stmt.leaf_names):
        if t.kind == "tensor":
            results.append(builder.tensor(next(it)))
        elif t.kind == "undefined" and t.value is not None and t.value.placeholder:
            results.append(t.value)
        elif t.kind == "undefined":
            results.append(Undefined(name, f"it is not assigned on every path of the `try` "
                                           f"at {where}"))
        else:
            results.append(t.value)
    return state_result(unflatten(stmt.tree, results))


def _type(t) -> tuple:
    return (t.shape, t.dtype, t.weak)


def _place_saves(body, types, slots) -> None:
    """Fill in each `try_save` node of the body: the handler slot of each value and the
    type a handler reads it as (`None`: no handler reads it)."""
    slot_of = {i: s for s, i in enumerate(slots)}
    for _, _, node, kept in body.saves:
        if node is None:
            continue
        node.params["slots"] = tuple(slot_of.get(i) for i in kept)
        node.params["casts"] = tuple(_type(types[i]) if i in slot_of else None for i in kept)
        node.params["floats"] = any(types[i].dtype.kind in "fc" for i in kept if i in slot_of)


def _escape_value(inside, after):
    """What `finally` gets for a variable when an exception escapes and the variable is
    a Python value inside the statement."""
    value = inside.value if inside.kind == "const" else Undefined("try value",
                                                                   placeholder=True)
    return merge.to_value(value, after)


def _after_body(stmt, body) -> list:
    """The types a handler reads: the values before the `try` and the body's saves. A
    Python object (not a number) the body makes cannot reach a handler at run time: the
    handler sees the variable's value from before the `try`."""
    types = list(stmt.init)
    for positions, leaves, _, _ in body.saves:
        for i, x in zip(positions, leaves):
            leaf = merge.classify(x)
            if leaf.kind == "const" and not leaf.is_value:
                continue
            types[i] = _join(stmt, i, types[i], leaf)
    return types


def _completed(stmt, parts, default) -> list:
    """The types the `parts` that complete give (joined); `default` if none completes."""
    out = None
    for part in parts:
        if part.leaves is None:
            continue
        leaves = [_norm(merge.classify(x)) for x in part.leaves]
        out = leaves if out is None else [_norm(_join(stmt, i, a, b))
                                          for i, (a, b) in enumerate(zip(out, leaves))]
    return list(default) if out is None else out


def _same_types(a: list, b: list) -> bool:
    """The types of two tracing rounds agree (a Python object a part makes, such as a
    function defined in it, is a new object each round: its type is what counts)."""
    def key(t):
        return (t.kind, type(t.value)) if t.kind == "const" else t
    return [key(t) for t in a] == [key(t) for t in b]


def _norm(leaf):
    """A path's value as a type (a tensor's type without the tensor itself)."""
    return merge.single(leaf) if leaf.kind == "tensor" else leaf


def _join(stmt, i, a, b):
    joined = merge.join(stmt.leaf_names[i], a, b, _LABELS, stmt.where)
    if joined.kind == "undefined" and joined.value is None:
        return merge.Leaf("undefined", Undefined(stmt.leaf_names[i]))
    return joined


# -- np.seterr(...) ---------------------------------------------------------------------------
def graph_seterr(all=None, divide=None, over=None, under=None, invalid=None):
    """`np.seterr(...)` in a traced function: a `seterr` node that sets the settings when
    the graph runs (at that point of the program, on the path taken). Returns the
    settings in force while tracing (what the plain call would return when the settings
    were not changed since)."""
    settings = {k: v for k, v in (("all", all), ("divide", divide), ("over", over),
                                  ("under", under), ("invalid", invalid)) if v is not None}
    if any(is_traced(v) for v in settings.values()):
        raise TracingError(at_user_line("np.seterr(...) needs Python values (strings) for "
                                        "its settings, not traced values."))
    old = np.geterr()
    np.seterr(**settings)  # validates them now, as numpy would
    np.seterr(**old)
    builder = context.current_builder()
    builder.add_node(seterr, (), {"settings": tuple(sorted(settings.items()))}, ())
    return old


EFFECT_OVERLOADS[np.seterr] = graph_seterr


# -- with np.errstate(...) --------------------------------------------------------------------
def errstate_stmt(settings: dict, body, state: tuple):
    """`with np.errstate(**settings):` around `body(*state)`; inside a graph the settings
    take effect when the ops of `body` run (an `errstate` node over its sub-graph)."""
    state = tuple(state)
    builder = context.current_builder()
    if builder is None or any(is_traced(v) for v in settings.values()):
        with np.errstate(**settings):
            return state_result(as_state(body(*state), len(state)))
    names = param_names(body)
    leaves, tree = flatten(state)
    leaf_names = [n for name, c in zip(names, tree.children) for n in leaf_paths(c, name)]
    types = [merge.single(merge.classify(x)) for x in leaves]
    child = builder.child("errstate")
    where = here(1)
    with child:
        inputs = _inputs(child, types, leaf_names)
        mark = len(child.assign_log)
        result = as_state(body(*unflatten(tree, inputs)), len(state))
        _no_assigns(child, mark, "`with np.errstate(...)`", where)
        out_leaves, out_tree = flatten(result)
        if out_tree != tree:
            raise TracingError(f"the variables of the `with np.errstate(...)` at {here(1)} "
                               "change structure inside it")
        outs = [_norm(merge.classify(x)) for x in out_leaves]
        child.graph.outputs = [branch_output(child, x, t) for x, t in zip(out_leaves, outs)
                               if t.kind == "tensor"]
    captured = align_captures(builder, [child])
    init = [builder.to_input(merge.to_value(x, t)) for x, t in zip(leaves, types)
            if t.kind == "tensor"]
    outputs = tuple(Var(t.shape, t.dtype, n, weak=t.weak)
                    for t, n in zip(outs, leaf_names) if t.kind == "tensor")
    builder.add_node(errstate, (*init, *captured),
                     {"region": child.graph, "settings": tuple(sorted(settings.items()))},
                     outputs)
    it = iter(outputs)
    results = [builder.tensor(next(it)) if t.kind == "tensor" else x
               for x, t in zip(out_leaves, outs)]
    return state_result(unflatten(tree, results))
