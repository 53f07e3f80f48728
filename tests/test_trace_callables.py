"""Tracing callables that are not plain functions with readable source (issue 8, items 5
and 7): builtins and ufuncs become a graph of that one call; partials and callable objects
are converted like functions; a function whose source cannot be read is traced without
conversion after a one-time warning; a file edited after import is refused."""

from __future__ import annotations

import functools
import importlib
import json
import math
import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import autotrace as at
from autotrace.convert.source import StaleSource
from autotrace.errors import ConversionWarning, TracingError

X = np.array([0.5, -1.0, 2.0])
LOST = ("What is lost: Python control flow in it (`if`, `while`, `for`, `and`/`or`/`not`, "
        "`a if c else b`) is not converted to graph control flow, so using a traced value "
        "there raises a TracingError; straight-line numpy code traces as usual.")


def same(got, want):
    assert type(got) is type(want)
    np.testing.assert_array_equal(got, want)
    assert np.asarray(got).dtype == np.asarray(want).dtype


# -- builtins, ufuncs, partials, callable objects (item 5) -----------------------------------
@pytest.mark.parametrize("x", [X, X.astype(np.float32), np.array([1, 2, 3]), np.float64(0.3)])
def test_a_traced_ufunc_is_one_op(x):
    traced = at.trace(np.sin)
    same(traced(x), np.sin(x))
    graph = traced.get_concrete_function(x).graph
    assert [n.op.name for n in graph.nodes][-1] == "sin" and len(graph.nodes) <= 2
    same(traced(x * 2), np.sin(x * 2))
    assert traced.trace_count == 1


def test_binary_ufuncs_and_numpy_functions():
    y = np.array([[1.0], [2.0]])
    same(at.trace(np.add)(X, y), np.add(X, y))
    same(at.trace(np.maximum)(X, 0.0), np.maximum(X, 0.0))
    same(at.trace(np.sum)(y, axis=0), np.sum(y, axis=0))
    same(at.trace(np.matmul)(y.T, y), np.matmul(y.T, y))
    assert repr(at.trace(np.add)) == "<autotrace.TracedFunction add>"
    with pytest.raises(at.ConversionError, match=r"^<ufunc 'add'> is not a Python function: "
                       r"it has no source to convert \(tracing calls it as it is\)$"):
        at.to_code(np.add)


def test_a_traced_ufunc_with_an_input_signature():
    traced = at.trace(np.sin, input_signature=[at.TensorSpec((None,))])
    for n in (3, 5):
        same(traced(np.ones(n)), np.sin(np.ones(n)))
    assert traced.trace_count == 1
    assert str(traced.get_concrete_function().graph).splitlines()[0] == \
        "graph sin(args_0: f64[?]) -> f64[?]"


def test_partials_of_numpy_functions():
    add_one = at.trace(functools.partial(np.add, 1.0))
    same(add_one(X), np.add(1.0, X))
    assert add_one.__name__ == "partial_add"
    scaled = at.trace(functools.partial(np.multiply, np.float32(2)))
    same(scaled(X.astype(np.float32)), np.multiply(np.float32(2), X.astype(np.float32)))


class Gate:
    """A callable object whose `__call__` has tensor control flow."""

    def __init__(self, w):
        self.w = w

    def __call__(self, x):
        if x.sum() > 0:
            return x * self.w
        return -x


def test_callable_objects_are_converted():
    gate = Gate(3.0)
    traced = at.trace(gate)
    cf = traced.get_concrete_function(X)
    for x in (X, -X):  # one graph, both paths
        same(cf(x), gate(x))
    assert traced.trace_count == 1 and traced.__name__ == "Gate"
    assert traced.code.startswith("def __call__(self, x):\n")


