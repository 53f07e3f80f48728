"""Generated programs as real modules (autotrace reads source with `inspect`, so a program
must live in a file), and the inputs each is checked on."""

from __future__ import annotations

import importlib.util
import os
import random
import sys
import tempfile

import numpy as np

from .check import path

_DIR = tempfile.mkdtemp(prefix="autotrace-fuzz-")
_COUNT = [0]


def load(source: str, name: str = "program"):
    """Write `source` to a new file and import it as a fresh module."""
    _COUNT[0] += 1
    module_name = f"autotrace_fuzz_{name}_{os.getpid()}_{_COUNT[0]}"
    filename = os.path.join(_DIR, f"{module_name}.py")
    with open(filename, "w") as f:
        f.write(source)
    spec = importlib.util.spec_from_file_location(module_name, filename)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def unload(module) -> None:
    sys.modules.pop(module.__name__, None)
    os.unlink(module.__file__)


def choose_inputs(module, signatures: list, seed: int, per_signature: int = 6) -> list:
    """Argument tuples `(x, y, k, c, n)` for each (k, c) of `signatures`: arrays and n drawn
    at random, preferring tuples whose paths through the plain `f` differ."""
    rng = random.Random(seed)
    filename = module.f.__code__.co_filename
    cases = []
    for k, c in signatures:
        by_path: dict = {}
        for _ in range(4 * per_signature):
            scale = rng.choice((0.3, 1.0, 2.0))
            x = np.array([round(rng.uniform(-scale, scale), 3) for _ in range(3)])
            y = np.array([round(rng.uniform(-scale, scale), 3) for _ in range(3)])
            args = (x, y, k, c, np.int64(rng.randint(0, 3)))
            by_path.setdefault(path(module.f, args, filename), []).append(args)
        groups = list(by_path.values())
        chosen = [group[0] for group in groups][:per_signature]
        extra = [args for group in groups for args in group[1:]]
        cases.append(chosen + extra[:per_signature - len(chosen)])
    return cases
