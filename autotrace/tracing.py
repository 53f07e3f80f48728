"""`trace_concrete`: run a traced function's converted code once on one input signature,
building its graph, and make the `ConcreteFunction` (its captures, guards and the arrays
it writes back)."""

from __future__ import annotations

import inspect
import warnings
from typing import TYPE_CHECKING

import numpy as np

from autotrace import captures as captured_state
from autotrace import context
from autotrace.capture_scope import CaptureScope, ReadPlan, Retrace, note_call
from autotrace.concrete import ConcreteFunction
from autotrace.errors import (
    CONVERTED_CODES,
    StaleCaptureWarning,
    TracingError,
    locate_trace_error,
)
from autotrace.gcpause import paused_gc
from autotrace.graph.builder import GraphBuilder
from autotrace.retracing import user_stacklevel
from autotrace.runtime.graph_try import checked_output
from autotrace.runtime.raising import BranchRaises
from autotrace.runtime.random import TracedGenerator, no_trace_time_draws
from autotrace.runtime.stacked import StackedList, unstacked
from autotrace.runtime.undefined import Undefined
from autotrace.signature import (
    GeneratorSpec,
    TensorSpec,
    flatten,
    generator_kind,
    is_array_like,
    is_input_spec,
    leaf_key,
    leaf_spec,
    unflatten,
)
from autotrace.tensor import EagerTensor, Tensor

if TYPE_CHECKING:
    from autotrace.function import TracedFunction


def trace_concrete(traced: TracedFunction, leaves, tree) -> ConcreteFunction:
    """Trace `traced.converted` once on `leaves` (arrays/specs become graph inputs)."""
    plan = ReadPlan()  # reads of captured arrays: graph ops first (capture_scope.py)
    with paused_gc():
        while True:
            try:
                return _trace_concrete(traced, leaves, tree, plan)
            except Retrace as again:
                if not plan.update(again):
                    raise (again.cause or TracingError(
                        f"autotrace could not trace {traced.__name__}: reading the captured "
                        "arrays it writes in place as their written values failed")) from None


def _trace_concrete(traced: TracedFunction, leaves, tree, plan=None) -> ConcreteFunction:
    template = [_template_entry(x) for x in leaves]
    paths = traced._paths(tree)
    outer = context.current_builder()  # a trace this one runs in (vmap, jvp of a function)
    with GraphBuilder(traced.__name__, max_nodes=traced.max_nodes) as builder:
        scope = builder.capture_scope = CaptureScope(leaves, paths, plan)
        scope.unconverted = not _runs_converted(traced.converted)
        scope.note(traced.python_function, fileless=scope.unconverted)
        flat, inputs = [], []
        for name, leaf, t in zip(paths, leaves, template):
            # Tapes opened inside the function watch its float arguments, as TensorFlow's
            # watch the Variables passed in (see autodiff/tape.py).
            if isinstance(t, GeneratorSpec):  # draws run on the caller's generator
                leaf = TracedGenerator(builder.add_input((), np.dtype(object), name), t.kind)
            elif isinstance(t, TensorSpec):
                leaf = builder.add_input(t.shape, t.dtype, name, variable=t.dtype.kind in "fc",
                                         weak=t.weak)
            flat.append(leaf)
            inputs.append((flat[-1], flat[-1].symbol) if isinstance(t, TensorSpec) else None)
        args, kwargs = _rebuild_call(traced._signature, unflatten(tree, flat))
        scope.note_rebuilt((args, kwargs))
        try:
            with no_trace_time_draws(traced.__name__):
                result = traced.converted(*args, **kwargs)
            scope.check_draws(_where(traced), lambda: traced.converted(*args, **kwargs))
        except BranchRaises:  # every path raises, at run time: the graph's `raise` nodes
            result = None
        except Exception as e:
            if scope.handed and scope.plan.graph:  # maybe a Python value of a captured
                raise Retrace(cause=e) from e  # array was needed: read them as numpy
            locate_trace_error(e)
            raise
        finally:
            builder.capture_scope = None
            if outer is not None:  # its graph may take our captures' values: the outer
                for fn in scope.noted:  # trace reads them live too
                    note_call(outer, fn)
        written = [(pos, _output_leaf(builder, entry[0])) for pos, entry in enumerate(inputs)
                   if entry is not None and entry[0].symbol is not entry[1]]
        written_outer = [(live, _output_leaf(builder, t))
                         for _, live, t, var in builder.outer_arrays.values()
                         if t.symbol is not var]
    out_leaves, out_tree = flatten(result)
    # A captured array returned as it is: the array read at call time, as Python returns it.
    out_leaves = [_live_output(scope, builder, x) for x in out_leaves]
    outs = [_output_leaf(builder, leaf) for leaf in out_leaves]
    _order_inputs(builder.graph, sum(is_input_spec(t) for t in template),
                  scope.captures)
    guards = scope.guards(written=set(builder.outer_arrays), where=_where(traced))
    _warn_unguarded(traced, scope.unguarded)
    return ConcreteFunction(traced, builder.graph, tree, template, unflatten(out_tree, outs),
                            list(builder.captures), written, written_outer,
                            scope.captures, guards)


