"""`try_stmt`: a `try` statement that runs when the compiled function runs, so run-time
errors are caught as in Python (`with np.errstate(...)`: runtime/errstate.py; the types
of the statement's variables across its parts: runtime/try_types.py).

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

import sys

import numpy as np

from autotrace import context, mutation
from autotrace.control.common import align_captures, as_state, state_result
from autotrace.control.trying import try_op
from autotrace.errors import AutotraceError, TracingError
from autotrace.graph.constants import same_bits
from autotrace.graph.ir import Var
from autotrace.ops.effects import graph_raise
from autotrace.ops.trying import bound_check
from autotrace.ops.trying import reraise as reraise_op
from autotrace.ops.trying import try_save as try_save_op
from autotrace.ops.trying import unbound as unbound_op
from autotrace.runtime import merge
from autotrace.runtime.inplace import describe_names, other_names
from autotrace.runtime.merge import branch_output
from autotrace.runtime.raising import BranchRaises
from autotrace.runtime.try_objects import Ambiguous, Watch, undone
from autotrace.runtime.try_types import (
    after_body,
    completed,
    escape_value,
    escaping_types,
    no_assigns,
    norm,
    region_inputs,
    same_types,
    spec,
)
from autotrace.runtime.undefined import Undefined
from autotrace.runtime.where import here, param_names
from autotrace.signature import flatten, leaf_paths, unflatten
from autotrace.tensor import Tensor

MAX_ROUNDS = 5
LABELS = ("before the `try`", "inside the `try` statement")
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
    part.save(slots, values, here(1))


def bound(value):
    """A read of a variable a `try` body may have left unbound, in an `except` or `finally`
    clause or after the statement: Python's `UnboundLocalError` where it is (at once for
    a Python value; when the graph runs, on that path, for a traced one, whether or not
    anything uses the value)."""
    if isinstance(value, Undefined):
        value.fail()
    if isinstance(value, Tensor) and (
            getattr(context.current_builder().root, "try_unbound", False) or
            any(value.symbol.uid in p.unbound_inputs for p in _parts)):
        builder = context.current_builder()
        symbol = value.symbol
        out = Var(symbol.shape, symbol.dtype, symbol.name, weak=symbol.weak)
        builder.add_node(bound_check, (builder.to_input(value),), {}, (out,))
        return builder.tensor(out)
    return value


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
        self.unbound_inputs: set = set()  # uids of its inputs that may be `Unbound`
        self.inputs, self.symbols = [], []

    def trace(self, types, names):
        child = self.child
        with child:
            args = []
            if self.kind != "final":
                self.run = child.add_input((), object, "try_state")
                args.append(self.run)
            if self.kind == "handler":
                args.append(child.add_input((), object, "exception"))
            # each part its own copy of a numpy array (a constant of the graph): a write
            # of Python values into it (`buf[0] = 1.0`) is that part's, up to where it
            # raises (the body's saves keep copies), as Python runs the one path
            inputs = [x.copy() if type(x) is np.ndarray else x
                      for x in region_inputs(child, types, names)]
            if self.kind in ("handler", "final"):
                self.unbound_inputs = {inputs[i].symbol.uid for i in self.stmt.unbound
                                       if types[i].kind == "tensor"}
            _parts.append(self)
            mark = len(child.assign_log)
            self.inputs = inputs  # to tell a variable written in place (`in_place`)
            self.symbols = [x.symbol if isinstance(x, Tensor) else None for x in inputs]
            state = unflatten(self.stmt.tree, inputs)
            if self.kind == "else":  # what `finally` gets if `else` raises before a save
                self.save(range(len(state)), state, self.stmt.where)
            try:
                result = self.fn(*args, *state)
            except BranchRaises:
                return
            except (AutotraceError, _Restructure):
                raise
            except Exception as e:
                if self.kind == "body" and not isinstance(e, self.kinds):
                    raise  # no handler catches it: it escapes on every call
                graph_raise(child, e)  # raised when the graph runs, where `except` sees it
                return
            finally:
                _parts.pop()
                no_assigns(child, mark, "a `try` statement", self.stmt.where)
        result = as_state(result, len(self.stmt.tree.children))
        self.leaves = self.stmt.leaves_of(result)

    def save(self, slots, values, where):
        """A `try_save` in the body: what a handler sees if the body raises after it; in
        a handler or `else`: what `finally` gets if an exception escapes the part after
        it. Where each value goes, and as what type, is set once the parts' types are
        known (`_place_saves`)."""
        stmt = self.stmt
        if self.kind != "body" and not stmt.has_final:
            return
        leaves, positions = [], []
        for k, v in zip(slots, values):
            got = [x.copy() if type(x) is np.ndarray else x for x in stmt.name_leaves(k, v)]
            leaves += got
            positions += list(stmt.ranges[k])
        kept = [(i, x) for i, x in zip(positions, leaves) if merge.classify(x).is_value]
        node = None
        if kept:  # in the graph being built: the part's, or a branch or loop body in it
            child = context.current_builder()
            params = {"slots": (), "casts": (), "floats": False}
            if self.kind != "body":
                params["final"] = True
            node = child.add_node(try_save_op, (child.to_input(self.run),
                                                *(child.to_input(x) for _, x in kept)),
                                  params, ())
        self.saves.append((positions, leaves, node, [i for i, _ in kept], where))

    def finish(self, types):
        child = self.child
        with child:
            leaves = self.leaves if self.leaves is not None else [_PLACEHOLDER] * len(types)
            child.graph.outputs = [
                _unbound_value(child, name, t) if name is not None else
                branch_output(child, x, t)
                for (x, t), name in zip(zip(leaves, types), self.unbound_names(leaves))
                if t.kind == "tensor"]

    def unbound_names(self, leaves) -> list:
        """Per leaf the part gives: the name of the variable unbound before the statement
        that it stands for, if it is one (None otherwise)."""
        stmt = self.stmt
        if self.leaves is None:
            return [None] * len(leaves)
        return [None if not isinstance(x, Undefined) else
                stmt.unbound.get(i) or stmt.unbound_placeholders.get(id(x))
                for i, x in enumerate(leaves)]


_PLACEHOLDER = Undefined("try value", placeholder=True)


def checked_output(builder, var: Var) -> Var:
    """`var` as an output of the traced function's graph when a `try` in it may leave a
    variable unbound: a `check_bound` node raises Python's `UnboundLocalError` when the
    value returned is one (`return y` after the statement)."""
    out = Var(var.shape, var.dtype, var.name, weak=var.weak)
    builder.add_node(bound_check, (var,), {}, (out,))
    return out


def _unbound_value(child, name: str, t):
    """A part's result for a variable it leaves unbound: `Unbound` at run time, so a read
    after the statement raises Python's `UnboundLocalError` (ops/trying.py)."""
    child.root.try_unbound = True
    return child.add_node(unbound_op, (), {"name": name, "spec": spec(t)},
                          (Var(t.shape, t.dtype, name, weak=t.weak),)).outputs[0]


