"""`ConcreteFunction`: one graph traced for one input signature, compiled to numpy code
(`tracing.trace_concrete` traces it).

A concrete function's compiled entry point takes the user's arguments and returns the
user's structure itself; with eager tensors (or captured Variables under a tape) among the
inputs it runs as one `call` op so tapes can differentiate through it.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import numpy as np

from autotrace import captures as captured_state
from autotrace import context, mutation
from autotrace.autodiff.graph_function import GraphFunction
from autotrace.compile.codegen import Entry, compile_graph
from autotrace.compile.guarded import MISS, HitTable, cold, guarded_entry
from autotrace.control.call import call_concrete
from autotrace.errors import (
    TracingError,
    at_user_line,
    locate_run_error,
)
from autotrace.graph.ir import Var
from autotrace.graph.unstacked import Unstacked
from autotrace.runtime.random import TracedGenerator
from autotrace.savefile.encode import save
from autotrace.signature import (
    GeneratorSpec,
    TensorSpec,
    describe_key,
    describe_leaf,
    fast_key,
    fast_key_is_exact,
    flatten,
    generator_kind,
    is_input_spec,
    leaf_key,
    unflatten,
)
from autotrace.tensor import EagerTensor, Tensor, TensorBase

_ACCEPTED_MAX = 256
_misses = threading.local()

if TYPE_CHECKING:
    from autotrace.function import TracedFunction


class ConcreteFunction(GraphFunction):
    """One graph traced for one input signature, compiled to numpy code.

    Call it with arguments of that signature: `cf(x, y)`; other shapes, dtypes or Python
    values raise `TypeError`. `cf.graph` is the (simplified) `Graph`; `cf.source` is the
    generated Python a call runs, which returns the user's structure itself.
    """

    def __init__(self, traced: TracedFunction, graph, tree, template, result, captures,
                 written=(), written_outer=(), live=(), guards=()):
        traced_outputs = list(graph.outputs)
        super().__init__(graph, [outer for outer, _ in captures])
        result = _remap(result, traced_outputs, self.graph.outputs)
        # (leaf position, graph output position) of arguments written in place: the call
        # writes the output back into the caller's array, as numpy's in-place writes do.
        self._written = [(pos, _index_of(traced_outputs, var)) for pos, var in written]
        # (LiveArray, graph output position) of global/closure arrays written in place
        self._written_outer = [(live, _index_of(traced_outputs, var))
                               for live, var in written_outer]
        self._traced = traced
        self._tree = tree
        # Per input leaf: TensorSpec or GeneratorSpec (a graph input), or its leaf key.
        self._template = template
        self._out_leaves, self._out_tree = flatten(result)
        self._accepted = HitTable(self)  # fast keys of calls the entry takes as they are
        self._hot = cold  # the guarded entry of the latest of them (compile/guarded.py)
        self._warm_key = None  # the key of the latest accepted call
        # Captured state (captures.py): arrays read on every call, guarded Python values.
        self._live = list(live)
        self._guards = list(guards)
        self._head = self  # the concrete function the cache holds for this signature
        self._members = [self]  # (on the head) one per captured state traced, oldest first
        params, n_required = [], 0
        for name, t, var in zip(traced._paths(tree), template, _input_vars(graph, template)):
            params.append(var if is_input_spec(t) else name)
            n_required = len(params) if is_input_spec(t) else n_required
        if self._live or self._guards:
            n_required = len(params)  # the miss handler needs every leaf
        self._n_required = n_required
        captured = [(inner, outer) for outer, inner in captures]
        writes = [(pos, self.graph.outputs[k]) for pos, k in self._written]
        prelude = None
        if self._live or self._guards:
            def prelude(em, names):
                # numpy code runs the function traced for the state now; other backends'
                # (`to`) refuse the call
                miss = self._on_miss if em.moved("x") == "x" else self._refuse_state
                return captured_state.prelude(self._live, self._guards, em, names,
                                              em.bind(miss, "miss"))
        self._entry = Entry(params, result, captured, n_required, writes, prelude=prelude)
        self._call = compile_graph(self.graph, entry=self._entry)
        self._backends: dict = {}

    def to(self, backend, **options):
        """This graph on another array library: "numpy" (this function itself), "torch",
        "cupy" or "dask" (options: torch `device=`, Dask `chunks=`). Its inputs may be
        the backend's arrays or numpy arrays (moved); its results stay on the backend.
        The code is generated on the first request; an op the backend lacks raises
        `BackendError` then. See docs/backends.md."""
        # lazy import: start-up cost; the backend layer (above this one) loads on first use
        from autotrace.backend_function import BackendFunction
        from autotrace.compile.backends import get_backend

        backend = get_backend(backend, **options)
        if backend is None:
            return self
        made = self._backends.get(backend.key())
        if made is None:
            made = self._backends[backend.key()] = BackendFunction(self, backend)
        return made

    @property
    def source(self) -> str:
        """The generated Python a call runs, as a standalone module: the function and
        what it reads (numpy callables, constants, autotrace's helpers inlined), importing
        numpy only. `UnsupportedError` if the graph reads an object that has no source
        text (a captured `Variable`, say). Captured arrays are constants there, with their
        values now (a module cannot read this process's state)."""
        from autotrace.compile.standalone import standalone_source

        run = self._call
        if self.has_state:
            frozen = [c.frozen() for c in self._live]
            e = self._entry

            def prelude(em, names):
                return [f"{em.name(c.var)} = {c.source.expr(names, em.bind)}" for c in frozen]
            run = compile_graph(self.graph, entry=Entry(e.params, e.result, e.captured,
                                                        e.n_required, e.written, prelude))
        return standalone_source(run, self.graph.name)

    def save(self, path) -> None:
        """Write this function to `path` as versioned JSON text; `at.load(path)` reads it
        back (docs/export.md, "Save and load")."""

        save(self, path)

    @property
    def input_specs(self) -> list[TensorSpec]:
        """Specs of the arguments that are graph inputs, in order."""
        return [t for t in self._template if isinstance(t, TensorSpec)]

    def __call__(self, *args, **kwargs):
        try:
            if not kwargs:
                out = self._hot(*args)  # the latest accepted call's signature (guarded.py)
                if out is not MISS:
                    return out
                key = fast_key(args)
                if key in self._accepted and not self.has_state:
                    hot = None
                    if key == self._warm_key:  # its second table hit in a row
                        hot = guarded_entry(self._call, args, key)
                    self._warm_key = key
                    if hot is not None:
                        self._hot = hot
                        if key not in self._accepted:  # cleared meanwhile
                            self._hot = cold
                    return self._call(*args)
            leaves, tree = self._traced._canonical(args, kwargs)
            self._check(leaves, tree)
            self._check_state(leaves)
            if self.variables or _has_tensors(leaves):
                return self.call_flat(self.graph_inputs(leaves))
            key = None if kwargs else fast_key(args)
            if key is not None and self.accepts_positional(args, leaves):
                if len(self._accepted) >= _ACCEPTED_MAX:
                    self._accepted.clear()
                self._accepted[key] = True
            return self._call(*leaves)
        except Exception as e:
            locate_run_error(e)
            raise

    def _check(self, leaves, tree) -> None:
        """TypeError naming the argument (and the calling line) unless `leaves`/`tree`
        match this signature."""
        name = self.graph.name
        if tree != self._tree:
            for param, got, want in zip(self._traced._signature.parameters, tree.children,
                                        self._tree.children):
                if got != want:
                    raise TypeError(at_user_line(
                        f"{name}: argument `{param}` has structure {got}, but this concrete "
                        f"function was traced with {want}"))
            raise TypeError(at_user_line(f"{name}: arguments have structure {tree}, but this "
                                         f"concrete function was traced with {self._tree}"))
        for path, leaf, want in zip(self._traced._paths(tree), leaves, self._template):
            if isinstance(want, GeneratorSpec):
                if generator_kind(leaf) is not want.kind:
                    raise TypeError(at_user_line(
                        f"{name}: argument `{path}` is {describe_leaf(leaf)}, but this "
                        f"concrete function takes {describe_leaf(want)}"))
            elif isinstance(want, TensorSpec):
                if not want.is_compatible_with(leaf):
                    raise TypeError(at_user_line(
                        f"{name}: argument `{path}` is {describe_leaf(leaf)}, but this "
                        f"concrete function takes {describe_leaf(want)} (call the traced "
                        "function instead to trace a graph for new shapes)"))
            elif leaf_key(leaf) != want:
                raise TypeError(at_user_line(
                    f"{name}: argument `{path}` is {describe_leaf(leaf)}, but this concrete "
                    f"function was traced with {describe_key(want)} (Python values are "
                    "part of the signature; call the traced function to trace a new graph)"))

    @property
    def has_state(self) -> bool:
        """It reads captured state (arrays through globals, cells, attributes) or guards
        captured Python values (see captures.py)."""
        return bool(self._live or self._guards)

    @property
    def captures(self) -> list:
        """The captured arrays it reads on every call (`captures.Capture`: source path,
        type, shape, dtype), in graph input order after the arguments."""
        return list(self._live)

    @property
    def guards(self) -> list:
        """The captured Python values (and container lengths) it was traced for."""
        return list(self._guards)

    def state_mismatch(self, leaves) -> str | None:
        """Why the captured state now differs from what this graph was traced for."""
        return captured_state.mismatch(self._live, self._guards, leaves) \
            if self._live or self._guards else None

    def _check_state(self, leaves) -> None:
        why = self.state_mismatch(leaves)
        if why is not None:
            raise TypeError(at_user_line(
                f"{self.graph.name}: {why}, but this concrete function was traced for the "
                "old state (call the traced function instead: it traces a graph for the "
                "new state)"))

    def _refuse_state(self, *leaves):
        self._check_state(list(leaves))
        raise RuntimeError(f"autotrace internal error: the checks of captured state disagree "
                           f"for {self.graph.name}")

    def _on_miss(self, *leaves):
        """The compiled entry's checks failed: run the concrete function traced for the
        captured state now (tracing it if needed)."""
        depth = getattr(_misses, "depth", 0)
        if depth > 2:
            raise RuntimeError("autotrace internal error: the checks of captured state "
                               f"disagree for {self.graph.name}")
        _misses.depth = depth + 1
        try:
            traced = self._traced
            traces = traced.trace_count
            cf = traced._current(self._head, list(leaves), self)
            if traced.trace_count != traces:  # just traced: see TracedFunction._call_slow
                return cf.call_flat(cf.graph_inputs(list(leaves)))
            return cf._call(*leaves)
        finally:
            _misses.depth = depth

    def accepts_positional(self, args: tuple, leaves: list) -> bool:
        """The compiled entry can take `args` as they are (they are the leading leaves and
        the rest are Python values baked into the graph)."""
        return (self._n_required <= len(args) <= len(leaves)
                and all(a is b for a, b in zip(args, leaves)) and fast_key_is_exact(args))

    def graph_inputs(self, leaves) -> list:
        """The graph inputs for a call's leaves, in order: the leaves that are inputs (a
        generator's stand-in while tracing as its symbolic value), then the captured
        arrays, read now."""
        inputs = [x.tensor if isinstance(x, TracedGenerator) else x
                  for x, t in zip(leaves, self._template) if is_input_spec(t)]
        if self._live:
            inputs += captured_state.read(self._live, leaves)
        return inputs

    def call_flat(self, inputs):
        """Run on the graph inputs only (flat, in order); returns the user's structure.

        Tensors among the inputs, or captured variables under a recording tape, make the
        call one `call` op, so tapes record it (its VJP is the backward graph).
        """
        if _has_tensors(inputs) or (self.variables and context.active_tapes()):

            outs = call_concrete(self, inputs)
            self._write_back(inputs, outs)
            return self._assemble(outs, eager=True)
        outs = self._write_back(inputs, self._run_raw(inputs))
        return self._assemble(outs)

    def _write_back(self, inputs, outs):
        """Arguments written in place get their final value: a numpy array in place (and
        it is the result where the graph returns that value), a traced value re-pointed.
        Eager tensors are left alone: they have no in-place writes outside a trace."""
        if not self._written and not self._written_outer:
            return outs
        outs = list(outs)
        for live, k in self._written_outer:
            _copy_into(live.numpy(), outs[k], self.graph.name)
        position = {pos: k for k, pos in enumerate(
            p for p, t in enumerate(self._template) if isinstance(t, TensorSpec))}
        for pos, k in self._written:
            caller, value = inputs[position[pos]], outs[k]
            if isinstance(caller, Tensor):
                mutation.repoint(caller, value)
            elif isinstance(caller, np.ndarray):
                _copy_into(caller, value, self.graph.name)
                outs[k] = caller if not isinstance(value, EagerTensor) else value
        return outs

    def _assemble(self, outs, eager: bool = False):
        """The user's structure from the tuple of graph outputs. `eager`: the call had
        eager tensors, so every array in the result is one (constants included)."""
        slot = {id(v): i for i, v in enumerate(self.graph.outputs)}
        leaves = [outs[slot[id(x)]] if isinstance(x, Var) else
                  x(*(outs[slot[id(v)]] if isinstance(v, Var) else v for v in x.vars))
                  if isinstance(x, Unstacked) else
                  _fresh(x) for x in self._out_leaves]
        if eager:
            leaves = [EagerTensor(x) if isinstance(x, (np.ndarray, np.generic)) else x
                      for x in leaves]
        return unflatten(self._out_tree, leaves)

    def __repr__(self) -> str:
        specs = ", ".join(describe_leaf(s) for s in self.input_specs)
        return f"<ConcreteFunction {self.graph.name}({specs})>"

    # -- pictures (autotrace.viz) -------------------------------------------------------
    def to_dot(self, *args, values: bool = False, gradients: bool = False, **options) -> str:
        """DOT text of this graph; `args` (a call's arguments) are needed only for values
        and gradients. Options: see `autotrace.viz.graph_to_dot`."""
        # lazy import: start-up cost; viz (the display layer, on top) loads on first display
        from autotrace import viz

        return viz.function_to_dot(self, args, values=values, gradients=gradients, **options)

    def render(self, path, *args, format: str | None = None, **options):
        """Write the picture to `path` (.svg/.png/.pdf/.dot); see `autotrace.viz.render`."""
        # lazy import: start-up cost; viz (the display layer, on top) loads on first display
        from autotrace import viz

        return viz.render(self.to_dot(*args, **options), path, format)

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        # lazy import: start-up cost; viz (the display layer, on top) loads on first display
        from autotrace import viz

        return viz.graph_mimebundle(self.graph)

    def _repr_html_(self) -> str:
        # lazy import: start-up cost; viz (the display layer, on top) loads on first display
        from autotrace import viz

        return viz.graph_html(self.graph)

    def _repr_svg_(self) -> str | None:
        # lazy import: start-up cost; viz (the display layer, on top) loads on first display
        from autotrace import viz

        return viz.graph_svg(self.graph)


def _copy_into(array: np.ndarray, value, name: str) -> None:
    """Write a call's final value of an array it writes in place into that numpy array."""
    if isinstance(value, Tensor):
        raise TracingError(at_user_line(
            f"{name} writes a numpy array in place (an argument, or a global/closure array), "
            "and was called on it while tracing another function: the write would happen "
            "once, while tracing. Pass a traced value (or call the traced function itself, "
            "which is traced inline)."))
    np.copyto(array, value.numpy() if isinstance(value, EagerTensor) else value)


def _index_of(vars_: list, var) -> int:
    return next(k for k, v in enumerate(vars_) if v is var)


def _input_vars(graph, template) -> list:
    """Per template entry, the graph input Var of an input leaf (None otherwise)."""
    it = iter(graph.inputs)
    return [next(it) if is_input_spec(t) else None for t in template]


def _has_tensors(values) -> bool:
    return any(isinstance(x, (TensorBase, TracedGenerator)) for x in values)


def _remap(result, before: list, after: list):
    """`result` with graph outputs replaced by what simplification made of them."""
    new = {id(old): x for old, x in zip(before, after)}
    leaves, tree = flatten(result)
    return unflatten(tree, [new.get(id(x), x) if isinstance(x, Var) else
                            x.with_vars([new.get(id(v), v) for v in x.vars])
                            if isinstance(x, Unstacked) else x for x in leaves])


def _fresh(constant):
    return constant.copy() if isinstance(constant, np.ndarray) else constant


class _BoundConcreteFunction:
    """A method's `ConcreteFunction` with `self` bound: called without it."""

    __slots__ = ("concrete_function", "__self__")

    def __init__(self, cf: ConcreteFunction, instance):
        self.concrete_function = cf
        self.__self__ = instance

    def __call__(self, *args, **kwargs):
        return self.concrete_function(self.__self__, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.concrete_function, name)

    def __repr__(self) -> str:
        return repr(self.concrete_function)