def _runs_converted(fn) -> bool:
    """`fn` (a traced function's `converted`) runs converted code (not: `autograph=False`,
    or source that could not be read), whose reads of captured arrays autotrace sees."""
    fn = getattr(fn, "__func__", fn)
    return getattr(fn, "__code__", None) in CONVERTED_CODES


def _where(traced) -> str:
    code = getattr(traced.python_function, "__code__", None)
    return f'File "{code.co_filename}", line {code.co_firstlineno}, in {code.co_name}' \
        if code is not None else traced.__name__


def _warn_unguarded(traced, unguarded) -> None:
    """`StaleCaptureWarning` for the captured arrays too large for a content guard
    (`captures.content_guard_bytes`) that no read in converted code gave: the code mentions
    them and no op took them, or an op took the numpy array itself, reached by a path the
    converter does not see (`operator.getitem(d, "w")`, a library function's result);
    either way plain numpy may have read them while tracing."""
    if not unguarded:
        return
    code = getattr(traced.python_function, "__code__", None)
    where = f" ({code.co_filename})" if code is not None else ""
    for array, source in unguarded:
        warnings.warn(
            f"{traced.__name__}{where} mentions the captured array {source.describe()} "
            f"({array.nbytes} bytes), reached by a path that converted code does not read "
            "through (`operator.getitem(d, k)`, a library function's result, or no op takes "
            "it); if it was "
            "read with plain numpy while tracing, its values are constants of the graph, "
            "and it is too large to be "
            f"compared on every call (over {captured_state.content_guard_bytes()} bytes), so "
            "a write into it between calls would not be seen (rebinding it is). Read it "
            "through its attribute or global name in the traced function, or pass it as an "
            "argument.", StaleCaptureWarning, stacklevel=user_stacklevel())


def _template_entry(leaf):
    if is_array_like(leaf):
        return leaf_spec(leaf)
    kind = generator_kind(leaf)
    return leaf_key(leaf) if kind is None else GeneratorSpec(kind)


def _live_output(scope, builder, leaf):
    captured = scope.capture(leaf, builder) if isinstance(leaf, np.ndarray) else None
    return leaf if captured is None else captured


def _order_inputs(graph, n_args: int, live) -> None:
    """Graph inputs in the order calls pass them: the arguments, the captured arrays,
    then the captured `Variable`s."""
    if not live:
        return
    mine = {id(c.var) for c in live}
    rest = graph.inputs[n_args:]
    graph.inputs[n_args:] = [c.var for c in live] + [v for v in rest if id(v) not in mine]


def _output_leaf(builder: GraphBuilder, leaf):
    """A graph output Var (added once) for a traced leaf; the value itself otherwise."""

    if isinstance(leaf, Undefined):
        leaf.fail()
    if isinstance(leaf, Tensor):
        var = builder.to_input(leaf)
        if getattr(builder, "try_unbound", False):  # a `try` may leave it unbound
            var = checked_output(builder, var)
        if not any(var is o for o in builder.graph.outputs):
            builder.graph.outputs.append(var)
        return var
    if isinstance(leaf, EagerTensor):
        return leaf.numpy()
    if isinstance(leaf, StackedList):  # a list grown in graph control flow
        return unstacked(leaf, lambda b: _output_leaf(builder, b))
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
