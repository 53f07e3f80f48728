"""The fused backend (`backend="fused"`): elementwise regions run as numba kernels.

The fusion pass itself (compile/fuse.py) is checked without numba, with a kernel maker that
runs each region's nodes through numpy: which nodes form a region, what leaves it, that
the new node order is valid. With numba installed (`autotrace[fast]`), the backend runs
against numpy: every fusable op over dtypes, broadcasting, scalars and strides (values
bit for bit, except sums), the control-flow corpus (one concrete function, inputs taking
different paths, against the plain Python function) and the op table of test_grad_ops.py
(forward values and gradient graphs, against the numpy backend). `min_size=1` fuses the
small arrays the tests use.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
from backend_check import run_case, run_traced
from hypothesis import given, settings
from hypothesis import strategies as st
from test_backends import CORPUS, fresh_corpus  # noqa: F401 - fixture
from test_grad_ops import ALL_CASES, _case_id, _gradient_of

import autotrace as at
from autotrace.compile import fuse
from autotrace.compile.backends import FusedBackend, get_backend
from autotrace.compile.codegen import compile_graph
from autotrace.graph.ir import Var


@pytest.fixture(scope="module")
def numba():
    return pytest.importorskip("numba")


def _fused(min_size: int = 1) -> FusedBackend:
    return get_backend("fused", min_size=min_size)


# -- the pass, without numba -----------------------------------------------------------------
def _numpy_kernel(kernel: fuse.Kernel):
    """A region run node by node with numpy (a stand-in for the numba kernel)."""
    from autotrace.graph.ir import Graph

    graph = Graph("region", list(x for x in kernel.inputs if isinstance(x, Var)),
                  list(kernel.nodes), list(kernel.outputs))
    run = compile_graph(graph, check=True)
    arrays = [x for x in kernel.inputs if not isinstance(x, Var)]

    def fused(*inputs):
        outs = run(*(x for x in inputs if not any(x is a for a in arrays)))
        return outs if len(outs) > 1 else outs[0]

    return fused


def _graph(fn, *args):
    return at.trace(fn).get_concrete_function(*args).graph


def _regions(fn, *args, min_size=1):
    return [[n.op.name for n in r.nodes] for r in fuse.find_regions(_graph(fn, *args),
                                                                     min_size)]


def _assert_ordered(graph) -> None:
    """Every value a node reads is a graph input or made by an earlier node."""
    known = {v.uid for v in graph.inputs}
    for node in graph.nodes:
        for x in node.inputs:
            if isinstance(x, Var):
                assert x.uid in known, f"{node.op.name} reads {x} before it is made"
        known.update(v.uid for v in node.outputs)


def _w4(x):
    return np.sum(np.tanh(x) * x + np.exp(-x * x))


def test_regions_stop_at_numpy_transcendentals():
    x = np.ones(8)
    # tanh and exp stay numpy calls: t*x + e and its sum are one region, -x*x another
    assert _regions(_w4, x) == [["mul", "add", "sum"], ["neg", "mul"]]


def test_regions_need_two_members_and_the_size():
    x = np.ones(8)
    assert _regions(lambda x: np.exp(x) * 2, x) == []  # one fusable node
    assert _regions(lambda x: x * 2 + 1, x, min_size=9) == []  # too small
    assert _regions(lambda x: x * 2 + 1, x, min_size=8) == [["mul", "add"]]


def test_a_region_closes_when_an_outside_node_reads_it():
    def f(x):
        y = x * 2 + 1
        z = np.exp(y)  # reads y: the region of y takes no more members
        return y * 3 + z

    graph = _graph(f, np.ones(8))
    assert [[n.op.name for n in r.nodes] for r in fuse.find_regions(graph, 1)] == \
        [["mul", "add"], ["mul", "add"]]
    fused = fuse.fuse_graph(graph, _numpy_kernel, 1)
    _assert_ordered(fused)
    assert [n.op.name for n in fused.nodes] == ["fused", "exp", "fused"]


def test_a_total_is_read_after_its_loop():
    def f(x):
        s = np.sum(x * x)
        return x * s + 1  # same shape as x, but needs the whole sum first

    def g(x):
        y = x * 2
        return y * np.sum(y) + 1  # reads a member and its region's total

    x = np.arange(6.0)
    for fn in (f, g):
        fused = fuse.fuse_graph(_graph(fn, x), _numpy_kernel, 1)
        _assert_ordered(fused)
        assert [n.op.name for n in fused.nodes] == ["fused", "fused"]
        np.testing.assert_array_equal(compile_graph(fused)(x)[0], fn(x))


def test_only_values_read_outside_leave_a_region():
    def f(x):
        a = x * 2
        b = a + 1  # read only inside
        c = b * a
        return c, np.sum(c)

    graph = _graph(f, np.ones(4))
    fused = fuse.fuse_graph(graph, _numpy_kernel, 1)
    (node,) = fused.nodes
    assert [v.shape for v in node.outputs] == [(4,), ()]  # c (returned) and its sum


def test_regions_of_different_shapes_do_not_merge():
    def f(x, y):
        return (x * 2 + 1).sum() + (y * 3 - 1)

    x, y = np.arange(4.0), np.arange(6.0).reshape(2, 3)
    # the last add reads the first region's total as a scalar: it joins the second one
    assert _regions(f, x, y) == [["mul", "add", "sum"], ["mul", "sub", "add"]]
    fused = fuse.fuse_graph(_graph(f, x, y), _numpy_kernel, 1)
    _assert_ordered(fused)
    np.testing.assert_array_equal(compile_graph(fused)(x, y)[0], f(x, y))


def test_unknown_dims_and_complex_are_not_fused():
    spec = at.TensorSpec((None,), np.float64)
    cf = at.trace(lambda x: x * 2 + 1, input_signature=[spec]).get_concrete_function()
    assert fuse.find_regions(cf.graph, 1) == []
    assert _regions(lambda z: z * 2 + 1, np.ones(3, complex)) == []


def test_pass_on_the_corpus_equals_numpy():
    """Every corpus function's graph and sub-graphs, with regions run through numpy."""
    from autotrace.compile.codegen import Emitter

    class Rewriting(Emitter):
        def emit_graph(self, graph, indent, release=False, final=False):
            new = fuse.fuse_graph(graph, _numpy_kernel, 1)
            _assert_ordered(new)
            super().emit_graph(new, indent, release, final)

    checked = 0
    for case in CORPUS:
        args = case.inputs[0]
        try:
            cf = at.trace(case.fn).get_concrete_function(*args)
        except Exception:
            continue
        from autotrace.compile.codegen import check_value

        em = Rewriting(True)
        em.namespace["_check"] = check_value
        compile_graph(cf.graph, entry=cf._entry, emitter=em)
        checked += 1
    assert checked > 100