def test_gradients_of_a_traced_ufunc():
    d_sin = at.grad(at.trace(np.sin))
    assert d_sin(0.3) == np.cos(0.3) and type(d_sin(0.3)) is float
    assert d_sin(np.float64(0.3)) == np.cos(0.3)
    np.testing.assert_allclose(at.jacobian(at.trace(np.sin))(X), np.diag(np.cos(X)))
    at.check_grads(at.trace(np.sin), (X,), order=2)


@pytest.mark.parametrize("fn", [math.exp, math.log, math.sqrt, math.tanh, math.atan,
                                math.fabs])
@pytest.mark.parametrize("x", [np.float64(0.7), np.float32(1.5), np.int64(2)])
def test_math_functions_are_the_math_op(fn, x):
    traced = at.trace(fn)
    got = traced(x)
    assert got == fn(x) and type(got) is float
    graph = str(traced.get_concrete_function(x).graph)
    arg = "args_0" if x.dtype == np.float64 else "%0"  # others are cast to float64 first
    assert f"float = math {arg} fn={fn.__name__}" in graph


def uses_math(x, k):
    return math.log(x.sum()) * k + math.sqrt(2)


def test_math_functions_inside_traced_code_and_their_errors():
    traced = at.trace(uses_math)
    for x in (X + 2, np.array([1.0, 2.0, 3.0])):
        assert traced(x, 3.0) == uses_math(x, 3.0) and type(traced(x, 3.0)) is float
    assert traced.trace_count == 1
    with pytest.raises(ValueError, match="math domain error"):  # as plain Python, not nan
        traced(X - 5, 3.0)
    with pytest.raises(TracingError, match=r"`args_0` \(f64\[3\]\) was converted to a"):
        at.trace(math.exp)(X)  # math takes one number; so does the traced call


def test_gradients_of_math_functions():
    assert at.grad(uses_math)(X + 2, 3.0).tolist() == [3.0 / (X + 2).sum()] * 3
    d_exp = at.grad(at.trace(math.exp))
    assert d_exp(0.5) == math.exp(0.5)
    assert at.hessian(lambda x: math.sin(x) * x)(0.5) == pytest.approx(
        2 * math.cos(0.5) - 0.5 * math.sin(0.5), rel=1e-12)
    at.check_grads(lambda x: math.atanh(x) * math.cosh(x), (0.3,), order=2)


# -- functions whose source cannot be read (item 7) ------------------------------------------
SOURCE = """
import numpy as np

def straight(x):
    return np.sin(x) * 2.0 + x

def branchy(x):
    if x.sum() > 0:
        return x
    return -x
"""


def exec_defined():
    namespace: dict = {}
    exec(SOURCE, namespace)  # noqa: S102 - the point of the test
    return namespace["straight"], namespace["branchy"]


def test_exec_defined_functions_trace_unconverted_after_one_warning():
    straight, branchy = exec_defined()
    with pytest.warns(ConversionWarning) as record:
        traced = at.trace(straight)
        same(traced(X), straight(X))
        same(traced(X + 1), straight(X + 1))
    assert len(record) == 1
    message = str(record[0].message)
    assert message.startswith("autotrace could not convert 'straight' and traces it "
                              "unconverted: cannot read the source of straight")
    assert message.endswith(LOST)
    assert traced.trace_count == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once per function: no second warning
        same(at.trace(straight)(X), straight(X))
    with pytest.warns(ConversionWarning, match="'branchy'"):
        with pytest.raises(TracingError, match="was used as a Python bool"):
            at.trace(branchy)(X)


def run_python(args, code, tmp_path):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    done = subprocess.run([sys.executable, *args, code], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1]), done.stderr


CHECK = """
import json, warnings
import numpy as np
import autotrace as at
x = np.array([0.5, -1.0, 2.0])
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    traced = at.trace(straight)
    got = [traced(x).tolist(), traced(x + 1).tolist()]
    want = [straight(x).tolist(), straight(x + 1).tolist()]
    try:
        at.trace(branchy)(x)
        error = None
    except at.TracingError as e:
        error = str(e)
print(json.dumps({"got": got, "want": want, "count": traced.trace_count, "error": error,
                  "warnings": [str(w.message) for w in caught]}))
"""


