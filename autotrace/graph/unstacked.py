"""`Unstacked`: a result leaf that is a Python list whose length is known only at run time.

A function that returns a list grown in graph control flow (`runtime.stacked`) returns
its elements stacked; the concrete function's generated code calls the `Unstacked` on
those graph outputs to give back a Python list of arrays (or of Python numbers, or of
tuples), as the plain function does.
"""

from __future__ import annotations


class Unstacked:
    """`vars`: one stacked graph output per element leaf; `weak`: per leaf, whether the
    elements are Python numbers; `rebuild(parts)`: one element from its leaves (None: an
    element is its one leaf)."""

    __slots__ = ("vars", "weak", "rebuild")

    def __init__(self, vars: list, weak: tuple, rebuild=None):
        self.vars, self.weak, self.rebuild = list(vars), weak, rebuild

    def with_vars(self, vars: list) -> Unstacked:
        return Unstacked(vars, self.weak, self.rebuild)

    def __call__(self, *arrays) -> list:
        columns = [a.tolist() if weak else list(a) for a, weak in zip(arrays, self.weak)]
        if self.rebuild is None:
            return columns[0]
        return [self.rebuild(parts) for parts in zip(*columns)]

    def __repr__(self) -> str:
        return f"Unstacked({self.vars})"
