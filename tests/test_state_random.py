"""numpy random numbers run at call time (issue 9, item 2): draws of a captured, passed-in
or locally made generator, and numpy's legacy global functions, happen when the graph runs,
advance the generator exactly as the plain function does (bit for bit, call after call),
per iteration of graph loops and only on the branch taken; what cannot run is refused."""

import functools

import numpy as np
import pytest

import autotrace as at
from autotrace.errors import UnsupportedError

CALLS = 4


def _same(a, b) -> None:
    """Bit-for-bit equal results of one type (arrays, numpy or Python scalars)."""
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
        return
    assert np.shape(a) == np.shape(b)
    if hasattr(a, "dtype"):
        assert a.dtype == b.dtype
    np.testing.assert_array_equal(a, b)


def _state(gen):
    return gen.bit_generator.state if isinstance(gen, np.random.Generator) else gen.get_state()


def _same_state(a, b) -> None:
    sa, sb = _state(a), _state(b)
    if isinstance(sa, tuple):
        assert sa[0] == sb[0] and np.array_equal(sa[1], sb[1]) and sa[2:] == sb[2:]
    else:
        assert sa == sb


# -- Generator methods, captured: one case per method -----------------------------------------
# (name, call on a generator `g` and an argument x of shape (3,))
GENERATOR_CASES = [
    ("normal", lambda g, x: x + g.normal(size=3)),
    ("normal_loc_scale", lambda g, x: g.normal(x, 2.0)),
    ("normal_scalar", lambda g, x: x * g.normal()),
    ("standard_normal", lambda g, x: g.standard_normal(3) + x),
    ("standard_normal_f32", lambda g, x: g.standard_normal((2, 3), dtype=np.float32)),
    ("uniform", lambda g, x: g.uniform(x, x + 1.0)),
    ("random", lambda g, x: g.random(3) * x),
    ("random_size_from_shape", lambda g, x: g.random(size=x.shape)),
    ("integers", lambda g, x: g.integers(0, 10, size=3) + x),
    ("integers_scalar", lambda g, x: g.integers(5)),
    ("choice", lambda g, x: g.choice(x, size=2)),
    ("choice_int", lambda g, x: g.choice(10, size=4, replace=False)),
    ("permutation", lambda g, x: g.permutation(x)),
    ("permutation_int", lambda g, x: g.permutation(5)),
    ("exponential", lambda g, x: g.exponential(np.abs(x) + 1.0)),
    ("poisson", lambda g, x: g.poisson(3.0, size=3)),
    ("poisson_scalar", lambda g, x: g.poisson(2.5)),
    ("binomial", lambda g, x: g.binomial(10, 0.3, size=3)),
    ("beta", lambda g, x: g.beta(2.0, 3.0, size=3)),
    ("gamma", lambda g, x: g.gamma(np.abs(x) + 0.5)),
    ("lognormal", lambda g, x: g.lognormal(0.0, 1.0, size=2)),
    ("laplace", lambda g, x: g.laplace(x)),
    ("multivariate_normal", lambda g, x: g.multivariate_normal(x, np.eye(3))),
    ("dirichlet", lambda g, x: g.dirichlet([1.0, 2.0, 3.0], size=2)),
    ("multinomial", lambda g, x: g.multinomial(10, [0.2, 0.3, 0.5])),
    ("permuted", lambda g, x: g.permuted(np.arange(6).reshape(2, 3), axis=1)),
    ("several", lambda g, x: (g.normal(size=3), g.random(), g.integers(3))),
    ("partial", lambda g, x: functools.partial(g.normal, 1.0)(size=3) * x),
]
XS = [np.array([1.0, -2.0, 0.5]), np.array([0.25, 3.0, -1.0]), np.array([2.0, 2.0, 2.0])]