def test_python_dash_c(tmp_path):
    out, _ = run_python(["-c"], SOURCE + CHECK, tmp_path)
    assert out["got"] == out["want"] and out["count"] == 1
    assert "was used as a Python bool" in out["error"]
    assert len(out["warnings"]) == 2  # one per function
    assert all(w.endswith(LOST) for w in out["warnings"])
    assert "cannot read the source of straight: could not get source code" in \
        out["warnings"][0]


def test_lambdas_on_one_line_that_cannot_be_told_apart(tmp_path):
    """Without column positions (`-X no_debug_ranges`), two lambdas with the same parameters
    on one line cannot be told apart: both run unconverted, each its own code."""
    script = tmp_path / "two_lambdas.py"
    script.write_text(textwrap.dedent("""
        import json, warnings
        import numpy as np
        import autotrace as at
        f, g = (lambda x: x + 1.0), (lambda x: x * 2.0)
        x = np.array([1.0, 2.0])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            got = [at.trace(f)(x).tolist(), at.trace(g)(x).tolist()]
        print(json.dumps({"got": got, "warnings": [str(w.message) for w in caught]}))
    """))
    out, _ = run_python(["-X", "no_debug_ranges"], str(script), tmp_path)
    assert out["got"] == [[2.0, 3.0], [2.0, 4.0]]
    assert len(out["warnings"]) == 2
    assert f"{script}:5: several lambdas that cannot be told apart with parameters ('x',) " \
           "found; give the function a name with def" in out["warnings"][0]


# -- a file edited after import (item 7) -----------------------------------------------------
MODULE = """import numpy as np


def helper(x):
    return x * 3.0


def f(x):
    return x + 1.0


def g(x):
    return helper(x) - 1.0
"""


@pytest.fixture
def module(tmp_path, monkeypatch):
    """A module imported from a file the test then edits."""
    monkeypatch.syspath_prepend(str(tmp_path))
    path = tmp_path / "edited_module.py"
    path.write_text(MODULE)
    mod = importlib.import_module("edited_module")
    yield mod, path
    sys.modules.pop("edited_module", None)


def edit(path, text):
    path.write_text(text)
    stat = path.stat()
    os.utime(path, (stat.st_atime, stat.st_mtime + 10))  # seen as changed by linecache


def test_an_edited_function_is_refused(module):
    mod, path = module
    edit(path, MODULE.replace("x + 1.0", "x + 2.0"))
    with pytest.raises(StaleSource) as info:
        at.trace(mod.f)(X)
    assert str(info.value) == (
        f'File "{path}", line 8: the source of f in the file is not the code that runs (the '
        "file was edited after it was imported). autotrace converts a function from its "
        "source text, and converting the new text would trace other code than the function "
        "called: reload the module (importlib.reload) or restart Python, then trace it again.")
    importlib.reload(mod)
    same(at.trace(mod.f)(X), X + 2.0)


def test_lines_moved_or_a_helper_edited_are_refused(module):
    mod, path = module
    for blank_lines in (4, 3):  # line 8 now holds `def helper`, then helper's `return`
        edit(path, MODULE.replace("import numpy as np\n", "import numpy as np\n" +
                                  "\n" * blank_lines))
        with pytest.raises(StaleSource, match="line 8: the source of f in the file is not"):
            at.trace(mod.f)(X)
    edit(path, MODULE.replace("x * 3.0", "x * 4.0"))
    with pytest.raises(StaleSource, match="line 4: the source of helper in the file is not"):
        at.trace(mod.g)(X)  # g itself is unchanged; the helper it calls is not


def test_an_unedited_file_converts(module):
    mod, path = module
    edit(path, MODULE)  # touched, same text
    same(at.trace(mod.g)(X), X * 3.0 - 1.0)
