"""The fusion pass of the `"fused"` backend: chains of elementwise ops become one kernel.

`fuse_graph(graph, make_kernel)` returns a graph computing the same values in which every
*region* — a connected set of two or more fusable nodes of one static shape — is replaced
by one node whose op runs the region as a single loop (`compile/fused_kernels.py` writes
it as a numba kernel). The values that leave the region (read by another node, a
sub-graph or the graph's outputs) are that node's outputs, the same `Var`s as before;
the values used only inside the region are never stored.

What is fusable (`FUSABLE`): the elementwise ops a fused loop runs faster than numpy does
on this kind of machine — arithmetic, comparisons, `where`, `abs`, `sqrt`, min/max and,
for float64, `sin`/`cos` (measured: benchmarks/README.md, "fused backend"). Transcendental
ufuncs that numpy runs as SIMD kernels (`exp`, `tanh`, `log`, ...: 3x-16x faster than a
scalar libm call per element) stay numpy calls between regions. A full `sum` of a region
value joins the region as an accumulator (the summed array is then not stored unless
something else reads it).

A node is fusable when its op is in `FUSABLE`, its result is a float array (bool for
comparisons and logical ops) of a fully static shape with at least `min_size` elements,
and its inputs are `Var`s or constants of bool, integer, float32 or float64 dtypes (native
byte order), each of the result's shape, a 0-d value, or broadcastable to it.

Regions are grown greedily in graph order. A node joins the open regions its inputs come
from (merging them); a region is *closed* — it takes no more members — as soon as a node
outside it reads one of its values. The fused node is placed where the region's last
member was: every outside reader comes after it (it would have closed the region), and
every outside value a member reads comes before it (graph order), so the new node list is
still topologically ordered.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from autotrace.compile.codegen import Emitter, check_value, compile_graph
from autotrace.core.op import Op
from autotrace.graph.ir import Graph, Node, Var
from autotrace.ops.registry import OPS

MIN_SIZE = 256  # elements: smaller regions are not worth a kernel's compile time

# op -> (number of inputs, how inputs are cast, the result dtypes it is fused for).
# Cast "out": to the result dtype (arithmetic); "promote": to the inputs' common dtype
# (comparisons; bool result); "bool": to bool (logical ops); "where": bool, out, out.
_F = ("float32", "float64")
_B = ("bool",)
_BY_NAME: dict[str, tuple[int, str, tuple]] = {
    "add": (2, "out", _F), "sub": (2, "out", _F), "mul": (2, "out", _F),
    "div": (2, "out", _F), "neg": (1, "out", _F), "pos": (1, "out", _F),
    "square": (1, "out", _F), "reciprocal": (1, "out", _F), "abs": (1, "out", _F),
    "maximum": (2, "out", _F), "minimum": (2, "out", _F), "sqrt": (1, "out", _F),
    "floor": (1, "out", _F), "ceil": (1, "out", _F), "trunc": (1, "out", _F),
    "sin": (1, "out", ("float64",)), "cos": (1, "out", ("float64",)),
    "where": (3, "where", _F),
    "lt": (2, "promote", _B), "le": (2, "promote", _B), "gt": (2, "promote", _B),
    "ge": (2, "promote", _B), "eq": (2, "promote", _B), "ne": (2, "promote", _B),
    "logical_and": (2, "bool", _B), "logical_or": (2, "bool", _B),
    "logical_xor": (2, "bool", _B), "logical_not": (1, "bool", _B),
    "bitand": (2, "bool", _B), "bitor": (2, "bool", _B), "bitxor": (2, "bool", _B),  # masks
    # a scalar or row read in the loop as the value of every element (no array made)
    "broadcast_to": (1, "out", _F), "broadcast_like": (1, "out", _F),
}  # fmt: skip
FUSABLE: dict[Op, tuple[int, str, tuple]] = {OPS[name]: spec for name, spec in _BY_NAME.items()}
_SUM, _CALL, _BROADCAST_LIKE = OPS["sum"], OPS["call"], OPS["broadcast_like"]
# the params (besides none) these ops may have: only the shape broadcast to
_SHAPE_ONLY = {OPS["broadcast_to"]: ("shape",), _BROADCAST_LIKE: ()}


class FusedOp(Op):
    """The op of a fused node (a region's kernel, or a chunked run: compile/stream.py):
    made for that node, never registered."""


@dataclass(eq=False)
class Region:
    """Nodes fused into one kernel, in graph order.

    Attributes:
        shape: the static shape every member computes (its loop's shape).
        nodes: the members; `sum` members reduce a member's value to 0-d.
        open: whether it may still grow (no outside node has read its values yet).
        last: the graph position of its last member (where the fused node goes).
    """

    shape: tuple
    nodes: list = field(default_factory=list)
    open: bool = True
    last: int = -1


@dataclass(frozen=True)
class Kernel:
    """What `make_kernel` is given for one region (see `fused_kernels.make_kernel`).

    Attributes:
        shape: the loop's shape.
        nodes: the members, in order.
        inputs: the values read from outside, in first-use order: `Var`s, and array
            constants; Python scalars and 0-d numpy constants are written into the kernel.
        outputs: the member values read outside the region, in graph order.
    """

    shape: tuple
    nodes: tuple
    inputs: tuple
    outputs: tuple


def fusable(node: Node, min_size: int) -> str | None:
    """"map" (an elementwise node that may be fused), "sum" (a full sum that may close a
    region's loop), or None."""
    if len(node.outputs) != 1:
        return None
    out = node.outputs[0]
    if out.weak is not None:
        return None
    if node.op is _SUM:
        if len(node.inputs) != 1:
            return None
        (x,) = node.inputs
        ok = (isinstance(x, Var) and set(node.params) == {"axis", "keepdims"}
              and node.params["axis"] == tuple(range(len(x.shape)))
              and not node.params["keepdims"] and x.dtype.kind == "f" and x.dtype == out.dtype)
        return "sum" if ok else None
    if None in out.shape or not out.shape:
        return None
    spec = FUSABLE.get(node.op)
    if spec is None or _size(out.shape) < min_size or out.dtype.name not in spec[2]:
        return None
    if tuple(node.params) != _SHAPE_ONLY.get(node.op, ()) or len(values(node)) != spec[0]:
        return None
    for x in values(node):
        if isinstance(x, Var):
            if not _kernel_dtype(x.dtype) or None in x.shape or len(x.shape) > len(out.shape) \
                    or not _broadcasts(x.shape, out.shape):
                return None
        elif not _real_constant(x):
            return None
    if spec[1] == "promote" and (promoted(node).kind != "f" or any(
            np.asarray(x).dtype.kind == "u" if not isinstance(x, Var) else x.dtype.kind == "u"
            for x in values(node))):
        return None  # numpy compares mixed signed/unsigned integers exactly, not as floats
    return "map"


def values(node: Node) -> tuple:
    """The inputs whose values an elementwise node reads (`broadcast_like` reads only the
    shape of its second one)."""
    return node.inputs[:1] if node.op is _BROADCAST_LIKE else node.inputs


def promoted(node: Node) -> np.dtype:
    """The dtype numpy compares `node`'s inputs in (NEP 50: Python scalars are weak)."""
    args = []
    for x in values(node):
        if isinstance(x, Var):
            args.append(x.weak(0) if x.weak else x.dtype)
        else:
            args.append(x if type(x) in (bool, int, float) else np.asarray(x).dtype)
    return np.result_type(*args)


def _kernel_dtype(dtype: np.dtype) -> bool:
    """bool, the 8- to 64-bit integers, float32 or float64, in native byte order (what a
    numba kernel reads; not float16, longdouble or big-endian data)."""
    return dtype.char in "?bhilqBHILQfd" and dtype.isnative


def _real_constant(x) -> bool:
    if type(x) in (bool, int, float):
        return True
    return isinstance(x, (np.ndarray, np.generic)) and _kernel_dtype(x.dtype)


def _broadcasts(shape: tuple, to: tuple) -> bool:
    tail = to[len(to) - len(shape):]
    return all(a == b or a == 1 for a, b in zip(shape, tail))


def _size(shape: tuple) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def _reads(node: Node) -> list[Var]:
    """The values a node reads: its inputs (a sub-graph's inputs are bound to them)."""
    return [x for x in node.inputs if isinstance(x, Var)]


def find_regions(graph: Graph, min_size: int = MIN_SIZE) -> list[Region]:
    """The regions of `graph`'s own nodes (not its sub-graphs') worth fusing: two or more
    members, at least one of them elementwise; in the order of their first members."""
    owner: dict[int, Region] = {}  # uid of a member's value -> its region
    totals: set[int] = set()  # uids of the `sum` members' values (known after the loop)
    regions: list[Region] = []
    for i, node in enumerate(graph.nodes):
        kind = fusable(node, min_size)
        shape = node.inputs[0].shape if kind == "sum" else node.outputs[0].shape \
            if kind else None
        joined = []
        if kind:  # a total is known only after its region's loop: its readers stay out
            summed = [owner[x.uid] for x in _reads(node) if x.uid in totals]
            for x in _reads(node):
                r = owner.get(x.uid)
                if r is not None and r.open and r.shape == shape and r not in joined \
                        and r not in summed:
                    joined.append(r)
            if kind == "sum" and not joined:
                kind = None
        for x in _reads(node):  # every other region this node reads is read from outside
            r = owner.get(x.uid)
            if r is not None and r not in joined:
                r.open = False
        if not kind:
            continue
        region = joined[0] if joined else Region(shape)
        if not joined:
            regions.append(region)
        for other in joined[1:]:  # merge: both open, so neither feeds an outside node
            region.nodes += other.nodes
            for member in other.nodes:
                owner[member.outputs[0].uid] = region
            regions.remove(other)
        region.nodes.append(node)
        region.last = i
        owner[node.outputs[0].uid] = region
        if kind == "sum":
            totals.add(node.outputs[0].uid)
    position = {id(n): i for i, n in enumerate(graph.nodes)}
    kept = []
    for r in regions:
        if len(r.nodes) >= 2:
            r.nodes.sort(key=lambda n: position[id(n)])
            kept.append(r)
    return sorted(kept, key=lambda r: position[id(r.nodes[0])])


def fuse_graph(graph: Graph, make_kernel, min_size: int = MIN_SIZE) -> Graph:
    """`graph` with each region (`find_regions`) replaced by one node whose op's impl is
    `make_kernel(Kernel)`. Sub-graphs are left as they are (the emitter fuses each one
    when it writes it). Returns `graph` itself when nothing is fused."""
    regions = find_regions(graph, min_size)
    if not regions:
        return graph
    region_of = {id(n): r for r in regions for n in r.nodes}
    made: dict[int, Region] = {}
    for r in regions:
        for n in r.nodes:
            made[n.outputs[0].uid] = r
    read_outside: set[int] = {o.uid for o in graph.outputs if isinstance(o, Var)}
    for node in graph.nodes:
        mine = region_of.get(id(node))
        for x in _reads(node):
            if x.uid in made and made[x.uid] is not mine:
                read_outside.add(x.uid)
    fused_at = {r.last: r for r in regions}
    nodes = []
    for i, node in enumerate(graph.nodes):
        r = fused_at.get(i)
        if r is not None:
            nodes.append(_fused_node(r, read_outside, make_kernel))
        elif id(node) not in region_of:
            nodes.append(node)
    return Graph(graph.name, graph.inputs, nodes, graph.outputs)


def _fused_node(region: Region, read_outside: set[int], make_kernel) -> Node:
    members = {n.outputs[0].uid for n in region.nodes}
    inputs, seen = [], set()
    for node in region.nodes:
        for x in values(node):
            if isinstance(x, Var):
                if x.uid not in members and x.uid not in seen:
                    seen.add(x.uid)
                    inputs.append(x)
            elif isinstance(x, np.ndarray) and x.ndim and id(x) not in seen:
                seen.add(id(x))
                inputs.append(x)
    outputs = tuple(n.outputs[0] for n in region.nodes if n.outputs[0].uid in read_outside)
    kernel = Kernel(region.shape, tuple(region.nodes), tuple(inputs), outputs)
    op = FusedOp("fused", make_kernel(kernel), _no_abstract,
                 multiple_results=len(outputs) != 1)
    return Node(op, tuple(inputs), {}, outputs, region.nodes[-1].origin)


def _no_abstract(*avals, **params):
    raise AssertionError("fused nodes are made by compile/fuse.py from typed nodes")


class FusedEmitter(Emitter):
    """numpy's `Emitter`, writing every graph and sub-graph through `fuse_graph` and then
    `stream.stream_graph` first: the code is numpy's except that each region is one call
    of its kernel (and long 1-d runs go chunk by chunk). A called concrete function
    (`call` node) runs its graph compiled the same way."""

    def __init__(self, check: bool, min_size: int = MIN_SIZE):
        super().__init__(check)
        # lazy import: numba is optional (the `fast` extra); only this backend needs it
        from autotrace.compile.fused_kernels import make_kernel
        from autotrace.compile.stream import stream_graph

        self.namespace["_check"] = check_value
        self.min_size = min_size
        self._make_kernel = make_kernel
        self._stream = stream_graph

    def emit_graph(self, graph: Graph, indent: str, release: bool = False,
                   final: bool = False) -> None:
        fused = self._stream(fuse_graph(graph, self._make_kernel, self.min_size))
        super().emit_graph(fused, indent, release, final)

    def emit_node(self, node: Node, indent: str) -> None:
        if node.op is not _CALL:
            return super().emit_node(node, indent)
        fn = node.params["fn"]
        run = compile_graph(fn.graph, emitter=FusedEmitter(self.check, self.min_size))
        impl = self.bind(functools.partial(_run_call, fn, run), "call")
        targets = ", ".join(self.name(v) for v in node.outputs)
        targets = targets + "," if len(node.outputs) == 1 else targets or "_"
        args = ", ".join(self.value(x) for x in node.inputs)
        self.emit(f"{targets} = {impl}({args})", indent, node)


def _run_call(fn, run, *inputs):
    """A called concrete function's graph (`run`, fused): the node's inputs end with the
    function's captured `Variable`s, read now."""
    n = len(fn.variables)
    return run(*inputs[:len(inputs) - n], *(v.numpy() for v in fn.variables))
