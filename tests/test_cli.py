"""`python -m autotrace ...`: each command's output, and each error's message and exit code."""

import importlib
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from autotrace import cli
from autotrace.signature import TensorSpec

SEED = """
    import numpy as np

    def create_graph(a, b):
        c = a + b
        d = b + 1
        e = c * d
        return e

    def double(x):
        return x * 2

    def generator(x):
        yield x

    def mismatched(x):
        if x.sum() > 0:
            y = x
        return y

    def concrete(x):
        return float(x.sum())

    value = 3
"""


@pytest.fixture
def src(tmp_path):
    path = tmp_path / "seedfile.py"
    path.write_text(textwrap.dedent(SEED))
    return path


def run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


# -- commands -------------------------------------------------------------------------------------
def test_code(capsys, src):
    code, out, err = run(capsys, "code", f"{src}:create_graph")
    assert code == 0 and not err
    assert "def create_graph(a, b):" in out and "c = at__.add(a, b)" in out


def test_graph_with_a_spec_and_a_literal(capsys, src):
    code, out, _ = run(capsys, "graph", f"{src}:create_graph", "--arg", "f64[None]",
                       "--arg", "[1.0, 2.0]")
    assert code == 0
    assert out.startswith("graph create_graph(a: f64[?], b: f64[2]) -> f64[2]")
    assert "c: f64[2] = add a b" in out and "e: f64[2] = mul c d" in out


def test_grad_prints_the_graph_and_the_values(capsys, src):
    code, out, _ = run(capsys, "grad", f"{src}:create_graph", "--arg", "[2.0]", "--arg",
                       "[1.0]", "--wrt", "0,1")
    assert code == 0 and out.startswith("graph grad_create_graph(")
    a, b = 2.0, 1.0  # e = (a + b)(b + 1): de/da = b + 1, de/db = a + 2b + 1
    assert f"d/da = {np.array([b + 1])}" in out
    assert f"d/db = {np.array([a + 2 * b + 1])}" in out


def test_grad_with_specs_prints_no_values(capsys, src):
    code, out, _ = run(capsys, "grad", f"{src}:create_graph", "--arg", "f64[1]", "--arg",
                       "f64[1]")
    assert code == 0 and "graph grad_create_graph" in out and "d/da" not in out


def test_render_dot_to_stdout_and_file(capsys, src, tmp_path):
    code, out, _ = run(capsys, "render", f"{src}:create_graph", "--arg", "[2.0]", "--arg",
                       "[1.0]", "-o", "-", "--values", "--gradients", "--rankdir", "TB")
    assert code == 0 and out.startswith('digraph "create_graph"') and "rankdir=TB" in out
    assert "∂e/∂b = 5<" in out and "c = 3<" in out
    target = tmp_path / "e.dot"
    code, out, _ = run(capsys, "render", f"{src}:create_graph", "--arg", "f64[1]", "--arg",
                       "f64[1]", "-o", target)
    assert code == 0 and out == f"wrote {target}\n" and "c = a + b" in target.read_text()


def test_render_svg(capsys, src, tmp_path):
    from autotrace.viz import dot_program

    if dot_program() is None:
        pytest.skip("no Graphviz program: pip install autotrace[viz]")
    target = tmp_path / "e.svg"
    code, out, _ = run(capsys, "render", f"{src}:create_graph", "--arg", "[2.0]", "--arg",
                       "[1.0]", "-o", target, "--gradients")
    assert code == 0 and "<svg" in target.read_text()


def test_render_without_graphviz_is_an_error_but_writes_dot(capsys, src, tmp_path,
                                                             monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(importlib.import_module("autotrace.viz.render"), "script_folders",
                        lambda: [])
    code, _, err = run(capsys, "render", f"{src}:double", "--arg", "[1.0]", "-o",
                       tmp_path / "x.png")
    assert code == 1 and "pip install autotrace[viz]" in err and "graphviz-pure" in err
    assert (tmp_path / "x.dot").exists()


def test_demo_help(capsys):
    code, out, _ = run(capsys, "demo", "--help")
    assert code == 0 and "--out" in out


@pytest.mark.parametrize("command", ["code", "graph", "grad", "render"])
def test_each_command_has_help(capsys, command):
    code, out, _ = run(capsys, command, "--help")
    assert code == 0 and "FILE:FUNC" in out


# -- argument specs -------------------------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("f64[3]", TensorSpec((3,), np.float64)),
    ("f32[2,None]", TensorSpec((2, None), np.float32)),
    ("i64[]", TensorSpec((), np.int64)),
    ("bool[?]", TensorSpec((None,), np.bool_)),
    ("float32[4]", TensorSpec((4,), np.float32)),
])
def test_specs(text, expected):
    assert cli.parse_arg(text) == expected


