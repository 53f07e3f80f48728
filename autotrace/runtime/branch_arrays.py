"""Numpy arrays that one branch of a graph `if` writes in place with numpy values.

Both branches of a graph `if` are traced, one after the other, on the same Python objects.
A write into a numpy array with numpy values (`buf[1:] -= np.cos(buf)[:2]`, `buf.fill(0)`)
runs in place while the branch is traced, so without care the other branch's trace, and
the code after the `if`, would see it whichever branch the call takes at run time.

`isolated` runs one branch so that it does not: each numpy array the branch takes (its
state) is replaced by a copy of its own, given back as the array itself when the branch
leaves it as it was, else as the written copy (a constant of that branch's graph). Both
branches therefore start from the arrays as they were before the `if`, and `graph_cond`
joins what each gives (a constant when both agree, else a graph value), so after the `if`
the name holds the selected branch's value, as in Python. Arrays the trace reads live or
writes back (captured, global: `runtime.inplace`) are left to that mechanism.

What cannot be expressed is refused, naming the user's line: an array written in a branch
that the branch reaches without taking it as a variable it may change (a closure read,
`buf.fill(0)` alone), and an array that other local names, containers or a module also hold
(Python shows the write through all of them; only the written name gets the new value).
"""

from __future__ import annotations

import numpy as np

from autotrace import context
from autotrace.errors import TracingError
from autotrace.runtime.containers import _closure
from autotrace.runtime.inplace import _captured_name, other_names, written_stand_in
from autotrace.runtime.stacked import flatten as stacked_flatten
from autotrace.runtime.where import here, param_names
from autotrace.signature import unflatten


def isolated(run, fn, state: tuple):
    """`run(state)`: branch `fn` on `state` with each numpy array of it replaced by a copy
    (given back as the array itself when the branch leaves the copy as it was), and the
    arrays `fn`'s closure reaches restored afterwards (see the module docstring)."""
    leaves, tree = stacked_flatten(state)
    copies: dict = {}  # id(array) -> (array, its copy): one copy per object (aliases stay)
    builder = context.current_builder()
    for x in leaves:
        if _writable(x) and id(x) not in copies and not _reached_from_outside(builder, x):
            copies[id(x)] = (x, x.copy())
    closed = [(name, value, value.copy()) for name, value in _closure(fn)
              if _writable(value) and id(value) not in copies]
    if not copies and not closed:
        return run(state)
    if copies:
        state = unflatten(tree, [copies[id(x)][1] if id(x) in copies else x for x in leaves])
    try:
        result = run(state)
    finally:
        written = [name for name, value, before in closed if _changed(value, before)]
        for _, value, before in closed:
            np.copyto(value, before)
    if written:
        _refuse(written[0], None, closure=True)
    back = {}  # id(copy) -> the array: copies the branch left as they were
    names = dict(zip(map(id, state), param_names(fn))) if fn is not None else {}
    for array, copy in copies.values():
        if _changed(copy, array):
            _refuse(names.get(id(copy), "the array"), array, closure=False)
        else:
            back[id(copy)] = (copy, array)
    out, out_tree = stacked_flatten(result)
    return unflatten(out_tree, [back[id(x)][1] if id(x) in back and back[id(x)][0] is x
                                else x for x in out])


def _changed(array, before) -> bool:
    return array.shape != before.shape or array.tobytes() != before.tobytes()


def _reached_from_outside(builder, x) -> bool:
    """Numpy array `x` is one the trace reads live or writes back (a captured or global
    array: `runtime.inplace`), which a copy would cut off; it is left as it is."""
    return builder is not None and (written_stand_in(builder, x) is not None or
                                    _captured_name(builder, x) is not None)


def _writable(x) -> bool:
    return type(x) is np.ndarray and x.dtype != object and x.flags.writeable and x.size > 0


def _refuse(name: str, array, closure: bool) -> None:
    """Refuse a write in a branch that the graph cannot give back, if it is one (see the
    module docstring); `array`: the array before the `if` (None for a closure's)."""
    where = here()
    start = (f"`{name}`, a numpy array, is written in place in one branch of the `if` whose "
             f"condition is a tensor ({where})")
    if closure:
        raise TracingError(
            f"{start}, which does not assign `{name}`. Both branches are traced, and the "
            "graph gives the array the run-time path's value only through an assignment: "
            f"write `{name} = {name}.copy()` (or any assignment to `{name}`) in the branch, "
            "or make the condition a Python value.")
    holders = other_names(array)
    if len(holders) > 1:
        shown = ", ".join(f"`{n}` (in {f}, line {line})" for n, f, line in holders)
        raise TracingError(
            f"{start}, and it is also held by {shown}. After a graph `if` only the name "
            f"`{name}` holds the run-time path's value; numpy would show the write through "
            f"every reference. Use one name for the array (`{name} = {name}.copy()` before "
            "the `if`), or make the condition a Python value.")
