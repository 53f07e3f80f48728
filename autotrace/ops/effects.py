"""Ops with side effects: `print`, `assert`, `raise` and `raise_if` (numpy's checks of
values, such as geomspace's refusal of zero). They have no outputs and are never removed
or reordered; inside `cond`/`while_loop` sub-graphs they run when their branch or
iteration runs, every call, like the Python statement they come from.
"""

from __future__ import annotations

import builtins

import numpy as np

from autotrace.core import Tracer
from autotrace.ops.registry import Op, apply, register
from autotrace.ops.unbound import Unbound


def _print_impl(*values, template=(), sep=" ", end="\n", file=None, flush=False):
    builtins.print(*fill(template, values), sep=sep, end=end, file=file, flush=flush)
    return ()


class Slot:
    """A place in an effect's arguments filled at run time from its tensor inputs.

    One value per entry of `pytypes` is taken; `render(*values)` makes the argument (the
    value itself by default, or a string formatted at run time). `pytypes[i]` is the Python
    scalar type of a weakly typed input (a traced Python number), so it is shown as Python
    shows it, or a `Live` object (a `Variable`), shown as it is when the node runs.
    """

    __slots__ = ("pytypes", "render")

    def __init__(self, pytypes=(None,), render=None):
        self.pytypes, self.render = tuple(pytypes), render

    def fill(self, it):
        values = [t.obj if isinstance(t, Live) else _as_python(next(it), t)
                  for t in self.pytypes]
        return values[0] if self.render is None else self.render(*values)

    def __repr__(self) -> str:
        return "_" if self.render is None else f"<format {self.render!r}>"


class Live:
    """An object formatted as it is at run time (a `Variable`), not a graph input."""

    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj


def _as_python(value, pytype):
    """The run-time value as the plain function holds it: a Python number for a weakly
    typed input, a numpy scalar for a 0-d array (what numpy's ops return)."""
    if pytype is not None:
        return pytype(value)
    if type(value) is Unbound:  # read before anything is printed, as Python reads it
        value.fail()
    return value[()] if isinstance(value, np.ndarray) and value.ndim == 0 else value


def fill(template, values) -> list:
    """The effect's arguments: `template` with each `Slot` filled from `values`."""
    it = iter(values)
    return [slot.fill(it) if isinstance(slot, Slot) else slot for slot in template]


print_op = register(Op("print", _print_impl, lambda *avals, **params: (),
                       multiple_results=True, differentiable=False, effect=True))


def _call_impl(*values, fn, template=(), keys=()):
    args = fill(template, values)
    n = len(args) - len(keys)
    fn(*args[:n], **dict(zip(keys, args[n:])))
    return ()


call_op = register(Op("effect_call", _call_impl, lambda *avals, **params: (),
                      multiple_results=True, differentiable=False, effect=True))


def _assert_impl(test, *message, where=""):
    if not test:
        text = message[0] if message else ""
        raise AssertionError(f"{text}" if text != "" else f"assertion failed at {where}")
    return ()


assert_op = register(Op("assert", _assert_impl, lambda *avals, **params: (),
                        multiple_results=True, differentiable=False, effect=True))


def graph_assert(test, message, where: str) -> None:
    """Add an assert node: raises `AssertionError(message)` at run time if `test` is false."""
    extra = () if message is None else (message,)
    apply(assert_op, test, *extra, where=where)


def _raise_impl(*args, exception):
    raise type(exception)(*exception.args)


raise_op = register(Op("raise", _raise_impl, lambda *avals, **params: (),
                       multiple_results=True, differentiable=False, effect=True))


def graph_raise(builder, exception: BaseException) -> None:
    """Add a node to `builder`'s graph that raises (a copy of) `exception` when it runs."""
    builder.add_node(raise_op, (), {"exception": exception}, ())


def _raise_if_impl(test, exception):
    if np.any(test):
        raise type(exception)(*exception.args)
    return ()


raise_if_op = register(Op("raise_if", _raise_if_impl, lambda *avals, **params: (),
                          multiple_results=True, differentiable=False, effect=True))


def raise_if(test, exception: BaseException) -> None:
    """Raise (a copy of) `exception` when any element of `test` is true: at once for a
    static `test`, else from an effect node when the graph runs (numpy's value checks)."""
    if not isinstance(test, Tracer):
        _raise_if_impl(test, exception)
        return
    apply(raise_if_op, test, exception=exception)
