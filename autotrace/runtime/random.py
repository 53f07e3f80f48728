"""numpy random numbers while a graph is built: draws at run time, never at trace time.

`at__.call` sends every call of a numpy random function here (`is_random_call`):

* a method of a `Generator` or `RandomState` (the legacy `np.random.normal`, ... are
  methods of numpy's global `RandomState`, which `np.random.seed` reseeds) becomes a
  `random_draw` node that calls the method on the generator object itself when the graph
  runs, so the generator advances exactly as the plain function advances it, call after
  call, and a draw inside a graph loop or branch happens per iteration, on the branch taken;
* `np.random.default_rng(seed)`, `Generator(...)`, `RandomState(...)` and the bit
  generators, called inside the traced function, make the generator at run time
  (`random_make`): the traced code sees a `TracedGenerator` standing for it;
* `np.random.seed(...)` / `RandomState.seed(...)` reseed at run time (`random_seed`).

Arguments may be traced (`rng.normal(mu, sigma)`, `size=x.shape`). The result's type is
found by making the same call on a scratch generator with placeholder arguments. Methods
that have no meaning as a graph op (`shuffle` works in place, `get_state`, `spawn`, ...)
raise `UnsupportedError` naming the method and the user's line: never a value frozen at
trace time.
"""

from __future__ import annotations

import functools
from contextlib import contextmanager

import numpy as np

from autotrace import context
from autotrace.core import Aval
from autotrace.errors import UnsupportedError
from autotrace.ops.effects import Slot
from autotrace.ops.random import OBJECT, Arguments, DrawType, random_draw, random_make, random_seed
from autotrace.runtime.where import here
from autotrace.signature import GeneratorStandIn
from autotrace.tensor import Tensor

_GLOBAL = np.random.mtrand._rand  # what the legacy np.random.<fn> functions draw from
_BIT_GENERATORS = (np.random.PCG64, np.random.PCG64DXSM, np.random.MT19937,
                   np.random.Philox, np.random.SFC64)
_FACTORIES = {np.random.default_rng: np.random.Generator,
              np.random.Generator: np.random.Generator,
              np.random.RandomState: np.random.RandomState,
              np.random.SeedSequence: np.random.SeedSequence,
              **{b: b for b in _BIT_GENERATORS}}

# Methods that draw values (a new array or scalar, nothing else changed but the state).
GENERATOR_DRAWS = frozenset({
    "beta", "binomial", "chisquare", "choice", "dirichlet", "exponential", "f", "gamma",
    "geometric", "gumbel", "hypergeometric", "integers", "laplace", "logistic", "lognormal",
    "logseries", "multinomial", "multivariate_hypergeometric", "multivariate_normal",
    "negative_binomial", "noncentral_chisquare", "noncentral_f", "normal", "pareto",
    "permutation", "permuted", "poisson", "power", "random", "rayleigh", "standard_cauchy",
    "standard_exponential", "standard_gamma", "standard_normal", "standard_t", "triangular",
    "uniform", "vonmises", "wald", "weibull", "zipf"})
RANDOM_STATE_DRAWS = (GENERATOR_DRAWS - {"integers", "permuted", "multivariate_hypergeometric"}) \
    | {"rand", "randn", "randint", "random_integers", "random_sample", "tomaxint"}
_ALIASES = {"ranf": "random_sample", "sample": "random_sample"}  # np.random functions
_REASONS = {
    "shuffle": "it shuffles its argument in place; use `x = rng.permutation(x)`",
    "permuted": "it writes into `out=`; use the result of `rng.permuted(x)`",
    "bytes": "it returns a bytes object, not an array",
}


class TracedGenerator(GeneratorStandIn):
    """Stands for a generator while tracing: one made inside the traced function
    (`np.random.default_rng(0)`), or one passed in as an argument (a graph input, see
    `signature.GeneratorSpec`). Its draw methods add `random_draw` nodes on the run-time
    generator, `tensor` (a value of dtype object)."""

    __slots__ = ("tensor", "kind")

    def __init__(self, tensor: Tensor, kind: type):
        self.tensor, self.kind = tensor, kind

    @property
    def __class__(self):
        return self.kind  # isinstance(rng, np.random.Generator) holds, as in plain Python

    def __getattr__(self, name: str):
        attr = getattr(self.kind, name, None)
        if name.startswith("__") or attr is None:
            raise AttributeError(f"'{self.kind.__name__}' object has no attribute '{name}'")
        if not callable(attr):  # `bit_generator`: the state itself
            raise _refuse(_label(self, name), "it is the generator's state, which a graph "
                          "does not hold")
        return _Method(self, name)

    def __repr__(self) -> str:
        return f"<traced {self.kind.__name__}>"


