"""Op-family case tables, merged for the registry-driven tests.

Each module in this package (other than `common`) covers one op family and may define:

* `CASES: dict[str, list[Case]]` — gradient cases of differentiable ops (checked by
  test_grad_ops for VJPs, test_jvp_ops for JVPs and test_vmap_ops for batching);
* `NOT_DIFFERENTIABLE: set[str]` — ops without a VJP;
* `BATCH_CASES: dict[str, list[Case]]` — vmap cases of those non-differentiable ops;
* `TRANSPOSED_VJP: set[str]` — nonlinear ops whose JVP is the transposed VJP;
* `RAGGED: set[tuple[str, int]]` — (op, case index) whose per-example results cannot stack;
* `REFUSED: dict[str, Callable]` — ops whose VJP refuses loudly by design, each with a
  function of no arguments that must raise `UnsupportedError` by differentiating it;
* `VMAP_REFUSED: set[str]` — ops that vmap refuses with `UnsupportedError` (random draws):
  their `BATCH_CASES` must raise it instead of matching a loop.

Adding a family is adding a module: no shared table to edit, so families land in parallel.
An op named by two modules is an error.
"""

from __future__ import annotations

import importlib
import pkgutil


def _modules():
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name != "common":
            yield importlib.import_module(f"{__name__}.{info.name}")


def _merge(attr: str, empty):
    merged = empty
    for module in _modules():
        table = getattr(module, attr, empty.__class__())
        overlap = set(merged) & set(table)
        if overlap:
            raise ValueError(f"{module.__name__}.{attr} repeats {sorted(overlap)}")
        merged = merged | table if isinstance(merged, set) else {**merged, **table}
    return merged


CASES = _merge("CASES", {})
NOT_DIFFERENTIABLE = _merge("NOT_DIFFERENTIABLE", set())
BATCH_CASES = _merge("BATCH_CASES", {})
TRANSPOSED_VJP = _merge("TRANSPOSED_VJP", set())
RAGGED = _merge("RAGGED", set())
REFUSED = _merge("REFUSED", {})
VMAP_REFUSED = _merge("VMAP_REFUSED", set())
