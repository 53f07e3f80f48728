"""`TracedFunction`: the per-signature cache of concrete functions (`concrete.py`).

Calling a `TracedFunction` looks up the concrete function for the call's signature (see
`signature.py`), tracing one on a miss, and runs it. The hit path for flat positional
arguments is: the guarded entry of the latest signature (compile/guarded.py: its checks,
the counters and the compiled body in one function), else the table path: build a fast
key (shape, dtype per array), one dict lookup (`_fast`, a `HitTable`), call the compiled
code, which returns the user's structure itself. Everything else (keywords, nested
arguments, tensors) takes the full path: bind, flatten, key, lookup.

Objects keyed by identity (e.g. `self` of a method) are held weakly: when one dies, the
cache entries keyed by it are dropped.

The cache holds at most `max_traces` concrete functions; tracing one more evicts the least
recently used (with a `CacheEvictionWarning`). Each compiled entry records the call count
of its last use (`stamp.last_call`: one slot store on the hit path), which orders them.
"""

from __future__ import annotations

import functools
import inspect
import threading
import time
import warnings
import weakref

import numpy as np

from autotrace import config, context
from autotrace.bound import _BoundTracedFunction
from autotrace.capture_scope import note_call
from autotrace.compile.guarded import MISS, HitTable, cold, guarded_entry
from autotrace.concrete import (  # noqa: F401 - ConcreteFunction is public through here
    ConcreteFunction,
    _has_tensors,
)
from autotrace.errors import at_user_line, call_error, locate_run_error
from autotrace.graph.budget import MAX_NODES
from autotrace.retracing import (  # noqa: F401 - RetracingWarning is public through here
    RETRACE_LIMIT,
    RETRACE_WINDOW,
    CacheEvictionWarning,
    RetracingWarning,
    eviction_message,
    log_trace,
    retrace_cause,
    user_stacklevel,
)
from autotrace.signature import (
    ID,
    TensorSpec,
    call_signature,
    callable_name,
    describe_leaf,
    fast_key,
    fast_key_objects,
    flatten,
    is_array_key,
    is_array_like,
    leaf_key,
    leaf_paths,
    leaf_spec,
    shape_generalizes,
)
from autotrace.state_chain import StateChains
from autotrace.tracing import trace_concrete

_FAST_MAX = 4096
_NDARRAY = np.ndarray
MAX_TRACES = 256