class _Method:
    """`traced_generator.<name>`, called from converted code."""

    __slots__ = ("gen", "name")

    def __init__(self, gen: TracedGenerator, name: str):
        self.gen, self.name = gen, name

    def __call__(self, *args, **kwargs):
        return _dispatch(self.gen, self.gen.kind, self.name, args, kwargs)


@contextmanager
def no_trace_time_draws(name: str):
    """Around a trace: `UnsupportedError` if numpy's global random state moved, i.e. code
    that is not converted (a library function) drew numbers that the graph would freeze."""
    before = np.random.get_state()
    yield
    after = np.random.get_state()
    if before[2:] != after[2:] or not np.array_equal(before[1], after[1]):
        raise UnsupportedError(
            f"numpy's global random state changed while tracing {name}: code that autotrace "
            "does not convert (a library function, say) drew random numbers while the graph "
            "was built, and they would be frozen into it. Draw with np.random.* or a "
            "Generator in the traced function's own code (those run at call time), or "
            "outside it and pass the numbers in.")


def is_random_call(f) -> bool:
    """`f` is a numpy random function or a method of a numpy random object (or a
    `functools.partial` of one)."""
    if type(f) is functools.partial:
        return is_random_call(f.func)
    owner = getattr(f, "__self__", None)
    if isinstance(owner, (np.random.Generator, np.random.RandomState, np.random.BitGenerator,
                          np.random.SeedSequence)):
        return True
    try:
        if f in _FACTORIES:
            return True
    except TypeError:
        return False
    return (getattr(f, "__module__", None) or "").startswith("numpy.random") and callable(f)


def random_call(f, args, kwargs):
    """The graph version of `f(*args, **kwargs)` for a numpy random `f` (see the module doc)."""
    if type(f) is functools.partial:
        return random_call(f.func, (*f.args, *args), {**f.keywords, **kwargs})
    try:
        factory = f in _FACTORIES
    except TypeError:
        factory = False
    if factory:
        return _make(f, args, kwargs)
    owner = getattr(f, "__self__", None)
    name = getattr(f, "__name__", repr(f))
    if owner is None:
        if f is np.random.seed:  # reseeds numpy's global generator, whatever its kind
            return _seed(np.random, args, kwargs)
        if name in _ALIASES:
            owner, name = _GLOBAL, _ALIASES[name]
        else:
            raise _refuse(f"np.random.{name}", "it has no run-time form in a graph")
    if isinstance(owner, (np.random.Generator, np.random.RandomState)):
        return _dispatch(owner, type(owner), name, args, kwargs)
    raise _refuse(_label(owner, name), f"methods of {type(owner).__name__} objects have no "
                  "run-time form in a graph")


def _dispatch(gen, kind: type, name: str, args, kwargs):
    label = _label(gen, name)
    if kind is np.random.RandomState and name == "seed":
        return _seed(gen, args, kwargs)
    draws = GENERATOR_DRAWS if kind is np.random.Generator else RANDOM_STATE_DRAWS
    if name not in draws or (name == "permuted" and kwargs.get("out") is not None):
        raise _refuse(label, _REASONS.get(name, "it is not a draw autotrace runs"))
    values, call = _arguments(args, kwargs)
    out = _result_type(kind, name, values, call, label)
    builder = context.current_builder()
    return builder.apply(random_draw, (_gen_input(gen), *values),
                         dict(method=name, args=call, out=out))


def _seed(gen, args, kwargs) -> None:
    values, call = _arguments(args, kwargs)
    context.current_builder().apply(random_seed, (_gen_input(gen), *values), dict(args=call))


def _make(factory, args, kwargs):
    values, call = _arguments(args, kwargs)
    builder = context.current_builder()
    made = builder.apply(random_make, tuple(values), dict(factory=factory, args=call))
    return TracedGenerator(made, _FACTORIES[factory])


def _gen_input(gen):
    return gen.tensor if isinstance(gen, TracedGenerator) else gen


def _label(gen, name: str) -> str:
    if gen is _GLOBAL or gen is np.random:
        return f"np.random.{name}"
    kind = gen.kind if isinstance(gen, TracedGenerator) else type(gen)
    return f"{kind.__name__}.{name}"


def _refuse(label: str, why: str) -> UnsupportedError:
    return UnsupportedError(
        f"{here()}: `{label}` cannot run in a traced function: {why}. Call it outside the "
        "traced function and pass its result in as an argument.")


