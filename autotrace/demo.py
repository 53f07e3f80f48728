"""`python -m autotrace demo`: the seed notebook's walk, e = (a + b) * (b + 1).

Runs `samples/intro_computational_graphs.py` (installed with the package as
`autotrace_samples`): the converted code, the graph, e, the gradients from a tape outside
and inside the traced function, the backward graph, and the three pictures.
"""

from __future__ import annotations


def run(out_dir: str | None = None, echo=print) -> dict:
    """Run the demo; returns the numbers it printed (for tests)."""
    from autotrace_samples.intro_computational_graphs import main

    return main(out_dir, echo)