class _Statement:
    """The variables of one `try` statement: structure, leaves, joined types."""

    def __init__(self, state, names, where, has_final):
        self.where = where
        self.names = names
        self.has_final = has_final
        # The variables unbound before the statement (not the converter's placeholders)
        self.unbound_vars = {k for k, x in enumerate(state)
                             if isinstance(x, Undefined) and not x.placeholder}
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
        # leaf -> the name of the variable unbound before the statement it belongs to
        self.unbound = {i: self.names[k] for k in self.unbound_vars for i in self.ranges[k]}
        # the converter's placeholders (`retval`): read only where a part assigned them
        self.placeholders = {i for i, x in enumerate(self.leaves)
                             if isinstance(x, Undefined) and x.placeholder}
        # A variable unbound before the `try` takes the type a part gives it (reading it
        # where no part bound it is Python's UnboundLocalError: `Unbound` at run time).
        # The placeholders of variables unbound before it, by identity: a part that gives
        # one (`retval = y` in a handler) gives the variable unbound (`finish`).
        self.types = [norm(merge.classify(
            Undefined(x.name, placeholder=True) if isinstance(x, Undefined) else x))
            for x in self.leaves]
        self.unbound_placeholders = {id(t.value): self.unbound[i]
                                     for i, t in enumerate(self.types) if i in self.unbound}
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
        super().__init__(k, value)
        self.k, self.value = k, value


