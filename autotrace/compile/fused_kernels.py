"""numba kernels for the regions of the fusion pass (`compile/fuse.py`).

`make_kernel(kernel)` writes one region as a numba `@njit` loop over its elements and
returns the Python function the generated code calls: it allocates the region's outputs,
calls the compiled loop and returns them (a `sum` member's total as a numpy scalar of its
dtype, as `np.sum` returns). Each member becomes one line of the loop body, so values used
only inside the region live in registers and are never stored.

Results are numpy's, bit for bit except sums: each input is cast to the dtype numpy
computes the op in (the node's result dtype; the common dtype for comparisons; bool for
logical ops and `where`'s condition), so Python scalars promote as NEP 50 says and a
float32 chain stays float32; there is no fast-math (no reassociation, no fused
multiply-add); division by zero gives inf/nan as numpy does (`error_model="numpy"`). A
`sum` is accumulated in float64, in four partial sums in the flat loop: its rounding
differs from numpy's pairwise sum (float32 sums are more accurate). numpy's floating-point
warnings (`divide by zero encountered`) are not issued inside a kernel; when numpy's error
state asks for more than warnings (`np.errstate(divide="raise")`, `np.seterr(all="call")`,
...), a region runs as numpy code instead, so it raises (or calls) as numpy does.

Shape: when every array input has the region's shape, the loop is one flat loop over
`ravel`ed inputs (a view of a C-contiguous array, a copy otherwise); when some input
broadcasts (a row against a matrix), it is a loop nest over the shape with broadcast views.

Compilation: numba compiles a loop the first time it is called with new argument types
(about 50–150 ms per kernel on the project machine); loops are cached in this process by
their source text, so equal regions — of other functions, other shapes, retraces — share
one compiled kernel.
"""

from __future__ import annotations

import itertools
import math

import numba
import numpy as np
from numba.extending import overload

from autotrace.compile.codegen import compile_graph
from autotrace.compile.fuse import FUSABLE, Kernel, promoted, values
from autotrace.graph.ir import Graph, Var
from autotrace.ops.registry import OPS

try:  # numpy's error state lives in a context variable (numpy >= 2.0); changes replace it
    from numpy._core._ufunc_config import _extobj_contextvar as _error_state
except ImportError:  # pragma: no cover - another numpy layout: ask numpy every time
    _error_state = None
_QUIET = ("ignore", "warn")
_last_state: list = [None, False]  # [the error state object seen last, whether it raises]


def numpy_mode() -> bool:
    """Whether numpy's error state asks for more than warnings (raise, call, log, print)
    for some floating-point error: then regions run as numpy code."""
    if _error_state is None:
        return any(v not in _QUIET for v in np.geterr().values())
    state = _error_state.get()
    if state is not _last_state[0]:
        _last_state[:] = [state, any(v not in _QUIET for v in np.geterr().values())]
    return _last_state[1]


class _Numpy:
    """A region's nodes as numpy code (compiled on first use), taking the kernel's
    inputs."""

    def __init__(self, kernel: Kernel):
        self.kernel = kernel
        self.run = None

    def __call__(self, *inputs):
        k = self.kernel
        if self.run is None:
            graph = Graph("region", [x for x in k.inputs if isinstance(x, Var)],
                          list(k.nodes), list(k.outputs))
            self.run = compile_graph(graph, check=False)
        outs = self.run(*(x for x, v in zip(inputs, k.inputs) if isinstance(v, Var)))
        return outs if len(outs) > 1 else outs[0]

_compiled: dict[str, object] = {}  # loop source -> numba dispatcher
_runners = itertools.count()
CHUNK = 1024  # values per partial sum of a reduction in the flat loop


def _scalar(x):
    """A run-time scalar input's value: `x[()]` of a 0-d array, else `x` itself."""
    return x


@overload(_scalar, inline="always")
def _scalar_overload(x):
    if isinstance(x, numba.types.Array):
        return lambda x: x[()]
    return lambda x: x


@numba.njit(inline="always")
def _maximum(a, b):  # numpy's maximum: NaN if either is NaN
    return a if (a >= b or a != a) else b


@numba.njit(inline="always")
def _minimum(a, b):
    return a if (a <= b or a != a) else b


@numba.njit(fastmath={"reassoc", "nsz"})
def _chunk_sum(buf):
    """The sum of a chunk, in any order (so that it vectorizes)."""
    total = 0.0
    for j in range(buf.shape[0]):
        total += buf[j]
    return total


