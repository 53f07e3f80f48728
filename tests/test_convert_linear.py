"""Conversion and tracing do a fixed amount of work per statement (no timing: counts of
node visits, walks and parses, at 100 and 1,000 statements), and the converter's source
index hands each def over once, parsing the file again when a def it handed over (or one
around or inside it) is asked for again."""

import ast
import importlib.util
import sys
import textwrap
import types

import numpy as np

import autotrace as at
from autotrace.convert import converter, source, visitor


def _module(tmp_path, name: str, text: str):
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(text))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _straight_line(tmp_path, n: int):
    """W5's function: `n` statements `v = v * 1.0001 + 0.5`."""
    body = "    v = v * 1.0001 + 0.5\n" * n
    return _module(tmp_path, f"straight_{n}", f"def f(v):\n{body}    return v\n").f


def _lines_run(fn) -> dict:
    """Lines of Python executed (per code object) by the first call of `at.trace(fn)`:
    converting, tracing and compiling it. A count, not a time: the same on a busy machine."""
    counts: dict = {}

    def tracer(frame, event, arg):
        if event == "line":
            counts[frame.f_code] = counts.get(frame.f_code, 0) + 1
        return tracer

    sys.settrace(tracer)
    try:
        at.trace(fn)(np.ones(4))
    finally:
        sys.settrace(None)
    return counts


def test_first_call_work_grows_linearly_with_the_statements(tmp_path):
    _lines_run(_straight_line(tmp_path, 20))  # caches and dispatch tables filled
    small, large = (_lines_run(_straight_line(tmp_path, n)) for n in (100, 1000))
    ratio = sum(large.values()) / sum(small.values())
    # 10x the statements: at most 10x the work (plus 3% slack for per-call constants moving
    # between sizes); something that walks the function per statement gives ~25x.
    faster = sorted(((large[c] / small.get(c, 1), f"{c.co_filename}:{c.co_name}")
                     for c in large if c in small and large[c] > 1000), reverse=True)[:5]
    assert 9 < ratio < 10.3, f"work x{ratio:.2f}; growing fastest: {faster}"


def test_conversion_walks_each_tree_a_fixed_number_of_times(tmp_path, monkeypatch):
    """The converter's whole-tree walks (`visitor.walk`, and the passes' `Transformer` and
    `Visitor` walks from a def) run a number of times that does not depend on the size."""
    started = []
    for cls in (visitor.Transformer, visitor.Visitor):
        original = cls.visit

        def visit(self, node, original=original):
            if isinstance(node, ast.FunctionDef):
                started.append(type(self).__name__)
            return original(self, node)

        monkeypatch.setattr(cls, "visit", visit)
    original_walk = visitor.walk

    def walk(node):
        if isinstance(node, ast.FunctionDef):
            started.append("walk")
        return original_walk(node)

    for module in (visitor, *_users_of(original_walk)):
        monkeypatch.setattr(module, "walk", walk)
    counts = []
    for n in (100, 1000):
        started.clear()
        converter._convert_code(_straight_line(tmp_path, n))
        counts.append(sorted(started))
    assert counts[0] == counts[1]
    assert len(counts[0]) <= 12, counts[0]


def _users_of(function) -> list:
    return [m for name, m in list(sys.modules.items()) if name.startswith("autotrace.convert")
            and getattr(m, function.__name__, None) is function]


# -- the source index hands defs over -------------------------------------------------------
_NESTED = """
    import numpy as np

    def outer(x):
        def inner(y):
            return y * 2 if y.sum() > 0 else -y
        g = lambda z: z + 1
        return inner(x) + g(x)

    def other(x):
        return x - 1
"""


def _parses(monkeypatch) -> list:
    parsed = []
    original = source.ast.parse

    def parse(text, *args, **kwargs):
        if "def outer" in text:  # the file (`ast.parse` also reads the converter's templates)
            parsed.append(len(text))
        return original(text, *args, **kwargs)

    monkeypatch.setattr(source.ast, "parse", parse)
    return parsed


def test_defs_of_one_file_share_one_parse(tmp_path, monkeypatch):
    module = _module(tmp_path, "two_defs", _NESTED)
    parsed = _parses(monkeypatch)
    first = converter.converted_source(module.outer)
    converter.converted_source(module.other)
    assert len(parsed) == 1  # `other` is not inside `outer`: read from the same parse
    assert "at__.if_exp" in first


def test_a_def_inside_one_handed_over_is_read_from_a_new_parse(tmp_path, monkeypatch):
    module = _module(tmp_path, "nested_after", _NESTED)
    expected = {}
    for name in ("inner", "g"):  # what converting them alone gives
        fresh = _module(tmp_path, f"nested_alone_{name}", _NESTED)
        expected[name] = converter.converted_source(_nested_function(fresh, name))
    parsed = _parses(monkeypatch)
    outer_source = converter.converted_source(module.outer)  # hands over `outer`'s tree
    assert converter.converted_source(_nested_function(module, "inner")) == expected["inner"]
    assert converter.converted_source(_nested_function(module, "g")) == expected["g"]
    assert len(parsed) == 2  # once for the file, once more after `outer` was handed over
    assert converter.converted_source(module.outer) == outer_source  # cached


def test_a_def_around_one_handed_over_is_read_from_a_new_parse(tmp_path):
    module = _module(tmp_path, "nested_before", _NESTED)
    reference = converter.converted_source(_module(tmp_path, "nested_ref", _NESTED).outer)
    converter.converted_source(_nested_function(module, "inner"))  # hands over `inner`
    assert converter.converted_source(module.outer) == reference
    traced = at.trace(module.outer)
    x = np.array([1.0, -3.0])
    np.testing.assert_allclose(traced(x), module.outer(x))
    np.testing.assert_allclose(traced(-x), module.outer(-x))


def test_a_def_is_converted_in_place_not_copied(tmp_path):
    """The def handed over is the tree the converter changes (no copy of it: copying was
    a pass of its own, and the copy one more tree for the garbage collector to scan)."""
    module = _module(tmp_path, "in_place", _NESTED)
    converter.converted_source(module.other)
    path = str(tmp_path / "in_place.py")
    index = source._file_index(path, (tmp_path / "in_place.py").read_text())
    (other,) = [n for nodes in index.defs.values() for n in nodes if n.name == "other"]
    assert "at__.sub(x, 1)" in ast.unparse(other)
    assert index.overlaps_taken(other.lineno, other.end_lineno)
    (outer,) = [n for nodes in index.defs.values() for n in nodes if n.name == "outer"]
    assert "at__" not in ast.unparse(outer)  # the other defs stay as parsed


def _nested_function(module, name: str):
    """`inner` / `g` of `module.outer`, as the unconverted function makes them."""
    code = module.outer.__code__
    (inner_code,) = [c for c in code.co_consts if getattr(c, "co_name", None) ==
                     (name if name != "g" else "<lambda>")]
    return types.FunctionType(inner_code, module.__dict__, name)
