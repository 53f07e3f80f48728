"""Save and load: exact constants, params, effects, gradients, and the error messages."""

import io
import json
import re

import numpy as np
import pytest
from corpus.check import assert_same
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays
from test_saveload_corpus import normalized_dot, round_trip

import autotrace as at

SPECIALS = [np.nan, -np.nan, np.inf, -np.inf, -0.0, 0.0, 1e-310, 1.5]


def _constant(dtype):
    if np.dtype(dtype).kind == "b":
        return np.array([True, False, True])
    if np.dtype(dtype).kind in "iu":
        info = np.iinfo(dtype)
        return np.array([info.min, 0, info.max], dtype=dtype)
    values = np.array(SPECIALS, dtype=np.float64).astype(dtype)
    if np.dtype(dtype).kind == "c":
        values.imag = np.array(SPECIALS[::-1])
    return values


DTYPES = ["bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64",
          "float16", "float32", "float64", "complex64", "complex128", ">f8", ">i4"]


@pytest.mark.parametrize("dtype", DTYPES)
def test_constants_keep_dtype_and_bits(dtype, tmp_path):
    const = _constant(dtype)

    @at.trace
    def f(x):
        return x, const, x.astype(const.dtype) + const  # a graph constant and a result leaf

    x = np.ones(const.shape, dtype=const.dtype)
    cf = f.get_concrete_function(x)
    loaded = round_trip(cf, tmp_path)
    assert str(loaded.graph) == str(cf.graph)
    for got, want in zip(loaded(x), cf(x)):
        assert got.dtype == want.dtype and got.shape == want.shape
        assert got.tobytes() == want.tobytes()  # NaN payloads, -0.0, byte order


def test_python_scalars_keep_int_float_bool_and_weak_flags(tmp_path):
    @at.trace
    def f(x, n, scale=0.5, flag=True):
        i = 0
        while i < n:  # a Python int counter carried through a graph loop (weak)
            x = x * scale + i
            i += 1
        if flag:
            x = x - float("-0.0")
        return x, i, -0.0, float("inf"), 3, True

    x = np.arange(3, dtype=np.float32)
    n = np.int64(4)
    cf = f.get_concrete_function(x, n)
    loaded = round_trip(cf, tmp_path)
    assert str(loaded.graph) == str(cf.graph)
    for k in (0, 1, 5):
        assert_same(loaded(x, np.int64(k)), cf(x, np.int64(k)))
        assert_same(loaded(x, np.int64(k)), f.python_function(x, np.int64(k)))
    assert type(loaded(x, n)[1]) is type(cf(x, n)[1])
    weak = [v.weak for v in loaded.graph.nodes[-1].outputs]
    assert weak == [v.weak for v in cf.graph.nodes[-1].outputs]


def test_index_params_slices_ellipsis_none(tmp_path):
    @at.trace
    def f(x, k):
        return x[1:, ::2], x[..., None, -1], x[k:], x[:, [0, 2]], x[x > 0.5]

    x = np.random.default_rng(0).random((4, 5))
    cf = f.get_concrete_function(x, np.int64(1))
    loaded = round_trip(cf, tmp_path)
    assert str(loaded.graph) == str(cf.graph)
    for k in (0, 2):
        assert_same(loaded(x, np.int64(k)), f.python_function(x, np.int64(k)))


def test_effects_print_assert_raise_and_math(tmp_path, capsys):
    import math

    @at.trace
    def f(x):
        print("x is", x, sep=": ")
        assert x.sum() < 100, "too big"
        if x.sum() < 0:
            raise ValueError("negative", 3)
        return math.tanh(x[0])

    x = np.array([0.5, 1.0])
    loaded = round_trip(f.get_concrete_function(x), tmp_path)
    assert loaded(x) == math.tanh(0.5)
    assert capsys.readouterr().out == "x is: [0.5 1. ]\n"
    with pytest.raises(ValueError, match=r"\('negative', 3\)|negative"):
        loaded(-x)
    with pytest.raises(AssertionError, match="too big"):
        loaded(x * 100)


