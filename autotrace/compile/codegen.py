"""Graph -> straight-line Python over numpy, compiled once per concrete function.

One line per node (`c = _add(a, b)`), control flow as Python `if`/`while` blocks, constants
and op implementations bound in the function's namespace under readable names (`_add`,
`_index`, `_c0`), intermediates deleted after their last use. A concrete function's entry
point takes the user's arguments and returns the user's structure itself:

    def seed(a, b):
        c = _add(a, b)
        d = _add(b, 1)
        e = _mul(c, d)
        return e

With checking on (`AUTOTRACE_CHECK=1`, on in the test suite) every value is compared
against its node's static shape and dtype, which validates the shape rules.
"""

from __future__ import annotations

import functools
import itertools
import keyword
import os
import re
import struct
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autotrace.compile import buffers
from autotrace.errors import register_line_map
from autotrace.graph.ir import Graph, Node, Var
from autotrace.graph.names import PYTHON_RESERVED, NameAllocator
from autotrace.graph.unstacked import Unstacked
from autotrace.pytree import children_of, rebuild

CHECK = os.environ.get("AUTOTRACE_CHECK", "") not in ("", "0")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LITERALS = (bool, int, float, str, type(None))
_files = itertools.count(1)
RELEASE_IN_LOOPS = True  # switched off to compare results with and without it (tests)


