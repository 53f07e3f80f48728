"""Strip-mining for the fused backend: a run of elementwise work over one long 1-d shape,
done chunk by chunk.

After `fuse.fuse_graph`, W4's forward is `tanh`, a kernel, `exp`, a kernel: four passes
over 1e6 elements, each writing a fresh 8 MB array that the next one reads back (and
that the kernel pays page faults for). `stream_graph` replaces such a run of consecutive
nodes — numpy ufuncs without parameters and fused kernels, all over the same 1-d shape —
by one node that loops over chunks of `CHUNK` elements: each node runs on the chunk's
slices, so its temporaries are chunk-sized and stay in the cache, and only the values read
after the run are made full-size (written slice by slice, `out=`), or, for a kernel's
total, added up over the chunks.

Values are numpy's: a ufunc's result at an element does not depend on the rest of the
array (numpy's SIMD loops handle a chunk's tail with the same arithmetic), so every
elementwise value is the one the unchunked code computes; only a total's summation order
changes. When numpy's error state asks for more than warnings, the run is done whole, as
the unchunked code (see `fused_kernels.numpy_mode`).
"""

from __future__ import annotations

import itertools

import numpy as np

from autotrace.compile.codegen import compile_graph
from autotrace.compile.fuse import FusedOp
from autotrace.graph.ir import Graph, Node, Var

CHUNK = 16384  # elements per chunk (128 KB of float64 per value: the L2 cache holds a few)
_streams = itertools.count()


def _ufunc(node: Node) -> bool:
    impl = node.op.impl
    return (isinstance(impl, np.ufunc) and impl.nout == 1 and not node.params
            and node.op.emit is None and len(node.outputs) == 1)


def _streamable(node: Node, shape: tuple, totals: set) -> bool:
    """`node` can run on chunks of arrays of `shape`: a 1-d kernel or a ufunc over it, whose
    inputs are that shape or scalars (not a total of this run: known only at its end)."""
    if isinstance(node.op, FusedOp):
        run = node.op.impl
        ok = getattr(run, "chunk", None) is not None and run.shape == shape
    elif _ufunc(node):
        out = node.outputs[0]
        ok = out.shape == shape and out.weak is None
    else:
        return False
    for x in node.inputs:
        if isinstance(x, Var):
            ok = ok and x.uid not in totals and (x.shape == shape or x.shape == ()
                                                 or x.weak is not None)
        else:
            ok = ok and (type(x) in (bool, int, float) or np.ndim(x) == 0)
    return ok


def _runs(graph: Graph) -> list[tuple[int, int]]:
    """(start, stop) of each run of two or more consecutive streamable nodes with at least
    one fused kernel, over one 1-d shape of at least two chunks."""
    runs, i, nodes = [], 0, graph.nodes
    while i < len(nodes):
        node = nodes[i]
        kernel = isinstance(node.op, FusedOp)
        shape = getattr(node.op.impl, "shape", None) if kernel else \
            node.outputs[0].shape if len(node.outputs) == 1 else None
        if kernel and shape is not None and len(shape) != 1:
            shape = None
        if shape is None or len(shape) != 1 or shape[0] is None or shape[0] < 2 * CHUNK:
            i += 1
            continue
        totals: set = set()
        j = i
        while j < len(nodes) and _streamable(nodes[j], shape, totals):
            if isinstance(nodes[j].op, FusedOp):
                totals.update(v.uid for v in nodes[j].op.impl.totals)
            j += 1
        if j - i >= 2 and any(isinstance(n.op, FusedOp) for n in nodes[i:j]):
            runs.append((i, j))
            i = j
        else:
            i += 1
    return runs


def stream_graph(graph: Graph) -> Graph:
    """`graph` with each run (`_runs`) replaced by one node doing it chunk by chunk; `graph`
    itself when there is none."""
    runs = _runs(graph)
    if not runs:
        return graph
    read_after: set[int] = {o.uid for o in graph.outputs if isinstance(o, Var)}
    starts = {start: stop for start, stop in runs}
    nodes, i = [], 0
    later_reads: list[set] = [set() for _ in graph.nodes]  # uids read after each node
    seen = set(read_after)
    for k in range(len(graph.nodes) - 1, -1, -1):
        later_reads[k] = set(seen)
        seen.update(x.uid for x in graph.nodes[k].inputs if isinstance(x, Var))
    while i < len(graph.nodes):
        stop = starts.get(i)
        if stop is None:
            nodes.append(graph.nodes[i])
            i += 1
            continue
        nodes.append(_stream_node(graph.nodes[i:stop], later_reads[stop - 1]))
        i = stop
    return Graph(graph.name, graph.inputs, nodes, graph.outputs)


