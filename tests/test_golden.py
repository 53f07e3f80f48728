"""Golden text of `str(cf.graph)`, `f.code` and the compiled source of a few representative
functions. The expected text was written by hand from what it should read like; a change
here is a change of the user-visible text and must be deliberate.

In the expected graphs, `@N` stands for `test_golden.py:<line N of the function's body>`.
"""

import inspect
import re

import numpy as np
import pytest

import autotrace as at
from autotrace.compile import codegen
from autotrace.graph.ir import Namer, format_value


def seed(a, b):
    c = a + b
    d = b + 1
    e = c * d
    return e


def reduce_rows(x):
    s = x.sum(axis=1, keepdims=True)
    m = np.mean(x, axis=0)
    return s / m.max()


def crop(x):
    y = x[1:, ::2]
    z = x[None, ..., 0]
    return y, z


def window(x, i):
    return x[i:i + 2]


def stats(x, y):
    s = x + y
    return (s, x * 2), {"sum": s, "n": 3}


W32 = np.array([1.0, 2.0, 3.0], dtype=np.float32)


def affine32(x):
    y = x * 0.5 + 1
    w = W32
    return np.maximum(y + w, 0.0).astype(np.float64)


EXAMPLES = {
    "seed": (seed, (np.array([2.0]), np.array([1.0]))),
    "reduce_rows": (reduce_rows, (np.ones((2, 3)),)),
    "crop": (crop, (np.ones((3, 4)),)),
    "window": (window, (np.arange(5.0), np.array(1))),
    "stats": (stats, (np.ones(2), np.ones(2))),
    "affine32": (affine32, (np.ones(3, np.float32),)),
}

GRAPHS = {
    "seed": """
graph seed(a: f64[1], b: f64[1]) -> f64[1]
  c: f64[1] = add a b                         # @1  c = a + b
  d: f64[1] = add b 1                         # @2  d = b + 1
  e: f64[1] = mul c d                         # @3  e = c * d
  return e
""",
    "reduce_rows": """
graph reduce_rows(x: f64[2,3]) -> f64[2,1]
  s: f64[2,1] = sum x axis=(1,) keepdims=True  # @1  s = x.sum(axis=1, keepdims=True)
  m: f64[3] = mean x axis=(0,) keepdims=False  # @2  m = np.mean(x, axis=0)
  %0: f64[] = max m axis=(0,) keepdims=False  # @3  return s / m.max()
  %1: f64[2,1] = div s %0
  return %1
""",
    "crop": """
graph crop(x: f64[3,4]) -> (f64[2,2], f64[1,3])
  y: f64[2,2] = getitem x index=[1:, ::2]     # @1  y = x[1:, ::2]
  z: f64[1,3] = getitem x index=[None, ..., 0]  # @2  z = x[None, ..., 0]
  return y, z
""",
    "window": """
graph window(x: f64[5], i: i64[]) -> f64[?]
  %0: i64[] = add i 2                         # @1  return x[i:i + 2]
  %1: f64[?] = getitem x index=[i:%0]
  return %1
""",
    "stats": """
graph stats(x: f64[2], y: f64[2]) -> (f64[2], f64[2])
  s: f64[2] = add x y                         # @1  s = x + y
  %0: f64[2] = mul x 2                        # @2  return (s, x * 2), {"sum": s, "n": 3}
  return s, %0
""",
    "affine32": """
graph affine32(x: f32[3], W32: f32[3]) -> f64[3]
  %0: f32[3] = mul x 0.5                      # @1  y = x * 0.5 + 1
  y: f32[3] = add %0 1
  %1: f32[3] = add y W32                      # @3  return np.maximum(y + w, 0.0).astype(np.float64)
  %2: f32[3] = maximum %1 0.0
  %3: f64[3] = cast %2 dtype=float64
  return %3
""",
}

CODE = {
    "seed": """
def seed(a, b):
    c = at__.add(a, b)
    d = at__.add(b, 1)
    e = at__.mul(c, d)
    return e
""",
    "reduce_rows": """
def reduce_rows(x):
    s = x.sum(axis=1, keepdims=True)
    m = np.mean(x, axis=0)
    return at__.truediv(s, m.max())
""",
    "crop": """
def crop(x):
    y = x[1:, ::2]
    z = x[None, ..., 0]
    return y, z
""",
    "window": """
def window(x, i):
    return x[i:at__.add(i, 2)]
""",
    "stats": """
def stats(x, y):
    s = at__.add(x, y)
    return (s, at__.mul(x, 2)), {'sum': s, 'n': 3}
""",
    "affine32": """
def affine32(x):
    y = at__.add(at__.mul(x, 0.5), 1)
    w = at__.live(W32)
    return np.maximum(at__.add(y, w), 0.0).astype(np.float64)
""",
}

