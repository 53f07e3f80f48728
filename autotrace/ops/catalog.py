"""The op list as Markdown, generated from the registry (docs/ops.md is this text).

Regenerate after adding an op:

    python -m autotrace.ops.catalog > docs/ops.md

`tests/test_docs.py` fails when docs/ops.md differs from what this prints.
"""

from __future__ import annotations

from autotrace.ops.mathfns import NEWER_NUMPY
from autotrace.ops.registry import FUNCTION_DISPATCH, OPS, UFUNC_DISPATCH
from autotrace.tensor import _METHODS


def _gradient(op) -> str:
    if op.effect:
        return "side effect"
    if op.vjp is None:
        return "none (piecewise constant or integer)" if op.differentiable is False else "none"
    return "yes"


def _numpy_name(fn) -> str:
    module = getattr(fn, "__module__", None) or "numpy"
    public = module in ("numpy.linalg", "numpy.fft")  # numpy.linalg.norm, not numpy.norm
    module = "numpy" if module.startswith("numpy") and module.count(".") < 2 and not public \
        else module
    return f"{module}.{fn.__name__}"


def markdown() -> str:
    """The whole docs/ops.md text."""
    import autotrace  # noqa: F401 - registers every op family and installs control VJPs

    lines = [
        "# Ops",
        "",
        "Generated from the op registry by `python -m autotrace.ops.catalog`; do not edit.",
        "Every op has one definition: numpy implementation, shape/dtype rule, gradient rule.",
        "",
        f"## Registry ({len(OPS)} ops)",
        "",
        "| op | gradient |",
        "|---|---|",
    ]
    lines += [f"| `{name}` | {_gradient(OPS[name])} |" for name in sorted(OPS)]
    refused = sorted(_numpy_name(f) for f, fe in FUNCTION_DISPATCH.items()
                     if getattr(fe, "refuses", False))
    numpy_fns = sorted(({_numpy_name(f) for f in list(UFUNC_DISPATCH) + list(FUNCTION_DISPATCH)}
                        | set(NEWER_NUMPY)) - set(refused))
    lines += [
        "",
        f"## numpy functions that work on traced values ({len(numpy_fns)})",
        "",
        "Called on a traced value they build graph nodes (through `__array_ufunc__` / "
        "`__array_function__`); the same names exist as `autotrace.<name>`. Any other "
        "numpy function raises `NotImplementedError` naming it; `at.defop` adds an op for "
        "it (docs/defop.md). `matvec` and `vecmat` need numpy >= 2.2.",
        "",
    ]
    lines += [", ".join(f"`{n}`" for n in numpy_fns)]
    if refused:
        lines += ["", "These write into an argument in place and are refused on traced values "
                  "with an error saying what to write instead: "
                  + ", ".join(f"`{n}`" for n in refused) + "."]
    lines += [
        "",
        "## Methods and operators of traced values",
        "",
        ", ".join(f"`x.{m}()`" for m in sorted(_METHODS)) + ", `x.T`, `x.shape`, `x.dtype`, "
        "`x.ndim`, `x.size`, `x[...]`, and every arithmetic, comparison and bitwise operator.",
        "",
    ]
    return "\n".join(lines)



if __name__ == "__main__":
    print(markdown(), end="")
