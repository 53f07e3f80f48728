"""`export_onnx`: a traced graph as an ONNX model (`cond` -> `If`, `while_loop` -> `Loop`).

The walk mirrors `compile/codegen.py`: one pass over the nodes in order, each op turned
into ONNX nodes by its entry in `onnx_ops.CONVERTERS`. Values keep the user's names (made
unique over the whole model, sub-graphs included); unknown dims of the input signature
become symbolic dims. Constants become `Constant` nodes of the dtype numpy would compute
in (a weak Python scalar takes its partner's dtype, as in numpy). Captured `Variable`s
become initializers holding their value at export time. `onnx` is imported lazily: it is
an optional extra (`pip install autotrace[onnx]`).
"""

from __future__ import annotations

import re

import numpy as np

from autotrace.api import trace
from autotrace.errors import UnsupportedError
from autotrace.export.onnx_ops import CONVERTERS
from autotrace.export.onnx_structure import unsupported
from autotrace.graph.ir import Graph, Var
from autotrace.graph.names import NameAllocator
from autotrace.ops.random import RANDOM_OPS, describe

OPSET = 18
_IDENT = re.compile(r"[^A-Za-z0-9_]")


def export_onnx(fn, *example_args, path=None, opset: int = OPSET, **example_kwargs):
    """Export a traced function (traced on `example_args`) or a concrete function to ONNX.

    Args:
        fn: an `@at.trace` function (including `at.grad(...)` and friends), a plain
            Python function (traced here), or a `ConcreteFunction`. `example_args` may
            be arrays or `TensorSpec`s; a `None` dim of a spec becomes a symbolic dim of
            the model input.
        path: where to write the model (`.onnx`); None writes nothing.
        opset: the ONNX opset of the default domain.

    Returns:
        The `onnx.ModelProto`. Its inputs are the graph inputs of the concrete function
        (the array arguments, in order); its outputs are the leaves of the function's
        result, flattened in order (a Python scalar result is a 0-d tensor).

    Raises:
        UnsupportedError: naming every op of the graph without an ONNX form, and the
            user's line of the first one.
    """
    import onnx

    if not hasattr(fn, "get_concrete_function") and not hasattr(fn, "input_specs"):
        fn = trace(fn)  # a plain Python function: traced here
    cf = fn if not example_args and not example_kwargs and hasattr(fn, "input_specs") \
        else fn.get_concrete_function(*example_args, **example_kwargs)
    graph = cf.graph
    for node in graph.walk():
        if node.op in RANDOM_OPS:
            raise UnsupportedError(f"cannot export `{graph.name}` to ONNX: it draws random "
                                   f"numbers at run time ({describe(node)}), which ONNX "
                                   "cannot do with numpy's generators")
    _refuse_unsupported(graph, CONVERTERS)
    for var in graph.inputs:
        if var.dtype == np.dtype(object):  # a numpy random generator (signature.GeneratorSpec)
            raise UnsupportedError(f"cannot export `{graph.name}` to ONNX: its argument "
                                   f"`{var.name}` is a numpy random generator")
    t = Translator(onnx)
    n_args = len(cf.input_specs)
    inputs = [t.graph_input(v, f"{v.name or 'input'}") for v in graph.inputs[:n_args]]
    captured = [c.snapshot() for c in getattr(cf, "captures", ())]  # their values now
    captured += [variable.numpy() for variable in cf.variables]
    for var, value in zip(graph.inputs[n_args:], captured):
        t.initializer(var, np.asarray(value))
    for x in cf._out_leaves:
        if isinstance(x, Var):
            t.reserve(x)
    t.translate(graph)
    outputs = [t.graph_output(x) for x in cf._out_leaves]
    main = t.make_graph(graph.name, inputs, outputs)
    model = onnx.helper.make_model(main, producer_name="autotrace",
                                   opset_imports=[onnx.helper.make_opsetid("", opset)])
    try:
        onnx.checker.check_model(model, full_check=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as e:
        raise UnsupportedError(f"cannot export `{graph.name}` to ONNX: the ONNX checker "
                               f"rejects the model (an op on a dtype ONNX lacks?): {e}") from e
    if path is not None:
        onnx.save(model, str(path))
    return model


def _refuse_unsupported(graph: Graph, table) -> None:
    missing, first = [], None
    for node in graph.walk():
        if node.op not in table:
            if node.op.name not in missing:
                missing.append(node.op.name)
            first = first or node
    if missing:
        where = f" (first at {first.origin})" if first.origin is not None else ""
        raise UnsupportedError(
            f"cannot export `{graph.name}` to ONNX: no ONNX form for the op"
            f"{'s' if len(missing) > 1 else ''} {', '.join(missing)}{where}")


class Translator:
    """Builds ONNX nodes for IR graphs: names, constants, casts and sub-graphs."""

    def __init__(self, onnx):
        self.onnx = onnx
        self.helper = onnx.helper
        self._names: dict[int, str] = {}
        self._allocator = NameAllocator()
        self._scopes: list[list] = []
        self._initializers: list = []
        self._outputs: set[str] = set()
        self._preferred: dict[int, str] = {}
        self.node = None  # the IR node being converted (for error messages)

    # -- names ----------------------------------------------------------------------------
    def fresh(self, base: str | None) -> str:
        return self._allocator.fresh(_IDENT.sub("_", base or "") or "t")

    def reserve(self, var: Var) -> None:
        """Keep `var`'s user name for it (a model output), whatever is named first."""
        if var.name and var.uid not in self._names:
            self._preferred[var.uid] = self.fresh(var.name)

    def bind(self, var: Var, name: str) -> None:
        self._names[var.uid] = name

    # -- values ---------------------------------------------------------------------------
    def value(self, x, dtype=None) -> str:
        """The name of a node input (a `Var` or a constant), cast to `dtype` if given."""
        if not isinstance(x, Var):
            return self.constant(np.asarray(x, dtype=dtype))
        name = self._names[x.uid]
        return self.cast(name, x.dtype, dtype) if dtype is not None else name

    def constant(self, array: np.ndarray) -> str:
        if array.dtype.kind in "cOUSV":
            raise unsupported(self.node, f"{array.dtype} constants have no ONNX form")
        name = self.fresh("const")
        tensor = self.onnx.numpy_helper.from_array(np.array(array, order="C"), name)
        self._scopes[-1].append(self.helper.make_node("Constant", [], [name], value=tensor))
        return name

    def ints(self, values) -> str:
        """A 1-d int64 constant (axes, shapes, slice bounds)."""
        return self.constant(np.asarray(list(values), dtype=np.int64))

    def cast(self, name: str, have, want) -> str:
        if want is None or np.dtype(have) == np.dtype(want):
            return name
        return self.op("Cast", [name], to=self.elem_type(want))

    def op(self, op_type: str, inputs, n_out: int = 1, **attrs):
        """Add an ONNX node; returns its output name (a list when `n_out` != 1)."""
        outs = [self.fresh(op_type.lower()) for _ in range(n_out)]
        self._scopes[-1].append(self.helper.make_node(op_type, list(inputs), outs, **attrs))
        return outs[0] if n_out == 1 else outs

    def elem_type(self, dtype) -> int:
        dtype = np.dtype(dtype)
        if dtype.kind in "cOUSV":
            raise unsupported(self.node, f"{dtype} values have no ONNX form")
        return self.helper.np_dtype_to_tensor_dtype(dtype)

    def value_info(self, name: str, var: Var):
        return self.helper.make_tensor_value_info(name, self.elem_type(var.dtype),
                                                  list(var.shape))

    # -- graphs ---------------------------------------------------------------------------
    def graph_input(self, var: Var, base: str):
        name = self.fresh(base)
        self.bind(var, name)
        dims = [f"{name}_dim{k}" if d is None else d for k, d in enumerate(var.shape)]
        return self.helper.make_tensor_value_info(name, self.elem_type(var.dtype), dims)

    def initializer(self, var: Var, array: np.ndarray) -> None:
        name = self.fresh(var.name or "variable")
        self.bind(var, name)
        self._initializers.append(self.onnx.numpy_helper.from_array(array, name))

    def graph_output(self, x, var: Var | None = None):
        """A graph output for `x` (a `Var` or constant) in its own fresh name."""
        like = var if var is not None else x
        base = x.name if isinstance(x, Var) and x.name else "output"
        if isinstance(like, Var):
            shape, dtype = like.shape, like.dtype
        else:
            shape, dtype = np.shape(x), np.asarray(x).dtype
            self.node = None  # a constant result: no node to blame
        name = self.value(x, dtype)
        produced = {o for proto in self._scopes[-1] for o in proto.output}
        if name in produced and name not in self._outputs:
            out = name  # made in this scope under its own name: no Identity needed
        else:
            out = self.fresh(base)
            self._scopes[-1].append(self.helper.make_node("Identity", [name], [out]))
        self._outputs.add(out)
        return self.helper.make_tensor_value_info(out, self.elem_type(dtype), list(shape))

    def translate(self, graph: Graph) -> None:
        """Convert the nodes of `graph` into the current scope (its inputs are bound)."""
        if not self._scopes:
            self._scopes.append([])
        for node in graph.nodes:
            self.node = node
            start = len(self._scopes[-1])
            names = CONVERTERS[node.op](self, node)
            for var, name in zip(node.outputs, names):
                self._name_output(var, name, self._scopes[-1][start:])

    def _name_output(self, var: Var, name: str, new_protos) -> None:
        """Give `var` its user name: rename the output of the node that made it when that
        node is one of this conversion's `new_protos`, else add an Identity."""
        if var.name is None:
            self.bind(var, name)
            return
        target = self._preferred.pop(var.uid, None) or self.fresh(var.name)
        made = [p for p in new_protos if name in p.output]
        if made:
            for proto in new_protos:
                for field in (proto.input, proto.output):
                    for k, n in enumerate(field):
                        if n == name:
                            field[k] = target
            self.bind(var, target)
            return
        self._scopes[-1].append(self.helper.make_node("Identity", [name], [target]))
        self.bind(var, target)

    def subgraph(self, name: str, graph: Graph, like):
        """An ONNX sub-graph without inputs: `graph`'s nodes (its inputs already bound to
        names in scope), its outputs cast to the dtypes of the Vars `like`."""
        self.open_scope()
        self.translate(graph)
        outs = [self.graph_output(o, v) for o, v in zip(graph.outputs, like)]
        return self.make_graph(name, [], outs, self.close_scope())

    def open_scope(self) -> None:
        """Start collecting nodes for a sub-graph (`close_scope` returns them)."""
        self._scopes.append([])

    def close_scope(self) -> list:
        return self._scopes.pop()

    def run_inline(self, graph: Graph, bound) -> list:
        """Convert `graph` into the current scope with its inputs bound to `bound`; returns
        the names of its outputs."""
        for var, name in zip(graph.inputs, bound):
            self.bind(var, name)
        self.translate(graph)
        return [self.value(o) for o in graph.outputs]

    def make_graph(self, name: str, inputs, outputs, nodes=None):
        nodes = self._scopes[0] if nodes is None else nodes
        inits = self._initializers if nodes is self._scopes[0] else []
        return self.helper.make_graph(nodes, self.fresh(name), inputs, outputs,
                                      initializer=inits)