_GLOBALS = {"_chunk_sum": _chunk_sum, "np": np, "_scalar": _scalar, "_maximum": _maximum,
            "_minimum": _minimum, "_inf": np.inf, "_nan": np.nan, "_float32": np.float32,
            "_float64": np.float64}

_BINARY = {OPS[name]: sign for name, sign in {
    "add": "+", "sub": "-", "mul": "*", "div": "/", "lt": "<", "le": "<=", "gt": ">",
    "ge": ">=", "eq": "==", "ne": "!=", "logical_and": "&", "logical_or": "|",
    "logical_xor": "^", "bitand": "&", "bitor": "|", "bitxor": "^"}.items()}
_TEMPLATES = {OPS[name]: text for name, text in {
    "abs": "abs({0})", "sqrt": "np.sqrt({0})", "floor": "np.floor({0})",
    "ceil": "np.ceil({0})", "trunc": "np.trunc({0})", "sin": "np.sin({0})",
    "cos": "np.cos({0})", "maximum": "_maximum({0}, {1})", "minimum": "_minimum({0}, {1})",
    "neg": "(-{0})", "pos": "{0}", "broadcast_to": "{0}", "broadcast_like": "{0}",
    "square": "({0} * {0})", "reciprocal": "({one} / {0})", "logical_not": "(not {0})",
    "where": "({1} if {0} else {2})"}.items()}
_SUM = OPS["sum"]


def _expression(op, args: list[str], dtype: np.dtype) -> str:
    """The scalar expression of `op` on operand expressions already in its dtype."""
    if op in _BINARY:
        return f"({args[0]} {_BINARY[op]} {args[1]})"
    return _TEMPLATES[op].format(*args, one=_literal(1, dtype))


def _literal(value, dtype: np.dtype) -> str:
    """Source for constant `value` cast to `dtype` (as numpy casts it)."""
    v = np.asarray(value).astype(dtype)[()]
    if dtype.kind == "b":
        return repr(bool(v))
    text = "_inf" if v == np.inf else "-_inf" if v == -np.inf else "_nan" if v != v \
        else repr(float(v))
    return text if dtype == np.float64 else f"_{dtype.name}({text})"


def _cast(expr: str, have: np.dtype, want: np.dtype) -> str:
    if have == want:
        return expr
    if want.kind == "b":
        return f"({expr} != 0)"
    return f"_{want.name}({expr})"


def _casts(node) -> list[np.dtype]:
    """The dtype each input of `node` is cast to before the op."""
    how = FUSABLE[node.op][1]
    out = node.outputs[0].dtype
    n = len(values(node))
    if how == "out":
        return [out] * n
    if how == "promote":
        return [promoted(node)] * n
    if how == "bool":
        return [np.dtype(bool)] * n
    return [np.dtype(bool), out, out]  # where


def _value_dtype(x: Var) -> np.dtype:
    """The dtype a kernel sees for input `x` (a weak Python scalar is typed as numba
    types Python scalars)."""
    if x.weak is not None:
        return np.dtype({bool: np.bool_, int: np.int64, float: np.float64}[x.weak])
    return x.dtype


