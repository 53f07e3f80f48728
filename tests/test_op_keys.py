"""Graph passes and rule tables key by `Op` objects, not by op-name strings.

A name string that no op has (a typo, a renamed op) silently never matches; a table built
with `OPS[name]` fails loudly at import, and `node.op is X` / `node.op in TABLE` cannot
match another op that happens to share a name. Names stay what graphs print and what
messages and save files say, so only comparisons and table lookups are checked here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np

import autotrace as at
from autotrace.autodiff import batch_trace
from autotrace.compile import simplify
from autotrace.ops.registry import OPS, Op

ROOT = Path(__file__).resolve().parent.parent / "autotrace"
# (module, the code) of name uses that are data, not rules: registration, and the list of
# missing ops an ONNX export error names.
ALLOWED = {("ops/registry.py", "op.name in OPS"), ("ops/registry.py", "OPS[op.name]"),
           ("export/onnx.py", "node.op.name not in missing")}


def _is_op_name(node) -> bool:
    """`<...>.op.name` or `op.name`."""
    if not (isinstance(node, ast.Attribute) and node.attr == "name"):
        return False
    inner = node.value
    return (isinstance(inner, ast.Attribute) and inner.attr == "op") or \
        (isinstance(inner, ast.Name) and inner.id == "op")


def _name_rules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and (
                _is_op_name(node.left) or any(_is_op_name(c) for c in node.comparators)):
            found.append(ast.unparse(node))
        elif isinstance(node, ast.Subscript) and _is_op_name(node.slice):
            found.append(ast.unparse(node))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr == "get" and node.args and _is_op_name(node.args[0]):
            found.append(ast.unparse(node))
    return found


def test_no_rule_is_keyed_by_an_op_name():
    offenders = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        offenders += [f"{rel}: {code}" for code in _name_rules(path)
                      if (rel, code) not in ALLOWED]
    assert not offenders, "rules keyed by op names:\n  " + "\n  ".join(offenders)


def test_the_checker_sees_name_comparisons():
    source = ("if node.op.name == 'cond': pass\n"
              "x = RULES.get(node.op.name)\n"
              "y = TABLE[op.name]\n"
              "z = node.op is COND\n")
    path = Path(__file__).with_name("_op_keys_probe.py")
    try:
        path.write_text(source)
        assert _name_rules(path) == ["node.op.name == 'cond'", "RULES.get(node.op.name)",
                                     "TABLE[op.name]"]
    finally:
        path.unlink()


def test_rule_tables_hold_registered_ops():
    for table in (simplify.RULES, simplify.STRENGTH, simplify._SHAPED_LIKE_INPUT,
                  batch_trace._SPECIAL, batch_trace._AXIS_OPS, batch_trace._ELEMENTWISE):
        assert table and all(isinstance(op, Op) and OPS[op.name] is op for op in table)


def test_an_unregistered_op_sharing_a_name_gets_none_of_its_rules():
    """A rule keyed by name would also fire for another op called `mul` (here one that
    adds): simplify must not rewrite `mul2(x, 1)` to `x`."""
    impostor = Op("mul", lambda a, b: a + b, OPS["mul"].abstract)

    @at.trace
    def f(x):
        return at.ops.apply(impostor, x, np.ones(3))

    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(f(x), x + 1)