def _count(tree) -> int:
    if tree.kind == "leaf":
        return 1
    return sum(_count(c) for c in tree.children)


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
    stmt = _Statement(state, names, where, final is not None)
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
        watch = Watch([body, *(fn for _, fn in handlers), orelse, final])
        try:
            by_kind["body"].trace(stmt.init, stmt.leaf_names)
            watch.check("body", where)
            stmt.types = after_body(stmt, by_kind["body"])
            for part in parts:
                if part.kind == "handler":
                    part.trace(stmt.types, stmt.leaf_names)
                    watch.check("`except` clause", where)
            stmt.elses = completed(stmt, [by_kind["body"]], stmt.types)
            if orelse is not None:
                by_kind["else"].trace(stmt.elses, stmt.leaf_names)
                watch.check("`else` clause", where)
            done = [p for p in parts if p.kind in ("handler", "else") or
                    (p.kind == "body" and orelse is None)]
            stmt.out = out = completed(stmt, done, stmt.types)
            fin = esc = out
            escaping = None
            if final is not None:
                by_kind["final"].trace(out, stmt.leaf_names)
                fin = completed(stmt, [by_kind["final"]], out)
                esc = escaping_types(stmt, parts)
                if not same_types(esc, out):  # `finally` as an exception escapes
                    escaping = _Part(builder, "finally", final, "final", stmt)
                    with undone(watch):  # its Python effects happened once already
                        escaping.trace(esc, stmt.leaf_names)
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
    if escaping is not None:
        escaping.finish([])  # its results are not used: the exception goes on
        parts.append(escaping)
    _refuse_aliases_of_path_writes(stmt, parts)
    slots = stmt.slots  # the variables a handler reads at run time (`stmt.types`)
    _place_saves(by_kind["body"], types, slots)
    for part in parts:  # their saves: what `finally` gets if an exception escapes them
        if part.kind in ("handler", "else"):
            _place_saves(part, esc, [i for i, t in enumerate(esc) if t.kind == "tensor"])
    captured = align_captures(builder, [p.child for p in parts])
    given = [i for i, t in enumerate(init) if t.kind == "tensor"]
    inputs = [builder.to_input(merge.to_value(stmt.leaves[i], init[i])) for i in given]
    unbound = stmt.unbound
    hold = tuple(("in", given.index(i), spec(types[i])) if init[i].kind == "tensor" else
                 ("unbound", unbound[i]) if i in unbound and init[i].kind == "undefined" else
                 ("const", escape_value(init[i], types[i])) for i in slots)
    escape = tuple(("run", slots.index(i)) if types[i].kind == "tensor" else
                   ("unbound", unbound[i]) if i in unbound and types[i].kind == "undefined"
                   else ("const", escape_value(types[i], esc[i]))
                   for i, t in enumerate(esc) if t.kind == "tensor")
    if any(h[0] == "unbound" for h in hold + escape):
        builder.root.try_unbound = True
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
        "escaping": escaping.child.graph if escaping is not None else None,
        "hold": hold,
        "escape": escape,
        "types": tuple(spec(results_types[i]) for i in final_slots),
    }
    builder.add_node(try_op, (*inputs, *captured), params, outputs)
    results, it = [], iter(outputs)
    for i, (t, name) in enumerate(zip(results_types, stmt.leaf_names)):
        if t.kind == "tensor":
            results.append(_in_place(stmt.leaves[i], i, builder.tensor(next(it)), parts))
        elif t.kind == "undefined" and t.value is not None and (
                t.value.placeholder or isinstance(t.value, Ambiguous)):
            results.append(t.value)
        elif t.kind == "undefined":
            results.append(Undefined(name, f"it is not assigned on every path of the `try` "
                                           f"at {where}"))
        else:
            results.append(t.value)
    return state_result(unflatten(stmt.tree, results))