@pytest.mark.parametrize("name, body", GENERATOR_CASES, ids=[c[0] for c in GENERATOR_CASES])
def test_captured_generator_matches_plain_call_after_call(name, body):
    gen = np.random.default_rng(7)

    def f(x):
        return body(gen, x)

    traced = at.trace(f)
    got = [traced(XS[k % 3]) for k in range(CALLS)]
    state = _state(gen)
    gen = np.random.default_rng(7)  # the plain function reads the global `gen` anew
    want = [f(XS[k % 3]) for k in range(CALLS)]
    for a, b in zip(got, want):
        _same(a, b)
    assert state == _state(gen)
    assert traced.trace_count == 1


LEGACY_CASES = [
    ("rand", lambda x: np.random.rand(3) + x),
    ("rand_scalar", lambda x: np.random.rand() * x),
    ("randn", lambda x: np.random.randn(2, 3)),
    ("random", lambda x: np.random.random(3) * x),
    ("random_sample", lambda x: np.random.random_sample(size=x.shape)),
    ("uniform", lambda x: np.random.uniform(x, 2 * x + 5)),
    ("normal", lambda x: np.random.normal(x, 0.5)),
    ("standard_normal", lambda x: np.random.standard_normal(3)),
    ("randint", lambda x: np.random.randint(0, 7, size=3)),
    ("choice", lambda x: np.random.choice(x, 2)),
    ("permutation", lambda x: np.random.permutation(x)),
    ("binomial", lambda x: np.random.binomial(5, 0.5, size=3)),
    ("poisson", lambda x: np.random.poisson(4.0, size=3)),
    ("exponential", lambda x: np.random.exponential(2.0, size=3)),
    ("beta", lambda x: np.random.beta(1.0, 2.0)),
    ("gamma", lambda x: np.random.gamma(2.0, size=3)),
    ("ranf", lambda x: np.random.ranf(3)),
]


@pytest.mark.parametrize("name, body", LEGACY_CASES, ids=[c[0] for c in LEGACY_CASES])
def test_legacy_global_functions_match_after_seed(name, body):
    traced = at.trace(body)
    np.random.seed(0)
    got = [traced(XS[k % 3]) for k in range(CALLS)]
    state = np.random.get_state()
    np.random.seed(0)
    want = [body(XS[k % 3]) for k in range(CALLS)]
    for a, b in zip(got, want):
        _same(a, b)
    now = np.random.get_state()
    assert np.array_equal(state[1], now[1]) and state[2:] == now[2:]


def test_seed_inside_the_function_runs_every_call():
    def f(x):
        np.random.seed(3)
        a = np.random.rand(2)
        return x + a + np.random.randn()

    traced = at.trace(f)
    np.random.seed(1)
    got = [traced(np.zeros(2)) for _ in range(3)]
    after = np.random.rand()
    np.random.seed(1)
    want = [f(np.zeros(2)) for _ in range(3)]
    for a, b in zip(got, want):
        _same(a, b)
    assert after == np.random.rand()


def test_generator_made_inside_from_a_seed_is_fresh_every_call():
    def f(x, mu):
        rng = np.random.default_rng(42)
        y = rng.normal(mu, 2.0, size=x.shape)
        return x + y + rng.integers(0, 100), rng.random()

    traced = at.trace(f)
    for mu in (0.5, 1.5, -3.0):
        _same(traced(np.ones(3), mu), f(np.ones(3), mu))
    # A traced seed: the generator is made from its run-time value.
    g = at.trace(lambda x, s: np.random.default_rng(s).standard_normal(3) + x)
    for s in (np.int64(1), np.int64(2)):
        _same(g(np.zeros(3), s), np.random.default_rng(s).standard_normal(3))


def test_other_constructors_made_inside():
    def f(x):
        a = np.random.Generator(np.random.PCG64(5)).normal(size=2)
        b = np.random.RandomState(5).rand(2)
        c = np.random.default_rng(np.random.SeedSequence(9)).random()
        return x + a + b + c

    traced = at.trace(f)
    for _ in range(2):
        _same(traced(np.zeros(2)), f(np.zeros(2)))


