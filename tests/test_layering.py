"""The import graph of `autotrace/` has no cycle, and `core` sits at the bottom.

Edges are read with `ast` from every module: module-level imports and function-level ones
alike, except `if TYPE_CHECKING:` blocks and imports under a `# lazy import: <why>`
comment (deliberate: they keep the converter and the display layer out of start-up).
An import of `a.b.c` is an edge to the module `a.b.c` (a package's `__init__` re-exporting
its modules is not a dependency of those modules).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "autotrace"
MARK = "lazy import:"


def _modules() -> dict[str, Path]:
    mods = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        mods[".".join(parts)] = path
    return mods


MODULES = _modules()


def _type_checking_nodes(tree) -> set[int]:
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for n in ast.walk(node))
    return skip


def _marked(lines: list[str], lineno: int) -> bool:
    """The import at `lineno` (1-based) is under a `# lazy import:` comment (on the line
    itself, or above a block of imports and comments it belongs to)."""
    k = lineno - 1
    while k >= 0:
        text = lines[k].strip()
        if MARK in text:
            return True
        if k != lineno - 1 and not text.startswith(("from ", "import ", "#")):
            return False
        k -= 1
    return False


def _targets(node, package: str) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    base = node.module or ""
    if node.level:
        parts = package.split(".")[: len(package.split(".")) - node.level + 1]
        base = ".".join(parts + ([base] if base else []))
    return [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]


def import_graph() -> dict[str, dict[str, int]]:
    """module -> {imported autotrace module: line of the first such import}."""
    graph = {}
    for name, path in MODULES.items():
        source = path.read_text()
        lines = source.splitlines()
        tree = ast.parse(source)
        skip = _type_checking_nodes(tree)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges = graph.setdefault(name, {})
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)) or id(node) in skip:
                continue
            if _marked(lines, node.lineno):
                continue
            for target in _targets(node, package):
                if target in MODULES and target != name:
                    edges.setdefault(target, node.lineno)
    return graph


def find_cycle(graph: dict[str, dict]) -> list[str] | None:
    """One cycle of `graph` as a list of modules (first == last), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(m: str):
        state[m] = 1
        path.append(m)
        for t in graph[m]:
            if state.get(t) == 1:
                return path[path.index(t):] + [t]
            if t not in state:
                found = visit(t)
                if found:
                    return found
        path.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state:
            found = visit(m)
            if found:
                return found
    return None


def test_import_graph_has_no_cycle():
    graph = import_graph()
    cycle = find_cycle(graph)
    where = [f"{a} (line {graph[a][b]}) -> {b}" for a, b in zip(cycle, cycle[1:])] if cycle else []
    assert cycle is None, "import cycle:\n  " + "\n  ".join(where)


def test_find_cycle_reports_a_cycle():
    assert find_cycle({"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b": 1}, "b": {}, "c": {"a": 1}}) is None


def test_core_and_registry_import_nothing_above_them():
    graph = import_graph()
    for name, edges in graph.items():
        if name.startswith("autotrace.core"):
            assert all(t.startswith("autotrace.core") for t in edges), (name, edges)
    assert set(graph["autotrace.ops.registry"]) == {"autotrace.core"}


def test_lazy_marker_is_required_for_an_upward_import():
    source = "def f():\n    from autotrace.x import y\n"
    assert not _marked(source.splitlines(), 2)
    marked = "def f():\n    # lazy import: start-up cost\n    from autotrace.x import y\n"
    assert _marked(marked.splitlines(), 3)