# -- the backend -------------------------------------------------------------------------------
def test_without_numba_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "numba", None)
    with pytest.raises(ImportError, match=r"backend 'fused' needs the `numba` package "
                                          r"\(pip install 'autotrace\[fast\]'\)"):
        at.trace(_w4, backend="fused")
    cf = at.trace(_w4).get_concrete_function(np.ones(3))
    with pytest.raises(ImportError, match=r"autotrace\[fast\]"):
        cf.to("fused")
    np.testing.assert_allclose(cf(np.ones(3)), _w4(np.ones(3)))  # numpy still runs


def test_w4_forward_and_gradient(numba):
    x = np.linspace(-2, 2, 1000)
    f = at.trace(_w4, backend="fused")
    got = f(x)
    assert type(got) is np.float64
    np.testing.assert_allclose(got, _w4(x), rtol=1e-12)
    source = f.get_concrete_function(x).source
    assert source.count("_fused") == 2 and "_tanh(x)" in source and "_exp(" in source
    grad = at.grad(_w4).get_concrete_function(x)
    fused_grad = grad.to("fused")
    assert "_fused" in fused_grad.source
    np.testing.assert_allclose(fused_grad(x), grad(x), rtol=1e-12)
    g = at.trace(at.grad(_w4), backend="fused")  # the gradient graph, fused
    np.testing.assert_allclose(g(x), grad(x), rtol=1e-12)
    at.check_grads(f, (x[:300],), order=1)