def test_generator_argument_advances_the_callers_generator():
    def f(x, rng):
        return x + rng.normal(size=3), rng.integers(10)

    traced = at.trace(f)
    mine, theirs = np.random.default_rng(11), np.random.default_rng(11)
    for k in range(CALLS):
        _same(traced(XS[k % 3], mine), f(XS[k % 3], theirs))
    _same_state(mine, theirs)
    # Another generator object is the same signature: no new trace, its own draws.
    for seed in (12, 13):
        other, other2 = np.random.default_rng(seed), np.random.default_rng(seed)
        _same(traced(XS[0], other), f(XS[0], other2))
        _same_state(other, other2)
    assert traced.trace_count == 1
    cf = traced.get_concrete_function(XS[0], mine)
    assert "rng: obj[]" in str(cf.graph)
    with pytest.raises(TypeError, match="argument `rng` is 5, but this concrete function "
                       "takes a numpy Generator"):
        cf(XS[0], 5)


def test_generator_signature_is_its_class():
    def f(x, rng):
        return x + rng.random(3)

    traced = at.trace(f)
    gen, rs = np.random.default_rng(1), np.random.RandomState(1)
    _same(traced(XS[0], gen), f(XS[0], np.random.default_rng(1)))
    _same(traced(XS[0], rs), f(XS[0], np.random.RandomState(1)))
    _same(traced(XS[0], np.random.RandomState(2)), f(XS[0], np.random.RandomState(2)))
    assert traced.trace_count == 2  # one per generator class, not per object


def test_isinstance_of_a_generator_argument_holds_while_tracing():
    def f(x, seed):
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        return x + rng.normal(size=3)

    traced = at.trace(f)
    mine, theirs = np.random.default_rng(0), np.random.default_rng(0)
    for _ in range(2):
        _same(traced(XS[0], mine), f(XS[0], theirs))
    _same(traced(XS[0], 4), f(XS[0], 4))


def test_generator_argument_through_grad_and_nested_calls():
    inner = at.trace(lambda x, r: x * r.normal(size=3))
    outer = at.trace(lambda x, r: inner(x, r) + inner(x, r))
    mine, ref = np.random.default_rng(2), np.random.default_rng(2)
    _same(outer(XS[0], mine), XS[0] * ref.normal(size=3) + XS[0] * ref.normal(size=3))
    grad = at.grad(lambda x, r: np.sum(x * r.normal(size=3)))
    for _ in range(2):
        _same(grad(np.ones(3), mine), ref.normal(size=3))
    _same_state(mine, ref)


def test_random_state_argument_and_attribute():
    class Model:
        def __init__(self):
            self.rs = np.random.RandomState(4)

        def noisy(self, x):
            return x + self.rs.normal(0.0, 0.1, size=x.shape)

    m, plain = Model(), Model()
    traced = at.trace(m.noisy)
    for k in range(CALLS):
        _same(traced(XS[k % 3]), plain.noisy(XS[k % 3]))
    _same_state(m.rs, plain.rs)


def test_unused_draw_still_advances_the_generator():
    gen = np.random.default_rng(5)

    def f(x):
        gen.normal(size=100)  # result unused: the generator still moves on
        _ = gen.random(3) * 2
        return x + gen.random()

    traced = at.trace(f)
    got = [traced(1.0) for _ in range(3)]
    state = _state(gen)
    gen = np.random.default_rng(5)
    want = [f(1.0) for _ in range(3)]
    assert got == want
    assert state == _state(gen)


def test_equal_draws_are_not_merged():
    gen = np.random.default_rng(1)
    traced = at.trace(lambda x: (gen.normal(size=2) + x, gen.normal(size=2) + x))
    a, b = traced(np.zeros(2))
    assert not np.array_equal(a, b)
    text = str(traced.get_concrete_function(np.zeros(2)).graph)
    assert text.count("random_draw") == 2