class Emitter:
    """Allocates Python names and namespace entries while writing code for a graph.

    Values get the user's names (`c`, `loss`) or `v0`, `v1`, ...; namespace entries start
    with `_` so the two never collide. Both come from `graph.names.NameAllocator`, the
    graph printer's allocator too (`c`, `c_1`, ...).
    """

    reuses_buffers = True  # numpy's `out=` into dead temporaries (compile/buffers.py)
    hoists_bounds = True  # `int(n)` before `while i < n:` (`hoist_loop_bounds`)
    typed_scalars = True  # Python scalars against arrays as 0-d arrays (`typed_scalar`)

    def __init__(self, check: bool = CHECK):
        self.namespace: dict = {"np": np}
        self.lines: list[str] = []
        self.line_nodes: dict[int, Node] = {}
        self.check = check
        self._names: dict[int, str] = {}
        self.local_names = NameAllocator(PYTHON_RESERVED, anonymous="v")
        self.global_names = NameAllocator(self.namespace)  # namespace entries: `_add`, ...
        self._consts: dict[int, str] = {}
        self._typed: dict[tuple, str] = {}  # (dtype, bytes) -> a `typed_scalar` name
        self.graph: Graph | None = None  # the (sub-)graph being written
        # id of a node -> the impl writing into its first input (`buffers.loop_owned_writes`)
        self.inplace: dict[int, object] = {}

    # -- names --------------------------------------------------------------------------
    def name(self, var: Var) -> str:
        """The Python name of `var` in the generated code (allocated on first use)."""
        name = self._names.get(var.uid)
        if name is None:
            name = self.fresh(var.name)
            self._names[var.uid] = name
        return name

    def fresh(self, base: str | None) -> str:
        """A new local name based on `base` (`v<k>` when there is no usable base)."""
        base = (base or "").lstrip("_")
        return self.local_names.fresh(base if _IDENT.match(base) else None)

    def alias(self, var: Var, expr: str) -> None:
        """Make `var` refer to an existing name (sub-graph inputs bound to node inputs)."""
        self._names[var.uid] = expr

    def value(self, x) -> str:
        """Expression for a node input: a variable name or a constant."""
        if isinstance(x, Var):
            return self.name(x)
        return self.constant(x)

    def constant(self, x, prefix: str = "c") -> str:
        """Expression for a constant: a literal when exact and cheap, else a bound name."""
        if type(x) in _LITERALS and (type(x) is not float or np.isfinite(x)):
            return repr(x)
        if type(x) is tuple and all(type(i) is int or i is None for i in x):
            return repr(x)
        if isinstance(x, np.dtype):
            return self.bind(x, x.name)
        if isinstance(x, type):
            return self.bind(x, x.__name__)
        return self.bind(x, prefix)

    def operand(self, node: Node, x) -> str:
        """Expression for input `x` of `node` in its default emission (`emit_call`): a
        Python scalar that numpy would cast to the array operand's dtype anyway is bound
        as a 0-d array of that dtype (`typed_scalar`), the rest as `value` writes them."""
        if not isinstance(x, Var) and self.typed_scalars:
            typed = typed_scalar(node, x)
            if typed is not None:
                key = (typed.dtype, typed.tobytes())
                name = self._typed.get(key)
                if name is None:
                    name = self._typed[key] = self.bind(
                        typed, f"{typed.dtype.kind}{typed.dtype.itemsize * 8}_{x!r}")
                return name
        return self.value(x)

    def bind(self, obj, prefix: str) -> str:
        """Put `obj` in the namespace as `_prefix` (`_prefix_1`, ... if taken); returns it."""
        key = id(obj)
        name = self._consts.get(key)
        if name is None:
            name = self.global_names.fresh("_" + re.sub(r"\W", "_", prefix))
            self.namespace[name] = obj
            self._consts[key] = name
        return name

    def define(self, name: str, obj) -> None:
        """Put `obj` in the namespace under the fixed `name` (`_check`), which `bind`
        then never gives."""
        self.global_names.take(name)
        self.namespace[name] = obj

    # -- code ---------------------------------------------------------------------------
    def emit(self, line: str, indent: str, node: Node | None = None) -> None:
        self.lines.append(indent + line)
        if node is not None:
            self.line_nodes[len(self.lines)] = node

    def emit_graph(self, graph: Graph, indent: str, release: bool = False,
                   final: bool = False) -> None:
        """Code for every node of `graph` (inputs must already have names).

        Args:
            release: `del` each intermediate after its last use.
            final: the outputs are returned right after (no `del` after the last node).
        """
        last_use = _last_uses(graph) if release else {}
        keep = {o.uid for o in graph.outputs if isinstance(o, Var)}
        into = buffers.reusable_buffers(graph, last_use, keep) \
            if release and self.reuses_buffers else {}
        if final and graph.nodes:
            last_use.pop(len(graph.nodes) - 1, None)
        outer, self.graph = self.graph, graph
        try:
            self._emit_nodes(graph, indent, last_use, keep, into)
        finally:
            self.graph = outer

    def emit_loop_body(self, body: Graph, indent: str) -> None:
        """Code for one trip of a loop: `body`'s intermediates are released after their
        last use (`del`, or written into by a later op), as plain Python frees the
        temporaries of each statement, so no trip holds the last trip's."""
        self.emit_graph(body, indent, release=RELEASE_IN_LOOPS)

    def emit_next_state(self, names: list[str], body: Graph, indent: str) -> None:
        """`x, i = x_2, i_1`: the loop variables `names` take `body`'s results for the
        next trip; with the body released (`emit_loop_body`), the body's own names for
        them are dropped, so that after the loop only the loop variables hold the last
        state (which dies with them)."""
        if not names:
            return
        self.emit(f"{', '.join(names)} = {', '.join(self.value(o) for o in body.outputs)}",
                  indent)
        made = {v.uid for node in body.nodes for v in node.outputs}
        local = {self.name(o): None for o in body.outputs  # (arrays: Python scalars
                 if isinstance(o, Var) and o.uid in made and o.weak is None}  # are cheap)
        if RELEASE_IN_LOOPS and local:
            self.emit(f"del {', '.join(local)}", indent)

    def _emit_nodes(self, graph: Graph, indent: str, last_use, keep, into) -> None:
        for i, node in enumerate(graph.nodes):
            if i in into:
                buffers.emit_into(node, self, indent, into[i])
            else:
                self.emit_node(node, indent)
            if self.check:
                for v in node.outputs:
                    self.emit(f"_check({self.name(v)}, {self.bind(v, 'var')})", indent, node)
            dead = [v for v in last_use.get(i, ()) if v.uid not in keep]
            if dead:
                self.emit("del " + ", ".join(self.name(v) for v in dead), indent)

    def emit_node(self, node: Node, indent: str) -> None:
        impl = self.inplace.get(id(node))
        if impl is not None:
            emit_call(node, self, indent, impl=impl)
            return
        (node.op.emit or emit_call)(node, self, indent)

    def trip_start(self, names: list[str], indent: str) -> None:
        """Code at the start of each trip of a `while` over loop variables `names`
        (none for numpy; a backend may materialize the state there)."""

    def captured(self, expr: str) -> str:
        """Expression reading a captured `Variable`'s current value."""
        return f"{expr}.numpy()"

    def moved(self, expr: str) -> str:
        """Expression for a numpy array read at call time (a captured array) as this
        code's kind of array."""
        return expr

    def structure(self, value) -> str:
        """Expression rebuilding a nested result whose leaves are `Var`s or constants.

        Constant arrays are copied per call, as the original function makes new ones.
        """
        kind = type(value)
        if kind is tuple or kind is list:
            items = [self.structure(x) for x in value]
            if kind is list:
                return "[" + ", ".join(items) + "]"
            return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
        if kind is dict:
            return "{" + ", ".join(f"{self.constant(k, 'key')}: {self.structure(v)}"
                                   for k, v in value.items()) + "}"
        if isinstance(value, tuple) and hasattr(value, "_fields"):
            items = ", ".join(self.structure(x) for x in value)
            return f"{self.bind(kind, kind.__name__)}({items})"
        if isinstance(value, np.ndarray):
            return f"{self.bind(value, 'c')}.copy()"
        if isinstance(value, Unstacked):  # a list whose length the run decides
            parts = [self.structure(v) for v in value.vars]
            return value.expression(parts) or \
                f"{self.bind(value, 'unstack')}({', '.join(parts)})"
        node = children_of(value)  # a dataclass or registered pytree
        if node is not None:
            items = ", ".join(self.structure(c) for c in node[2])
            make = self.bind(functools.partial(rebuild, node[0], node[1]), kind.__name__)
            return f"{make}([{items}])"
        return self.value(value)


