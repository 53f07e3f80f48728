"""Array backends: the same graph run on CuPy, torch or Dask arrays instead of numpy, or
on numpy with elementwise chains fused into numba kernels (`"fused"`).

A `Backend` names an array library and wraps its Python array API namespace (through
`array-api-compat`): how to recognize its arrays, move numpy inputs onto it, map numpy
dtypes to its own, and bring values back to numpy. The numpy code generator stays as it
is (`codegen.py`, the embedded default, unchanged speed); a backend gets its own
generated code, written when `cf.to(name)` or `trace(..., backend=name)` first asks for
it (`lowering.py` holds the per-op translation onto the namespace). An op the backend has
no translation for is refused then, with a `BackendError` naming the op and the backend.

Control flow runs as Python `if`/`while` on the backend's 0-d predicate: torch and CuPy
read it from the device; Dask *computes* it. A `while` on Dask persists its loop state at
the start of every trip (one `dask.persist` plus the predicate's compute per trip), so the
task graph stays one trip deep instead of growing with the trip count.
"""

from __future__ import annotations

import importlib

import numpy as np

from autotrace.errors import BackendError  # noqa: F401 - raised here, public in errors


class Backend:
    """One array library. Subclasses fill in the library-specific conversions.

    Attributes:
        name: "cupy", "torch", "dask" or "fused".
        xp: the library's array API namespace (from `array_api_compat`).
        device: where new arrays (moved inputs, constants) are put (None: the default).
        negative_steps: whether the library's slices can step backwards (`x[::-1]`).
    """

    name = ""
    module = ""  # the package that must be importable
    negative_steps = True
    numpy_arrays = False  # its arrays are numpy's (calls may skip moving and re-checking)

    def __init__(self, device=None):
        try:
            importlib.import_module(self.module)
            compat = importlib.import_module(f"array_api_compat.{self.compat_name()}")
        except ImportError as e:
            raise ImportError(f"backend {self.name!r} needs the `{self.module}` and "
                              f"`array-api-compat` packages (pip install "
                              f"'autotrace[{self.name}]'): {e}") from None
        self.xp = compat
        self.device = device

    def compat_name(self) -> str:
        return self.module

    def key(self) -> tuple:
        return (self.name, str(self.device))

    def __repr__(self) -> str:
        return f"<backend {self.name}{'' if self.device is None else ' ' + str(self.device)}>"

    # -- values -------------------------------------------------------------------------
    def is_array(self, x) -> bool:
        raise NotImplementedError

    def has_dtype(self, dtype: np.dtype) -> bool:
        """Whether the library has this numpy dtype (torch has no float128, say)."""
        return dtype.kind == "b" or hasattr(self.xp, dtype.name)

    def dtype(self, dtype: np.dtype):
        """The backend's dtype object for a numpy dtype."""
        return getattr(self.xp, "bool" if dtype.kind == "b" else dtype.name)

    def numpy_dtype(self, dtype) -> np.dtype:
        return np.dtype(dtype)

    def move(self, x, dtype: np.dtype | None = None):
        """`x` (numpy array, Python scalar or backend array) as a backend array."""
        if self.is_array(x):
            return x if dtype is None else self.cast(x, dtype)
        x = np.asarray(x, dtype=dtype)
        return self.xp.asarray(x, device=self.device)

    def cast(self, x, dtype: np.dtype):
        """`x` with numpy dtype `dtype` (no copy when it has it already)."""
        target = self.dtype(dtype)
        if not self.is_array(x):
            return self.move(x, dtype)
        return x if x.dtype == target else self.xp.astype(x, target)

    def to_numpy(self, x):
        """A backend array as numpy (other values unchanged)."""
        return np.asarray(x) if self.is_array(x) else x

    def emitter(self, check: bool):
        """The code generator writing this backend's code (`lowering.BackendEmitter`)."""
        # lazy import: lowering.py builds on this module
        from autotrace.compile.lowering import BackendEmitter

        return BackendEmitter(self, check)