def test_literals():
    arr = cli.parse_arg("[1.0, 2.0]")
    assert isinstance(arr, np.ndarray) and arr.dtype == np.float64
    assert cli.parse_arg("3") == 3 and type(cli.parse_arg("3")) is int
    assert cli.parse_arg("True") is True and cli.parse_arg("'relu'") == "relu"
    pair = cli.parse_arg("([1, 2], 0.5)")
    assert isinstance(pair[0], np.ndarray) and pair[1] == 0.5
    assert isinstance(cli.parse_arg("{'w': [[1.0]]}")["w"], np.ndarray)


def test_literals_are_never_evaluated():
    with pytest.raises(cli.CommandError):
        cli.parse_arg("__import__('os').getcwd()")


# -- errors ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("argv, message", [
    (["graph", "{src}", "--arg", "3"], "expected FILE:FUNC"),
    (["graph", "missing.py:f"], "no such file: missing.py"),
    (["graph", "{src}:nope"], "has no function 'nope' (functions defined there: "
                              "concrete, create_graph, double, generator, mismatched)"),
    (["graph", "{src}:value"], "is not a function (it is int)"),
    (["graph", "{src}:double", "--arg", "f65[3]"], "unknown dtype 'f65'"),
    (["graph", "{src}:double", "--arg", "f64[x]"], "dimension 'x' is not a size"),
    (["graph", "{src}:double", "--arg", "relu"], "neither a spec"),
    (["graph", "{src}:double", "--arg", "[[1], [1, 2]]"], "not an array"),
    (["graph", "{src}:double"], "missing a required argument: 'x'"),
    (["graph", "{src}:double", "--arg", "1", "--arg", "2"], "too many positional"),
    (["grad", "{src}:double", "--arg", "[1.0]", "--wrt", "1"], "--wrt 1: out of range"),
    (["grad", "{src}:double", "--arg", "[1.0]", "--wrt", "a"], "expected argument positions"),
    (["render", "{src}:double", "--arg", "f64[2]", "-o", "x.svg", "--values"],
     "need literal --arg values"),
    (["render", "{src}:double", "--arg", "[1.0]", "-o", "x.jpeg"], "-o x.jpeg: use a"),
    (["render", "{src}:double", "--arg", "[1.0]"], "required: -o"),
    (["nonsense"], "invalid choice"),
    ([], "required: COMMAND"),
])
def test_usage_errors_exit_2(capsys, src, argv, message):
    code, out, err = run(capsys, *[a.format(src=src) for a in argv])
    assert code == 2 and not out
    assert err.startswith("autotrace: error: ") and message in err
    assert "Traceback" not in err


@pytest.mark.parametrize("argv, message", [
    (["code", "{src}:generator"], "ConversionError: "),
    (["graph", "{src}:generator", "--arg", "f64[2]"], "`yield` is not supported"),
    (["graph", "{src}:mismatched", "--arg", "f64[2]"], "not assigned on every path"),
    (["graph", "{src}:concrete", "--arg", "f64[2]"], "TracingError: "),
    (["grad", "{src}:double", "--arg", "[1.0, 2.0]"], "scalar output"),
    (["grad", "{src}:double", "--arg", "[1, 2]"], "float arrays only"),
])
def test_user_code_errors_exit_1(capsys, src, argv, message):
    code, out, err = run(capsys, *[a.format(src=src) for a in argv])
    assert code == 1 and err.startswith("autotrace: error: ") and message in err
    assert "Traceback" not in err


def test_module_errors(capsys, tmp_path):
    (tmp_path / "syntax.py").write_text("def f(:\n")
    (tmp_path / "boom.py").write_text("raise RuntimeError('boom')\n")
    code, _, err = run(capsys, "graph", f"{tmp_path / 'syntax.py'}:f")
    assert code == 1 and "syntax.py:1: SyntaxError" in err
    code, _, err = run(capsys, "graph", f"{tmp_path / 'boom.py'}:f")
    assert code == 1 and "importing" in err and "RuntimeError: boom" in err


def test_file_directory_is_importable_only_while_running(capsys, tmp_path):
    (tmp_path / "helper_mod_xyz.py").write_text("K = 3.0\n")
    (tmp_path / "main_mod_xyz.py").write_text(
        "from helper_mod_xyz import K\n\ndef f(x):\n    return x * K\n")
    code, out, _ = run(capsys, "graph", f"{tmp_path / 'main_mod_xyz.py'}:f", "--arg", "f64[2]")
    assert code == 0 and "mul x 3.0" in out
    assert str(tmp_path) not in sys.path and "main_mod_xyz" not in sys.modules