def test_origins_and_names_survive(tmp_path):
    @at.trace
    def f(x):
        total = x.sum()
        scaled = total * 2.0
        return scaled

    x = np.ones(3)
    cf = f.get_concrete_function(x)
    loaded = round_trip(cf, tmp_path)
    (node,) = [n for n in loaded.graph.nodes if n.op.name == "mul"]
    assert node.origin == next(n for n in cf.graph.nodes if n.op.name == "mul").origin
    assert node.origin.source == "scaled = total * 2.0"
    assert node.origin.filename == __file__
    assert [v.name for n in loaded.graph.nodes for v in n.outputs] == ["total", "scaled"]


# -- gradients -----------------------------------------------------------------------------
def _loop_fn(x, n):
    i = 0
    while i < n:
        if x.sum() > 0:
            x = np.sin(x) * x
        else:
            x = x * x - 1.0
        i += 1
    return (x ** 2).sum()


def _finite_differences(f, x, eps=1e-6):
    out = np.zeros_like(x)
    for i in range(x.size):
        d = np.zeros_like(x)
        d.flat[i] = eps
        out.flat[i] = (f(x + d) - f(x - d)) / (2 * eps)
    return out


@pytest.mark.parametrize("x", [np.array([0.3, -0.2, 0.9]), np.array([-0.5, -0.1, 0.2])])
def test_gradient_of_loaded_function(x, tmp_path):
    cf = at.trace(_loop_fn).get_concrete_function(x, np.int64(3))
    loaded = round_trip(cf, tmp_path)
    n = np.int64(3)
    g = at.grad(loaded)(x, n)
    np.testing.assert_allclose(g, at.grad(cf)(x, n), rtol=1e-12)
    np.testing.assert_allclose(g, _finite_differences(lambda v: _loop_fn(v, 3), x),
                               rtol=1e-6, atol=1e-8)
    assert str(loaded.backward().graph) == str(cf.backward().graph)


def test_backward_graph_saves_and_loads(tmp_path):
    x = np.array([0.3, -0.2, 0.9])
    cf = at.trace(_loop_fn).get_concrete_function(x, np.int64(3))
    backward = at.trace(lambda x, n: at.grad(cf)(x, n)).get_concrete_function(x, np.int64(3))
    loaded = round_trip(backward, tmp_path)
    assert str(loaded.graph) == str(backward.graph)
    assert normalized_dot(loaded.to_dot()) == normalized_dot(backward.to_dot())
    for k in (0, 2, 5):
        np.testing.assert_allclose(loaded(x, np.int64(k)), backward(x, np.int64(k)), rtol=1e-14)


def test_tape_through_loaded_function(tmp_path):
    x = np.array([0.3, -0.2, 0.9])
    loaded = round_trip(at.trace(_loop_fn).get_concrete_function(x, np.int64(2)), tmp_path)
    v = at.Variable(x)
    with at.GradientTape() as tape:
        y = loaded(v, np.int64(2))
    np.testing.assert_allclose(tape.gradient(y, v),
                               _finite_differences(lambda u: _loop_fn(u, 2), x),
                               rtol=1e-6, atol=1e-8)


# -- what cannot be saved ------------------------------------------------------------------
def test_captured_variable_is_refused(tmp_path):
    w = at.Variable(np.ones(2))
    cf = at.trace(lambda x: x * w).get_concrete_function(np.ones(2))
    with pytest.raises(at.UnsupportedError) as e:
        cf.save(tmp_path / "f.json")
    assert str(e.value) == ("cannot save <lambda>: it captures 1 Variable(s), whose values "
                            "live in this process; pass them as arguments instead")


class Model:
    pass


def test_python_object_argument_is_refused(tmp_path):
    def f(x, model):
        return x * 2

    model = Model()
    cf = at.trace(f).get_concrete_function(np.ones(2), model)
    with pytest.raises(at.UnsupportedError) as e:
        cf.save(tmp_path / "f.json")
    assert str(e.value) == ("cannot save f: argument `model` is <Model object>, a Python "
                            "object baked into the graph by identity")


