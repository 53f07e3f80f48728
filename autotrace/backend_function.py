"""A traced graph run on another array library: `cf.to("torch")`, `trace(backend="dask")`.

`BackendFunction` is a `ConcreteFunction`'s graph compiled over a backend's arrays
(`compile/lowering.py`): arguments of the backend's type are used as they are, numpy
arrays are moved onto it, and results stay there (a Dask result is a lazy Dask array;
`.compute()` runs it on the active scheduler or `dask.distributed` cluster).
`BackendTracedFunction` is the `TracedFunction` that `trace(..., backend=...)` returns:
it traces on the arguments' shapes and dtypes, then calls the backend function.
"""

from __future__ import annotations

from autotrace.compile.backends import Backend
from autotrace.compile.codegen import CHECK, compile_graph
from autotrace.errors import locate_run_error
from autotrace.function import TracedFunction
from autotrace.signature import TensorSpec, fast_key
from autotrace.tensor import TensorBase


class BackendFunction:
    """One concrete function's graph, compiled for `backend` (see the module doc).

    Attributes:
        concrete_function: the numpy `ConcreteFunction` it was made from.
        backend: the `Backend`.
        source: the generated Python a call runs.
    """

    def __init__(self, cf, backend: Backend):
        self.concrete_function = cf
        self.backend = backend
        self._call = compile_graph(cf.graph, entry=cf._entry, emitter=backend.emitter(CHECK))
        self._moved = [isinstance(t, TensorSpec) and t.weak is None for t in cf._template]
        # fast keys of positional calls already checked (numpy arrays only: "fused")
        self._accepted: dict | None = {} if backend.numpy_arrays else None

    @property
    def graph(self):
        return self.concrete_function.graph

    @property
    def source(self) -> str:
        return self._call.source

    def to(self, backend, **options):
        """The same graph on another backend (see `ConcreteFunction.to`)."""
        return self.concrete_function.to(backend, **options)

    def __call__(self, *args, **kwargs):
        cf, b = self.concrete_function, self.backend
        try:
            key = None if kwargs or self._accepted is None else fast_key(args)
            if key is not None and key in self._accepted:
                return self._call(*args)
            leaves, tree = cf._traced._canonical(args, kwargs)
            cf._check(specs_of(b, leaves), tree)
            moved = [b.move(x) if m else x for x, m in zip(leaves, self._moved)]
            if key is not None and not cf.has_state and cf.accepts_positional(args, leaves):
                if len(self._accepted) >= 64:
                    self._accepted.clear()
                self._accepted[key] = True
            return self._call(*moved)
        except Exception as e:
            locate_run_error(e)
            raise

    def __repr__(self) -> str:
        return f"<BackendFunction {self.graph.name} on {self.backend!r}>"


def specs_of(backend: Backend, leaves) -> list:
    """`leaves` with the backend's arrays replaced by their `TensorSpec`s."""
    return [TensorSpec(tuple(x.shape), backend.numpy_dtype(x.dtype))
            if backend.is_array(x) else x for x in leaves]


class BackendTracedFunction(TracedFunction):
    """`trace(fn, backend=...)`: traced like any function, run on `backend` (the numpy
    `TracedFunction`'s call path is left as it is)."""

    def __init__(self, fn, backend: Backend, **options):
        super().__init__(fn, **options)
        self.backend = backend
        # fast key -> backend function, for positional calls (numpy arrays only: "fused")
        self._by_key: dict | None = {} if backend.numpy_arrays else None

    def __call__(self, *args, **kwargs):
        key = None if kwargs or self._by_key is None else fast_key(args)
        made = None if key is None else self._by_key.get(key)
        if made is not None:
            self._calls += 1
            return made(*args)
        leaves, _ = self._canonical(args, kwargs)
        if any(isinstance(x, TensorBase) for x in leaves):
            # inside another trace or under a tape: traced (inlined) like any function
            return super().__call__(*args, **kwargs)
        made = self.get_concrete_function(*args, **kwargs)
        cf = made.concrete_function
        if key is not None and not cf.has_state and cf.accepts_positional(args, leaves):
            if len(self._by_key) >= self.max_traces:
                self._by_key.clear()
            self._by_key[key] = made
        return made(*args, **kwargs)

    def get_concrete_function(self, *args, **kwargs) -> BackendFunction:
        """The backend function for these arguments (arrays of any backend, or specs)."""
        if not args and not kwargs and self.input_signature is not None:
            return self._concrete((), {}).to(self.backend)
        leaves, tree = self._canonical(args, kwargs)
        self._calls += 1
        return self._lookup(specs_of(self.backend, leaves), tree).to(self.backend)
