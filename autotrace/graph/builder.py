"""`GraphBuilder`: the tracing context that turns op applications into graph nodes.

A builder owns one `Graph`. Sub-graphs (branches, loop bodies) get a child builder; a
child that meets a tensor of an enclosing graph *captures* it as an extra input (the
parent passes the value in), as TensorFlow's FuncGraph does. `Variable`s met while
tracing are captured by reference the same way, so a concrete function reads their value
at call time.

Naming: the value a user statement `c = <expr>` binds is the last node created on that
line in that frame, so the builder names it `c` when the frame moves to another line or
the trace ends. Generated code needs no naming boilerplate.
"""

from __future__ import annotations

import linecache
import math
import re
from contextlib import contextmanager

import numpy as np

from autotrace import context
from autotrace.core import Aval, Trace, Tracer, weak_result
from autotrace.errors import TracingError, at_user_line, frame_lineno, user_frame
from autotrace.graph.budget import NodeBudget
from autotrace.graph.constants import ConstantSnapshots
from autotrace.graph.ir import Graph, Node, Origin, Var
from autotrace.tensor import EagerTensor, Tensor, TensorBase

_ASSIGNED_NAME = re.compile(r"^\s*([A-Za-z_]\w*)\s*(?:[-+*/@%&|^]|//|\*\*|<<|>>)?=(?!=)")
_ARRAYS = (np.ndarray, np.generic)
_SCALARS = (bool, int, float, complex, np.generic, np.ndarray, str, type(None))


