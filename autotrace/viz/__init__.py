"""Pictures of graphs: DOT export, rendering through Graphviz, Jupyter display.

    cf.graph.to_dot()                                  # DOT text, no dependency
    f.to_dot(a, b, values=True, gradients=True)        # the seed notebook's third picture
    f.render("e.svg", a, b, values=True)               # `pip install autotrace[viz]`

`graph_to_dot` writes the text (`autotrace.viz.dot`); values and derivatives are computed
by autotrace itself (`autotrace.viz.evaluate`); `render` runs the system's `dot` or
`graphviz-pure` (`autotrace.viz.render`); the Jupyter display is `autotrace.viz.jupyter`.
"""

from autotrace.viz.dot import graph_to_dot
from autotrace.viz.functions import function_to_dot, render_function
from autotrace.viz.jupyter import (
    Code,
    function_html,
    function_mimebundle,
    function_svg,
    graph_html,
    graph_mimebundle,
    graph_svg,
)
from autotrace.viz.render import GraphvizUnavailable, dot_program, render, to_svg

__all__ = [
    "Code", "GraphvizUnavailable", "dot_program", "function_html", "function_mimebundle",
    "function_svg", "function_to_dot", "graph_html", "graph_mimebundle", "graph_svg",
    "graph_to_dot", "render", "render_function", "to_svg",
]
