"""`NameAllocator`: unique, deterministic names in one scope.

The one name allocator of the package: the graph printer (`graph.ir.Namer`: `c`, `c_1`,
`%0`), the code generators (`compile.codegen.Emitter`: locals `c`, `c_1`, `v0` and
namespace entries `_add`, `_add_1`; `compile.standalone`: module-level names) and the ONNX
exporter (`export.onnx.Translator`) each hold one per scope, so printed and generated names
follow one rule:

* a name with a base is the base itself when free, else `base_1`, `base_2`, ...: the first
  suffix not taken (the allocator remembers the last suffix per base, so allocating n
  names of one base is linear, and gives the same names as scanning from 1);
* a name without a base is `<anonymous><k>` for the next counter value `k` whose name is
  free (`%0`, `%1` in graph text; `v0`, `v1` in generated code).

Callers decide what a usable base is (generated code needs identifiers, ONNX names a
restricted alphabet); the allocator only keeps names unique.
"""

from __future__ import annotations

import builtins
import itertools
import keyword
from typing import Iterable

# Names generated Python code never gives a value: keywords, builtins, and numpy's `np`.
PYTHON_RESERVED = frozenset(keyword.kwlist) | frozenset(dir(builtins)) | {"np"}


class NameAllocator:
    """Unique names: `fresh(base)` returns a name no earlier call (nor `taken`) gave."""

    __slots__ = ("taken", "anonymous", "_suffix", "_count")

    def __init__(self, taken: Iterable[str] = (), anonymous: str = "v"):
        self.taken: set[str] = set(taken)
        self.anonymous = anonymous  # the prefix of names without a base
        self._suffix: dict[str, int] = {}  # base -> last suffix taken (no rescans: linear)
        self._count = itertools.count()

    def fresh(self, base: str | None) -> str:
        """`base`, or `base_1`, `base_2`, ... (the first not taken); `<anonymous><k>` when
        `base` is empty or None. The name is taken from now on."""
        if not base:
            name = f"{self.anonymous}{next(self._count)}"
            while name in self.taken:
                name = f"{self.anonymous}{next(self._count)}"
        else:
            name, k = base, self._suffix.get(base, 0)
            while name in self.taken:
                k += 1
                name = f"{base}_{k}"
            self._suffix[base] = k
        self.taken.add(name)
        return name

    def take(self, name: str) -> None:
        """Mark `name` as used (a name chosen elsewhere: a fixed namespace entry)."""
        self.taken.add(name)

    def __contains__(self, name: str) -> bool:
        return name in self.taken
