"""`raise` inside graph control flow: the exception is raised at run time, on the path
that reaches it, as in Python.

The converter turns `raise exc` into `at__.raise_(exc)`. Outside graph branches it is a
plain `raise`. Inside a branch of a graph `cond` it adds a `raise` node to that branch and
stops tracing it (`BranchRaises`); the `cond` then takes its types from the other branch.
In a graph loop body the loop variables then stay as they are (the iteration raises), and
where every path of the function raises, the graph has no outputs (`tracing.py`).
"""

from __future__ import annotations

from autotrace import context
from autotrace.ops.effects import graph_raise
from autotrace.ops.trying import raise_from
from autotrace.tensor import Tensor


class BranchRaises(Exception):
    """Internal: the branch being traced always raises `exception` (at run time)."""

    def __init__(self, exception: BaseException):
        super().__init__(exception)
        self.exception = exception


_NO_CAUSE = object()


def raise_(exception=None, cause=_NO_CAUSE):
    """`raise exception` (a class or an instance), or `raise exception from cause`, in
    Python or in a graph branch. A traced `cause` is the exception an `except ... as e`
    of a graph `try` caught: it is known when the graph runs (a `raise_from` node)."""
    if exception is None:
        raise RuntimeError("No active exception to reraise")
    if isinstance(exception, type):
        exception = exception()
    builder = context.current_builder()
    if isinstance(cause, Tensor):
        builder.add_node(raise_from, (builder.to_input(cause),), {"exception": exception}, ())
        raise BranchRaises(exception)
    if builder is None or not getattr(builder, "in_branch", False):
        if cause is _NO_CAUSE:
            raise exception
        raise exception from cause

    graph_raise(builder, exception)
    raise BranchRaises(exception)