def test_grad_of_a_fused_function_is_traced_like_any(numba):
    f = at.trace(lambda x: np.sum(x * x * 0.5 + x * 3 - 1), backend="fused")
    x = np.linspace(-1, 1, 500)
    np.testing.assert_allclose(at.grad(f)(x), x + 3, rtol=1e-12)


def test_default_size_leaves_small_arrays_to_numpy(numba):
    f = at.trace(lambda x: x * 2 + 1, backend="fused")
    assert "_fused" not in f.get_concrete_function(np.ones(fuse.MIN_SIZE - 1)).source
    assert "_fused" in f.get_concrete_function(np.ones(fuse.MIN_SIZE)).source


_UNARY = ["neg", "pos", "square", "reciprocal", "abs", "sqrt", "floor", "ceil", "trunc",
          "sin", "cos", "logical_not"]
_BINARY = ["add", "sub", "mul", "div", "maximum", "minimum", "lt", "le", "gt", "ge", "eq",
           "ne", "logical_and", "logical_or", "logical_xor", "bitand", "bitor", "bitxor"]
_NP = {"neg": np.negative, "pos": np.positive, "square": np.square,
       "reciprocal": np.reciprocal, "abs": np.abs, "sqrt": np.sqrt, "floor": np.floor,
       "ceil": np.ceil, "trunc": np.trunc, "sin": np.sin, "cos": np.cos,
       "logical_not": np.logical_not, "add": np.add, "sub": np.subtract,
       "mul": np.multiply, "div": np.divide, "maximum": np.maximum, "minimum": np.minimum,
       "lt": np.less, "le": np.less_equal, "gt": np.greater, "ge": np.greater_equal,
       "eq": np.equal, "ne": np.not_equal, "logical_and": np.logical_and,
       "logical_or": np.logical_or, "logical_xor": np.logical_xor, "bitand": np.bitwise_and,
       "bitor": np.bitwise_or, "bitxor": np.bitwise_xor}


def test_the_table_names_registry_ops():
    from autotrace.ops.registry import OPS

    assert all(OPS[op.name] is op for op in fuse.FUSABLE)
    assert set(_UNARY) | set(_BINARY) | {"where", "broadcast_to", "broadcast_like"} == \
        {op.name for op in fuse.FUSABLE}


def _values(dtype, shape=(3, 5)):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape).astype(dtype) * 3
    x.flat[:4] = [0.0, -0.0, np.nan, np.inf]
    return x


def _same(got, want, exact: bool = True) -> None:
    assert type(got) is type(want)
    assert np.shape(got) == np.shape(want) and np.asarray(got).dtype == np.asarray(want).dtype
    if exact:
        np.testing.assert_array_equal(got, want)
        return
    # sums are added in another order: differences of the order of an ulp of the summed
    # values, which cancellation after them can leave next to a small result
    w = np.asarray(want)
    rtol = 1e-6 if w.dtype == np.float32 else 1e-13
    finite = np.abs(w[np.isfinite(w)]) if w.dtype.kind == "f" else np.zeros(1)
    scale = 1.0 + (float(finite.max()) if finite.size else 0.0)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * scale, equal_nan=True)


def _check_fused(fn, *args, exact=True, fused=True) -> str:
    """`fn` traced and fused against `fn` itself; returns the fused source."""
    with np.errstate(all="ignore"):
        want = fn(*args)
        bf = at.trace(fn).get_concrete_function(*args).to(_fused())
        got = bf(*args)
    assert ("_fused" in bf.source) == fused, bf.source
    for g, w in zip(got if isinstance(want, tuple) else (got,),
                    want if isinstance(want, tuple) else (want,)):
        _same(g, w, exact)
    return bf.source


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", _UNARY)
def test_unary_ops(numba, name, dtype):
    op = _NP[name]
    x = _values(dtype)
    exact = name not in ("sin", "cos")  # libm's, within an ulp of numpy's
    if name == "logical_not":
        _check_fused(lambda x: op(x > 0) | (x < -1), x)
    else:  # numpy's float32 sin and cos are SIMD: not fused
        fused = exact or dtype == np.float64
        _check_fused(lambda x: op(x * 1.5) + x, x, exact=exact, fused=fused)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", _BINARY)
