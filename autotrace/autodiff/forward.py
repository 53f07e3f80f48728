"""Forward mode: `jvp`, `linearize` and `jacfwd`.

The JVP trace (`JVPTracer`, `JVPTrace`, `jvp_graph`) is in `autodiff/jvp_trace.py`: an op
applied to tracers runs its JVP rule (`Op.jvp`, declared next to the op's VJP; shapes of
rules in `ops/rules.py`) on the primals and tangents, which binds ops on the traces below
(the graph being built), so a forward-mode derivative is a graph like any other:
printable, simplified, differentiable again.

`jvp(f, primals, tangents)` traces `f` once per signature to its graph (control flow
becomes `cond` / `while_loop` nodes), then replays that graph with tracers inside a
traced function of (primals, tangents), so the result is cached and compiled like any
traced function. Control flow needs no stored state: the JVP of `cond` is a `cond` over
the branches' JVPs, and the tangent of a `while_loop` is carried as extra loop state.

A differentiable op without a JVP rule gets one from its VJP: the VJP is linear in the
cotangent, so `J t = d/dg <vjp(g), t>`, computed by reverse mode over the VJP
(`jvp_trace._transposed_vjp`; used for the nonlinear reductions, `sort`, `cumprod`, loop
records and `custom_gradient`). Zero tangents are None and never materialized unless a
loop carries them.
"""

from __future__ import annotations

import weakref
from typing import Callable, Sequence

import numpy as np

from autotrace.autodiff.backprop import is_float
from autotrace.autodiff.batch_trace import BatchTrace
from autotrace.autodiff.jvp_trace import jvp_graph
from autotrace.autodiff.transforms import _argnums, _is_python_float, _selected, _transform
from autotrace.function import TracedFunction
from autotrace.graph.basis import identity_basis
from autotrace.ops.creation import zeros_like
from autotrace.ops.join import stack
from autotrace.ops.shape import dtype_of, moveaxis, python_scalar, reshape
from autotrace.ops.shapes import shape_of
from autotrace.signature import TensorSpec, flatten, is_input_leaf, unflatten
from autotrace.tensor import TensorBase

# -- public transforms -----------------------------------------------------------------------
_TRANSFORMS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_STRONG: dict = {}


def jvp(f: Callable, primals: Sequence, tangents: Sequence) -> tuple:
    """Forward-mode derivative: `(f(*primals), J_f(primals) @ tangents)` (like `jax.jvp`).

    Args:
        f: plain or traced function; its Python `if`/`while` on tensors are followed.
        primals: the positional arguments (a tuple or list; nested structures allowed).
        tangents: one tangent per primal leaf, same structure, shapes and float dtypes;
            None for a leaf means a zero tangent.

    Returns:
        `(out, tangent_out)`, both with `f`'s output structure; a non-float output's
        tangent is None. One graph is traced per input signature and cached.

    Example:
        >>> jvp(lambda x: np.sin(x), (np.array([0.0, 1.0]),), (np.array([1.0, 1.0]),))
        (array([0.        , 0.84147098]), array([1.        , 0.54030231]))
    """
    primals, tangents = _pair(primals, tangents)
    return _jvp_function(f, len(primals))(*primals, *tangents)


def linearize(f: Callable, *primals) -> tuple:
    """`(f(*primals), f_jvp)` where `f_jvp(*tangents)` is the JVP at `primals`.

    Each `f_jvp` call runs the cached `jvp` graph (which recomputes the primal; autotrace
    keeps no residuals between calls).

    Example:
        >>> out, f_jvp = linearize(lambda x: np.exp(x), np.array([0.0]))
        >>> f_jvp(np.array([2.0]))
        array([2.])
    """
    out = (f if isinstance(f, TracedFunction) else _traced(f))(*primals)

    def f_jvp(*tangents):
        return jvp(f, primals, tangents)[1]

    return out, f_jvp


