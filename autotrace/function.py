"""`TracedFunction` (the per-signature cache) and `ConcreteFunction` (one compiled graph).

Calling a `TracedFunction` looks up the concrete function for the call's signature (see
`signature.py`), tracing one on a miss, and runs it. The hit path for positional array
arguments is: build a tuple of (shape, dtype), one dict lookup, call the compiled code.
"""

from __future__ import annotations

import functools
import inspect
import threading
import warnings

import numpy as np

from autotrace import context
from autotrace.compile.codegen import compile_graph
from autotrace.graph.builder import GraphBuilder
from autotrace.signature import (
    TensorSpec,
    describe_leaf,
    flatten,
    is_array_like,
    leaf_key,
    leaf_paths,
    leaf_spec,
    unflatten,
)
from autotrace.tensor import EagerTensor, Tensor, TensorBase

RETRACE_WINDOW = 10
RETRACE_LIMIT = 5


class ConcreteFunction:
    """One graph traced for one input signature, compiled to numpy code.

    Call it with arguments of that signature: `cf(x, y)`. `cf.graph` is the `Graph`;
    `cf.source` is the generated Python the call runs.
    """

    def __init__(self, traced: TracedFunction, graph, tree, template, out_tree, out_template,
                 variables):
        self.graph = graph
        self._traced = traced
        self._tree = tree
        self._template = template  # per input leaf: TensorSpec (graph input) or the constant
        self._out_tree = out_tree
        self._out_template = out_template  # per output leaf: int (graph output index) or const
        self.variables = variables
        self._run = compile_graph(graph)
        self._assemble = _assembler(out_tree, out_template)
        self._backward = None

    @property
    def source(self) -> str:
        return self._run.source

    @property
    def input_specs(self) -> list[TensorSpec]:
        return [t for t in self._template if isinstance(t, TensorSpec)]

    def __call__(self, *args, **kwargs):
        leaves, tree = self._traced._canonical(args, kwargs)
        if tree != self._tree:
            raise TypeError(
                f"{self.graph.name}: arguments have structure {tree}, but this concrete "
                f"function was traced for {self._tree}"
            )
        inputs = []
        for name, leaf, want in zip(self._traced._paths(tree), leaves, self._template):
            if isinstance(want, TensorSpec):
                if not is_array_like(leaf) or not want.is_compatible_with(_as_array(leaf)):
                    raise TypeError(
                        f"{self.graph.name}: argument `{name}` is {describe_leaf(leaf)} but "
                        f"this concrete function takes "
                        f"{describe_leaf(want)}"
                    )
                inputs.append(leaf)
            elif leaf_key(leaf) != leaf_key(want):
                raise TypeError(
                    f"{self.graph.name}: argument `{name}` is {leaf!r} but this concrete "
                    f"function was traced with {want!r} (Python values are part of the "
                    "signature; call the traced function to get a new trace)"
                )
        return self.call_flat(inputs)

    def call_flat(self, inputs):
        """Run on the graph inputs only (flat, in order)."""
        if any(isinstance(x, TensorBase) for x in inputs):
            return _call_with_tensors(self, inputs)
        return self._assemble(self._run_raw(inputs))

    def _run_raw(self, inputs):
        if self.variables:
            inputs = list(inputs) + [v.numpy() for v in self.variables]
        return self._run(*inputs)

    def __repr__(self) -> str:
        specs = ", ".join(describe_leaf(s) for s in self.input_specs)
        return f"<ConcreteFunction {self.graph.name}({specs})>"


def _as_array(leaf):
    return leaf_spec(leaf) if isinstance(leaf, Tensor) else leaf


def _call_with_tensors(cf: ConcreteFunction, inputs):
    """Eager tensors among the inputs: run as one `call` op so tapes can record it."""
    from autotrace.ops.control import call_concrete

    return cf._assemble(call_concrete(cf, inputs))


def _assembler(out_tree, out_template):
    if len(out_template) == 1 and isinstance(out_template[0], int) and out_tree.kind == "leaf":
        return lambda outs: outs[0]

    def assemble(outs):
        leaves = [outs[t] if isinstance(t, int) else _fresh(t) for t in out_template]
        return unflatten(out_tree, leaves)

    return assemble