# Python operators that *are* these ufuncs on numpy arrays (ndarray.__add__ calls np.add),
# and take numpy's much faster scalar path on numpy scalars and Python's on Python scalars.
# Not `**`: ndarray.__pow__ special-cases some exponents (bool ** 2 is int8, np.power int64).
_OPERATORS = {
    np.add: "{} + {}", np.subtract: "{} - {}", np.multiply: "{} * {}",
    np.true_divide: "{} / {}", np.floor_divide: "{} // {}", np.remainder: "{} % {}",
    np.matmul: "{} @ {}", np.negative: "-{}", np.positive: "+{}",
    np.equal: "{} == {}", np.not_equal: "{} != {}", np.less: "{} < {}",
    np.less_equal: "{} <= {}", np.greater: "{} > {}", np.greater_equal: "{} >= {}",
    np.bitwise_and: "{} & {}", np.bitwise_or: "{} | {}", np.bitwise_xor: "{} ^ {}",
    np.left_shift: "{} << {}", np.right_shift: "{} >> {}", np.invert: "~{}",
}  # fmt: skip


def emit_call(node: Node, em: Emitter, indent: str, args: list | None = None,
              impl=None) -> None:
    """Default emission: `out = a + b` for operator ufuncs, else `out = _op(args, k=v)`.
    `args`: the input expressions (default: the inputs' names and constants); `impl`: a
    function to call instead of the op's (an in-place variant)."""
    args = [em.operand(node, x) for x in node.inputs] if args is None else args
    targets = ", ".join(em.name(v) for v in node.outputs)
    if node.op.multiple_results and len(node.outputs) == 1:
        targets += ","
    template = _OPERATORS.get(node.op.impl) if not node.params and impl is None else None
    if template is not None:
        # Weak (Python scalar) outputs come from Python scalar inputs: already Python.
        em.emit(f"{targets} = {template.format(*map(_operand, args))}", indent, node)
        return
    fn = em.bind(impl, impl.__name__) if impl is not None else em.bind(node.op.impl,
                                                                       node.op.name)
    args += [f"{k}={em.constant(v, k)}" for k, v in node.params.items()]
    call = f"{fn}({', '.join(args)})"
    if len(node.outputs) == 1 and node.outputs[0].weak is not None:
        call += ".item()"  # a weak value is a Python scalar at run time (see Var.weak)
    em.emit(f"{targets or '_'} = {call}", indent, node)


_COMPARISONS = {np.less, np.less_equal, np.greater, np.greater_equal, np.equal, np.not_equal}
HOIST_BOUNDS = True  # switched off to compare results with and without it (tests)