SOURCE = {
    "seed": """
def seed(a, b):
    c = a + b
    d = b + _f64_1
    e = c * d
    return e
""",
    "reduce_rows": """
def reduce_rows(x):
    s = _sum(x, axis=(1,), keepdims=True)
    m = _mean(x, axis=(0,), keepdims=False)
    v0 = _max(m, axis=(0,), keepdims=False)
    del m
    v1 = s / v0
    return v1
""",
    "crop": """
def crop(x):
    y = _getitem(x, index=_index)
    z = _getitem(x, index=_index_1)
    return (y, z)
""",
    "window": """
def window(x, i):
    v0 = i + 2
    v1 = _getitem(x, i, v0, index=_index)
    return v1
""",
    "stats": """
def stats(x, y):
    s = x + y
    v0 = x * _f64_2
    return ((s, v0), {'sum': s, 'n': 3})
""",
    "affine32": """
def affine32(x):
    try:
        W32 = _globals['W32']
    except Exception:
        return _miss(x)
    if (type(W32) is not _ndarray or W32.shape != (3,)
            or W32.dtype is not _float32 and W32.dtype != _float32):
        return _miss(x)
    v0 = x * _f32_0_5
    y = v0 + _f32_1
    del v0
    v1 = y + W32
    del y
    v2 = _maximum(v1, _f32_0_0)
    del v1
    v3 = _cast(v2, dtype=_float64)
    return v3
""",
}

CHECKED_SEED = """
def seed(a, b):
    c = a + b
    _check(c, _var)
    d = b + _f64_1
    _check(d, _var_1)
    e = c * d
    _check(e, _var_2)
    return e
"""


def expected_graph(name: str) -> str:
    first = inspect.getsourcelines(EXAMPLES[name][0])[1]
    text = GRAPHS[name].strip("\n")
    return re.sub(r"@(\d+)", lambda m: f"test_golden.py:{first + int(m.group(1))}", text)


def concrete(name: str, check: bool = False, monkeypatch=None):
    monkeypatch.setattr(codegen, "CHECK", check)
    fn, args = EXAMPLES[name]
    traced = at.trace(fn)
    return traced, traced.get_concrete_function(*args)


@pytest.mark.parametrize("name", EXAMPLES)
def test_graph_text(name, monkeypatch):
    _, cf = concrete(name, monkeypatch=monkeypatch)
    assert str(cf.graph) == expected_graph(name)


@pytest.mark.parametrize("name", EXAMPLES)
def test_converted_code(name, monkeypatch):
    traced, _ = concrete(name, monkeypatch=monkeypatch)
    assert traced.code.strip("\n") == CODE[name].strip("\n")


def function_text(cf) -> str:
    """The generated function a call runs (`cf.source` is a module ending with it, with
    checking mode's assertions left out)."""
    return cf._call.source


@pytest.mark.parametrize("name", EXAMPLES)
def test_compiled_source_runs_like_the_function(name, monkeypatch):
    traced, cf = concrete(name, monkeypatch=monkeypatch)
    assert function_text(cf).strip("\n") == SOURCE[name].strip("\n")
    fn, args = EXAMPLES[name]
    assert repr(traced(*args)) == repr(fn(*args))


def test_checked_source_asserts_every_value(monkeypatch):
    _, cf = concrete("seed", check=True, monkeypatch=monkeypatch)
    assert function_text(cf).strip("\n") == CHECKED_SEED.strip("\n")


def test_graph_header_for_several_outputs_and_unknown_dims(monkeypatch):
    monkeypatch.setattr(codegen, "CHECK", False)
    cf = at.trace(stats).get_concrete_function(at.TensorSpec((None,)), at.TensorSpec((None,)))
    assert str(cf.graph).splitlines()[0] == "graph stats(x: f64[?], y: f64[?]) -> (f64[?], f64[?])"


@pytest.mark.parametrize("value, text", [
    (np.array([1.0, 2.0], np.float32), "[1.,2.]:f32"),
    (np.array([[1, 2], [3, 4]]), "[[1,2],[3,4]]:i64"),
    (np.zeros((3, 3)), "const<f64[3,3]>(0.0)"),
    (np.arange(8.0), "const<f64[8]>"),
    (np.float32(0.5), "0.5:f32"),
    (2, "2"),
    (0.5, "0.5"),
])
def test_constants_print_as_one_compact_token(value, text):
    assert format_value(value, Namer()) == text


@pytest.mark.parametrize("key, text", [
    (np.s_[::-1], "[::-1]"),
    (np.s_[1:-1, 2], "[1:-1, 2]"),
    (np.s_[..., None, :3], "[..., None, :3]"),
    (np.s_[0], "[0]"),
])
def test_index_params_print_as_numpy_subscripts(key, text, monkeypatch):
    monkeypatch.setattr(codegen, "CHECK", False)
    cf = at.trace(subscript).get_concrete_function(np.ones((4, 5)), key)
    assert f"getitem x index={text}" in str(cf.graph)


def subscript(x, key):
    return x[key]