def _fresh(constant):
    return constant.copy() if isinstance(constant, np.ndarray) else constant


class TracedFunction:
    """A Python function converted to graph code, traced once per input signature.

    Created by `autotrace.trace`. Call it like the original function.

    Attributes:
        python_function: the original function.
        trace_count: how many graphs have been traced.
        code: the converted source text.
    """

    def __init__(self, fn, input_signature=None, reduce_retracing=False, autograph=True):
        if not callable(fn):
            raise TypeError(f"trace() needs a function, got {fn!r}")
        functools.update_wrapper(self, fn)
        self.python_function = fn
        self.input_signature = _normalize_signature(input_signature)
        self.reduce_retracing = reduce_retracing
        self.autograph = autograph
        self.trace_count = 0
        self._signature = inspect.signature(fn)
        self._n_positional = _count_plain_positional(self._signature)
        self._cache: dict = {}
        self._fast: dict = {}
        self._lock = threading.RLock()
        self._converted_fn = None
        self._calls = 0
        self._trace_calls: list[int] = []
        self._trace_keys: list[tuple] = []
        self._warned = False
        self._bound: dict = {}

    # -- conversion ---------------------------------------------------------------------
    @property
    def converted(self):
        """The converted Python function (what tracing runs)."""
        if self._converted_fn is None:
            from autotrace.convert.converter import convert

            self._converted_fn = convert(self.python_function, strict=True) if self.autograph \
                else self.python_function
        return self._converted_fn

    @property
    def code(self) -> str:
        """Converted source, as text."""
        from autotrace.convert.converter import converted_source

        return converted_source(self.python_function)

    # -- calling ------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        if not kwargs and len(args) == self._n_positional:
            key = _fast_key(args)
            if key is not None:
                cf = self._fast.get(key)
                if cf is not None:
                    self._calls += 1
                    return cf._assemble(cf._run_raw(args))
        return self._call_slow(args, kwargs)

    def _call_slow(self, args, kwargs):
        if context.current_builder() is not None:
            return self.converted(*args, **kwargs)
        self._calls += 1
        leaves, tree = self._canonical(args, kwargs)
        cf = self._lookup(leaves, tree)
        if not kwargs and len(args) == self._n_positional:
            key = _fast_key(args)
            if key is not None:
                self._fast[key] = cf
        inputs = [leaf for leaf, t in zip(leaves, cf._template) if isinstance(t, TensorSpec)]
        return cf.call_flat(inputs)

    def get_concrete_function(self, *args, **kwargs) -> ConcreteFunction:
        """The concrete function for these arguments (values or `TensorSpec`s), tracing if
        needed.

        Example:
            >>> cf = f.get_concrete_function(TensorSpec((None,), np.float64))
        """
        if not args and not kwargs and self.input_signature is not None:
            args = tuple(self.input_signature)
        leaves, tree = self._canonical(args, kwargs)
        return self._lookup(leaves, tree)

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        bound = self._bound.get(id(instance))
        if bound is None or bound.__self__ is not instance:
            bound = _BoundTracedFunction(self, instance)
            try:
                import weakref

                weakref.finalize(instance, self._bound.pop, id(instance), None)
                self._bound[id(instance)] = bound
            except TypeError:
                pass
        return bound

    # -- cache --------------------------------------------------------------------------
    def _canonical(self, args, kwargs):
        """Bind to the signature (defaults applied) and flatten."""
        try:
            bound = self._signature.bind(*args, **kwargs)
        except TypeError as e:
            raise TypeError(f"{self.__name__}(): {e}") from None
        bound.apply_defaults()
        return flatten(tuple(bound.arguments.values()))

    def _paths(self, tree) -> list[str]:
        names = list(self._signature.parameters)
        paths = []
        for name, child in zip(names, tree.children):
            paths += leaf_paths(child, name)
        return paths

    def _lookup(self, leaves, tree) -> ConcreteFunction:
        key = (tree, tuple(leaf_key(x) for x in leaves))
        cf = self._cache.get(key)
        if cf is not None:
            return cf
        with self._lock:
            cf = self._cache.get(key)
            if cf is None:
                cf = self._compatible(key) or self._trace(leaves, tree, key)
                self._cache[key] = cf
        return cf

    def _compatible(self, key) -> ConcreteFunction | None:
        """An existing trace whose signature is more general (None dims) than `key`."""
        if self.input_signature is not None:
            return self._trace_from_signature(key)
        for other, cf in list(self._cache.items()):
            if _generalizes(other, key):
                return cf
        return None

    def _trace_from_signature(self, key):
        tree, keys = key
        specs = [(s.shape, s.dtype) for s in self.input_signature]
        n = len(specs)
        for i, (got, want) in enumerate(zip(keys[:n], specs)):
            if not _generalizes_leaf(want, got):
                name = list(self._signature.parameters)[i]
                raise TypeError(
                    f"{self.__name__}(): argument `{name}` does not match input_signature: "
                    f"expected {describe_leaf(TensorSpec(*want))}, got "
                    f"{describe_leaf(TensorSpec(*got)) if isinstance(got[0], tuple) else got}"
                )
        general = (tree, tuple(specs) + keys[n:])
        cf = self._cache.get(general)
        if cf is None:
            leaves = [TensorSpec(*k) for k in specs] + [_leaf_from_key(k) for k in keys[n:]]
            cf = self._trace(leaves, tree, general)
            self._cache[general] = cf
        return cf

    def _trace(self, leaves, tree, key) -> ConcreteFunction:
        if self.reduce_retracing:
            leaves = self._relaxed(leaves, tree, key)
        self._note_retrace(leaves, key)
        cf = trace_concrete(self, leaves, tree)
        self.trace_count += 1
        return cf

    def _relaxed(self, leaves, tree, key):
        """reduce_retracing: dims seen with two sizes become None."""
        out = list(leaves)
        for other_tree, other_keys in self._trace_keys:
            if other_tree != tree:
                continue
            for i, (leaf, k) in enumerate(zip(out, other_keys)):
                if is_array_like(leaf) and isinstance(k[0], tuple):
                    spec = leaf_spec(leaf)
                    if len(k[0]) == len(spec.shape) and k[1] == spec.dtype:
                        shape = tuple(a if a == b else None for a, b in zip(spec.shape, k[0]))
                        out[i] = TensorSpec(shape, spec.dtype)
        return out

    def _note_retrace(self, leaves, key) -> None:
        self._trace_calls.append(self._calls)
        self._trace_keys.append(key)
        recent = [c for c in self._trace_calls if c > self._calls - RETRACE_WINDOW]
        if len(recent) >= RETRACE_LIMIT and not self._warned:
            self._warned = True
            warnings.warn(self._retrace_message(), RetracingWarning, stacklevel=4)

    def _retrace_message(self) -> str:
        (tree, a), (_, b) = self._trace_keys[-2], self._trace_keys[-1]
        names = self._paths(tree)
        changed = [n for n, x, y in zip(names, a, b) if x != y]
        cause = ""
        if changed:
            kinds = {type(k[1]).__name__ for k in (a[names.index(changed[0])],)
                     if isinstance(k[0], type)}
            cause = f" The argument that changed: `{changed[0]}`."
            if kinds:
                cause += (" It is a Python value, and Python values are part of the signature: "
                          "pass it as np.asarray(...) to trace once.")
            else:
                cause += " Its shape changed: use reduce_retracing=True or an input_signature "\
                         "with None dims."
        return (f"{self.__name__} was traced {RETRACE_LIMIT} times in its last "
                f"{RETRACE_WINDOW} calls; tracing is expensive.{cause}")

    def __repr__(self) -> str:
        return f"<autotrace.TracedFunction {self.__qualname__}>"


