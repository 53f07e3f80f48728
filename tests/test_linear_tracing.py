"""The pieces that made converting and tracing long functions quadratic, each checked by
what it computes and by the work it does (no timing: `benchmarks/run.py`, W5, times it)."""

import ast
import sys
import textwrap

import numpy as np

import autotrace as at
from autotrace.compile.codegen import Emitter
from autotrace.convert import analysis
from autotrace.convert.visitor import Transformer, walk
from autotrace.errors import CONVERTED_CODES, frame_lineno


def _long_function(n: int):
    """A function of `n` statements that records `(frame_lineno, f_lineno)` at each."""
    body = "".join(f"    seen.append((frame_lineno(sys._getframe()), sys._getframe().f_lineno))"
                   f"\n    x = x + {i}\n" for i in range(n))
    namespace = {"frame_lineno": frame_lineno, "sys": sys}
    exec(compile(f"def f(x, seen):\n{body}    return x\n", "<long>", "exec"), namespace)
    return namespace["f"]


def test_frame_lineno_is_f_lineno_on_every_line_of_long_and_short_code():
    for n in (3, 400):
        seen = []
        _long_function(n)(0, seen)
        assert len(seen) == n
        assert all(ours == python for ours, python in seen)
        assert [line for line, _ in seen] == list(range(2, 2 * n + 2, 2))


def test_converted_codes_are_kept_by_identity_not_equality():
    first = compile("def f(x):\n    return x + 1\n", "<same>", "exec").co_consts[0]
    twin = compile("def f(x):\n    return x + 1\n", "<same>", "exec").co_consts[0]
    assert first == twin and first is not twin  # equal code objects: hashing compares them
    assert first not in CONVERTED_CODES
    CONVERTED_CODES.add(first)
    assert first in CONVERTED_CODES
    assert twin not in CONVERTED_CODES


class _CountingSet(set):
    checks = 0

    def __contains__(self, item):
        _CountingSet.checks += 1
        return super().__contains__(item)


def test_emitter_names_with_one_base_take_constant_work_each():
    em = Emitter(check=False)
    em.local_names.taken = _CountingSet(em.local_names.taken)
    _CountingSet.checks = 0
    names = [em.fresh("v") for _ in range(3000)]
    assert names[:4] == ["v", "v_1", "v_2", "v_3"] and len(set(names)) == 3000
    assert _CountingSet.checks <= 2 * 3000  # rescanning v, v_1, ... was ~n^2 / 2
    em.local_names.take("w_1")
    assert [em.fresh("w"), em.fresh("w")] == ["w", "w_2"]  # names taken elsewhere skipped


def test_definite_assignment_snapshots_only_compound_statements():
    lines = "".join(f"    a{i} = x\n" for i in range(500))
    source = f"def f(x):\n{lines}    if x:\n        b = 1\n    while x:\n        x = x - 1\n"
    func = ast.parse(source).body[0]
    analysis.annotate(func)
    simple, (branch, loop) = func.body[:-2], func.body[-2:]
    assert not any(hasattr(s, "defined_in") for s in simple)  # no per-statement copies
    names = {f"a{i}" for i in range(500)} | {"x"}
    assert branch.defined_in == names and branch.maybe_in == names
    assert loop.defined_in == names and loop.maybe_in == names | {"b"}


def test_traced_long_function_matches_python_and_names_its_lines(tmp_path):
    source = "def chain(v):\n" + "    v = v * 1.0001 + 0.5\n" * 300 + "    return v\n"
    path = tmp_path / "chain.py"
    path.write_text(source)
    namespace = {}
    exec(compile(source, str(path), "exec"), namespace)
    traced = at.trace(namespace["chain"])
    x = np.arange(4.0)
    np.testing.assert_allclose(traced(x), namespace["chain"](x), rtol=1e-12)
    nodes = traced.get_concrete_function(x).graph.nodes
    assert len(nodes) == 600
    assert sorted({n.origin.lineno for n in nodes}) == list(range(2, 302))


def test_walks_skip_operator_and_context_tokens():
    tree = ast.parse("y = -a + b < c and d")
    kinds = {type(n) for n in walk(tree)}
    assert not kinds & {ast.Load, ast.Store, ast.Add, ast.USub, ast.Lt, ast.And}
    assert {ast.Name, ast.BinOp, ast.UnaryOp, ast.Compare, ast.BoolOp} <= kinds

    class Count(Transformer):
        visits = 0

        def visit(self, node):
            Count.visits += 1
            return super().visit(node)

    Count().visit(tree)
    assert Count.visits == len(list(walk(tree)))


def test_contains_finds_statements_in_blocks_but_not_in_nested_scopes():
    source = textwrap.dedent("""
        def f(x):
            try:
                with x:
                    match x:
                        case 1:
                            if x:
                                return 1
            except E:
                pass
        def g(x):
            h = lambda: x
            def inner():
                return 2
            for i in x:
                break
    """)
    f, g = ast.parse(source).body
    assert analysis.contains(f.body, (ast.Return,))
    assert not analysis.contains(g.body, (ast.Return,))  # inner's return is its own
    assert analysis.contains(g.body, (ast.Break,))
    assert not analysis.contains(g.body, (ast.Break,), stop_at_loops=True)
    assert analysis.contains(g.body, (ast.Lambda,))  # expressions still found


def test_equal_functions_from_two_files_are_converted_each_for_its_file(tmp_path):
    from autotrace.convert import converter

    functions = []
    for name in ("first_copy", "second_copy"):
        path = tmp_path / f"{name}.py"
        path.write_text("def f(x):\n    return x + 1\n")
        namespace = {}
        exec(compile(path.read_text(), str(path), "exec"), namespace)
        functions.append(namespace["f"])
    a, b = functions
    assert a.__code__ == b.__code__  # equality ignores the file
    assert converter.converted_code(a).code.co_filename.endswith("first_copy.py")
    assert converter.converted_code(b).code.co_filename.endswith("second_copy.py")
    assert converter.converted_code(a) is converter.converted_code(a)


def test_paused_gc_nests_and_restores_the_collector_state():
    import gc

    from autotrace.gcpause import paused_gc

    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner one restores "off"
    assert gc.isenabled()
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()  # a collector switched off by the user stays off
    finally:
        gc.enable()
