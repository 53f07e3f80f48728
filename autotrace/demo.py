"""`python -m autotrace demo`: the seed notebook's walk, e = (a + b) * (b + 1), with autotrace.

Traces the function, shows the converted code and the graph, and evaluates e for
a = [2.], b = [1.].
"""

from __future__ import annotations

import numpy as np

import autotrace as at


@at.trace
def create_graph(a, b):
    c = a + b
    d = b + 1
    e = c * d
    return e


def run(out_dir: str | None = None, echo=print) -> dict:
    """Run the demo; returns the numbers it printed (for tests)."""
    a, b = np.array([2.0]), np.array([1.0])
    echo("# e = (a + b) * (b + 1), traced by autotrace\n")
    echo("## converted code (create_graph.code)\n")
    echo(create_graph.code)
    cf = create_graph.get_concrete_function(a, b)
    echo("## graph (str(cf.graph))\n")
    echo(str(cf.graph) + "\n")
    e = create_graph(a, b)
    echo(f"## value\n\ne = create_graph(a=[2.], b=[1.]) = {e}")
    return {"e": e}