class RetracingWarning(UserWarning):
    """A traced function keeps tracing new graphs."""


class _BoundTracedFunction:
    """A `TracedFunction` bound to an instance (methods); shares the function's cache."""

    def __init__(self, traced: TracedFunction, instance):
        self.__func__ = traced
        self.__self__ = instance
        functools.update_wrapper(self, traced.python_function)

    def __call__(self, *args, **kwargs):
        return self.__func__(self.__self__, *args, **kwargs)

    def get_concrete_function(self, *args, **kwargs):
        return self.__func__.get_concrete_function(self.__self__, *args, **kwargs)

    @property
    def trace_count(self) -> int:
        return self.__func__.trace_count

    @property
    def code(self) -> str:
        return self.__func__.code


def trace_concrete(traced: TracedFunction, leaves, tree) -> ConcreteFunction:
    """Trace `traced.converted` once on `leaves` (arrays/specs become graph inputs)."""
    template = [leaf_spec(x) if is_array_like(x) else x for x in leaves]
    with GraphBuilder(traced.__name__) as builder:
        flat = []
        for name, leaf, t in zip(traced._paths(tree), leaves, template):
            flat.append(builder.add_input(t.shape, t.dtype, name) if isinstance(t, TensorSpec)
                        else leaf)
        args, kwargs = _rebuild_call(traced._signature, unflatten(tree, flat))
        result = traced.converted(*args, **kwargs)
    out_leaves, out_tree = flatten(result)
    out_template = []
    for leaf in out_leaves:
        out_template.append(_output_leaf(builder, leaf))
    variables = [outer for outer, _ in builder.captures]
    return ConcreteFunction(traced, builder.graph, tree, template, out_tree, out_template,
                            variables)