def hoist_loop_bounds(em: Emitter, cond: Graph, n: int, indent: str) -> None:
    """Before a loop whose `cond` graph (inputs already bound) tests a Python int counter
    against a loop-invariant 0-d integer array (`while i < n:` with `n` an array), read
    that array once as a Python int (`n_int = int(n)`) and compare against it:
    `int < 0-d array` goes through a ufunc (~0.9 µs a trip), `int < int` does not.

    Exact: the comparison's operands are integers either way, and numpy compares a Python
    int with an integer array exactly, even out of the array's range. It applies only
    where the array is read by nothing but such comparisons in `cond`, and their result
    is only the loop's test (a Python bool where the ufunc gave a numpy bool), so no other
    value changes type. `cond.inputs[n:]` are the loop-invariant (captured) inputs.
    """
    if not (HOIST_BOUNDS and em.hoists_bounds) or not cond.nodes:
        return
    readers: dict[int, list[Node]] = {}
    for node in cond.nodes:
        for x in node.inputs:
            if isinstance(x, Var):
                readers.setdefault(x.uid, []).append(node)
    test = cond.outputs[0]
    for var in cond.inputs[n:]:
        nodes = readers.get(var.uid)
        if not nodes or var.weak is not None or var.shape != () or var.dtype.kind not in "iu":
            continue
        if all(_bound_test(node, var, test, readers) for node in nodes):
            name = em.fresh(f"{em.value(var)}_int")
            em.emit(f"{name} = int({em.value(var)})", indent)  # (or a Python int already)
            em.alias(var, name)


def _bound_test(node: Node, bound: Var, test, readers: dict) -> bool:
    """`node` compares `bound` with a Python int, and gives the loop's test and no other
    value."""
    if node.op.impl not in _COMPARISONS or node.params or len(node.inputs) != 2 or \
            node.outputs[0] is not test or test.uid in readers:
        return False
    other = node.inputs[1] if node.inputs[0] is bound else node.inputs[0]
    if isinstance(other, Var):
        return other.weak is int
    return type(other) is int
def typed_scalar(node: Node, x) -> np.ndarray | None:
    """`x` (a Python int or float input of `node`) as the 0-d array numpy's weak promotion
    turns it into, or None where that is not exactly the same computation.

    `b + 1` on a float32 array spends most of its time converting the Python int on every
    call (more than the add itself, on small arrays); `b + c` with `c = np.array(1,
    np.float32)` runs the same float32 loop on the same value. Only for a binary ufunc
    (one result, no keywords) against an array that is an array at run time (not 0-d:
    those take numpy's scalar paths; not weak: a Python scalar), where numpy resolves the
    same loop, (D, D) -> the node's dtype, for the scalar as for a D array, and when the
    value converts to D exactly (ints) or without a warning (floats: the cast rounds as
    numpy's own conversion does; an overflow keeps numpy's run-time warning).
    tests/test_typed_scalars.py checks the rule bit for bit, with warnings and errors, for
    every binary ufunc of the installed numpy over 12 dtypes and edge values.
    """
    kind, ufunc = type(x), node.op.impl
    if (kind is not int and kind is not float) or node.params or len(node.inputs) != 2 \
            or not isinstance(ufunc, np.ufunc) or ufunc.nin != 2 or ufunc.nout != 1:
        return None
    first = node.inputs[0] is x
    other = node.inputs[1] if first else node.inputs[0]
    if not isinstance(other, Var) or other.weak is not None or not other.shape \
            or isinstance(node.inputs[0], Var) == isinstance(node.inputs[1], Var):
        return None
    return typed_constant(ufunc, x, other.dtype, first, node.outputs[0].dtype)


def typed_constant(ufunc: np.ufunc, x, dtype: np.dtype, first: bool, out: np.dtype):
    """`typed_scalar`'s rule without the node: Python scalar `x` as `ufunc`'s input 0
    (`first`) or 1 against an array of `dtype`, with result dtype `out` (remembered:
    long functions repeat their constants)."""
    bits = x if type(x) is int else struct.pack("<d", x)  # -0.0, -nan: not == nor repr
    key = (ufunc, type(x), bits, dtype, first, out)
    typed = _TYPED.get(key, _UNSEEN)
    if typed is _UNSEEN:
        if len(_TYPED) >= 4096:
            _TYPED.clear()
        typed = _TYPED[key] = _typed_constant(ufunc, x, dtype, first, out)
    return typed