def test_binary_ops_with_broadcasting_and_scalars(numba, name, dtype):
    op = _NP[name]
    x, y = _values(dtype), _values(dtype, (5,))[::-1].copy()
    if name.startswith(("logical", "bit")):
        _check_fused(lambda x, y: op(x > 0, y < 1) & (x != 2), x, y)
        return
    _check_fused(lambda x, y: op(x - 1, y) == op(x, y), x, y)  # y a row: loop nest
    _check_fused(lambda x, y: op(x * 2, y) + 1, x, x[::-1].copy())  # flat loop
    _check_fused(lambda x: op(x + 1, 0.5) * 2, x)  # a Python scalar (weak)
    _check_fused(lambda x, s: op(x * 2, s) + 1, x, np.array(1.5, dtype))  # a 0-d array
    _check_fused(lambda x, s: op(s, x / 2) * 1, x, np.float64(-2.0))  # a numpy scalar


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_where_and_promotion(numba, dtype):
    x = _values(dtype)
    i = np.arange(15).reshape(3, 5)
    _check_fused(lambda x: np.where(x > 0, x * 2, -x) + 1, x)
    _check_fused(lambda x, i: x * i + i / 2, x, i)  # int arrays promote as numpy's do
    _check_fused(lambda x: (x + 1) * np.float32(0.1) - 2, x)  # a strong numpy scalar
    _check_fused(lambda x, b: np.where(b, x + 1, x * 2), x, x > 1)  # a bool input


def test_division_by_zero_gives_numpy_values(numba):
    x = np.array([0.0, 1.0, -1.0, np.nan] * 100)
    _check_fused(lambda x: 1 / (x * 0) + x / x, x)


def test_strides_and_layouts(numba):
    x = np.arange(40.0).reshape(5, 8)
    f = at.trace(lambda x, y: np.sum(x * y + 1) + (x - y) * 2).get_concrete_function(x, x)
    bf = f.to(_fused())
    for a, b in ((x, x), (x.T.copy().T, x), (np.asfortranarray(x), x[::-1])):
        _same(bf(a, b), f(a, b), exact=False)
    v = np.arange(30.0)[::3]
    g = at.trace(lambda x: x * 2 + 1).get_concrete_function(v)
    _same(g.to(_fused())(v), v * 2 + 1)  # a strided 1-d input


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sums(numba, dtype):
    x = np.random.default_rng(0).standard_normal(5000).astype(dtype)
    source = _check_fused(lambda x: np.sum(x * x * 0.5 + x * 3 - 1), x, exact=False)
    _check_fused(lambda x: (np.sum(x * 2 + 1), np.sum(-x * x)), x, exact=False)
    _check_fused(lambda x: np.sum((x * x).reshape(50, 100) + 1), x, exact=False)
    assert source.count("_fused") == 1


def test_kernels_are_shared_between_equal_regions(numba):
    from autotrace.compile import fused_kernels

    f = at.trace(lambda x: x * 2.5 + 1.25, backend="fused")
    f(np.ones(300))
    before = len(fused_kernels._compiled)
    f(np.ones(400))  # another shape: the same loop
    assert len(fused_kernels._compiled) == before
    assert f.trace_count == 2


def test_loops_and_branches_are_fused(numba):
    def w3(x, n):
        for _ in range(n):
            x = x * 0.5 + np.sin(x)
        return np.sum(x)

    x = np.linspace(-1, 1, 300)
    f = at.trace(w3, backend=_fused())
    np.testing.assert_allclose(f(x, np.array(20)), w3(x, 20), rtol=1e-12)
    assert "while" in f.get_concrete_function(x, np.array(20)).source
    assert "_fused" in f.get_concrete_function(x, np.array(20)).source
    g = at.grad(w3).get_concrete_function(x, np.array(20))
    np.testing.assert_allclose(g.to(_fused())(x, np.array(5)), g(x, np.array(5)), rtol=1e-12)