class GraphBuilder(Trace):
    """The graph-building trace: builds one graph; used as a context manager around the
    traced call. Symbolic `Tensor`s belong to it, and so do `Variable`s read under it
    (captured by reference)."""

    builds_graph = True

    def __init__(self, name: str = "f", parent: GraphBuilder | None = None,
                 max_nodes: int | None = None):
        self.graph = Graph(name)
        self.parent = parent
        # Nodes of the whole trace, sub-graphs included (`max_nodes`: its limit).
        self.budget = parent.budget if parent is not None else NodeBudget(name, max_nodes)
        self.captures: list[tuple] = []  # (outer value: parent Var or Variable, inner Var)
        self._captured: dict[int, Var] = {}
        self._pending: dict[tuple, tuple] = {}  # frame key -> (lineno, source, var)
        self._origins: dict[tuple, tuple] = {}  # (id(code), line) -> (code, its Origin)
        self._origin_override: list[Origin | None] = []
        self.in_branch = False  # a branch of a graph `cond` (where `raise` becomes a node)
        self.variable_vars: set[int] = set()  # uids of inputs that hold `Variable`s
        # ids of stand-ins for outer tensors a graph `if` branch may write in place
        self.proxies: dict[int, tuple] = {}  # id -> (stand-in, the tensor it stands for)
        self.saved_views: dict[int, tuple] = {}  # views shown re-derived while tracing it
        self.cond_branch = False  # a branch of a graph `if` (its arrays get stand-ins)
        # id of a global/closure array the function writes -> (it, LiveArray, Tensor, Var)
        self.outer_arrays: dict[int, tuple] = {}
        self.numpy_written: dict[int, tuple] = {}  # id -> (local ndarray, its traced value)
        self.constants = ConstantSnapshots() if parent is None else parent.root.constants
        self.root: GraphBuilder = parent.root if parent is not None else self
        # The trace's `captures.CaptureScope` (on the root builder): arrays read from
        # captured state become graph inputs of the root graph, read on every call.
        self.capture_scope = None
        # id(Variable) -> (Variable, value): its value after an assign in this graph (or,
        # in a loop body, the loop-carried value); reads there see it (ops/state.py).
        self.variable_values: dict[int, tuple] = {}
        self.assign_log: list = parent.assign_log if parent is not None else []

    # -- context ------------------------------------------------------------------------
    def __exit__(self, *exc) -> None:
        super().__exit__(*exc)
        self.finish_names()
        if self.parent is None:
            self.constants.restore(self.graph)

    def process(self, op, args, params):
        if self.level == math.inf:  # not on the stack: the tensor outlived its trace
            raise TracingError(
                f"`{op.name}` received a symbolic tensor outside of the trace that created "
                "it. A value computed while tracing leaked out (stored in a global, an "
                "attribute or a list). Return it from the traced function instead."
            )
        return self.apply(op, args, params)

    def child(self, name: str) -> GraphBuilder:
        """A builder for a sub-graph; it inherits the current origin override, so the
        sub-graphs of a gradient carry the forward node's origin too."""
        child = GraphBuilder(name, parent=self)
        child._origin_override = self._origin_override[-1:]
        return child

    # -- inputs -------------------------------------------------------------------------
    def add_input(self, shape, dtype, name: str | None = None, weak: type | None = None,
                  variable: bool = False):
        """A new graph input; `variable=True` marks a `Variable` argument (tapes watch it)."""

        var = Var(shape, dtype, name, weak=weak)
        self.graph.inputs.append(var)
        if variable:
            self.variable_vars.add(var.uid)
        return Tensor(var, self)

    def tensor(self, var: Var):

        return Tensor(var, self)

    def to_input(self, x):
        """A node input for `x`: a Var of this graph (capturing if needed) or a constant."""

        if isinstance(x, Tensor):
            if x.builder is self:
                return x.symbol
            return self._capture(x.symbol, x, x.builder)
        if isinstance(x, EagerTensor):
            if x._is_variable:
                current = self.variable_value(x)
                if current is not None:
                    return self.to_input(current)
                return self._capture(x, x, None)
            return x.numpy()
        if isinstance(x, Tracer):  # a lower transform's value met by a sub-graph's trace
            raise TracingError(
                "A value of an outer transform (vmap, jvp) reached a graph built inside it "
                "(a branch or loop body traced from Python code that closes over it). "
                "This combination of transforms is not supported here.")
        if isinstance(x, _SCALARS):
            scope = self.root.capture_scope
            if scope is not None and isinstance(x, _ARRAYS):
                written = self._written_numpy(x)
                if written is not None:  # written in place while tracing: its value now
                    return self.to_input(written)
                captured = scope.capture(x, self.root, raw=True)
                if captured is not None:
                    return self.to_input(captured)
            if type(x) is np.ndarray:  # its contents now: a later write must not change it
                return self.root.constants.of(x)
            return x
        if isinstance(x, (list, tuple)):
            return self._sequence_constant(x)
        return x

    # -- Variables assigned while tracing -------------------------------------------------
    def variable_value(self, variable):
        """The value `variable` has here after an assign traced in this graph or an
        enclosing one (None: it has not been assigned; reads see its value at the call)."""
        b = self
        while b is not None:
            entry = b.variable_values.get(id(variable))
            if entry is not None:
                return entry[1]
            b = b.parent
        return None

    def current_value(self, variable):
        """What a read of `variable` gives here: its assigned value, or the captured one."""
        value = self.variable_value(variable)
        return value if value is not None else self.tensor(self._capture(variable, variable,
                                                                          None))

    def set_variable_value(self, variable, value, assigned: bool = False) -> None:
        """`variable` holds `value` from here on (`assigned`: by an assign statement)."""
        self.variable_values[id(variable)] = (variable, value)
        if assigned:
            self.assign_log.append(variable)

    def _written_numpy(self, x):
        """The traced value numpy array `x` became when this trace wrote it in place (a
        captured array, `outer_arrays`, or one the function made, `numpy_written`)."""
        root = self.root
        entry = root.outer_arrays.get(id(x))
        tensor = entry[2] if entry is not None and entry[0] is x else None
        entry = root.numpy_written.get(id(x))
        if tensor is None and entry is not None and entry[0] is x:
            tensor = entry[1]
        if tensor is None:
            return None
        # lazy import: mutation (and ops under it) import this module
        from autotrace.mutation import stand_in_for_branch
        return stand_in_for_branch(self, tensor)

    def _capture(self, key, outer, owner) -> Var:
        known = self._captured.get(id(key))
        if known is not None:
            return known
        if owner is not None and not self._is_ancestor(owner):
            raise TracingError(
                at_user_line(
                    "A traced value from another trace was used here (it leaked out of the "
                    "function that computed it, e.g. through a global, an attribute or a "
                    "list). Return it from that function, or pass it as an argument."
                )
            )
        outer_input = self.parent.to_input(outer) if self.parent is not None else outer
        if isinstance(key, Var):
            inner = Var(key.shape, key.dtype, key.name, weak=key.weak)
        else:
            inner = Var(np.shape(outer.numpy()), outer.dtype, _variable_name(outer))
        self.graph.inputs.append(inner)
        self.captures.append((outer_input, inner))
        self._captured[id(key)] = inner
        if getattr(outer, "_is_variable", False):
            self.variable_vars.add(inner.uid)
        return inner

    def _is_ancestor(self, other: GraphBuilder) -> bool:
        b = self.parent
        while b is not None:
            if b is other:
                return True
            b = b.parent
        return False

    def _sequence_constant(self, seq):

        if any(isinstance(item, TensorBase) for item in seq):
            raise TracingError(
                at_user_line(
                    "A list or tuple containing traced values was passed where numpy expects "
                    "an array. Combine them into one array first with np.stack(...) or "
                    "np.concatenate(...)."
                )
            )
        return np.asarray(seq)

    # -- nodes --------------------------------------------------------------------------
    def apply(self, op, args, params):
        """Add a node applying `op`; returns a Tensor (or a tuple for multi-result ops)."""
        inputs = tuple(self.to_input(a) for a in args)
        in_avals = [aval_of(i) for i in inputs]
        result = op.abstract(*in_avals, **params)
        avals = result if op.multiple_results else (result,)
        if op.propagates_weak:
            avals = (weak_result(in_avals, avals[0]),)
        outputs = tuple(Var(a.shape, a.dtype, weak=a.weak) for a in avals)
        node = self.add_node(op, inputs, params, outputs)
        tensors = tuple(self.tensor(v) for v in node.outputs)
        return tensors if op.multiple_results else tensors[0]

    def add_node(self, op, inputs, params, outputs) -> Node:
        node = Node(op, inputs, params, outputs, None)
        for v in outputs:
            v.node = node
        node.origin = self._origin_for(outputs[0] if outputs else None)
        self.graph.nodes.append(node)
        budget = self.budget
        budget.count += 1
        if budget.count >= budget.next_check:
            budget.check()
        for tape in context.active_tapes():
            tape.record(op, node.inputs, params, node.outputs, node.origin)
        return node

    # -- origins and names --------------------------------------------------------------
    @contextmanager
    def override_origin(self, origin: Origin | None):
        """Context manager: nodes created inside get `origin` and no name (gradients)."""
        self._origin_override.append(origin)
        try:
            yield
        finally:
            self._origin_override.pop()

    def _origin_for(self, var: Var | None) -> Origin | None:
        if self._origin_override:
            return self._origin_override[-1]
        frame = user_frame(2)
        if frame is None:
            return None
        code, lineno = frame.f_code, frame_lineno(frame)
        known = self._origins.get((id(code), lineno))
        if known is not None and known[0] is code:  # another node of the same line
            origin = known[1]
            source = origin.source
        else:
            source = linecache.getline(code.co_filename, lineno).strip()
            origin = Origin(code.co_filename, lineno, source, code.co_name)
            self._origins[(id(code), lineno)] = (code, origin)
        if var is not None:
            key = (id(frame), id(code))  # hashing a code object costs its size
            previous = self._pending.get(key)
            if previous is not None and previous[0] != lineno:
                _name_after_statement(previous)
            self._pending[key] = (lineno, source, var)
        return origin

    def finish_names(self) -> None:
        for pending in self._pending.values():
            _name_after_statement(pending)
        self._pending.clear()


def _name_after_statement(pending: tuple) -> None:
    _, source, var = pending
    match = _ASSIGNED_NAME.match(source)
    if match and var.name is None:
        var.name = match.group(1)


def _variable_name(variable) -> str | None:
    """A captured `Variable`'s name: its own, or the user's name for it (found by identity
    among the locals, then the globals, of the user code reading it)."""
    if getattr(variable, "name", None):
        return variable.name
    frame = user_frame(2)
    for scope in (frame.f_locals, frame.f_globals) if frame is not None else ():
        for name, value in scope.items():
            if value is variable:
                return name
    return None


def aval_of(x) -> Aval:
    """The abstract value of a graph input (`Var`) or a constant."""
    if isinstance(x, Var):
        return Aval(x.shape, x.dtype, x.weak)
    if type(x) in _PY_SCALARS:
        return Aval((), np.result_type(x), type(x) if type(x) is not bool else None)
    arr = np.asarray(x)
    return Aval(arr.shape, arr.dtype)


_PY_SCALARS = (bool, int, float, complex)