_TYPED: dict = {}
_UNSEEN = object()


def _typed_constant(ufunc: np.ufunc, x, dtype: np.dtype, first: bool, out: np.dtype):
    kind = type(x)
    try:
        weak = ufunc.resolve_dtypes((kind, dtype, None) if first else (dtype, kind, None))
        same = weak == ufunc.resolve_dtypes((dtype, dtype, None))
    except (TypeError, ValueError):
        return None
    if not same or weak[:2] != (dtype, dtype) or weak[2] != out:
        return None
    with np.errstate(all="raise"):  # a cast that overflows: numpy warns at run time
        try:
            typed = np.array(x, dtype)
        except (TypeError, ValueError, OverflowError, FloatingPointError):
            return None
    if kind is int and typed.item() != x:
        return None
    typed.flags.writeable = False
    return typed


def _operand(text: str) -> str:
    return text if _IDENT.match(text) or text.replace(".", "", 1).isdigit() else f"({text})"


def _last_uses(graph: Graph) -> dict[int, list[Var]]:
    last: dict[int, tuple[int, Var]] = {}
    for i, node in enumerate(graph.nodes):
        for x in node.inputs:
            if isinstance(x, Var) and x.node is not None:
                last[x.uid] = (i, x)
        for v in node.outputs:
            last.setdefault(v.uid, (i, v))
    by_node: dict[int, list[Var]] = {}
    for i, v in last.values():
        by_node.setdefault(i, []).append(v)
    return by_node


@dataclass
class Entry:
    """A user-facing entry point for `compile_graph`.

    Attributes:
        params: one per parameter of the generated function: a graph input `Var`, or a
            str naming an argument the graph does not read (a Python value baked in).
        result: what to return: nested tuples/lists/dicts/namedtuples whose leaves are
            graph `Var`s or constants.
        captured: (graph input `Var`, object with `.numpy()`) pairs read at every call
            (`Variable`s captured by reference).
        n_required: parameters after the first `n_required` default to None (they are
            never graph inputs), so callers may leave out trailing baked-in values.
        written: (parameter position, `Var`) pairs: the parameter (a caller's array) is
            written in place with the Var's final value, and results that are that Var
            return the caller's array itself (numpy's in-place writes).
        prelude: `prelude(emitter, parameter names) -> lines` written first (reading and
            checking captured state, see captures.py), or None.
    """

    params: list
    result: Any
    captured: list = field(default_factory=list)
    n_required: int | None = None
    written: list = field(default_factory=list)
    prelude: Any = None


def write_back(caller, value):
    """The caller's array with `value` written into it (and returned), as a numpy in-place
    write leaves it; `value` itself for an immutable argument (a number)."""
    if isinstance(caller, np.ndarray):
        np.copyto(caller, value)
        return caller
    return value


def refuse_aliased(values: tuple, names: tuple, written: tuple) -> None:
    """Refuse a call whose argument written in place shares memory with another one: numpy
    would see the write through both names, the graph reads them as separate inputs."""
    for name, value in zip(names, values):
        if name not in written or not isinstance(value, np.ndarray):
            continue
        for other, v in zip(names, values):
            if other != name and isinstance(v, np.ndarray) and np.may_share_memory(value, v):
                raise ValueError(
                    f"argument `{name}` is written in place by the traced function and shares "
                    f"memory with argument `{other}` (the same array, or views of one): "
                    "numpy would see the write through both, but a traced function reads "
                    f"its arguments as separate values. Pass a copy (`{other}.copy()`).")


