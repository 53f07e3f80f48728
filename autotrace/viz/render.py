"""Rendering DOT text to SVG/PNG/PDF through Graphviz, and the Jupyter display hooks.

Rendering needs the optional `graphviz` Python package (`pip install autotrace[viz]`) and
Graphviz's `dot` program. Without them `render` still writes the DOT text next to the
requested file and raises `GraphvizUnavailable` saying what to install; the Jupyter hooks
fall back to text.
"""

from __future__ import annotations

import html
from pathlib import Path

from autotrace.errors import AutotraceError

FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot"}
PNG_DPI = 144  # Graphviz's 96 makes labels hard to read on slides and screens
INSTALL_HINT = ("Install both `pip install autotrace[viz]` (the graphviz Python package) and "
                "the Graphviz system package that provides `dot` (apt install graphviz, "
                "brew install graphviz, conda install graphviz, or "
                "https://graphviz.org/download/).")


class GraphvizUnavailable(AutotraceError, RuntimeError):
    """Rendering needs the `graphviz` Python package and Graphviz's `dot` program."""


class _Missing(Exception):
    """Internal: why Graphviz cannot run here."""


def render(dot: str, path, format: str | None = None) -> Path:
    """Write DOT text `dot` to `path` as SVG, PNG or PDF (or as DOT text for .dot/.gv).

    Args:
        dot: DOT source (`graph.to_dot()`, `fn.to_dot(...)`).
        path: the file to write; its suffix picks the format unless `format` is given.
        format: "svg", "png", "pdf" or "dot".

    Returns:
        The path written.

    Raises:
        GraphvizUnavailable: the graphviz package or `dot` is missing; the DOT text was
            written to `path` with suffix `.dot`, and the message says what to install.
        ValueError: the format cannot be told from the suffix, or is not supported.
    """
    path = Path(path)
    fmt = _format(path, format)
    if fmt == "dot":
        path.write_text(dot, encoding="utf-8")
        return path
    try:
        data = _pipe(_with_dpi(dot, PNG_DPI) if fmt == "png" else dot, fmt)
    except _Missing as e:
        dot_path = path.with_suffix(".dot")
        dot_path.write_text(dot, encoding="utf-8")
        raise GraphvizUnavailable(
            f"cannot render {path}: {e}. {INSTALL_HINT} The DOT text was written to "
            f"{dot_path}; render it later with `dot -T{fmt} {dot_path} -o {path}`.") from None
    path.write_bytes(data)
    return path


def _format(path: Path, format: str | None) -> str:
    if format is None:
        fmt = FORMATS.get(path.suffix.lower())
        if fmt is None:
            raise ValueError(f"cannot tell the picture format from {path.name!r}; use a "
                             f"{', '.join(FORMATS)} suffix or pass format='svg'")
        return fmt
    fmt = format.lower().lstrip(".")
    if fmt not in set(FORMATS.values()) | {"gv"}:
        raise ValueError(f"unsupported format {format!r}; use svg, png, pdf or dot")
    return "dot" if fmt == "gv" else fmt


def _with_dpi(dot: str, dpi: int) -> str:
    """`dot` with a graph-level `dpi` attribute (first, so the graph's own one wins)."""
    start = dot.index("{") + 1
    return f"{dot[:start]}\n  graph [dpi={dpi}];{dot[start:]}"


def _pipe(dot: str, fmt: str) -> bytes:
    """Run Graphviz's `dot` on `dot`; raises `_Missing` when it cannot run."""
    try:
        import graphviz
    except ImportError:
        raise _Missing("the `graphviz` Python package is not installed") from None
    try:
        return graphviz.Source(dot).pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        raise _Missing("Graphviz's `dot` program was not found on PATH") from None


def to_svg(dot: str) -> str | None:
    """SVG text of `dot`, or None when Graphviz is unavailable."""
    try:
        return _pipe(dot, "svg").decode("utf-8")
    except _Missing:
        return None


# -- Jupyter ----------------------------------------------------------------------------------
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


def graph_mimebundle(graph) -> dict:
    """Jupyter's display of a graph: the picture, with the text form as a fallback."""
    bundle = {"text/plain": str(graph)}
    svg = to_svg(graph.to_dot())
    if svg is not None:
        bundle["image/svg+xml"] = svg
    return bundle


def function_mimebundle(fn) -> dict:
    """Jupyter's display of a traced function: its converted code, highlighted, and the
    picture of its most recent graph (text when Graphviz is unavailable)."""
    bundle = {"text/plain": repr(fn)}
    try:
        parts = [Code(fn.code)._repr_html_()]
    except Exception:  # a display hook must not fail; text/plain remains
        return bundle
    concrete = list(getattr(fn, "_cache", {}).values())
    if concrete:
        graph = concrete[-1].graph
        svg = to_svg(graph.to_dot())
        parts.append(svg if svg is not None else f"<pre>{html.escape(str(graph))}</pre>")
    bundle["text/html"] = "\n".join(parts)
    return bundle
