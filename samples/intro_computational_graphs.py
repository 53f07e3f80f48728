"""The seed notebook, "Introduction to Computational Graphs", replayed with autotrace.

    e = (a + b) * (b + 1),  a = [2.], b = [1.]

A traced function builds the graph; a tape outside it gives de/da and de/db, a tape
inside it gives the gradients with respect to the intermediate values c, d and e.
Run it: `python samples/intro_computational_graphs.py [--out DIR]` (also what
`python -m autotrace demo` runs). With `--out` it also draws the notebook's three pictures
(`pip install autotrace[viz]`): the graph, the graph with values, and the graph with
derivatives. intro_computational_graphs.ipynb is the same walk as a Jupyter notebook.
"""

from __future__ import annotations

import argparse

import numpy as np

import autotrace as at


@at.trace
def create_graph(a, b, get_grads):
    with at.GradientTape(persistent=True) as tape:
        c = a + b
        d = b + 1
        e = c * d
    if get_grads == False:  # noqa: E712 - the notebook's own spelling
        return {"out": e}
    else:
        de_dc = tape.gradient(e, c)
        de_dd = tape.gradient(e, d)
        de_de = tape.gradient(e, e)
        return {"out": e, "d_dc": de_dc, "d_dd": de_dd, "d_de": de_de}


def main(out_dir: str | None = None, echo=print) -> dict:
    """Walk the notebook; returns the numbers it printed (e and the five gradients)."""
    a = at.Variable([2.0])
    b = at.Variable([1.0])

    echo("## The function, converted to graph code (create_graph.code)\n")
    echo(create_graph.code)

    echo("## Evaluating e = (a + b) * (b + 1) at a = 2, b = 1\n")
    e = create_graph(a, b, False)["out"]
    echo(f"e = {np.asarray(e)}\n")

    echo("## The graph autotrace traced (with the inner tape's gradients)\n")
    cf = create_graph.get_concrete_function(a, b, True)
    echo(str(cf.graph) + "\n")

    echo("## Derivatives from a tape outside the traced function\n")
    with at.GradientTape(persistent=True) as tape:
        out = create_graph(a, b, True)
        e = out["out"]
    de_da = tape.gradient(e, a)
    de_db = tape.gradient(e, b)
    echo(f"de/da = {de_da}    (e changes 2 times as fast as a: through c, de/dc = d = 2)")
    echo(f"de/db = {de_db}    (sum over paths: 1 * 2 through c, plus 1 * 3 through d)\n")

    echo("## Derivatives with respect to the intermediate values (tape inside)\n")
    inner = {name: np.asarray(out[name]) for name in ("d_dc", "d_dd", "d_de")}
    for name, value in inner.items():
        echo(f"de/{name[2:]} = {value}")

    echo("\n## The backward graph the outside tape ran (the chain rule, as a graph)\n")
    echo(str(cf.backward().graph) + "\n")

    numbers = {"e": np.asarray(out["out"]), "de_da": de_da, "de_db": de_db, **inner}
    if out_dir is not None:
        _pictures(out_dir, a, b, echo)
    return numbers


def _pictures(out_dir: str, a, b, echo) -> None:
    """The notebook's three pictures: structure, values, derivatives on the edges."""
    import pathlib

    from autotrace import viz

    @at.trace
    def seed(a, b):
        c = a + b
        d = b + 1
        e = c * d
        return e

    folder = pathlib.Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    args = (np.asarray(a), np.asarray(b))
    for name, options in (("graph", {}), ("values", {"values": True}),
                          ("derivatives", {"values": True, "gradients": True})):
        path = folder / f"{name}.svg"
        message = viz.render_function(seed, args, path, **options)
        echo(message)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="directory for the three pictures")
    main(parser.parse_args().out)
