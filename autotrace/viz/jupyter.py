"""Jupyter's display of graphs, concrete functions and traced functions.

Graphs and concrete functions show as their picture (SVG), traced functions as their
converted code, highlighted, above the picture of their most recent graph. Each object
offers the picture three ways, since front ends differ in what they ask for: the mime
bundle (`_repr_mimebundle_`, what Jupyter asks first), `_repr_svg_` and `_repr_html_`.
Without a Graphviz program the pictures fall back to the text form. A display hook never
raises: IPython would print a traceback instead of the object.
"""

from __future__ import annotations

import html

from autotrace.viz.render import to_svg


class Code(str):
    """Source text that Jupyter shows highlighted (pygments if installed, else `<pre>`).

    Example:
        >>> Code(f.code)          # doctest: +SKIP
    """

    def _repr_html_(self) -> str:
        try:
            from pygments import highlight
            from pygments.formatters import HtmlFormatter
            from pygments.lexers import PythonLexer
        except ImportError:
            return f"<pre>{html.escape(str(self))}</pre>"
        return highlight(str(self), PythonLexer(), HtmlFormatter(noclasses=True))


def graph_svg(graph) -> str | None:
    """The picture of `graph` as SVG text; None without a Graphviz program."""
    return to_svg(graph.to_dot())


def graph_html(graph) -> str:
    """The picture of `graph` as inline SVG (from its `<svg>` tag: no XML prolog inside
    HTML), or its text form in `<pre>`."""
    svg = graph_svg(graph)
    if svg is None:
        return f"<pre>{html.escape(str(graph))}</pre>"
    return svg[svg.index("<svg"):]


def graph_mimebundle(graph) -> dict:
    """Jupyter's display of a graph: the picture, with the text form as a fallback."""
    bundle = {"text/plain": str(graph)}
    svg = graph_svg(graph)
    if svg is not None:
        bundle["image/svg+xml"] = svg
    return bundle


def latest_graph(fn):
    """The graph of `fn`'s most recently traced concrete function, or None."""
    concrete = list(getattr(fn, "_cache", {}).values())
    return concrete[-1].graph if concrete else None


def function_svg(fn) -> str | None:
    """The picture of `fn`'s latest graph; None when it has none or Graphviz is missing."""
    graph = latest_graph(fn)
    return graph_svg(graph) if graph is not None else None


def function_html(fn) -> str | None:
    """`fn`'s converted code, highlighted, and the picture (or text) of its latest graph;
    None when the code cannot be shown (the display keeps `repr(fn)`)."""
    try:
        parts = [Code(fn.code)._repr_html_()]
    except Exception:  # a display hook must not fail; text/plain remains
        return None
    graph = latest_graph(fn)
    if graph is not None:
        parts.append(graph_html(graph))
    return "\n".join(parts)


def function_mimebundle(fn) -> dict:
    """Jupyter's display of a traced function: `function_html`, with `repr` as text."""
    bundle = {"text/plain": repr(fn)}
    shown = function_html(fn)
    if shown is not None:
        bundle["text/html"] = shown
    return bundle