class _Loop:
    """The text of one region's loop: `flat` (one loop over raveled or 1-d arrays) or a
    loop nest over the region's shape."""

    def __init__(self, kernel: Kernel, flat: bool):
        self.kernel = kernel
        self.kinds = input_kinds(kernel)
        self.flat = flat
        self.stored = [v for v in kernel.outputs if v.node.op is not _SUM]
        self.sums = [n for n in kernel.nodes if n.op is _SUM]

    def source(self) -> str:
        k = self.kernel
        ndim = 1 if self.flat else len(k.shape)
        chunked = self.flat and self.sums
        params = [f"n{d}" for d in range(ndim)] + [f"in{j}" for j in range(len(k.inputs))] \
            + [f"out{j}" for j in range(len(self.stored))] + \
            ([f"buf{s}" for s in range(len(self.sums))] if chunked else [])
        lines = [f"def loop({', '.join(params)}):"]
        for j, kind in enumerate(self.kinds):
            if kind in ("scalar", "one"):
                lines.append(f"    s{j} = _scalar(in{j})")
        lines += [f"    acc{s} = 0.0" for s in range(len(self.sums))]
        add = "{indent}acc{s} += {value}"
        if chunked:  # chunks of CHUNK values summed by a vectorized loop, then the tail
            lines.append(f"    for b in range(n0 // {CHUNK}):")
            lines.append(f"        base = b * {CHUNK}")
            lines.append(f"        for j in range({CHUNK}):")
            lines.append("            i = base + j")
            lines += self._body(["i"], " " * 12, "{indent}buf{s}[j] = {value}")
            lines += [f"        acc{s} += _chunk_sum(buf{s})" for s in range(len(self.sums))]
            lines.append(f"    for i in range(n0 - n0 % {CHUNK}, n0):")
            lines += self._body(["i"], " " * 8, add)
        else:
            indent = "    "
            for d in range(ndim):
                lines.append(f"{indent}for i{d} in range(n{d}):")
                indent += "    "
            lines += self._body([f"i{d}" for d in range(ndim)], indent, add)
        if self.sums:
            totals = [f"acc{s}" for s in range(len(self.sums))]
            lines.append(f"    return {', '.join(totals)}{',' if len(totals) == 1 else ''}")
        return "\n".join(lines) + "\n"

    def _body(self, index: list[str], indent: str, summed: str) -> list[str]:
        """The loop body at `index`; `summed`: the line adding a value to a sum."""
        k = self.kernel
        at = ", ".join(index)
        names: dict[int, tuple[str, np.dtype]] = {}
        lines = []
        for j, (x, kind) in enumerate(zip(k.inputs, self.kinds)):
            dtype = _value_dtype(x) if isinstance(x, Var) else x.dtype
            if kind in ("scalar", "one"):
                names[_key(x)] = (f"s{j}", dtype)
            else:
                lines.append(f"{indent}a{j} = in{j}[{at}]")
                names[_key(x)] = (f"a{j}", dtype)
        stored = {v.uid: j for j, v in enumerate(self.stored)}
        sums = {id(n): s for s, n in enumerate(self.sums)}
        for t, node in enumerate(k.nodes):
            if node.op is _SUM:
                name, _ = names[node.inputs[0].uid]
                lines.append(summed.format(indent=indent, s=sums[id(node)], value=name))
                continue
            args = []
            for x, want in zip(values(node), _casts(node)):
                if isinstance(x, Var) or (isinstance(x, np.ndarray) and x.ndim):
                    name, have = names[_key(x)]
                    args.append(_cast(name, have, want))
                else:
                    args.append(_literal(x, want))
            out = node.outputs[0]
            expr = _expression(node.op, args, out.dtype)
            if out.dtype == np.float32:
                expr = f"_float32({expr})"
            lines.append(f"{indent}t{t} = {expr}")
            names[out.uid] = (f"t{t}", out.dtype)
            if out.uid in stored:
                lines.append(f"{indent}out{stored[out.uid]}[{at}] = t{t}")
        return lines


def input_kinds(kernel: Kernel) -> list[str]:
    """Per input of a region: "full" (the region's shape), "bcast" (broadcast to it) or
    "scalar" (0-d, or a Python scalar at run time) or "one" (one element: read once)."""
    kinds = []
    for x in kernel.inputs:
        weak = isinstance(x, Var) and x.weak is not None
        kinds.append("scalar" if weak or x.shape == () else "one" if math.prod(x.shape) == 1 else
                     "full" if x.shape == kernel.shape else "bcast")
    return kinds


def _key(x) -> int:
    return x.uid if isinstance(x, Var) else id(x)


def compiled_loop(source: str):
    """The numba dispatcher for a loop's source (made once per source in this process)."""
    fn = _compiled.get(source)
    if fn is None:
        namespace = dict(_GLOBALS)
        exec(compile(source, "<autotrace fused loop>", "exec"), namespace)
        fn = _compiled[source] = numba.njit(error_model="numpy", nogil=True)(
            namespace["loop"])
        fn.loop_source = source
    return fn


def _passed(j: int, kind: str, shape: tuple) -> str:
    """How the wrapper passes input `j` to the loop."""
    if kind == "bcast":
        return f"_broadcast_to(x{j}, {shape!r})"
    return f"x{j}.reshape(())" if kind == "one" else f"x{j}"