class TracedFunction(StateChains):
    """A Python function converted to graph code, traced once per input signature.

    Created by `autotrace.trace`. Call it like the original function.

    Attributes:
        python_function: the original function.
        trace_count: how many graphs have been traced.
        code: the converted source text.
        max_traces: how many concrete functions the cache keeps (least recently used
            evicted first).
        max_nodes: the most nodes one trace may create (None: no limit).
    """

    def __init__(self, fn, input_signature=None, reduce_retracing=False, autograph=True,
                 max_traces: int = MAX_TRACES, max_nodes: int | None = MAX_NODES):
        if not callable(fn):
            raise TypeError(f"trace() needs a function, got {fn!r}")
        if type(max_traces) is not int or max_traces < 1:
            raise ValueError(f"max_traces must be a positive int, got {max_traces!r}")
        if max_nodes is not None and (type(max_nodes) is not int or max_nodes < 1):
            raise ValueError(f"max_nodes must be a positive int or None, got {max_nodes!r}")
        self.max_traces = max_traces
        self.max_nodes = max_nodes
        _wrap(self, fn)
        if not isinstance(getattr(self, "__name__", None), str):  # partials, objects
            self.__name__ = callable_name(fn)
        if not isinstance(getattr(self, "__qualname__", None), str):  # ufuncs
            self.__qualname__ = self.__name__
        self.python_function = fn
        self.reduce_retracing = reduce_retracing
        self.autograph = autograph
        self.trace_count = 0
        self._signature = call_signature(fn, len(input_signature or ()))
        self.input_signature = _normalize_signature(input_signature, self._signature)
        self._specs = flatten(tuple(self.input_signature or ()))
        self._cache: dict = {}  # (tree, leaf keys) -> ConcreteFunction
        self._fast = HitTable(self)  # fast key of positional args -> compiled entry
        self._hot = cold  # the guarded entry of the latest hit (compile/guarded.py)
        self._warm = None  # (key, call count) of the latest table hit
        self._by_ident: dict = {}  # id of a weakly keyed object -> [(table, key)]
        self._lock = threading.RLock()
        self._converted_fn = None
        self._calls = 0
        self._trace_calls: list[int] = []
        self._trace_keys: list[tuple] = []
        self._trace_causes: list = []  # per trace: why captured state retraced, or None
        self._warned = False

    # -- conversion ---------------------------------------------------------------------
    @property
    def converted(self):
        """The converted Python function (what tracing runs)."""
        if self._converted_fn is None:
            # lazy import: start-up cost; the converter (astor, passes) loads on first conversion
            from autotrace.convert.converter import convert

            self._converted_fn = convert(self.python_function) if self.autograph \
                else self.python_function
        return self._converted_fn

    @property
    def code(self) -> str:
        """Converted source, as text (a `str`; Jupyter shows it highlighted)."""
        # lazy import: start-up cost; the converter (astor) and viz load on first use
        from autotrace.convert.converter import converted_source
        from autotrace.viz import Code

        return Code(converted_source(self.python_function))

    # -- calling ------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        if not kwargs and not config.EAGER:
            try:  # free unless raised (CPython 3.11 zero-cost exceptions)
                out = self._hot(*args)  # the latest hit's signature, checked and run
            except Exception as e:
                locate_run_error(e)
                raise
            if out is not MISS:
                return out
            # `fast_key`, inlined for the common one- and two-array calls (no list).
            n = len(args)
            if n == 2:
                a, b = args
                key = (a.shape, a.dtype, b.shape, b.dtype) \
                    if type(a) is _NDARRAY and type(b) is _NDARRAY else fast_key(args)
            elif n == 1:
                (a,) = args
                key = (a.shape, a.dtype) if type(a) is _NDARRAY else fast_key(args)
            else:
                key = fast_key(args)
            run = self._fast.get(key)
            if run is not None:
                self._calls = run.stamp.last_call = self._calls + 1
                self._heat(run, args, key)
                try:
                    return run(*args)
                except Exception as e:
                    locate_run_error(e)
                    raise
        if config.EAGER:
            return self._call_eagerly(args, kwargs)
        return self._call_slow(args, kwargs)

    def _heat(self, run, args: tuple, key: tuple) -> None:
        """Make the guarded entry of `key` (a hit on `run`) the first thing calls try, on
        its second table hit in a row (calls alternating signatures keep the one hot)."""
        warm, self._warm = self._warm, (key, self._calls)
        if warm is None or warm[1] != self._calls - 1 or warm[0] != key:
            return
        hot = guarded_entry(run, args, key, self)
        if hot is not None:
            self._hot = hot
            if self._fast.get(key) is not run:  # the table changed meanwhile (a thread,
                self._hot = cold  # a finalizer) before `hot` was set: its reset is lost

    def _call_eagerly(self, args, kwargs, skip: int = 0):
        """`at.config.run_eagerly`: the Python function itself, except inside a trace
        (a graph explicitly asked for, e.g. by `get_concrete_function`)."""
        if context.current_builder() is None:
            return self.python_function(*args, **kwargs)
        return self._call_slow(args, kwargs, skip)

    def _call_slow(self, args, kwargs, skip: int = 0):
        """Full path; `skip` leading arguments are not covered by `input_signature`."""
        builder = context.current_builder()
        if builder is not None:
            note_call(builder, self.python_function, self.autograph)
            return self.converted(*args, **kwargs)
        self._calls += 1
        leaves, tree = self._canonical(args, kwargs)
        traces = self.trace_count
        cf = self._lookup(leaves, tree, skip)
        # Just traced: run it without its checks of captured state, which the trace itself
        # may have changed (a counter it increments): the next call checks them.
        if cf.variables or _has_tensors(leaves) or (traces != self.trace_count and cf.has_state):
            if not kwargs and not cf.variables and cf.accepts_positional(args, leaves):
                self._remember(args, cf)
            return cf.call_flat(cf.graph_inputs(leaves))
        if not kwargs and cf.accepts_positional(args, leaves):
            self._remember(args, cf)
        try:
            return cf._call(*leaves)
        except Exception as e:
            locate_run_error(e)
            raise

    def get_concrete_function(self, *args, **kwargs) -> ConcreteFunction:
        """The concrete function for these arguments (values or `TensorSpec`s), tracing if
        needed. Without arguments, the one for `input_signature`.

        Example:
            >>> cf = f.get_concrete_function(TensorSpec((None,), np.float64))
        """
        return self._concrete(args, kwargs)

    def _concrete(self, args, kwargs, skip: int = 0) -> ConcreteFunction:
        if len(args) == skip and not kwargs and self.input_signature is not None:
            args = tuple(args) + tuple(self.input_signature)
        leaves, tree = self._canonical(args, kwargs)
        return self._lookup(leaves, tree, skip)

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        return _BoundTracedFunction(self, instance)

    @property
    def concrete_functions(self) -> list[ConcreteFunction]:
        """The concrete functions cached now, one per traced signature, oldest first
        (each shows its signature: `<ConcreteFunction f(x: f64[3])>`)."""
        heads = {id(cf): cf for cf in self._cache.values()}.values()
        return [member for cf in heads for member in cf._members]

    # -- cache --------------------------------------------------------------------------
    def _canonical(self, args, kwargs):
        """Bind to the signature (defaults applied) and flatten."""
        try:
            bound = self._signature.bind(*args, **kwargs)
        except TypeError:
            raise TypeError(call_error(self.python_function, self._signature, args,
                                       kwargs)) from None
        bound.apply_defaults()
        return flatten(tuple(bound.arguments.values()))

    def _paths(self, tree) -> list[str]:
        """Names of the leaves of a call's tree: `x`, `params_w`, `args_0`."""
        paths = []
        for name, child in zip(self._signature.parameters, tree.children):
            paths += leaf_paths(child, name)
        return paths

    def _lookup(self, leaves, tree, skip: int = 0) -> ConcreteFunction:
        if self.input_signature is not None:
            leaves = self._apply_signature(leaves, tree, skip)
        key = (tree, tuple(leaf_key(x) for x in leaves))
        cf = self._cache.get(key)
        traces = self.trace_count
        if cf is None:
            with self._lock:
                cf = self._cache.get(key)
                if cf is None:
                    cf = self._compatible(key) or self._trace(leaves, tree, key)
                    self._store(self._cache, key, cf, _key_objects(key))
                    self._enforce_bound(cf)
        if (cf._live or cf._guards) and traces == self.trace_count:
            cf = self._current(cf, leaves)  # the one for the captured state now
        cf._call.stamp.last_call = self._calls
        return cf

    def _compatible(self, key) -> ConcreteFunction | None:
        """An existing trace whose signature is more general (None dims) than `key`."""
        for other, cf in self._cache.copy().items():
            if _generalizes(other, key):
                return cf
        return None

    def _apply_signature(self, leaves, tree, skip: int) -> list:
        """`leaves` with the ones `input_signature` covers replaced by its specs."""
        spec_leaves, spec_tree = self._specs
        params = list(self._signature.parameters)[skip:]
        first = sum(c.num_leaves for c in tree.children[:skip])
        for name, want, got in zip(params, spec_tree.children, tree.children[skip:]):
            if want != got:
                raise TypeError(at_user_line(
                    f"{self.__name__}(): argument `{name}` has structure {got}, but "
                    f"input_signature expects {want}"))
        paths = self._paths(tree)[first:]
        for path, spec, leaf in zip(paths, spec_leaves, leaves[first:]):
            if not is_array_like(leaf) or not spec.is_compatible_with(leaf):
                raise TypeError(at_user_line(
                    f"{self.__name__}(): argument `{path}` does not match input_signature: "
                    f"expected {describe_leaf(spec)}, got {describe_leaf(leaf)}"))
        return leaves[:first] + spec_leaves + leaves[first + len(spec_leaves):]

    def _trace(self, leaves, tree, key) -> ConcreteFunction:
        if self.reduce_retracing:
            leaves = self._relaxed(leaves, tree)
        self._note_retrace(key)
        start = time.perf_counter()
        cf = trace_concrete(self, leaves, tree)
        self.trace_count += 1
        log_trace(self, time.perf_counter() - start)
        general = (tree, tuple(leaf_key(x) for x in leaves))
        if general != key and general not in self._cache:
            self._store(self._cache, general, cf, _key_objects(general))
        return cf

    def _relaxed(self, leaves, tree) -> list:
        """reduce_retracing: dims already traced with another size become None."""
        out = list(leaves)
        for other_tree, other_keys in self._trace_keys:
            if other_tree != tree:
                continue
            for i, (leaf, k) in enumerate(zip(out, other_keys)):
                if is_array_like(leaf) and is_array_key(k):
                    spec = leaf_spec(leaf)
                    if len(k[0]) == len(spec.shape) and k[1] == spec.dtype:
                        shape = tuple(a if a == b else None for a, b in zip(spec.shape, k[0]))
                        out[i] = TensorSpec(shape, spec.dtype)
        return out

    def _remember(self, args, cf: ConcreteFunction) -> None:
        """Put `cf` on the hit path for positional `args`."""
        key = fast_key(args)
        if key is not None:
            with self._lock:
                if not any(c is cf._head for c in self._cache.copy().values()):
                    return  # evicted meanwhile, by another thread
                if len(self._fast) >= _FAST_MAX:
                    self._fast.clear()
                self._store(self._fast, key, cf._call, fast_key_objects(args))

    def _store(self, table: dict, key, value, objects) -> None:
        """table[key] = value, dropped again when an object of the key dies."""
        for obj in objects:
            if not self._watch(obj):
                return
        for obj in objects:
            self._by_ident[id(obj)].append((table, key))
        table[key] = value

    def _watch(self, obj) -> bool:
        """Evict keys holding `obj` when it dies; False if it cannot be weakly referenced."""
        if id(obj) in self._by_ident:
            return True
        try:
            weakref.finalize(obj, _forget, weakref.ref(self), id(obj))
        except TypeError:
            return False
        self._by_ident[id(obj)] = []
        return True

    # -- the bound on the cache ---------------------------------------------------------
    def _enforce_bound(self, newest: ConcreteFunction) -> None:
        """Evict least recently used concrete functions beyond `max_traces` (lock held)."""
        live = {id(cf): cf for cf in self._cache.copy().values()}
        while len(live) > self.max_traces:
            victim = min((cf for cf in live.values() if cf is not newest),
                         key=lambda cf: cf._call.stamp.last_call)
            del live[id(victim)]
            self._evict(victim)
            warnings.warn(eviction_message(self, victim), CacheEvictionWarning,
                          stacklevel=user_stacklevel())

    def _evict(self, victim: ConcreteFunction) -> None:
        """Drop every cache entry that leads to `victim` (it lives on if the user holds it)."""
        # Copies: a finalizer (`_forget`) may change the tables at any allocation.
        runs = {id(m._call) for m in victim._members}
        gone = [(self._cache, k) for k, cf in self._cache.copy().items() if cf is victim]
        gone += [(self._fast, k) for k, r in self._fast.copy().items() if id(r) in runs]
        for table, k in gone:
            table.pop(k, None)
        for entries in self._by_ident.copy().values():
            entries[:] = [(t, k) for t, k in entries if t.get(k) is not None]

    # -- retracing warning --------------------------------------------------------------
    def _note_retrace(self, key, cause: str | None = None) -> None:
        self._trace_calls = self._trace_calls[-RETRACE_LIMIT:] + [self._calls]
        self._trace_keys = self._trace_keys[-self.max_traces:] + [key]
        self._trace_causes = self._trace_causes[-self.max_traces:] + [cause]
        recent = [c for c in self._trace_calls if c > self._calls - RETRACE_WINDOW]
        if len(recent) >= RETRACE_LIMIT and not self._warned:
            self._warned = True
            warnings.warn(self._retrace_message(), RetracingWarning,
                          stacklevel=user_stacklevel())

    def _retrace_message(self) -> str:
        return (f"{self.__name__} was traced {RETRACE_LIMIT} times in its last "
                f"{RETRACE_WINDOW} calls; tracing is expensive, and every new input "
                f"signature traces again. "
                f"{self._trace_causes[-1] or retrace_cause(self, *self._trace_keys[-2:])}")

    def __repr__(self) -> str:
        return f"<autotrace.TracedFunction {self.__qualname__}>"

    # -- pictures (autotrace.viz) -------------------------------------------------------
    def to_dot(self, *args, values: bool = False, gradients: bool = False, **options) -> str:
        """DOT text of the graph traced for `args` (values or TensorSpecs), with the values
        and derivatives at those arguments if asked. Options: `autotrace.viz.graph_to_dot`.

        Example:
            >>> f.to_dot(np.array([2.]), np.array([1.]), values=True, gradients=True)
            ... # doctest: +SKIP
        """
        # lazy import: start-up cost; viz (the display layer, on top) loads on first display
        from autotrace import viz

        return viz.function_to_dot(self, args, values=values, gradients=gradients, **options)

    def render(self, path, *args, format: str | None = None, **options):
        """Write the picture of the graph for `args` to `path` (.svg/.png/.pdf/.dot);
        needs `pip install autotrace[viz]` or the system Graphviz (`autotrace.viz.render`)."""
        # lazy import: start-up cost; viz (the display layer, on top) loads on first display
        from autotrace import viz

        return viz.render(self.to_dot(*args, **options), path, format)

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        # lazy import: start-up cost; viz (the display layer, on top) loads on first display
        from autotrace import viz

        return viz.function_mimebundle(self)

    def _repr_html_(self) -> str | None:
        # lazy import: start-up cost; viz (the display layer, on top) loads on first display
        from autotrace import viz

        return viz.function_html(self)

    def _repr_svg_(self) -> str | None:
        # lazy import: start-up cost; viz (the display layer, on top) loads on first display
        from autotrace import viz

        return viz.function_svg(self)


