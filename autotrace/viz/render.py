"""Rendering DOT text to SVG/PNG/PDF with a Graphviz program (Jupyter's display of
pictures is `autotrace.viz.jupyter`).

The program is the system Graphviz's `dot` when it is on PATH, else `graphviz-pure` (a
self-contained port of Graphviz with dot's command line that `pip install autotrace[viz]`
brings; it writes SVG and PNG, not PDF). `dot_program` says which one runs. No Python
binding is involved: the DOT text is piped to the program. Without either program `render`
still writes the DOT text next to the requested file and raises `GraphvizUnavailable`
naming both.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from autotrace.errors import AutotraceError

FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot"}
PNG_DPI = 144  # Graphviz's 96 makes labels hard to read on slides and screens
SYSTEM_DOT = "dot"
PURE_DOT = "graphviz-pure"
PURE_FORMATS = ("svg", "png")
INSTALL_HINT = (f"Install `pip install autotrace[viz]` (it brings `{PURE_DOT}`, a Graphviz "
                f"that needs no system package), or the Graphviz system package that "
                f"provides `{SYSTEM_DOT}` (apt install graphviz, brew install graphviz, "
                f"conda install graphviz, or https://graphviz.org/download/).")


class GraphvizUnavailable(AutotraceError, RuntimeError):
    """Rendering needs a Graphviz program: the system's `dot` or the `graphviz-pure` wheel."""


class _Missing(Exception):
    """Internal: why Graphviz cannot run here."""


def dot_program() -> str | None:
    """The Graphviz program `render` runs: the system `dot` on PATH first, else
    `graphviz-pure` (on PATH, or in this Python's scripts directory, where pip puts it
    even when a virtualenv is used without being activated); None when neither exists."""
    found = shutil.which(SYSTEM_DOT) or shutil.which(PURE_DOT)
    if found is not None:
        return found
    return shutil.which(PURE_DOT, path=os.pathsep.join(script_folders()))


def script_folders() -> list[str]:
    """Where pip installs this Python's programs (a venv's bin/, Scripts\\ on Windows)."""
    folders = [sysconfig.get_path("scripts"), os.path.dirname(sys.executable)]
    return list(dict.fromkeys(f for f in folders if f))


def render(dot: str, path, format: str | None = None) -> Path:
    """Write DOT text `dot` to `path` as SVG, PNG or PDF (or as DOT text for .dot/.gv).

    Args:
        dot: DOT source (`graph.to_dot()`, `fn.to_dot(...)`).
        path: the file to write; its suffix picks the format unless `format` is given.
        format: "svg", "png", "pdf" or "dot".

    Returns:
        The path written.

    Raises:
        GraphvizUnavailable: no Graphviz program can write the format (neither `dot` nor
            `graphviz-pure` found, or PDF with only `graphviz-pure`); the DOT text was
            written to `path` with suffix `.dot`, and the message says what to install.
        ValueError: the format cannot be told from the suffix, or is not supported.
        RuntimeError: the Graphviz program failed (its message is included).
    """
    path = Path(path)
    fmt = _format(path, format)
    if fmt == "dot":
        path.write_text(dot, encoding="utf-8")
        return path
    try:
        data = _pipe(_with_dpi(dot, PNG_DPI) if fmt == "png" else dot, fmt, dot_program())
    except _Missing as e:
        dot_path = path.with_suffix(".dot")
        dot_path.write_text(dot, encoding="utf-8")
        raise GraphvizUnavailable(
            f"cannot render {path}: {e}. {INSTALL_HINT} The DOT text was written to "
            f"{dot_path}; render it later with `dot -T{fmt} {dot_path} -o {path}` (or "
            f"`{PURE_DOT}` for svg and png).") from None
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


def _pipe(dot: str, fmt: str, program: str | None) -> bytes:
    """Run `program` on `dot`; raises `_Missing` when it is None or cannot write `fmt`."""
    if program is None:
        raise _Missing(f"neither Graphviz's `{SYSTEM_DOT}` program nor `{PURE_DOT}` was "
                       "found")
    if fmt not in PURE_FORMATS and Path(program).name.startswith(PURE_DOT):
        raise _Missing(f"`{PURE_DOT}` (found at {program}) writes {' and '.join(PURE_FORMATS)}"
                       f" only, and Graphviz's `{SYSTEM_DOT}` program was not found")
    done = subprocess.run([program, f"-T{fmt}"], input=dot.encode("utf-8"),
                          capture_output=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{program} -T{fmt} failed (exit {done.returncode}): "
                           f"{done.stderr.decode('utf-8', 'replace').strip()}")
    return done.stdout


def to_svg(dot: str) -> str | None:
    """SVG text of `dot`, or None when no Graphviz program is available."""
    try:
        return _svg(dot, dot_program())
    except _Missing:
        return None


@functools.lru_cache(maxsize=32)
def _svg(dot: str, program: str | None) -> str:
    """One rendering per (text, program): Jupyter asks a displayed object for its mime
    bundle, `_repr_html_` and `_repr_svg_` in turn, and the picture is the same."""
    return _pipe(dot, "svg", program).decode("utf-8")