# -- arguments --------------------------------------------------------------------------------
class _Rebuild:
    """Renders a nested tuple/list argument (`size=(n, 3)`) from its run-time entries."""

    __slots__ = ("tree",)

    def __init__(self, tree):
        self.tree = tree

    def __call__(self, *values):
        it = iter(values)
        return _rebuild(self.tree, it)

    def __repr__(self) -> str:
        return repr(self.tree)


_HOLE = Slot()  # where a traced entry of a nested argument goes


def _rebuild(tree, it):
    if tree is _HOLE:
        return next(it)
    if type(tree) in (tuple, list):
        return type(tree)(_rebuild(t, it) for t in tree)
    return tree


def _arguments(args, kwargs) -> tuple[list, Arguments]:
    """(traced values, `Arguments` with a `Slot` for each) of a call."""
    values, template = [], []
    for a in [*args, *kwargs.values()]:
        if isinstance(a, TracedGenerator):
            a = a.tensor
        if isinstance(a, Tensor):
            values.append(a)
            template.append(Slot((a.symbol.weak,)))
        elif type(a) in (tuple, list) and _holds_tensor(a):
            found: list = []
            tree = _holes(a, found)
            values.extend(found)
            template.append(Slot([t.symbol.weak for t in found], _Rebuild(tree)))
        else:
            template.append(a)
    return values, Arguments(tuple(template), tuple(kwargs))


def _holds_tensor(a) -> bool:
    return any(isinstance(x, Tensor) or (type(x) in (tuple, list) and _holds_tensor(x))
               for x in a)


def _holes(a, found: list):
    if isinstance(a, Tensor):
        found.append(a)
        return _HOLE
    if type(a) in (tuple, list):
        return type(a)(_holes(x, found) for x in a)
    return a


# -- result types -----------------------------------------------------------------------------
def _scratch(kind: type):
    return np.random.default_rng(0) if kind is np.random.Generator else np.random.RandomState(0)


def _placeholder(t: Tensor, k: int, unknown: int, probabilities: bool):
    """A stand-in for traced value number `k`: valid for the usual parameter ranges
    (integers 1, 2, ...; floats 0.25, 0.5, ..., or, with `probabilities`, equal entries
    summing to 1 as `choice`'s `p` needs), unknown dims of size `unknown`."""
    var = t.symbol
    if var.dtype == OBJECT:
        raise UnsupportedError(f"{here()}: a generator cannot be an argument of a draw")
    shape = tuple(unknown if d is None else d for d in var.shape)
    kind = var.dtype.kind
    value = True if kind == "b" else (k + unknown if kind in "iu" else 0.25 * (k + 1))
    if probabilities and kind == "f" and shape:
        value = 1.0 / max(int(np.prod(shape)), 1)
    if var.weak is not None:
        return var.weak(value)
    return np.full(shape, value, dtype=var.dtype)


def _trial(kind, name, values, call: Arguments, unknown: int):
    method = getattr(_scratch(kind), name)
    with np.errstate(all="ignore"):
        try:
            stand_ins = [_placeholder(t, k, unknown, False) for k, t in enumerate(values)]
            return call.call(method, stand_ins)
        except (ValueError, TypeError):
            stand_ins = [_placeholder(t, k, unknown, True) for k, t in enumerate(values)]
            return call.call(method, stand_ins)


def _result_type(kind, name, values, call: Arguments, label) -> Aval:
    """The draw's result type: from the call on a scratch generator with placeholder
    arguments (twice when traced sizes or unknown dims could change the shape)."""
    try:
        first = _trial(kind, name, values, call, 1)
    except UnsupportedError:
        raise
    except Exception as e:
        raise UnsupportedError(
            f"{here()}: cannot tell what `{label}` returns for traced arguments (trying it "
            f"with stand-in values raised {type(e).__name__}: {e}). Pass Python values, or "
            "draw outside the traced function.") from None
    if type(first) in (float, int, bool):
        return DrawType((), np.dtype(type(first)) if type(first) is not float else
                    np.dtype(np.float64), type(first))
    if not isinstance(first, (np.ndarray, np.generic)) or first.dtype == OBJECT:
        raise _refuse(label, f"it returns {type(first).__name__}, not an array")
    shape = np.shape(first)
    if any(v.symbol.dtype.kind in "iu" or None in v.symbol.shape for v in values):
        try:
            second = np.shape(_trial(kind, name, values, call, 2))
        except Exception:  # noqa: BLE001 - only the rank is known then
            second = (None,) * len(shape)
        if len(second) != len(shape):
            raise UnsupportedError(f"{here()}: the rank of `{label}`'s result depends on "
                                   "traced values; pass Python values")
        shape = tuple(a if a == b else None for a, b in zip(shape, second))
    return DrawType(shape, first.dtype)