def jacfwd(f: Callable, argnums: int | Sequence[int] = 0) -> TracedFunction:
    """Forward-mode Jacobian of `f` w.r.t. the arguments in `argnums` (like `jax.jacfwd`):
    the JVP vectorized over the input's elements (`vmap` of `jvp`).

    Returns:
        A traced function; for an array output and an array argument an array of shape
        `f(x).shape + x.shape` (a tuple over `argnums` when it is a tuple).

    Example:
        >>> jacfwd(lambda x: x * 2)(np.array([1.0, 2.0]))
        array([[2., 0.],
               [0., 2.]])
    """
    traced = _traced(f)
    target = positional(traced)
    nums, many = _argnums(argnums)
    fname = f"jacfwd({traced.__name__})"

    def body(bound):
        chosen, args = _selected(bound.args, nums, fname)
        return forward_jacobians(target, args, nums, chosen, many)

    return _transform(traced, "jacfwd", body, nums)


def forward_jacobians(target, args: list, nums: tuple, chosen: list, many: bool):
    """The forward-mode Jacobians w.r.t. `args[i]` for `i` in `nums` (`chosen` holds those
    arguments): a tuple when `many`; the derivative of a scalar w.r.t. a Python float is a
    Python float."""
    jacs = [_forward_jacobian(target, args, i % len(args), x) for i, x in zip(nums, chosen)]
    jacs = [python_scalar(j) if _is_python_float(x) and shape_of(j) == () else j
            for j, x in zip(jacs, chosen)]
    return tuple(jacs) if many else jacs[0]


def _forward_jacobian(target, args: list, i: int, x):
    """d f(args) / d args[i] for an array `args[i]` = `x`: the JVP vectorized over the
    basis of `x`'s space (one forward pass on a batched identity tangent). Graphs with
    control flow, or with ops whose JVP comes from their VJP by a tape, run one JVP per
    basis vector (those rules trace sub-graphs or tapes, which cannot hold batched
    tangents)."""
    shape = shape_of(x)
    if None in shape:
        raise TypeError("jacfwd needs arguments of known shape; trace with fixed sizes")
    size = int(np.prod(shape, dtype=np.int64))
    basis = identity_basis(size, dtype_of(x), (size, *shape))
    if _needs_columns(target, args):
        return _forward_columns(target, args, i, basis, shape)
    tangents = [None] * len(args)
    with BatchTrace(size) as trace:
        tangents[i] = trace.wrap(basis, 0)
        out, t_out = jvp_call(target, tuple(args), tuple(tangents))
        columns = [trace.split(t) if t is not None else (None, None)
                   for t in flatten(t_out)[0]]
    out_leaves, out_tree = flatten(out)
    jac = []
    for o, (t, dim) in zip(out_leaves, columns):
        o_shape = shape_of(o)
        if t is None or dim is None:  # no dependence on x (or not a float): zeros
            jac.append(np.zeros(o_shape + shape, dtype_of(x)))
        else:
            jac.append(reshape(moveaxis(t, 0, -1), o_shape + shape))
    return unflatten(out_tree, jac)


def _needs_columns(target, args) -> bool:
    leaves, tree = target._canonical(tuple(args), {})
    specs = [TensorSpec(shape_of(x), dtype_of(x)) if isinstance(x, TensorBase) else x
             for x in leaves]
    return any(node.op.emit is not None or (node.op.jvp is None and node.op.vjp is not None)
               for node in target._lookup(specs, tree).graph.walk())


def _forward_columns(target, args, i, basis, shape):
    columns = []
    for k in range(len(basis)):
        tangents = [None] * len(args)
        tangents[i] = basis[k]
        out, t_out = jvp_call(target, tuple(args), tuple(tangents))
        columns.append(flatten(t_out)[0])
    out_leaves, out_tree = flatten(out)
    jac = [_stack_columns([c[j] for c in columns], shape_of(o), shape, basis.dtype)
           for j, o in enumerate(out_leaves)]
    return unflatten(out_tree, jac)