def make_kernel(kernel: Kernel):
    """The function a fused node runs: `run(*inputs) -> output` (a tuple for several).

    1-d regions run one flat loop (broadcast inputs as broadcast views). Others run the
    flat loop over raveled arrays when every array input has the region's shape and is
    C-contiguous at run time, else the loop nest (broadcast views, any strides)."""
    shape = tuple(kernel.shape)
    kinds = input_kinds(kernel)
    size = 1
    for d in shape:
        size *= d
    loops = {}
    flat_ok = len(shape) == 1 or "bcast" not in kinds
    if flat_ok:
        loops["_flat"] = _Loop(kernel, flat=True)
    if len(shape) > 1:
        loops["_nd"] = _Loop(kernel, flat=False)
    any_loop = next(iter(loops.values()))
    stored, sums = any_loop.stored, any_loop.sums
    params = [f"x{j}" for j in range(len(kernel.inputs))]
    lines = [f"def fused({', '.join(params)}):",
             "    if _numpy_mode():",
             f"        return _numpy({', '.join(params)})"]
    for j in range(len(stored)):
        lines.append(f"    o{j} = _empty({shape!r}, _d{j})")
    get = "totals = " if sums else ""
    outs = [f"o{j}" for j in range(len(stored))]
    bufs = [f"_empty({CHUNK})" for _ in sums]
    if len(shape) == 1:
        args = [_passed(j, kind, shape) for j, kind in enumerate(kinds)]
        lines.append(f"    {get}_flat({size}, {', '.join(args + outs + bufs)})")
    else:
        nd = [_passed(j, kind, shape) for j, kind in enumerate(kinds)]
        nd_call = f"_nd({', '.join([str(d) for d in shape] + nd + outs)})"
        if flat_ok:
            full = [f"x{j}" for j, kind in enumerate(kinds) if kind == "full"]
            test = " and ".join(f"{x}.flags.c_contiguous" for x in full) or "True"
            flat = [f"x{j}.reshape(-1)" if kind == "full" else _passed(j, kind, shape)
                    for j, kind in enumerate(kinds)] + [f"{o}.reshape(-1)" for o in outs] + bufs
            lines.append(f"    if {test}:")
            lines.append(f"        {get}_flat({size}, {', '.join(flat)})")
            lines.append("    else:")
            lines.append(f"        {get}{nd_call}")
        else:
            lines.append(f"    {get}{nd_call}")
    where = {v.uid: j for j, v in enumerate(stored)}
    total = {id(n): s for s, n in enumerate(sums)}
    results = [f"o{where[v.uid]}" if v.uid in where else
               f"_t{total[id(v.node)]}(totals[{total[id(v.node)]}])" for v in kernel.outputs]
    lines.append(f"    return {', '.join(results)}{',' if len(results) > 1 else ''}")
    namespace = {"_empty": np.empty, "_broadcast_to": np.broadcast_to,
                 "_numpy_mode": numpy_mode, "_numpy": _Numpy(kernel)}
    namespace.update({name: compiled_loop(loop.source()) for name, loop in loops.items()})
    namespace.update({f"_d{j}": v.dtype for j, v in enumerate(stored)})
    namespace.update({f"_t{s}": n.outputs[0].dtype.type for s, n in enumerate(sums)})
    text = "\n".join(lines) + "\n"
    exec(compile(text, f"<autotrace fused kernel #{next(_runners)}>", "exec"), namespace)
    run = namespace["fused"]
    run.source = text
    run.loops = [namespace[name] for name in loops]
    run.chunk = _chunk_entry(kernel, kinds, stored, sums, namespace) if len(shape) == 1 \
        else None
    run.shape = shape
    run.stored = stored
    run.totals = [n.outputs[0] for n in sums]
    return run


def _chunk_entry(kernel: Kernel, kinds, stored, sums, namespace):
    """`chunk(m, *inputs, *outputs) -> totals or None`: the flat loop over `m` elements of
    1-d inputs and outputs (slices of the region's arrays: compile/stream.py)."""
    params = [f"x{j}" for j in range(len(kernel.inputs))] + \
        [f"o{j}" for j in range(len(stored))]
    args = [f"x{j}.reshape(())" if kind == "one" else f"x{j}" for j, kind in enumerate(kinds)]
    args += [f"o{j}" for j in range(len(stored))] + [f"_empty({CHUNK})" for _ in sums]
    text = (f"def chunk(m, {', '.join(params)}):\n"
            f"    return _flat(m, {', '.join(args)})\n")
    exec(compile(text, f"<autotrace fused chunk #{next(_runners)}>", "exec"), namespace)
    return namespace["chunk"]