def test_custom_gradient_closure_is_refused(tmp_path):
    @at.custom_gradient
    def clip(x):
        return x, lambda dy: np.clip(dy, -1, 1)

    def f(x):
        return clip(x) * 2.0

    cf = at.trace(f).get_concrete_function(np.ones(2))
    with pytest.raises(at.UnsupportedError) as e:
        cf.save(tmp_path / "f.json")
    assert re.fullmatch(
        r"cannot save f: param `grad_fn` of the `custom_vjp` node at test_saveload.py:\d+  "
        r"return clip\(x\) \* 2.0 is the Python callable "
        r"test_custom_gradient_closure_is_refused.<locals>.clip.<locals>.<lambda>, which has "
        r"no saved form", str(e.value)), str(e.value)


def test_print_to_a_file_object_is_refused(tmp_path):
    buffer = io.StringIO()

    def f(x):
        print(x, file=buffer)
        return x

    cf = at.trace(f).get_concrete_function(np.ones(2))
    with pytest.raises(at.UnsupportedError, match=r"^cannot save f: param `file` of the "
                       r"`print` node at test_saveload.py:\d+  print\(x, file=buffer\) is a "
                       r"StringIO object \(<_io.StringIO object at 0x[0-9a-f]+>\), which has "
                       r"no saved form$"):
        cf.save(tmp_path / "f.json")
    assert not (tmp_path / "f.json").exists()


# -- reading bad files ---------------------------------------------------------------------
@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "f.json"
    at.trace(_loop_fn).get_concrete_function(np.ones(3), np.int64(2)).save(path)
    return path


def _rewrite(path, change):
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def _load_error(path) -> str:
    with pytest.raises(ValueError) as e:
        at.load(path)
    return str(e.value)


def test_version_mismatch(saved):
    _rewrite(saved, lambda d: d.update(version=2))
    assert _load_error(saved) == (f"{saved}: saved in format version 2, but autotrace "
                                  f"{at.__version__} reads version 1 only")


def test_not_json_and_not_ours(saved):
    saved.write_text("{\"format\": ")
    assert _load_error(saved) == (f"{saved}: not an autotrace save file: invalid JSON "
                                  "(Expecting value: line 1 column 12 (char 11))")
    saved.write_text('{"format": "onnx"}')
    assert _load_error(saved) == (f'{saved}: not an autotrace save file (no "format": '
                                  '"autotrace-function")')


@pytest.mark.parametrize("change, message", [
    (lambda d: d["graphs"][0]["nodes"][0].update(op="frobnicate"),
     "graph _loop_fn node 0: unknown op 'frobnicate'"),
    (lambda d: d["graphs"][0]["nodes"][0].update(inputs=[{"var": 10 ** 6}]),
     "no var 1000000"),
    (lambda d: d.pop("vars"), '"vars" must be a list'),
    (lambda d: d["vars"][0].update(dtype="object"), "dtype 'object' has no saved form"),
    (lambda d: d["vars"][0].update(shape=[1.5]), "var 0: bad shape [1.5]"),
    (lambda d: d["graphs"][0]["nodes"][0].update(inputs=[{"pickle": "x"}]),
     "graph _loop_fn node 0: unknown value kind 'pickle'"),
    (lambda d: d["graphs"][0].pop("nodes"), "KeyError: 'nodes'"),
    (lambda d: d["template"].pop(), '"template" has 1 entries for 2 input leaves'),
])
def test_malformed_files(saved, change, message):
    _rewrite(saved, change)
    assert _load_error(saved) == f"{saved}: malformed autotrace save file: {message}"


def test_bad_array_data(tmp_path):
    path = tmp_path / "c.json"
    at.trace(lambda x: x + np.arange(4.0)).get_concrete_function(np.ones(4)).save(path)
    text = path.read_text()
    data = re.search(r'"data": "([^"]+)"', text)[1]
    path.write_text(text.replace(data, data[:8]))
    assert _load_error(path) == (f"{path}: malformed autotrace save file: graph <lambda> node 0: "
                                 "6 bytes of data for an array of float64[4]")


def test_loaded_function_checks_its_signature(saved):
    loaded = at.load(saved)
    with pytest.raises(TypeError, match=r"_loop_fn: argument `x` is f64\[4\], but this "
                       r"concrete function takes f64\[3\]"):
        loaded(np.ones(4), np.int64(2))
    with pytest.raises(TypeError, match=r"missing a required argument: 'n'|'n'"):
        loaded(np.ones(3))


