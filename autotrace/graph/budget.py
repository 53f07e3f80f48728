"""`NodeBudget`: how many nodes one trace may create, and the guard on Python loops that
are unrolled at trace time.

A Python loop (`for i in range(n)` with a Python `n`, a `while` on Python values) runs
while tracing and copies its body into the graph on every iteration. Past
`UNROLL_WARNING` nodes added by one loop, autotrace warns, naming the loop's line; past
the trace's limit (`max_nodes` of `autotrace.trace`, default `MAX_NODES`, counting the
nodes of every sub-graph) it stops with a `GraphSizeError` instead of eating memory.

The builder counts nodes with one increment and one comparison per node; the checks run
every `CHECK_EVERY` nodes.
"""

from __future__ import annotations

import linecache
import warnings
from contextlib import contextmanager

from autotrace.errors import GraphSizeError, UnrollingWarning, at_user_line, user_frame

MAX_NODES = 250_000
UNROLL_WARNING = 10_000
CHECK_EVERY = 1_000


class NodeBudget:
    """Node count of one trace (shared by a builder and its children)."""

    def __init__(self, name: str, limit: int | None):
        self.name = name
        self.limit = limit
        self.count = 0
        self.next_check = CHECK_EVERY
        self.loops: list[_Loop] = []  # the Python loops running now, outermost first

    @contextmanager
    def unrolling(self, kind: str):
        """Context manager around a Python loop running at trace time (`kind`: for/while)."""
        frame = user_frame(1)
        if frame is None:
            yield
            return
        self.loops.append(_Loop(kind, frame, frame.f_lineno, self.count))
        try:
            yield
        finally:
            self.loops.pop()

    def check(self) -> None:
        """Called every `CHECK_EVERY` nodes: warn about a long unrolled loop, stop at the
        limit."""
        self.next_check = self.count + CHECK_EVERY
        for loop in self.loops:
            if not loop.warned and self.count - loop.start >= UNROLL_WARNING:
                for inner in self.loops:
                    inner.warned = True
                loop.warn(self.count - loop.start)
                break
        if self.limit is not None and self.count > self.limit:
            raise GraphSizeError(self._limit_message())

    def _limit_message(self) -> str:
        what = (f"{self.name} was stopped while tracing: its graph reached {self.limit:,} "
                "nodes (the max_nodes limit of autotrace.trace)")
        if not self.loops:
            return at_user_line(f"{what}. Something at this line repeats at trace time "
                                "(a comprehension, recursion); make it a graph loop, or "
                                "raise the limit with autotrace.trace(..., max_nodes=N).")
        loop = self.loops[0]
        return (f"{what}, because the Python `{loop.kind}` loop at {loop.where()} is "
                f"unrolled and copies its body into the graph on every iteration. "
                f"{loop.advice()} If the graph really is that large, raise the limit with "
                "autotrace.trace(..., max_nodes=N).")


class _Loop:
    __slots__ = ("kind", "frame", "lineno", "start", "warned")

    def __init__(self, kind: str, frame, lineno: int, start: int):
        self.kind, self.frame, self.lineno, self.start = kind, frame, lineno, start
        self.warned = False

    def where(self) -> str:
        code = self.frame.f_code
        source = linecache.getline(code.co_filename, self.lineno).strip()
        return f'File "{code.co_filename}", line {self.lineno}, in {code.co_name}: `{source}`'

    def advice(self) -> str:
        if self.kind == "for":
            return ("To trace it once as a graph loop, give it a traced bound: pass the "
                    "bound to the traced function as an array (f(x, np.asarray(n)) makes "
                    "`range(n)` a graph `while_loop`), or iterate over an array.")
        return ("To trace it once as a graph loop, make its condition depend on a traced "
                "value (pass the bound to the traced function as an array, "
                "np.asarray(n)).")

    def warn(self, added: int) -> None:
        code, globals_ = self.frame.f_code, self.frame.f_globals
        warnings.warn_explicit(
            f"The Python `{self.kind}` loop at {self.where()} is unrolled at trace time and "
            f"has added {added:,} graph nodes so far: every iteration copies its body into "
            f"the graph, which makes tracing slow and the graph large. {self.advice()}",
            UnrollingWarning, code.co_filename, self.lineno,
            module=globals_.get("__name__", "__main__"),
            registry=globals_.setdefault("__warningregistry__", {}))