def compile_graph(graph: Graph, check: bool | None = None, entry: Entry | None = None,
                  emitter: Emitter | None = None):
    """Compile `graph` into a Python function.

    Without `entry` the function is `run(*inputs) -> tuple(outputs)` over all graph inputs.
    With `entry` it takes `entry.params` and returns `entry.result`.

    The returned function has `.source` (the generated text) and `.line_nodes` (generated
    line number -> node, used to point run-time errors at the user's line).

    `emitter`: the `Emitter` to write with (`lowering.BackendEmitter` writes the code over
    a backend's arrays instead of numpy's, and raises `BackendError` for an op it cannot
    run); by default numpy's.
    """
    check = CHECK if check is None else check
    em = emitter
    if em is None:
        em = Emitter(check)
        em.define("_check", check_value)
    if entry is None:
        entry = Entry(list(graph.inputs), tuple(graph.outputs))
    names = [em.name(p) if isinstance(p, Var) else em.fresh(p) for p in entry.params]
    params = list(names)
    if entry.n_required is not None:
        params[entry.n_required:] = [f"{p}=None" for p in params[entry.n_required:]]
    em.emit("", "")  # the def line, written once the namespace is complete
    callers = []
    if entry.written:
        arrays = [p.split("=")[0] for p, q in zip(params, entry.params) if isinstance(q, Var)]
        written = tuple(params[pos].split("=")[0] for pos, _ in entry.written)
        em.emit(f"{em.bind(refuse_aliased, 'refuse_aliased')}(({', '.join(arrays)},), "
                f"{tuple(arrays)!r}, {written!r})", "    ")
    for pos, var in entry.written:
        callers.append((em.fresh(f"{params[pos]}_caller"), var))
        em.emit(f"{callers[-1][0]} = {params[pos]}", "    ")
    for line in entry.prelude(em, names) if entry.prelude is not None else ():
        em.emit(line, "    ")
    for var, variable in entry.captured:
        em.emit(f"{em.name(var)} = {em.captured(em.bind(variable, 'variable'))}", "    ")
    em.emit_graph(graph, "    ", release=True, final=True)
    for caller, var in callers:
        em.emit(f"{caller} = {em.bind(write_back, 'write_back')}({caller}, {em.name(var)})",
                "    ")
        em.alias(var, caller)
    em.emit(f"return {em.structure(entry.result)}", "    ")
    fname = _function_name(graph.name, em.namespace)
    em.lines[0] = f"def {fname}({', '.join(params)}):"
    return _finish(em, fname, graph.name)


def _function_name(name: str, namespace: dict) -> str:
    """The graph's name if it is a legal name that no namespace entry uses."""
    ok = _IDENT.match(name) and not keyword.iskeyword(name) and name not in namespace
    return name if ok else "graph_fn"


def _finish(em: Emitter, fname: str, graph_name: str):
    source = "\n".join(em.lines) + "\n"
    filename = f"<autotrace {graph_name} #{next(_files)}>"
    exec(compile(source, filename, "exec"), em.namespace)
    fn = em.namespace[fname]
    fn.source = source
    fn.filename = filename
    fn.line_nodes = em.line_nodes
    fn.stamp = Stamp()
    register_line_map(filename, fn, source)
    return fn


class Stamp:
    """The calls of the traced function at a compiled entry's last use (the cache's LRU
    order): a slot, as the hit path stores it on every call (a function attribute store
    costs 4x as much)."""

    __slots__ = ("last_call",)

    def __init__(self):
        self.last_call = 0


def check_value(value, var: Var) -> None:
    """Checking mode: the run-time value must match the node's static type."""
    if var.weak is not None:
        if type(value) not in (bool, int, float, complex):
            raise AssertionError(f"shape rule mismatch{_where(var)}: static {var.type_str()} "
                                 f"(a Python scalar), run time {type(value).__name__}")
        return
    if hasattr(value, "static_check"):  # an opaque run-time value checks itself
        return value.static_check(var)
    if type(value) is list:  # a loop record kept as its list of states (autodiff/history)
        value = np.array(value).reshape(-1)
    shape = np.shape(value)
    dtype = value.dtype if hasattr(value, "dtype") else np.asarray(value).dtype
    ok_shape = len(shape) == len(var.shape) and all(
        s is None or s == d for s, d in zip(var.shape, shape)
    )
    if not ok_shape or np.dtype(dtype) != var.dtype:
        raise AssertionError(
            f"shape rule mismatch{_where(var)}: static {var.type_str()}, "
            f"run time {np.dtype(dtype)}{list(shape)}"
        )


def _where(var: Var) -> str:
    node = var.node
    if node is None:
        return ""
    if node.origin is None:
        return f" ({node.op.name})"
    return f" ({node.op.name} at {node.origin.short()})"
