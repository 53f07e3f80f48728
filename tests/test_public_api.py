"""The public namespace: `autotrace.__all__`, what docs/api.md documents, and no leaks.

Every name in `__all__` must exist and be documented in docs/api.md (as `at.NAME`); every
public attribute of the package must be in `__all__`. The package's own submodules
(`autotrace.api`, `autotrace.viz`, ...) are exempt from the second rule: Python binds a
submodule to its package whenever it is imported. Foreign modules and helpers that a star
import would drag in (`np`, `math`, `operator`, `annotations`, `register`) must not appear.
"""

import json
import pathlib
import re
import subprocess
import sys
import types

import autotrace as at

ROOT = pathlib.Path(__file__).resolve().parent.parent
API_DOC = ROOT / "docs" / "api.md"


def _own_submodule(name: str) -> bool:
    value = getattr(at, name)
    return isinstance(value, types.ModuleType) and value.__name__ == f"autotrace.{name}"


def _public() -> set[str]:
    return {n for n in dir(at) if not n.startswith("_") and not _own_submodule(n)}


def test_all_lists_existing_distinct_names():
    assert len(at.__all__) == len(set(at.__all__)), "a name is listed twice in __all__"
    assert [n for n in at.__all__ if not hasattr(at, n)] == []


def test_every_public_attribute_is_in_all():
    missing = sorted(_public() - set(at.__all__))
    assert missing == [], f"public but not in autotrace.__all__ (add or make private): {missing}"


def test_no_stray_modules_or_helpers_leak():
    for name in ("np", "math", "operator", "annotations", "register", "apply", "Op", "Aval",
                 "ufunc_op", "dispatches", "broadcast_shapes"):
        assert not hasattr(at, name), f"autotrace.{name} leaks from an import"
    foreign = [n for n in dir(at) if not n.startswith("_")
               and isinstance(getattr(at, n), types.ModuleType) and not _own_submodule(n)]
    assert foreign == []


def test_every_name_in_all_is_documented():
    documented = set(re.findall(r"`at\.([A-Za-z]\w*)", API_DOC.read_text(encoding="utf-8")))
    undocumented = sorted(set(at.__all__) - documented)
    assert undocumented == [], f"document these in docs/api.md: {undocumented}"
    stale = sorted(documented - set(at.__all__))
    assert stale == [], f"docs/api.md documents names autotrace does not export: {stale}"


def test_star_import_gives_exactly_all():
    code = ("import json as _json; from autotrace import *; "
            "print(_json.dumps(sorted(k for k in dir() if not k.startswith('_'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout
    assert set(json.loads(out)) == set(at.__all__)


def test_contract_names_are_public():
    """The names the first-wave contract (ARCHITECTURE.md's example) calls."""
    contract = {"trace", "to_code", "grad", "value_and_grad", "jacobian", "hessian",
                "Variable", "GradientTape", "TensorSpec", "stop_gradient", "custom_gradient",
                "cond", "while_loop", "check_grads", "sin", "matmul"}
    assert contract <= set(at.__all__)