class DaskBackend(Backend):
    """Dask arrays: chunked, run by Dask's scheduler (threads, or the active
    `dask.distributed` client's cluster) when a result is computed."""

    name = "dask"
    module = "dask.array"

    def __init__(self, device=None, chunks="auto"):
        super().__init__(device)
        self.chunks = chunks

    def compat_name(self) -> str:
        return "dask.array"

    def key(self) -> tuple:
        return (self.name, str(self.chunks))

    def is_array(self, x) -> bool:
        import dask.array as da

        return isinstance(x, da.Array)

    def move(self, x, dtype=None):
        import dask.array as da

        if self.is_array(x):
            return x if dtype is None else self.cast(x, dtype)
        return da.from_array(np.asarray(x, dtype=dtype), chunks=self.chunks)

    def has_dtype(self, dtype: np.dtype) -> bool:
        return True  # Dask arrays hold numpy dtypes

    def cast(self, x, dtype):
        if not self.is_array(x):
            return self.move(x, dtype)
        return x if x.dtype == dtype else x.astype(dtype)

    def to_numpy(self, x):
        return np.asarray(x.compute()) if self.is_array(x) else x

    def persist(self, *values) -> tuple:
        """The Dask arrays among `values` computed and kept (in memory, or on the
        cluster's workers), so a `while` state's task graph does not grow per trip."""
        import dask

        arrays = [k for k, v in enumerate(values) if self.is_array(v)]
        done = dask.persist(*(values[k] for k in arrays))
        out = list(values)
        for k, v in zip(arrays, done):
            out[k] = v
        return tuple(out)


class TorchBackend(Backend):
    """torch tensors on the CPU or a CUDA device."""

    name = "torch"
    module = "torch"
    negative_steps = False  # torch slices only step forwards

    def __init__(self, device=None):
        super().__init__(device)
        import torch

        if device is None:
            self.device = "cuda" if torch.cuda.is_available() else "cpu"

    def is_array(self, x) -> bool:
        import torch

        return isinstance(x, torch.Tensor)

    def numpy_dtype(self, dtype) -> np.dtype:
        return np.dtype(str(dtype).removeprefix("torch."))

    def move(self, x, dtype=None):
        if self.is_array(x):
            x = x.to(self.device)
            return x if dtype is None else self.cast(x, dtype)
        import torch

        return torch.from_numpy(np.array(x, dtype=dtype)).to(self.device)

    def to_numpy(self, x):
        return x.detach().cpu().numpy() if self.is_array(x) else x


class CupyBackend(Backend):
    """CuPy arrays on the current CUDA device."""

    name = "cupy"
    module = "cupy"

    def is_array(self, x) -> bool:
        import cupy

        return isinstance(x, cupy.ndarray)

    def to_numpy(self, x):
        import cupy

        return cupy.asnumpy(x) if self.is_array(x) else x


class FusedBackend(Backend):
    """numpy arrays and numpy's code, with chains of elementwise ops run as one numba
    kernel each (compile/fuse.py, docs/backends.md "The fused backend").

    Args:
        min_size: regions of fewer elements stay numpy calls.
    """

    name = "fused"
    module = "numba"
    numpy_arrays = True

    def __init__(self, device=None, min_size: int | None = None):
        try:
            importlib.import_module("numba")
        except ImportError as e:
            raise ImportError("backend 'fused' needs the `numba` package (pip install "
                              f"'autotrace[fast]'): {e}") from None
        self.xp = np
        self.device = device
        self.min_size = min_size

    def key(self) -> tuple:
        return (self.name, self.min_size)

    def is_array(self, x) -> bool:
        return isinstance(x, np.ndarray)

    def move(self, x, dtype=None):
        return x if dtype is None else np.asarray(x, dtype=dtype)

    def to_numpy(self, x):
        return x

    def emitter(self, check: bool):
        # lazy import: the fusion pass loads numba; only this backend needs it
        from autotrace.compile.fuse import MIN_SIZE, FusedEmitter

        return FusedEmitter(check, MIN_SIZE if self.min_size is None else self.min_size)


_KINDS = {"dask": DaskBackend, "torch": TorchBackend, "cupy": CupyBackend,
          "fused": FusedBackend}
NAMES = ("numpy", *_KINDS)


def get_backend(backend, **options) -> Backend | None:
    """The `Backend` for a name ("numpy" gives None: the default code generator) or an
    existing `Backend` (returned as is)."""
    if backend is None or isinstance(backend, Backend):
        return backend
    if backend == "numpy":
        if options:
            raise TypeError(f"the numpy backend takes no options, got {sorted(options)}")
        return None
    kind = _KINDS.get(backend)
    if kind is None:
        raise ValueError(f"unknown backend {backend!r}; expected one of {', '.join(NAMES)}")
    return kind(**options)