# -- signatures, round trips of the file itself, properties --------------------------------
def test_signature_kinds_unknown_dims_and_nested_arguments(tmp_path):
    def f(x, params, *rest, scale=2.0, **options):
        y = x * params["w"] + params["b"][0] * scale
        for r in rest:
            y = y + r
        return [y, options["k"]]

    spec = at.TensorSpec((None, 2), np.float64)
    params = {"w": np.ones(2), "b": (np.float32(0.5), 3)}
    cf = at.trace(f).get_concrete_function(spec, params, np.ones(2), k=7)
    loaded = round_trip(cf, tmp_path)
    for n in (1, 4):
        x = np.arange(2.0 * n).reshape(n, 2)
        assert_same(loaded(x, params, np.ones(2), k=7), f(x, params, np.ones(2), k=7))
        assert_same(loaded(x, params, np.ones(2), scale=2.0, k=7), cf(x, params, np.ones(2),
                                                                          k=7))
    with pytest.raises(TypeError, match=r"argument `options_k` is 8, but this concrete "
                       r"function was traced with 7"):
        loaded(np.ones((1, 2)), params, np.ones(2), k=8)


def test_saving_a_loaded_function_writes_the_same_file(tmp_path):
    x = np.array([0.3, -0.2, 0.9])
    backward = at.trace(lambda x, n: at.grad(_loop_fn)(x, n)).get_concrete_function(
        x, np.int64(3))
    first = tmp_path / "first.json"
    backward.save(first)
    second = tmp_path / "second.json"
    at.load(first).save(second)
    assert second.read_text() == first.read_text()


def test_gradient_function_of_a_python_float(tmp_path):
    def f(x, s):
        return (np.sin(x) * s * s).sum()

    cf = at.grad(f, argnums=(0, 1)).get_concrete_function(np.ones(2), 1.5)
    loaded = round_trip(cf, tmp_path)
    for s in (0.5, -2.0):
        gx, gs = loaded(np.array([0.1, 0.4]), s)
        want = cf(np.array([0.1, 0.4]), s)
        np.testing.assert_allclose(gx, want[0], rtol=1e-15)
        assert type(gs) is type(want[1]) and gs == want[1]


def test_run_time_error_points_at_the_users_line(tmp_path):
    def f(x, k):
        return x[k]

    loaded = round_trip(at.trace(f).get_concrete_function(np.ones(3), np.int64(0)), tmp_path)
    with pytest.raises(IndexError) as e:
        loaded(np.ones(3), np.int64(5))
    assert str(e.value) == ("index 5 is out of bounds for axis 0 with size 3\n  while "
                            f'running the graph, in `getitem` from File "{__file__}", line '
                            f"{f.__code__.co_firstlineno + 1}, in f: return x[k]")


def test_loaded_picture_with_values_and_gradients(tmp_path):
    x = np.array([0.3, -0.2, 0.9])
    cf = at.trace(_loop_fn).get_concrete_function(x, np.int64(2))
    loaded = round_trip(cf, tmp_path)
    options = dict(values=True, gradients=True)
    assert normalized_dot(loaded.to_dot(x, np.int64(2), **options)) == \
        normalized_dot(cf.to_dot(x, np.int64(2), **options))


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(DTYPES[:-2] + ["<m8[s]", "<M8[D]", "S3", "<U2"]).flatmap(
    lambda d: arrays(np.dtype(d), array_shapes(min_dims=0, max_dims=3, max_side=3))))
def test_any_constant_array_round_trips_bit_exact(const):
    from autotrace.savefile.decode import _Decoder
    from autotrace.savefile.encode import _Encoder

    data = _Encoder("f").value((const, const[()] if const.ndim == 0 else None), "a value")
    got, scalar = _Decoder({"vars": [], "origins": [], "graphs": []}).value(
        json.loads(json.dumps(data)), "a value")
    assert got.dtype == const.dtype and got.shape == const.shape
    assert got.tobytes() == const.tobytes() and got.flags.writeable
    if const.ndim == 0:
        assert type(scalar) is type(const[()]) and scalar.tobytes() == const[()].tobytes()