def test_subprocess_entry_point(src):
    ok = subprocess.run([sys.executable, "-m", "autotrace", "graph", f"{src}:double",
                         "--arg", "f32[3]"], capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0 and "graph double(x: f32[3]) -> f32[3]" in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "autotrace", "graph", f"{src}:generator",
                          "--arg", "f64[2]"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    debug = subprocess.run([sys.executable, "-m", "autotrace", "--traceback", "graph",
                            f"{src}:generator", "--arg", "f64[2]"], capture_output=True,
                           text=True, timeout=60)
    assert debug.returncode == 1 and "Traceback" in debug.stderr


# -- methods: FILE:Class.method ----------------------------------------------------------------
MODEL = """
    import numpy as np
    import autotrace as at

    SCALE = 3.0

    def helper(x):
        return x

    class Model:
        def __init__(self, scale=2.0):
            self.scale = scale

        def loss(self, x):
            return (self.scale * x * x).sum()

        @at.trace(input_signature=[at.TensorSpec((None,), np.float64)])
        def scaled(self, x):
            return self.scale * x

        def __call__(self, x):
            return x + self.scale

        def _private(self):
            return 0

        @staticmethod
        def twice(x):
            return x * 2

    class Needs:
        def __init__(self, size):
            self.size = size

        def f(self, x):
            return x * self.size
"""


@pytest.fixture
def model_src(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(textwrap.dedent(MODEL))
    return path


def test_method_with_default_instance(capsys, model_src):
    code, out, err = run(capsys, "graph", f"{model_src}:Model.loss", "--arg", "f64[2]")
    assert code == 0 and not err, err
    assert out.splitlines()[0] == "graph loss(x: f64[2]) -> f64[]"
    assert "= mul 2.0 x" in out  # self.scale of Model() is a constant of the trace


def test_method_with_self_expression(capsys, model_src):
    code, out, err = run(capsys, "grad", f"{model_src}:Model.loss", "--self", "Model(SCALE)",
                         "--arg", "[1.0, 2.0]")
    assert code == 0 and not err, err
    assert out.splitlines()[-1] == f"  d/dx = {np.array([6.0, 12.0])}"  # 2 * 3 * x


def test_traced_method_keeps_its_input_signature(capsys, model_src):
    code, out, err = run(capsys, "graph", f"{model_src}:Model.scaled", "--self", "Model(5.0)")
    assert code == 0 and not err, err
    assert out.splitlines()[0] == "graph scaled(x: f64[?]) -> f64[?]"
    assert "= mul 5.0 x" in out


def test_call_method_and_code_of_a_method(capsys, model_src):
    code, out, _ = run(capsys, "graph", f"{model_src}:Model.__call__", "--arg", "[1.0]")
    assert code == 0 and "= add x 2.0" in out
    code, out, _ = run(capsys, "code", f"{model_src}:Model.loss")
    assert code == 0 and out.startswith("def loss(self, x):")


def test_static_method_needs_no_instance(capsys, model_src):
    code, out, err = run(capsys, "graph", f"{model_src}:Model.twice", "--arg", "[1.0]")
    assert code == 0 and "= mul x 2" in out, err


def test_has_no_function_lists_classes_and_methods(capsys, model_src):
    code, out, err = run(capsys, "graph", f"{model_src}:Model.lose")
    assert code == 2 and not out
    assert err == (f"autotrace: error: {model_src} has no function 'Model.lose' (functions "
                   "defined there: helper; classes and their methods: Model.__call__, "
                   "Model.loss, Model.scaled, Needs.f)\n")


@pytest.mark.parametrize("argv, code, message", [
    (["graph", "{src}:Needs.f", "--arg", "[1.0]"], 2,
     "{src}:Needs.f is a method, and making the instance with Needs() failed: TypeError: "
     "Needs.__init__() missing 1 required positional argument: 'size'; pass --self EXPR to "
     "make it (like --self 'Needs(...)')"),
    (["graph", "{src}:Needs.f", "--self", "Needs(", "--arg", "[1.0]"], 1,
     "--self 'Needs(' failed: SyntaxError: "),
    (["graph", "{src}:Needs.f", "--self", "Nope()", "--arg", "[1.0]"], 1,
     "--self 'Nope()' failed: NameError: name 'Nope' is not defined"),
    (["graph", "{src}:helper", "--self", "Model()", "--arg", "[1.0]"], 2,
     "--self: {src}:helper is not a method of a class"),
])
def test_method_errors(capsys, model_src, argv, code, message):
    got, out, err = run(capsys, *[a.format(src=model_src) for a in argv])
    assert got == code and not out
    assert err.startswith("autotrace: error: " + message.format(src=model_src))


def test_needs_instance_from_self(capsys, model_src):
    code, out, err = run(capsys, "graph", f"{model_src}:Needs.f", "--self", "Needs(4)",
                         "--arg", "i64[3]")
    assert code == 0 and not err, err
    assert out.splitlines()[0] == "graph f(x: i64[3]) -> i64[3]" and "mul x 4" in out


def test_same_function_in_two_files_names_each_file(capsys, tmp_path):
    # Equal code objects in different files must not share a conversion (its line map).
    for name in ("first.py", "second.py"):
        (tmp_path / name).write_text("def double(x):\n    return x * 2\n")
    for name in ("first.py", "second.py"):
        code, out, _ = run(capsys, "graph", f"{tmp_path / name}:double", "--arg", "f64[1]")
        assert code == 0 and f"# {name}:2  return x * 2" in out