# -- control flow -----------------------------------------------------------------------------
def test_draws_in_graph_loops_and_branches_follow_python():
    gen = np.random.default_rng(0)

    def f(x):
        s = x
        while np.sum(s) < 5.0:
            s = s + gen.uniform(0, 1, size=2)
        if s[0] > 3:
            s = s + gen.normal()
        else:
            s = s - gen.integers(0, 5)
        for _ in range(2):
            s = s * gen.random()
        return s

    traced = at.trace(f)
    inputs = [np.array(v) for v in ([0.0, 0.0], [4.0, 0.5], [10.0, 1.0], [0.0, 3.0])]
    got = [traced(x) for x in inputs]
    state = _state(gen)
    gen = np.random.default_rng(0)
    want = [f(x) for x in inputs]
    for a, b in zip(got, want):
        _same(a, b)
    assert state == _state(gen)
    assert traced.trace_count == 1  # one graph, every path through it
    cf = traced.get_concrete_function(inputs[0])
    assert "while_loop" in str(cf.graph) and "cond" in str(cf.graph)


def test_draws_in_a_loop_over_a_tensor_with_traced_size():
    gen = np.random.default_rng(3)

    def f(xs):
        total = np.zeros(2)
        for row in xs:
            total = total + row * gen.standard_normal(2)
        return total + gen.random(size=xs.shape)

    traced = at.trace(f, input_signature=[at.TensorSpec((None, 2))])
    inputs = [np.ones((n, 2)) for n in (1, 3, 2)]
    got = [traced(x) for x in inputs]
    assert traced.trace_count == 1
    gen = np.random.default_rng(3)
    want = [f(x) for x in inputs]
    for a, b in zip(got, want):
        _same(a, b)


# -- gradients --------------------------------------------------------------------------------
def test_a_draw_is_a_constant_for_gradients():
    gen = np.random.default_rng(2)
    eps = np.random.default_rng(2).standard_normal(3)

    def loss(mu, sigma):
        return np.sum((mu + sigma * gen.standard_normal(3)) ** 2)

    g_mu, g_sigma = at.grad(loss, argnums=(0, 1))(np.ones(3), 0.5)
    np.testing.assert_allclose(g_mu, 2 * (1 + 0.5 * eps))
    np.testing.assert_allclose(g_sigma, np.sum(2 * (1 + 0.5 * eps) * eps))
    gen2 = np.random.default_rng(9)
    noise = np.random.default_rng(9).normal(size=3)
    assert np.allclose(at.grad(lambda x: np.sum(x * gen2.normal(size=x.shape)))(np.ones(3)),
                       noise)


def test_gradient_through_draw_arguments_is_refused():
    gen = np.random.default_rng(2)

    def loss(mu):
        return np.sum(gen.normal(mu, 1.0))

    with pytest.raises(UnsupportedError, match=r"cannot differentiate through the random "
                       r"draw `normal`.*test_state_random.py:\d+  return np.sum\(gen.normal"):
        at.grad(loss)(np.ones(3))
    with pytest.raises(UnsupportedError, match="cannot differentiate through the random draw"):
        at.jvp(loss, (np.ones(3),), (np.ones(3),))


# -- refusals ---------------------------------------------------------------------------------
def test_vmap_refuses_draws():
    gen = np.random.default_rng(0)
    with pytest.raises(UnsupportedError, match=r"vmap cannot batch the random draw `normal` "
                       r"at test_state_random.py:\d+"):
        at.vmap(lambda x: x + gen.normal(size=2))(np.zeros((3, 2)))


@pytest.mark.parametrize("call, label", [
    (lambda g, x: g.shuffle(x), "Generator.shuffle"),
    (lambda g, x: g.bit_generator.random_raw(), "PCG64.random_raw"),
    (lambda g, x: g.spawn(2), "Generator.spawn"),
    (lambda g, x: np.random.get_state(), "np.random.get_state"),
    (lambda g, x: np.random.set_state(np.random.get_state()), "np.random.get_state"),
    (lambda g, x: g.bytes(3), "Generator.bytes"),
])
def test_unsupported_random_calls_name_the_function_and_line(call, label):
    gen = np.random.default_rng(0)

    def f(x):
        return call(gen, x)

    with pytest.raises(UnsupportedError, match=rf"line \d+ of test_state_random.py .*"
                       rf"`{label}` cannot run in a traced function"):
        at.trace(f)(np.zeros(3))