def _in_place(outer, i, result, parts):
    """The statement's result for leaf `i`: `outer` itself, now holding `result`, when the
    parts only wrote it in place (`y += 1`, `x[0] = v`), as numpy writes the one array
    (an alias sees it, an argument is written back); else `result`."""
    if not isinstance(outer, Tensor):
        return result
    done = [p for p in parts if p.leaves is not None and p.inputs]
    if not done or any(p.leaves[i] is not p.inputs[i] for p in done) or not any(
            isinstance(p.inputs[i], Tensor) and p.inputs[i].symbol is not p.symbols[i]
            for p in done):
        return result
    mutation.check_writable(outer, "an in-place write")
    mutation.write(outer, result)
    return outer


def _refuse_aliases_of_path_writes(stmt, parts) -> None:
    """`TracingError` for a variable whose object one path of the statement writes in place
    while the statement's result cannot be that object on every path, when other local
    names hold the object: a traced value written in place on one path and rebound on
    another (`y += 1` in the body, `y = ...` in a handler), or a numpy array a part writes
    with Python values (each part writes its own copy). The variable gets the statement's
    result; the other names would keep the object unchanged, where Python shows them the
    writes made on the path taken."""
    done = [p for p in parts if p.leaves is not None and p.inputs]
    for i, (outer, name) in enumerate(zip(stmt.leaves, stmt.leaf_names)):
        if isinstance(outer, Tensor):
            rebound = any(p.leaves[i] is not p.inputs[i] for p in done)
            written = any(isinstance(p.inputs[i], Tensor) and
                          p.inputs[i].symbol is not p.symbols[i] for p in done)
            if not (rebound and written):
                continue
            what = "written in place on one path of the `try` and rebound on another"
        elif type(outer) is np.ndarray:
            if all(p.inputs[i] is outer or type(p.inputs[i]) is not np.ndarray or
                   same_bits(outer, p.inputs[i]) for p in parts if p.inputs):
                continue
            what = "a numpy array that the `try`'s parts write in place"
        else:
            continue
        names = other_names(outer, sys._getframe(1))
        if len(names) < 2:
            continue
        shown = describe_names(names)
        raise TracingError(
            f"`{name}` is {what}, and other local names hold the same array: {shown}. "
            f"After the statement `{name}` holds the value of the path taken, but the "
            "others would keep the array as it was before, where Python shows them the "
            "writes made on that path. Give the array one name inside the `try` "
            f"(`{name} = {name}.copy()` before it, if another name should keep the old "
            f"values), or write `{name} = {name} + ...` instead of an in-place update.\n"
            f"  at {stmt.where}")


def _place_saves(part, types, slots) -> None:
    """Fill in each `try_save` node of `part`: the slot of each value and its type there
    (`None`: nothing reads it). The body's saves are what a handler reads; a handler's or
    `else`'s what `finally` gets."""
    slot_of = {i: s for s, i in enumerate(slots)}
    for _, _, node, kept, _ in part.saves:
        if node is None:
            continue
        node.params["slots"] = tuple(slot_of.get(i) for i in kept)
        node.params["casts"] = tuple(spec(types[i]) if i in slot_of else None for i in kept)
        node.params["floats"] = part.kind == "body" and any(
            types[i].dtype.kind in "fc" for i in kept if i in slot_of)