@pytest.mark.parametrize("case", CORPUS, ids=lambda c: c.id)
def test_corpus_fused(numba, case, fresh_corpus):  # noqa: F811 - the fixture
    assert run_case(case, "fused", min_size=1) == "pass"


@pytest.mark.parametrize("item", ALL_CASES, ids=_case_id)
def test_op_table_fused(numba, item):
    _, _, case, shapes = item
    for dtype in (np.float64, np.float32):
        args = case.inputs(shapes, dtype)
        assert run_traced(at.trace(case.fn), args, "fused", min_size=1) == "pass"
    args = case.inputs(shapes, np.float64)
    assert run_traced(_gradient_of(case.fn, len(args)), args, "fused", min_size=1) == "pass"


def test_called_traced_functions_are_fused(numba):
    x = np.linspace(-1, 1, 400)
    inner = at.trace(lambda x: x * 2 + 1).get_concrete_function(x)

    def outer(x):
        return inner(x) * 3 - inner(-x)  # a concrete function called: a `call` node

    cf = at.trace(outer).get_concrete_function(x)
    assert any(n.op.name == "call" for n in cf.graph.nodes)
    bf = cf.to(_fused())
    _same(bf(x), outer(x))
    called = [v for k, v in bf._call.__globals__.items() if k.startswith("_call")]
    assert called and "_fused" in called[0].args[1].source


def test_numpy_error_state_beyond_warnings_runs_numpy_code(numba):
    def f(x):
        return x / (x * 0) + 1

    x = np.linspace(-1, 1, 300)
    bf = at.trace(f).get_concrete_function(x).to(_fused())
    assert "_fused" in bf.source
    with np.errstate(divide="ignore", invalid="ignore"):
        _same(bf(x), f(x))
    with np.errstate(divide="raise", invalid="ignore"):
        with pytest.raises(FloatingPointError, match="divide by zero"):
            bf(x)
    calls = []
    with np.errstate(all="call", call=lambda kind, flag: calls.append(kind)):
        _same(bf(x), f(x))
    assert calls  # numpy's handler was called, as it is by f itself
    with np.errstate(divide="ignore", invalid="ignore"):
        _same(bf(x), f(x))  # and the kernel again


def test_dtypes_a_kernel_cannot_read_stay_numpy():
    x = np.ones(4)
    assert _regions(lambda x: x * 2 + 1, x.astype(np.float16)) == []  # float16 result
    assert _regions(lambda x, h: x * h + 1, x, x.astype(np.float16)) == []  # or input
    assert _regions(lambda x, h: x * h + 1, x, x.astype(np.int8)) == [["mul", "add"]]
    assert _regions(lambda x, h: x * h + 1, x, x.astype(">f8")) == []  # big-endian input
    assert _regions(lambda x: x * 2 + 1, x.astype(np.longdouble)) == []
    assert _regions(lambda u, i: (u < i) & (i > 0), np.ones(4, np.uint64), np.ones(4, int)) \
        == []


def test_a_node_of_another_shape_reading_a_region_closes_it():
    def f(x, m):
        y = x * 2  # region A, shape (4,)
        z = m + y  # reads y, shape (3, 4): not in A, so A is closed here
        w = y + 1  # may not join A (A would then be placed after z)
        return z * 3, w * 5

    x, m = np.arange(4.0), np.arange(12.0).reshape(3, 4)
    graph = _graph(f, x, m)
    fused = fuse.fuse_graph(graph, _numpy_kernel, 1)
    _assert_ordered(fused)
    got = compile_graph(fused)(x, m)
    for g, w in zip(got, f(x, m)):
        np.testing.assert_array_equal(g, w)


def _program(steps):
    """A function of x (4,) and m (3, 4) applying `steps` (kind, i, j) to earlier values:
    elementwise ops of mixed shapes, numpy calls between them, sums read back."""
    def program(x, m):
        vals = [x, m]
        for kind, i, j in steps:
            a, b = vals[i % len(vals)], vals[j % len(vals)]
            v = (a * b, a + 1.5, np.exp(a * 0.1), np.sum(a) + b, a - b, np.where(a > b, a, b),
                 np.abs(a) * 0.5, np.tanh(b))[kind]
            vals.append(v)
        return tuple(vals[2:])

    return program


