"""`cf.source` is a standalone module: written to a file, it runs under `python` without
autotrace, and its function (imported) gives what the concrete function gives."""

import copy
import importlib.util
import subprocess
import sys

import numpy as np
import pytest
from corpus import branches, calls, logic, loops, python_values
from corpus.check import assert_same, compare_call

import autotrace as at

CASES = [c for m in (branches, loops, logic, calls, python_values) for c in m.CORPUS.cases]


def write_module(cf, tmp_path):
    path = tmp_path / f"generated_{cf.graph.name.strip('<>')}.py"
    path.write_text(cf.source)
    return path


def import_module(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Standalone:
    """The imported module's function, called like the concrete function (its
    arguments flattened to the leaves the generated function takes)."""

    def __init__(self, cf, module):
        self.cf = cf
        self.fn = getattr(module, cf._call.__name__)

    def __call__(self, *args, **kwargs):
        leaves, _ = self.cf._traced._canonical(args, kwargs)
        return self.fn(*leaves)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_standalone_module_matches_python_and_concrete_function(case, tmp_path):
    cf = at.trace(case.fn).get_concrete_function(*case.inputs[0])
    standalone = Standalone(cf, import_module(write_module(cf, tmp_path)))
    for args in case.inputs:
        compare_call(standalone, case.fn, args, case.merged_scalars, case.rtol)
        try:
            want = cf(*copy.deepcopy(args))
        except Exception as e:  # the same error, raised by the module's own code
            with pytest.raises(type(e)):
                standalone(*copy.deepcopy(args))
        else:
            assert_same(standalone(*copy.deepcopy(args)), want, case.id)


def test_corpus_modules_run_without_autotrace(tmp_path):
    paths = []
    for case in CASES:
        cf = at.trace(case.fn).get_concrete_function(*case.inputs[0])
        path = tmp_path / f"m_{case.id}.py"
        path.write_text(cf.source)
        paths.append(str(path))
    script = ("import runpy, sys\n"
              f"for p in {paths!r}:\n"
              "    runpy.run_path(p)\n"
              "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'autotrace')\n"
              "print(bad)\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True, cwd=tmp_path)
    assert out.stdout == "[]\n", out.stderr


def test_module_executed_with_python_prints_its_result(tmp_path):
    def f(x, n):
        i = 0
        while i < n:
            if x.sum() > 0:
                x = np.sin(x) * x[::-1]
            else:
                x = x * x - 1.5
            i += 1
        return x.astype(np.float32), i

    x = np.array([0.5, -0.25, np.nan])
    cf = at.trace(f).get_concrete_function(x, np.int64(3))
    path = write_module(cf, tmp_path)
    path.write_text(path.read_text() + "\nprint(repr(f(np.array([0.5, -0.25, 2.0]), 3)))\n")
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                         check=True, cwd=tmp_path)
    assert out.stdout == repr(f(np.array([0.5, -0.25, 2.0]), 3)) + "\n"
    assert "autotrace" not in cf.source


def test_constants_are_bit_exact(tmp_path):
    const = np.array([np.nan, -0.0, np.inf, -np.nan, 1e-310], dtype=np.float64)
    half = np.float16(-0.0)

    def f(x):
        return x + const, half, const

    x = np.zeros(5)
    cf = at.trace(f).get_concrete_function(x)
    standalone = Standalone(cf, import_module(write_module(cf, tmp_path)))
    for got, want in zip(standalone(x), cf(x)):
        assert type(got) is type(want) and got.dtype == want.dtype
        assert got.tobytes() == want.tobytes()


def test_what_has_no_source_is_an_error():
    w = at.Variable(np.ones(2))
    cf = at.trace(lambda x: x * w).get_concrete_function(np.ones(2))
    with pytest.raises(at.UnsupportedError, match=r"^cannot make a standalone module of "
                       r"<lambda>: it reads a Variable object, which has no source text$"):
        _ = cf.source


def _many_ops(x, n):
    y = np.concatenate([x, x[::-1]])
    z = np.einsum("i,i->", y, y) + np.cumsum(x).sum() + np.sort(x)[0] + x.reshape(1, -1).mean()
    i = 0
    while i < n:
        z = z * np.tanh(x).sum()
        i += 1
    return z + np.stack([x, x]).max() + np.tile(x, 2).sum() + np.dot(x, x) + np.clip(x, 0, 1).sum()


@pytest.mark.parametrize("fn", [_many_ops, at.grad(_many_ops)], ids=["value", "gradient"])
def test_many_ops_and_a_gradient_with_loop_history(fn, tmp_path):
    x = np.array([0.3, 0.5, -0.2])
    cf = at.trace(fn).get_concrete_function(x, np.int64(3))
    standalone = Standalone(cf, import_module(write_module(cf, tmp_path)))
    for n in (0, 1, 4):
        assert_same(standalone(x, np.int64(n)), cf(x, np.int64(n)))
