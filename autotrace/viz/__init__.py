"""Pictures of graphs: DOT export, rendering through Graphviz, Jupyter display.

    cf.graph.to_dot()                                  # DOT text, no dependency
    f.to_dot(a, b, values=True, gradients=True)        # the seed notebook's third picture
    f.render("e.svg", a, b, values=True)               # needs `pip install autotrace[viz]`

`graph_to_dot` writes the text (`autotrace.viz.dot`); values and derivatives are computed
by autotrace itself (`autotrace.viz.evaluate`); `render` and the Jupyter hooks live in
`autotrace.viz.render`.
"""

from autotrace.viz.dot import graph_to_dot
from autotrace.viz.functions import function_to_dot, render_function
from autotrace.viz.render import (
    Code,
    GraphvizUnavailable,
    function_mimebundle,
    graph_mimebundle,
    render,
    to_svg,
)

__all__ = [
    "Code", "GraphvizUnavailable", "function_mimebundle", "function_to_dot",
    "graph_mimebundle", "graph_to_dot", "render", "render_function", "to_svg",
]
