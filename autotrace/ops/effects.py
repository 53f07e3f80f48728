"""Ops with side effects: `print` and `assert`. They have no outputs and are never removed
or reordered; inside `cond`/`while_loop` sub-graphs they run when their branch or
iteration runs, every call, like the Python statement they come from.
"""

from __future__ import annotations

import builtins

from autotrace.ops.registry import Op, apply, register


def _print_impl(*values, template=(), sep=" ", end="\n", file=None, flush=False):
    it = iter(values)
    args = [next(it) if slot is _SLOT else slot for slot in template]
    builtins.print(*args, sep=sep, end=end, file=file, flush=flush)
    return ()


class _Slot:
    def __repr__(self) -> str:
        return "_"


_SLOT = _Slot()

print_op = register(Op("print", _print_impl, lambda *avals, **params: (),
                       multiple_results=True, differentiable=False, effect=True))


def _symbolic(x) -> bool:
    """A value of the graph being built (eager values print at trace time as constants)."""
    return getattr(x, "_symbolic", False)


def graph_print(args, sep=" ", end="\n", file=None, flush=False) -> None:
    """Add a print node: tensors print their run-time values, other arguments as given."""
    values = [a for a in args if _symbolic(a)]
    template = tuple(_SLOT if _symbolic(a) else a for a in args)
    apply(print_op, *values, template=template, sep=sep, end=end, file=file, flush=flush)


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
