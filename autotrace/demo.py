"""`python -m autotrace demo`: the seed notebook's walk, e = (a + b) * (b + 1).

Runs `samples/intro_computational_graphs.py` (installed with the package as
`autotrace_samples`): the converted code, the graph, e, the gradients from a tape outside
and inside the traced function, the backward graph, and the three pictures.
"""

from __future__ import annotations

import importlib
import importlib.util
import pathlib

SAMPLE = "intro_computational_graphs"


def run(out_dir: str | None = None, echo=print) -> dict:
    """Run the demo; returns the numbers it printed (for tests)."""
    return _sample().main(out_dir, echo)


def _sample():
    """The installed sample, or (in a checkout that was not installed) samples/ itself."""
    try:
        return importlib.import_module(f"autotrace_samples.{SAMPLE}")
    except ModuleNotFoundError:
        path = pathlib.Path(__file__).resolve().parent.parent / "samples" / f"{SAMPLE}.py"
        spec = importlib.util.spec_from_file_location(SAMPLE, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