def _stack_columns(columns: list, out_shape: tuple, in_shape: tuple, dtype):
    if columns[0] is None:
        return np.zeros(out_shape + in_shape, dtype)
    return reshape(stack(columns, axis=-1), out_shape + in_shape)


def _pair(primals, tangents) -> tuple[tuple, tuple]:
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp: primals and tangents must be tuples or lists (one entry per "
                        f"positional argument), got {type(primals).__name__} and "
                        f"{type(tangents).__name__}")
    if len(primals) != len(tangents):
        raise TypeError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")
    for p, t in zip(flatten(tuple(primals))[0], flatten(tuple(tangents))[0]):
        if t is not None and shape_of(p) != shape_of(t):
            raise ValueError(f"jvp: a tangent has shape {shape_of(t)} but its primal has "
                             f"shape {shape_of(p)}; tangents must match their primals")
    return tuple(primals), tuple(tangents)


def _traced(f) -> TracedFunction:
    return f if isinstance(f, TracedFunction) else TracedFunction(f)


def _jvp_function(f, n: int) -> TracedFunction:
    """The traced function `(*primals, *tangents) -> (out, tangent_out)`, cached per `f`."""
    try:
        per_f = _TRANSFORMS.setdefault(f, {})
    except TypeError:  # not weakly referenceable (a numpy ufunc): kept for good
        per_f = _STRONG.setdefault(f, {})
    fn = per_f.get(n)
    if fn is None:
        target = positional(_traced(f))

        def jvp_fn(*args):
            return jvp_call(target, args[:n], args[n:])

        jvp_fn.__name__ = jvp_fn.__qualname__ = f"jvp_{target.__name__}"
        fn = per_f[n] = TracedFunction(jvp_fn, autograph=False)
    return fn


def positional(traced: TracedFunction) -> TracedFunction:
    """`traced` called with positional arguments only (its graphs are keyed by exactly the
    arguments given, not by the defaults of its signature)."""

    def call(*args):
        return traced(*args)

    call.__name__ = call.__qualname__ = traced.__name__.replace("<lambda>", "lambda")
    return TracedFunction(call, autograph=False)


def jvp_call(target: TracedFunction, primals: tuple, tangents: tuple) -> tuple:
    """Inside a trace: the graph of `target` (see `positional`) for these primals, replayed
    with their tangents."""
    leaves, tree = target._canonical(primals, {})
    t_leaves, t_tree = flatten(tuple(tangents))
    if t_tree != flatten(tuple(primals))[1]:
        raise TypeError(f"jvp: tangents have structure {t_tree}, primals "
                        f"{flatten(tuple(primals))[1]}")
    specs = [TensorSpec(shape_of(x), dtype_of(x)) if isinstance(x, TensorBase) else x
             for x in leaves]
    cf = target._lookup(specs, tree)
    tangent_in = [t if isinstance(s, TensorSpec) else None  # None: a generator's
                  for t, s in zip(t_leaves, specs) if is_input_leaf(s)]
    tangent_in += [None] * (len(cf.captures) + len(cf.variables))  # captured state: constant
    outs, touts = jvp_graph(cf.graph, [*cf.graph_inputs(leaves), *cf.variables], tangent_in)
    return cf._assemble(outs), _tangent_structure(cf, outs, touts)


def _tangent_structure(cf, outs, touts):
    """The output tangents in the output's structure: zeros for float outputs with no
    tangent (constants included), None for non-float outputs."""
    slot = {id(v): i for i, v in enumerate(cf.graph.outputs)}
    leaves = []
    for leaf in cf._out_leaves:
        i = slot.get(id(leaf))
        value, t = (outs[i], touts[i]) if i is not None else (leaf, None)
        if t is None and is_float(value):
            t = zeros_like(value)
        leaves.append(t)
    return unflatten(cf._out_tree, leaves)
