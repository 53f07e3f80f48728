"""`Unstacked`: a result leaf that is a Python list whose length is known only at run time.

A function that returns a list grown in graph control flow (`runtime.stacked`) returns
its elements stacked; the concrete function's generated code unstacks those graph outputs
into a Python list of arrays (of Python numbers, of tuples), as the plain function gives.
"""

from __future__ import annotations


class Unstacked:
    """`vars`: one stacked graph output per element leaf; `weak`: per leaf, whether the
    elements are Python numbers; `flat`: an element is its one leaf, or a flat tuple of its
    leaves; otherwise `rebuild(parts)` makes one element from its leaves."""

    __slots__ = ("vars", "weak", "flat", "rebuild")

    def __init__(self, vars: list, weak: tuple, flat: bool = True, rebuild=None):
        self.vars, self.weak, self.flat, self.rebuild = list(vars), weak, flat, rebuild

    def with_vars(self, vars: list) -> Unstacked:
        return Unstacked(vars, self.weak, self.flat, self.rebuild)

    def columns(self, exprs: list[str]) -> list[str]:
        """Code for each leaf's elements (a list) from the stacked arrays `exprs`."""
        return [f"{e}.tolist()" if weak else f"[*{e}]" for e, weak in zip(exprs, self.weak)]

    def expression(self, exprs: list[str]) -> str | None:
        """Code making the list from `exprs`, or None when it needs `self` (`rebuild`)."""
        if not self.flat:
            return None
        cols = self.columns(exprs)
        return cols[0] if len(cols) == 1 and self.rebuild is None else \
            f"[*zip({', '.join(cols)})]"

    def __call__(self, *arrays) -> list:
        columns = [a.tolist() if weak else list(a) for a, weak in zip(arrays, self.weak)]
        if self.rebuild is None:
            return columns[0]
        return [self.rebuild(parts) for parts in zip(*columns)]

    def __repr__(self) -> str:
        return f"a list grown in graph control flow (stacked in {self.vars})"
