"""Documentation that runs: generated docs match their generator, and every ```python
block of README.md and docs/*.md executes, with what it says it prints checked.

Conventions for the python blocks of a Markdown file (what this harness enforces):

* The blocks of one file run in order, in one namespace, like the cells of a notebook (a
  later block may use what an earlier one defined), in a fresh temporary directory. They
  run from a real file whose line numbers are the Markdown file's, so `@at.trace` can read
  their source and errors point at the Markdown line.
* `expr  # -> TEXT` at the end of a one-statement expression line checks it: for a
  `print(...)` call, what it prints (without the final newline) must equal TEXT; for any
  other expression, `repr(value)` must equal TEXT. Other comments are prose.
* A line whose comment says `needs Graphviz` is skipped (replaced by `pass`) when no
  Graphviz renderer is found; everything else in the block still runs. Likewise
  `needs ONNX` when `onnx` or `onnxruntime` is not installed, and `needs torch` /
  `needs CuPy` / `needs numba` (an optional backend's package; CuPy: and a GPU).
* Blocks tagged anything else (```text, ```bash, untagged) are not run; listings that
  show program output are checked by the tests that own them (test_readme.py here).
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import io
import logging
import pathlib
import sys
import tokenize

import pytest
from backend_check import available

from autotrace.ops.catalog import markdown

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
CHECK = "# -> "
GRAPHVIZ = "needs Graphviz"
ONNX = "needs ONNX"


def test_ops_list_is_current():
    text = (ROOT / "docs" / "ops.md").read_text()
    assert text == markdown(), "regenerate: python -m autotrace.ops.catalog > docs/ops.md"


def code_blocks(text: str, language: str) -> list[tuple[int, str]]:
    """(line number of the first code line, code) of each fenced block tagged `language`
    ("" for untagged ones)."""
    found, current, tag, start = [], None, None, 0
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("```") and current is None:
            current, tag, start = [], line.lstrip()[3:].strip(), number + 1
        elif line.lstrip().startswith("```"):
            if tag == language:
                found.append((start, "\n".join(current)))
            current = None
        elif current is not None:
            current.append(line)
    return found


def has_renderer(folder: pathlib.Path) -> bool:
    from autotrace import viz
    from autotrace.viz.render import GraphvizUnavailable

    try:
        viz.render("digraph { a -> b }", folder / "probe.svg")
    except GraphvizUnavailable:
        return False
    return True


def has_onnx() -> bool:
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in ("onnx", "onnxruntime"))


def script(doc: pathlib.Path, renderer: bool, onnx: bool = True) -> str:
    """The python blocks of `doc` as one script, each at its Markdown line numbers."""
    lines: list[str] = []
    skip = _missing(renderer, onnx)
    for start, code in code_blocks(doc.read_text(), "python"):
        lines += [""] * (start - 1 - len(lines))
        for line in code.splitlines():
            for marker in skip:
                if marker in line:
                    line = line[:len(line) - len(line.lstrip())] + "pass  # skipped: " + marker
            lines.append(line)
    return "\n".join(lines) + "\n"


def _importable(name: str) -> bool:
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


def _missing(renderer: bool, onnx: bool) -> list[str]:
    """The `needs ...` marks whose lines cannot run here."""
    marks = {"needs torch": available("torch"), "needs CuPy": available("cupy"),
             "needs numba": _importable("numba"),
             GRAPHVIZ: renderer, ONNX: onnx}
    return [mark for mark, ok in marks.items() if not ok]


def checks(source: str) -> dict[int, str]:
    """Line number -> TEXT of each `# -> TEXT` comment."""
    found = {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT and tok.string.startswith(CHECK):
            found[tok.start[0]] = tok.string[len(CHECK):].strip()
    return found


class _Checks(ast.NodeTransformer):
    """`expr  # -> TEXT` becomes `__doc_check__(lambda: expr, TEXT, is_print, line)`
    (module level and inside `with`/`for`/`if`, not inside functions or classes)."""

    def __init__(self, wanted: dict[int, str]):
        self.wanted = wanted

    def visit_FunctionDef(self, node):
        return node

    visit_AsyncFunctionDef = visit_ClassDef = visit_FunctionDef

    def visit_Expr(self, node):
        if node.lineno != node.end_lineno or node.lineno not in self.wanted:
            return node
        value = node.value
        is_print = isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and \
            value.func.id == "print"
        thunk = ast.Lambda(ast.arguments([], [], None, [], [], None, []), value)
        call = ast.Call(ast.Name("__doc_check__", ast.Load()),
                        [thunk, ast.Constant(self.wanted.pop(node.lineno)),
                         ast.Constant(is_print), ast.Constant(node.lineno)], [])
        return ast.fix_missing_locations(ast.copy_location(ast.Expr(call), node))


def _doc_check(doc: pathlib.Path):
    def check(thunk, expected: str, is_print: bool, line: int) -> None:
        if is_print:
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                thunk()
            got = out.getvalue().removesuffix("\n")
            print(got)
        else:
            got = repr(thunk())
        assert got == expected, f"{doc.name}:{line}: printed {got!r}, the text says " \
                                f"{expected!r}"
    return check


def run_doc(doc: pathlib.Path, folder: pathlib.Path) -> tuple[dict, int]:
    """Run `doc`'s python blocks in `folder`: (their namespace, how many `# ->` checks
    ran)."""
    source = script(doc, has_renderer(folder), has_onnx())
    path = folder / f"{doc.stem.lower()}_md.py"
    path.write_text(source)
    wanted = checks(source)
    total = len(wanted)
    tree = _Checks(wanted).visit(ast.parse(source, str(path)))
    assert not wanted, f"{doc.name}: `{CHECK}` on lines {sorted(wanted)} is not at the end " \
                       "of a one-line expression statement"
    name = path.stem
    namespace = {"__name__": name, "__file__": str(path), "__doc_check__": _doc_check(doc)}
    module = type(sys)(name)
    module.__dict__.update(namespace)
    sys.modules[name] = module
    try:
        exec(compile(tree, str(path), "exec"), module.__dict__)
    finally:
        del sys.modules[name]
    return module.__dict__, total


DOCS_WITH_CODE = [d for d in DOCS if code_blocks(d.read_text(), "python")]


@pytest.mark.parametrize("doc", DOCS_WITH_CODE, ids=lambda d: d.name)
def test_python_blocks_run_and_print_what_they_say(doc, tmp_path, monkeypatch):
    import autotrace as at

    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    logger = logging.getLogger("autotrace")
    level = logger.level
    try:
        with at.config.run_eagerly(False):
            run_doc(doc, tmp_path)
    finally:
        logger.setLevel(level)  # a block may configure logging for its readers
    assert not at.config.running_eagerly()


def test_every_python_block_parses():
    for doc in DOCS:
        for start, code in code_blocks(doc.read_text(), "python"):
            try:
                ast.parse(code)
            except SyntaxError as e:
                pytest.fail(f"{doc.name}:{start + e.lineno - 1}: {e.msg}")


def test_the_harness_checks_what_blocks_print(tmp_path):
    doc = tmp_path / "Sample.md"
    doc.write_text("text\n\n```python\nx = 2\nprint(x + 1)  # -> 3\nx * 2  # -> 4\n```\n\n"
                   "```python\nx  # -> 2\nprint('no check')  # a plain comment\n```\n")
    assert run_doc(doc, tmp_path)[1] == 3
    doc.write_text("```python\nprint(1)  # -> 2\n```\n")
    with pytest.raises(AssertionError, match=r"Sample.md:2: printed '1', the text says '2'"):
        run_doc(doc, tmp_path)
    doc.write_text("```python\nx = [1,  # -> [1]\n     2]\n```\n")
    with pytest.raises(AssertionError, match=r"on lines \[2\] is not at the end"):
        run_doc(doc, tmp_path)


def test_graphviz_lines_are_skipped_without_a_renderer(tmp_path):
    doc = tmp_path / "Draw.md"
    doc.write_text("```python\nif True:\n    f.render('x.svg')  # needs Graphviz\nok = 1\n```\n")
    assert script(doc, renderer=False).splitlines()[1:4] == [
        "if True:", "    pass  # skipped: needs Graphviz", "ok = 1"]
    assert "f.render('x.svg')" in script(doc, renderer=True)


def test_onnx_lines_are_skipped_without_onnx(tmp_path):
    doc = tmp_path / "Export.md"
    doc.write_text("```python\nm = export()  # needs ONNX\nok = 1\n```\n")
    assert script(doc, renderer=True, onnx=False).splitlines()[1:3] == [
        "pass  # skipped: needs ONNX", "ok = 1"]
    assert "m = export()" in script(doc, renderer=True, onnx=True)


def test_backend_lines_are_skipped_without_their_package(tmp_path):
    doc = tmp_path / "Backends.md"
    doc.write_text("```python\nimport torch  # needs torch\nimport cupy  # needs CuPy\n```\n")
    lines = script(doc, renderer=True).splitlines()[1:3]
    for line, name, mark in zip(lines, ("torch", "cupy"), ("needs torch", "needs CuPy")):
        assert line == (f"import {name}  # {mark}" if available(name)
                        else f"pass  # skipped: {mark}")


def test_control_flow_listing_is_what_to_code_prints(tmp_path, monkeypatch):
    import autotrace as at

    doc = ROOT / "docs" / "control_flow.md"
    monkeypatch.syspath_prepend(str(tmp_path))
    namespace, _ = run_doc(doc, tmp_path)
    start, _ = code_blocks(doc.read_text(), "python")[0]
    listing = next(code for line, code in code_blocks(doc.read_text(), "") if line > start)
    assert at.to_code(namespace["f"]).strip() == listing.strip()


def cli_sessions(text: str) -> list[tuple[list[str], str]]:
    """(argv, printed text) of each `$ python -m autotrace ...` in untagged blocks."""
    import shlex

    sessions = []
    for _, block in code_blocks(text, ""):
        command, output = None, []
        for line in block.splitlines() + ["$ end"]:
            if line.startswith("$ ") or (command and command.endswith("\\")):
                if command and not command.endswith("\\"):
                    sessions.append((shlex.split(command)[3:], "\n".join(output).strip()))
                    command, output = None, []
                command = line[2:] if command is None else command[:-1] + line
            elif command is not None:
                output.append(line)
    return [(argv, out) for argv, out in sessions if argv and argv[0] != "end"]


def test_cli_listings_are_what_the_cli_prints(tmp_path, monkeypatch, capsys):
    from autotrace import cli

    doc = ROOT / "docs" / "cli.md"
    text = doc.read_text()
    (tmp_path / "intro.py").write_text(code_blocks(text, "python")[0][1] + "\n")
    monkeypatch.chdir(tmp_path)
    sessions = [(argv, out) for argv, out in cli_sessions(text) if argv[0] != "render"]
    assert len(sessions) >= 5
    for argv, out in sessions:
        assert cli.main(argv) == 0, argv
        printed = capsys.readouterr().out.strip()
        assert printed == out, f"{doc.name}: `{' '.join(argv)}` printed\n{printed}"