def _stream_node(run: list[Node], read_after: set) -> Node:
    made = {v.uid for n in run for v in n.outputs}
    inputs, seen = [], set()
    for node in run:
        for x in node.inputs:
            if isinstance(x, Var) and x.uid not in made and x.uid not in seen:
                seen.add(x.uid)
                inputs.append(x)
    outputs = tuple(v for n in run for v in n.outputs if v.uid in read_after)
    impl = _make_stream(run, inputs, outputs)
    op = FusedOp("fused", impl, _no_abstract, multiple_results=len(outputs) != 1)
    return Node(op, tuple(inputs), {}, outputs, run[-1].origin)


def _no_abstract(*avals, **params):
    raise AssertionError("stream nodes are made by compile/stream.py from typed nodes")


def _make_stream(run: list[Node], inputs: list, outputs: tuple):
    """The generated function running `run` chunk by chunk (see the module doc)."""
    # lazy import: numba is optional; this pass runs only under the fused backend
    from autotrace.compile.fused_kernels import numpy_mode

    names: dict[int, str] = {}
    namespace = {"_empty": np.empty, "_numpy_mode": numpy_mode}
    (n,) = next(n.outputs[0].shape if not isinstance(n.op, FusedOp) else n.op.impl.shape
                for n in run)
    params = [f"x{k}" for k in range(len(inputs))]
    for k, x in enumerate(inputs):
        names[x.uid] = f"x{k}"
    out_at = {v.uid: k for k, v in enumerate(outputs)}
    lines = [f"def stream({', '.join(params)}):",
             "    if _numpy_mode():",
             f"        return _whole({', '.join(params)})"]
    for k, v in enumerate(outputs):
        if v.shape:
            namespace[f"_d{k}"] = v.dtype
            lines.append(f"    r{k} = _empty({n}, _d{k})")
        else:
            lines.append(f"    r{k} = 0.0")
    lines.append(f"    for s in range(0, {n}, {CHUNK}):")
    lines.append(f"        e = s + {CHUNK}")
    lines.append(f"        m = {CHUNK} if e <= {n} else {n} - s")
    local: dict[int, str] = {}

    def arg(x) -> str:
        if not isinstance(x, Var):
            key = f"_c{len(namespace)}"
            namespace[key] = x
            return key
        if x.uid in local:
            return local[x.uid]
        name = names[x.uid]
        if x.shape == (n,):
            local[x.uid] = f"{name}_s"
            lines.append(f"        {name}_s = {name}[s:e]")
            return local[x.uid]
        return name

    for t, node in enumerate(run):
        args = [arg(x) for x in node.inputs]
        if isinstance(node.op, FusedOp):
            k = node.op.impl
            namespace[f"_k{t}"] = k.chunk
            outs = []
            for j, v in enumerate(k.stored):
                if v.uid in out_at:
                    outs.append(f"r{out_at[v.uid]}[s:e]")
                else:
                    namespace[f"_t{t}_{j}"] = v.dtype
                    outs.append(f"_empty(m, _t{t}_{j})")
            for j, o in enumerate(outs):
                lines.append(f"        o{t}_{j} = {o}")
                local[k.stored[j].uid] = f"o{t}_{j}"
            given = args + [f"o{t}_{j}" for j in range(len(outs))]
            lines.append(f"        tot{t} = _k{t}(m, {', '.join(given)})")
            for j, v in enumerate(k.totals):
                if v.uid in out_at:
                    lines.append(f"        r{out_at[v.uid]} += tot{t}[{j}]")
        else:
            namespace[f"_u{t}"] = node.op.impl
            v = node.outputs[0]
            out = f", out=r{out_at[v.uid]}[s:e]" if v.uid in out_at else ""
            lines.append(f"        v{t} = _u{t}({', '.join(args)}{out})")
            local[v.uid] = f"v{t}"
    results = []
    for k, v in enumerate(outputs):
        if v.shape:
            results.append(f"r{k}")
        else:
            namespace[f"_s{k}"] = v.dtype.type
            results.append(f"_s{k}(r{k})")
    lines.append(f"    return {', '.join(results)}{',' if len(results) > 1 else ''}")
    text = "\n".join(lines) + "\n"
    graph = Graph("stream", list(inputs), list(run), list(outputs))
    whole = compile_graph(graph, check=False)
    namespace["_whole"] = lambda *xs: whole(*xs) if len(outputs) > 1 else whole(*xs)[0]
    exec(compile(text, f"<autotrace fused stream #{next(_streams)}>", "exec"), namespace)
    fn = namespace["stream"]
    fn.source = text
    return fn