def _wrap(traced: TracedFunction, fn) -> None:
    """`functools.update_wrapper(traced, fn)` without asking for `traced.__dict__` (where
    no attribute of `fn` would shadow a class attribute): CPython 3.11 keeps an object's
    attributes inline until then, and reads and writes them 3x faster (the hit path reads
    and counts on `traced`)."""
    extra = getattr(fn, "__dict__", {})
    if any(hasattr(type(traced), k) for k in extra):  # would shadow a class attribute
        functools.update_wrapper(traced, fn)
        return
    for name in functools.WRAPPER_ASSIGNMENTS:
        try:
            value = getattr(fn, name)
        except AttributeError:
            continue
        setattr(traced, name, value)
    for name, value in extra.items():
        setattr(traced, name, value)
    traced.__wrapped__ = fn


def _forget(traced_ref, ident: int) -> None:
    """Finalizer of a weakly keyed object: drop the cache entries keyed by it."""
    traced = traced_ref()
    if traced is None:
        return
    for table, key in traced._by_ident.pop(ident, ()):
        cf = table.pop(key, None)
        if isinstance(cf, ConcreteFunction):
            cf._accepted.clear()


def _key_objects(key) -> list:
    """Live objects a cache key holds by identity."""
    objects = [k[1].ref() for k in key[1] if k[0] == ID and k[1].weak]
    return [o for o in objects if o is not None]


def _normalize_signature(sig, signature: inspect.Signature):
    """`input_signature` as a list of (nested structures of) `TensorSpec`s, one per leading
    parameter (after `self` for methods)."""
    if sig is None:
        return None
    specs = list(sig)
    for leaf in flatten(tuple(specs))[0]:
        if not isinstance(leaf, TensorSpec):
            raise TypeError(f"input_signature entries must be TensorSpecs, got {leaf!r}")
    if len(specs) > len(signature.parameters):
        raise TypeError(f"input_signature has {len(specs)} entries but the function takes "
                        f"{len(signature.parameters)} parameters")
    return specs


def _generalizes_leaf(general, specific) -> bool:
    """Leaf keys: (shape, dtype) for arrays, (type, value) or (ID, ref) otherwise."""
    if general == specific:
        return True
    return is_array_key(general) and is_array_key(specific) and \
        general[1] == specific[1] and shape_generalizes(general[0], specific[0])


def _generalizes(general_key, key) -> bool:
    (gtree, gleaves), (tree, leaves) = general_key, key
    return gtree == tree and all(_generalizes_leaf(g, s) for g, s in zip(gleaves, leaves))