_STEPS = st.lists(st.tuples(st.integers(0, 7), st.integers(0, 20), st.integers(0, 20)),
                  min_size=1, max_size=12)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(_STEPS)
def test_random_programs_pass(steps):
    fn = _program(steps)
    x, m = np.linspace(-1, 1, 4), np.linspace(-2, 2, 12).reshape(3, 4)
    fused = fuse.fuse_graph(at.trace(fn, autograph=False).get_concrete_function(x, m).graph,
                            _numpy_kernel, 1)
    _assert_ordered(fused)
    with np.errstate(all="ignore"):
        want, got = fn(x, m), compile_graph(fused)(x, m)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


@settings(max_examples=15, deadline=None, derandomize=True)
@given(_STEPS)
def test_random_programs_fused(numba, steps):
    fn = _program(steps)
    x, m = np.linspace(-1, 1, 4), np.linspace(-2, 2, 12).reshape(3, 4)
    with np.errstate(all="ignore"):
        want = fn(x, m)
        got = at.trace(fn, autograph=False).get_concrete_function(x, m).to(_fused())(x, m)
    for g, w in zip(got, want):
        _same(g, w, exact=False)


# -- chunked runs (compile/stream.py) ----------------------------------------------------------
def test_w4_runs_chunk_by_chunk(numba):
    from autotrace.compile import stream

    x = np.linspace(-2, 2, 5 * stream.CHUNK + 123)  # a partial last chunk
    f = at.trace(_w4, backend="fused")
    source = f.get_concrete_function(x).source
    assert source.count("_fused") == 1  # tanh, a kernel, exp, a kernel: one chunked run
    np.testing.assert_allclose(f(x), _w4(x), rtol=1e-12)
    grad = at.grad(_w4).get_concrete_function(x)
    g = grad.to("fused")
    (run,) = [v for k, v in g._call.__globals__.items() if k.startswith("_fused")]
    assert "for s in range(0, " in run.source
    np.testing.assert_array_equal(g(x), grad.to(_fused(10**9))(x))  # = unfused, bit for bit
    np.testing.assert_allclose(g(x), grad(x), rtol=1e-13, atol=1e-15)


def _program_1d(steps):
    def program(x, y):
        vals = [x, y]
        for kind, i, j in steps:
            a, b = vals[i % len(vals)], vals[j % len(vals)]
            v = (a * b, a + 1.5, np.exp(a * 0.1), np.sum(a) + b, a - b, np.where(a > b, a, b),
                 np.tanh(a) * 0.5, np.log1p(np.abs(b)))[kind]
            vals.append(v)
        return tuple(vals[2:])

    return program


@settings(max_examples=15, deadline=None, derandomize=True)
@given(_STEPS)
def test_random_chunked_runs(numba, steps):
    from autotrace.compile import stream

    chunk, stream.CHUNK = stream.CHUNK, 8
    try:
        fn = _program_1d(steps)
        x, y = np.linspace(-1, 1, 45), np.linspace(2, -3, 45)
        with np.errstate(all="ignore"):
            want = fn(x, y)
            got = at.trace(fn, autograph=False).get_concrete_function(x, y).to(_fused())(x, y)
    finally:
        stream.CHUNK = chunk
    for g, w in zip(got, want):
        _same(g, w, exact=False)


def test_chunked_runs_follow_numpy_error_state(numba):
    from autotrace.compile import stream

    def f(x):
        return np.sum(np.exp(x / (x * 0)) * 2 + 1)

    x = np.linspace(-1, 1, 3 * stream.CHUNK)
    bf = at.trace(f).get_concrete_function(x).to(_fused())
    with np.errstate(all="ignore"):
        assert "for s in range" in [v for k, v in bf._call.__globals__.items()
                                    if k.startswith("_fused")][0].source
        _same(bf(x), f(x), exact=False)
    with np.errstate(divide="raise", invalid="ignore"):
        with pytest.raises(FloatingPointError):
            bf(x)