@pytest.mark.parametrize("call, label", [
    (lambda g, x: g.bit_generator, "Generator.bit_generator"),
    (lambda g, x: g.shuffle(x), "Generator.shuffle"),
    (lambda g, x: g.permuted(x, out=x), "Generator.permuted"),
])
def test_unsupported_uses_of_a_generator_argument(call, label):
    with pytest.raises(UnsupportedError, match=rf"`{label}` cannot run in a traced function"):
        at.trace(lambda x, g: call(g, x))(np.zeros(3), np.random.default_rng(0))
    with pytest.raises(AttributeError, match="'Generator' object has no attribute 'randn'"):
        at.trace(lambda x, g: g.randn(3))(np.zeros(3), np.random.default_rng(0))


def test_save_and_onnx_refuse_draws(tmp_path):
    gen = np.random.default_rng(0)
    traced = at.trace(lambda x: x + gen.normal(size=3))
    cf = traced.get_concrete_function(np.zeros(3))
    with pytest.raises(UnsupportedError, match=r"it draws random numbers at run time "
                       r"\(`normal` at test_state_random.py:\d+"):
        cf.save(tmp_path / "f.json")
    pytest.importorskip("onnx")
    with pytest.raises(UnsupportedError, match=r"cannot export `<lambda>` to ONNX: it draws "
                       r"random numbers at run time \(`normal` at test_state_random.py:\d+"):
        at.export_onnx(cf)


def test_graph_text_shows_the_draw():
    gen = np.random.default_rng(0)
    traced = at.trace(lambda x: x + gen.normal(size=3))
    text = str(traced.get_concrete_function(np.zeros(3)).graph)
    assert "random_draw" in text and "method='normal'" in text and "out=f64[3]" in text


def test_traced_arguments_of_every_kind():
    gen = np.random.default_rng(8)

    def f(x, n, p):
        inner = [gen.normal() * x for _ in range(2)]
        return np.stack(inner), gen.normal(size=n), gen.choice(3, size=4, p=p)

    traced = at.trace(f)
    p = np.array([0.2, 0.3, 0.5])
    got = [traced(XS[k % 3], 3, p) for k in range(CALLS)]
    gen = np.random.default_rng(8)
    want = [f(XS[k % 3], 3, p) for k in range(CALLS)]
    for a, b in zip(got, want):
        _same(a, b)


def test_nested_traced_functions_draw_in_order():
    gen = np.random.default_rng(6)
    inner = at.trace(lambda x: x * gen.normal(size=3))
    outer = at.trace(lambda x: inner(x) - inner(2 * x))
    got = [outer(XS[k % 3]) for k in range(CALLS)]
    gen = np.random.default_rng(6)
    want = [XS[k % 3] * gen.normal(size=3) - 2 * XS[k % 3] * gen.normal(size=3)
            for k in range(CALLS)]
    for a, b in zip(got, want):
        _same(a, b)


def test_gradients_draw_once_per_call():
    gen = np.random.default_rng(3)

    def loss(x):
        return np.sum(x * gen.normal(size=x.shape))

    grads = [at.grad(loss)(np.ones(3)) for _ in range(2)]
    ref = np.random.default_rng(3)
    np.testing.assert_array_equal(grads[0], ref.normal(size=3))
    np.testing.assert_array_equal(grads[1], ref.normal(size=3))
    assert _state(gen) == _state(ref)


def test_tape_over_a_traced_call_that_draws_is_refused():
    gen = np.random.default_rng(3)
    traced = at.trace(lambda v: np.sum(v * gen.normal(size=3)))
    v = at.Variable(np.ones(3))
    with at.GradientTape() as tape:
        y = traced(v)
    with pytest.raises(UnsupportedError, match=r"cannot take this gradient: it replays "
                       r"`<lambda>` .* which draws random numbers \(`normal` at "
                       r"test_state_random.py:\d+"):
        tape.gradient(y, v)


