"""`case` registers a corpus function with the inputs it is checked on."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Case:
    """A corpus function and inputs of one signature that take different paths.

    `merged_scalars`: the function returns a Python scalar on some paths and an array
    scalar on others (e.g. `s = 0.0` before a loop over an array that may run zero
    times); a graph gives one type for both, the array scalar, which is accepted where the
    original gives the Python scalar of the same value.
    `paths`: the least number of distinct paths (line sequences) the inputs must take.
    """

    fn: object
    inputs: list
    merged_scalars: bool = False
    paths: int = 2
    rtol: float = 1e-12

    @property
    def id(self) -> str:
        return self.fn.__name__


@dataclass
class Registry:
    """The cases of one corpus module, in definition order."""

    cases: list = field(default_factory=list)

    def case(self, *inputs, **options):
        """Decorator: register the function with `inputs` (argument tuples, or single
        arguments for a one-parameter function)."""
        def register(fn):
            args = [i if isinstance(i, tuple) else (i,) for i in inputs]
            self.cases.append(Case(fn, args, **options))
            return fn

        return register