def _output_leaf(builder: GraphBuilder, leaf):
    from autotrace.runtime.undefined import Undefined

    if isinstance(leaf, Undefined):
        leaf.fail()
    if isinstance(leaf, Tensor):
        var = builder.to_input(leaf)
        builder.graph.outputs.append(var)
        return len(builder.graph.outputs) - 1
    if isinstance(leaf, EagerTensor):
        return leaf.numpy()
    return leaf


def _rebuild_call(signature: inspect.Signature, values: tuple):
    args, kwargs = [], {}
    for param, value in zip(signature.parameters.values(), values):
        if param.kind is param.VAR_POSITIONAL:
            args.extend(value)
        elif param.kind is param.VAR_KEYWORD:
            kwargs.update(value)
        elif param.kind is param.KEYWORD_ONLY:
            kwargs[param.name] = value
        else:
            args.append(value)
    return args, kwargs


def _count_plain_positional(sig: inspect.Signature) -> int:
    """Number of parameters when all are plain positional; -1 disables the fast path."""
    kinds = [p.kind for p in sig.parameters.values()]
    plain = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return len(kinds) if all(k in plain for k in kinds) else -1


def _fast_key(args):
    key = []
    for a in args:
        if type(a) is not np.ndarray:
            return None
        key.append(a.shape)
        key.append(a.dtype)
    return tuple(key)


def _normalize_signature(sig):
    if sig is None:
        return None
    specs = []
    for s in sig:
        if not isinstance(s, TensorSpec):
            raise TypeError(f"input_signature entries must be TensorSpec, got {s!r}")
        specs.append(s)
    return specs


def _generalizes_leaf(general, specific) -> bool:
    """Leaf keys: (shape, dtype) for arrays, (type, value) or ("id", ref) otherwise."""
    if general == specific:
        return True
    if not (isinstance(general[0], tuple) and isinstance(specific[0], tuple)):
        return False
    (gshape, gdtype), (sshape, sdtype) = general, specific
    return gdtype == sdtype and len(gshape) == len(sshape) and all(
        g is None or g == s for g, s in zip(gshape, sshape)
    )


def _generalizes(general_key, key) -> bool:
    (gtree, gleaves), (tree, leaves) = general_key, key
    return gtree == tree and all(_generalizes_leaf(g, s) for g, s in zip(gleaves, leaves))


def _leaf_from_key(k):
    if isinstance(k[0], tuple):
        return TensorSpec(*k)
    if k[0] == "id":
        return k[1].ref()
    return k[1]