def test_gradient_through_a_graph_branch_or_loop_that_draws_is_refused():
    gen = np.random.default_rng(0)

    def branch(x):
        if np.sum(x) > 0:
            x = x * gen.normal(size=3)
        return np.sum(x)

    def loop(x):
        while np.sum(x) < 10.0:
            x = x * 1.5 + gen.random(3)
        return np.sum(x)

    for fn, where, line in ((branch, "then", "x = x \\* gen.normal"),
                            (loop, "body", "x = x \\* 1.5 \\+ gen.random")):
        with pytest.raises(UnsupportedError, match=rf"it replays `{where}` .* which draws "
                           rf"random numbers \(`\w+` at test_state_random.py:\d+  {line}"):
            at.grad(fn)(np.ones(3))
        assert at.trace(fn)(np.ones(3)) is not None  # the function itself runs


def test_second_derivatives_of_a_draw_outside_control_flow():
    gen = np.random.default_rng(5)
    hess = at.hessian(lambda x: np.sum(x * x * gen.normal(size=3)))(np.ones(3))
    np.testing.assert_allclose(hess, np.diag(2 * np.random.default_rng(5).normal(size=3)))


def test_save_and_onnx_refuse_a_generator_argument(tmp_path):
    traced = at.trace(lambda x, rng: x * 2)  # the generator is not even used
    cf = traced.get_concrete_function(np.ones(3), np.random.default_rng(0))
    with pytest.raises(UnsupportedError, match="argument `rng` is a numpy Generator, which a "
                       "save file cannot hold"):
        cf.save(tmp_path / "f.json")
    pytest.importorskip("onnx")
    with pytest.raises(UnsupportedError, match="its argument `rng` is a numpy random generator"):
        at.export_onnx(cf)


def test_a_draw_at_trace_time_in_unconverted_code_is_refused():
    scope = {}
    exec(compile("import numpy as np\ndef lib():\n    return np.random.rand(2)\n", "<lib>",
                 "exec"), scope)  # code without a source file is not converted
    traced = at.trace(lambda x: x + scope["lib"]())
    with pytest.raises(UnsupportedError, match="numpy's global random state changed while "
                       "tracing <lambda>: code that autotrace does not convert"):
        traced(np.zeros(2))


def test_generator_argument_under_vmap_and_jvp():
    double = at.vmap(lambda x, r: x * 2, in_axes=(0, None))  # passed, never drawn from
    _same(double(np.ones((3, 2)), np.random.default_rng(0)), np.full((3, 2), 2.0))
    mine, ref = np.random.default_rng(4), np.random.default_rng(4)
    out, tangent = at.jvp(lambda x, r: x * r.normal(size=2), (np.ones(2), mine),
                          (np.full(2, 2.0), None))
    noise = ref.normal(size=2)
    _same(out, noise)
    _same(tangent, 2.0 * noise)
    _same_state(mine, ref)


_REBOUND = np.random.default_rng(0)


def _noisy_global(x):
    return x + _REBOUND.normal(size=x.shape)


def test_a_rebound_captured_generator_is_the_one_drawn_from():
    """A captured generator is guarded by identity: rebinding the global traces again and
    the draws come from the new generator, as in Python."""
    global _REBOUND
    f = at.trace(_noisy_global)
    x = np.zeros(2)
    first = f(x)
    assert np.array_equal(first, np.random.default_rng(0).normal(size=2))
    _REBOUND = np.random.default_rng(5)
    assert np.array_equal(f(x), np.random.default_rng(5).normal(size=2))
    assert np.array_equal(f(x), _noisy_global_plain_second())


def _noisy_global_plain_second():
    ref = np.random.default_rng(5)
    ref.normal(size=2)
    return ref.normal(size=2)
