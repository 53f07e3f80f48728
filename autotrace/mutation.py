"""In-place writes on traced values, functionalized: `x[k] = v`, `x += y` and friends.

A graph value is immutable, but a Python object standing for one (`Tensor`) is not: an
in-place write adds a `setitem` (or arithmetic) node and re-points the object at its
result, so every Python name bound to that object sees the new value, exactly as with a
numpy array (`y = x; y += 1` changes `x`). Views are tracked the same way: `v = x[0]`
(basic indexing, `x.T`, `x.reshape(...)`, ...) remembers how it was derived from `x`, a
write to `x` re-derives the live views, and a write through a basic-indexing view writes
into its base (`v += 1` changes `x[0]`). A write through another kind of view (`x.T[0] =
1`) is refused, naming the user's line.

Graph control flow keeps the same object semantics (`control/cond.py`,
`control/loop_trace.py`); a concrete function writes the final value of a mutated
argument back into the caller's array (`concrete.py`).
"""

from __future__ import annotations

import weakref

import numpy as np

from autotrace import ops as F
from autotrace.core import innermost_graph_trace
from autotrace.errors import TracingError, at_user_line
from autotrace.ops.registry import dispatches
from autotrace.ops.setitem import stand_in
from autotrace.ops.shapes import shape_of


class View:
    """How a view was derived from its base: `derive(base)` recomputes it; `key` is the
    basic-indexing key for views that can be written through (None otherwise)."""

    __slots__ = ("base", "derive", "key", "what")

    def __init__(self, base, derive, key, what: str):
        self.base, self.derive, self.key, self.what = base, derive, key, what


def note_view(base, view, derive, key=None, what: str = "a view") -> None:
    """Record that `view` (a new traced value) is a view of `base`, as numpy makes it."""
    if not _symbolic(base) or not _symbolic(view) or view is base:
        return
    view.view = View(base, derive, key, what)
    if base.views is None:
        base.views = []
    base.views.append(weakref.ref(view))


def _symbolic(x) -> bool:
    kind = type(x)  # class attributes: a stand-in such as `Undefined` answers no getattr
    return getattr(kind, "_symbolic", False) and hasattr(kind, "views")


def setitem(t, key, value) -> None:
    """`t[key] = value` on a traced value."""
    if t.view is None:  # a view writes into its base (`write` checks that one)
        check_writable(t, "an item assignment")
    write(t, F.setitem(t, key, value))


def augmented(t, ufunc: np.ufunc, other):
    """`t op= other` on a traced value; returns `t` (as numpy's in-place operators do).
    A 0-d value is taken for a numpy scalar (what numpy's reductions and integer indexing
    give), which is immutable: `NotImplemented`, so Python rebinds the name to `t op other`."""
    if not t.symbol.shape or t.symbol.weak is not None:
        return NotImplemented
    if t.view is None:
        check_writable(t, "an augmented assignment")
    write(t, F.augmented(ufunc, t, other))
    return t


@dispatches(np.copyto)
def copyto(dst, src, casting="same_kind", where=True) -> None:
    """`np.copyto(dst, src)` into a traced `dst` (numpy's casting check and error)."""
    _require_traced(dst, "np.copyto(dst, src)", "dst")
    np.copyto(np.ones(1, dst.dtype), stand_in(src), casting=casting)
    if where is not True:
        src = F.where(where, src, dst)
    setitem(dst, Ellipsis, src)


@dispatches(np.put_along_axis)
def put_along_axis(arr, indices, values, axis) -> None:
    """`np.put_along_axis(arr, indices, values, axis)` into a traced `arr`: the write
    `arr[key] = values` with the key numpy builds (`indices` along `axis`, every position
    along the other axes)."""
    _require_traced(arr, "np.put_along_axis(arr, ...)", "arr")
    shape = arr.symbol.shape
    if axis is None:
        flat = F.ravel(arr)
        write(arr, F.reshape(F.setitem(flat, (indices,), values), shape))
        return
    ndim = len(shape)
    axis = int(axis) + ndim if int(axis) < 0 else int(axis)
    if len(shape_of(indices)) != ndim:
        raise ValueError("`indices` and `arr` must have the same number of dimensions")
    if None in shape:
        raise TracingError(at_user_line(
            "np.put_along_axis into a traced array with sizes unknown while tracing: the "
            "positions along the other axes are made from its shape. Use a known shape."))
    key = tuple(indices if d == axis else
                np.arange(n).reshape((1,) * d + (n,) + (1,) * (ndim - d - 1))
                for d, n in enumerate(shape))
    setitem(arr, key, values)


@dispatches(np.putmask)
def putmask(a, mask, values) -> None:
    """`np.putmask(a, mask, values)` into a traced `a`, for `values` of `a`'s shape or a
    scalar (numpy repeats a shorter `values` over `a`'s flat positions: refused)."""
    _require_traced(a, "np.putmask(a, ...)", "a")
    vshape, shape = shape_of(values), a.symbol.shape
    if vshape not in ((), shape) or None in vshape:
        raise TracingError(at_user_line(
            f"np.putmask into a traced array of shape {shape} with values of shape {vshape}: "
            "numpy repeats the values over the array's flat positions, which is supported "
            "only for a scalar or values of the array's shape. Write "
            "`a = np.where(mask, values, a)` with broadcastable values."))
    setitem(a, Ellipsis, F.where(mask, values, a))


@dispatches(np.place)
def place(arr, mask, vals) -> None:
    """`np.place(arr, mask, vals)` into a traced `arr`, for a scalar `vals` (numpy cycles a
    sequence over the selected positions, whose count a graph knows only at run time)."""
    _require_traced(arr, "np.place(arr, ...)", "arr")
    if shape_of(vals) not in ((), (1,)):
        raise TracingError(at_user_line(
            "np.place into a traced array with several values: numpy cycles them over the "
            "positions the mask selects, a count known only at run time. Pass one value, or "
            "write `arr[mask] = vals` with exactly one value per selected position."))
    mask = mask if _symbolic(mask) else np.asarray(mask, dtype=bool)
    setitem(arr, mask, vals if shape_of(vals) == () else F.reshape(vals, ()))


@dispatches(np.put)
def put(a, ind, v, mode="raise") -> None:
    """`np.put(a, ind, v, mode)` into a traced `a`: `a.flat[ind] = v` (`v` broadcast to
    `ind`; numpy's cycling of a shorter `v` is refused)."""
    _require_traced(a, "np.put(a, ...)", "a")
    shape = a.symbol.shape
    if None in shape:
        raise TracingError(at_user_line(
            "np.put into a traced array with sizes unknown while tracing: use a known shape."))
    n = int(np.prod(shape, dtype=np.int64))
    vshape, ishape = shape_of(v), shape_of(ind)
    if vshape and np.broadcast_shapes(vshape, ishape) != tuple(ishape):
        raise TracingError(at_user_line(
            f"np.put into a traced array with {vshape} values for {ishape} indices: numpy "
            "cycles the values, supported only when they broadcast to the indices."))
    if mode == "wrap":
        ind = F.mod(ind, n)
    elif mode == "clip":
        ind = F.clip(ind, 0, n - 1)
    elif mode != "raise":
        raise ValueError(f"clipmode must be one of 'clip', 'raise', or 'wrap' (got {mode!r})")
    write(a, F.reshape(F.setitem(F.ravel(a), (ind,), v), shape))


@dispatches(np.fill_diagonal)
def fill_diagonal(a, val, wrap=False) -> None:
    """`np.fill_diagonal(a, val)` into a traced `a` (2-D, or every axis of one length); a
    sequence `val` must give one value per diagonal element (numpy would cycle it)."""
    _require_traced(a, "np.fill_diagonal(a, ...)", "a")
    shape = a.symbol.shape
    if len(shape) < 2 or None in shape:
        raise TracingError(at_user_line(
            "np.fill_diagonal into a traced array needs at least 2 axes of sizes known "
            "while tracing."))
    if len(shape) > 2 and len(set(shape)) != 1:
        raise ValueError("All dimensions of input must be of equal length")
    if wrap and len(shape) == 2 and shape[0] > shape[1] + 1:
        raise TracingError(at_user_line(
            "np.fill_diagonal(..., wrap=True) of a tall traced matrix is not supported: "
            "write the diagonal blocks with `a[i, j] = val` instead."))
    k = min(shape)
    if shape_of(val) not in ((), (k,), (1,)):
        raise TracingError(at_user_line(
            f"np.fill_diagonal of a traced array with {shape_of(val)} values for {k} "
            "diagonal elements: numpy cycles them; pass one value or one per element."))
    steps = np.arange(k)
    setitem(a, (steps,) * len(shape), val)


def ufunc_out(ufunc: np.ufunc, inputs: tuple, out: tuple, result):
    """`ufunc(*inputs, out=(t,))`: `result` written into traced `t` under numpy's
    `same_kind` rule (checked on stand-ins, so errors are numpy's own); returns `t`."""
    if len(out) != 1:
        raise TracingError(at_user_line(f"np.{ufunc.__name__}(..., out=...) with several "
                                        "outputs is not supported on traced values."))
    (target,) = out
    _require_traced(target, f"np.{ufunc.__name__}(..., out=a)", "out")
    with np.errstate(all="ignore"):
        ufunc(*[stand_in(x) for x in inputs], out=np.ones(1, target.dtype))
    if shape_of(result) != target.symbol.shape and None not in target.symbol.shape:
        raise ValueError(f"non-broadcastable output operand with shape "
                         f"{target.symbol.shape} doesn't match the broadcast shape "
                         f"{shape_of(result)}")
    setitem(target, Ellipsis, result)
    return target


def _require_traced(x, call: str, arg: str) -> None:
    if not _symbolic(x):
        raise TracingError(at_user_line(
            f"`{call}` writes a traced value into `{arg}`, a numpy array (or another "
            "non-traced object), which a graph cannot change in place. Use the result "
            f"instead (`{arg} = ...` without `out=`/`copyto`), or make `{arg}` a traced "
            "value first."))


def write(t, new) -> None:
    """Re-point `t` at `new`, then write through to its base and re-derive its views."""
    view = t.view
    if view is not None:
        if view.key is None:
            raise TracingError(at_user_line(
                f"An in-place write into {view.what} of another traced array: numpy would "
                "change that array too, which autotrace does not follow for this kind of "
                "view. Write into the array itself (e.g. `x[:, 0] = v` instead of "
                "`x.T[0] = v`), or take a copy first (`y = x.T.copy()`)."))
        base = _stand_in_here(view.base)
        check_writable(base, "an item assignment")
        write(base, F.setitem(base, view.key, new))
        return
    _check_handed(t)
    repoint(t, new)


def _check_handed(t) -> None:
    """A write into the graph input a read of a captured array gave (`CaptureScope.read`)
    would not reach the array: trace again, reading it as its live written value."""
    scope = getattr(getattr(t.builder, "root", None), "capture_scope", None)
    if scope is None or not scope.handed:
        return
    for x in (t, *_outers(t)):
        entry = scope.handed.get(id(x))
        if entry is not None and entry[0] is x:
            # lazy import: capture_scope sits above the op layers this module is part of
            from autotrace.capture_scope import Retrace
            raise Retrace(entry[1])


def repoint(t, new) -> None:
    """Make `t` stand for `new`'s value, and re-derive the live views of `t` (and, for a
    stand-in in a graph `if`/loop, those of the arrays it stands for, until the statement
    is traced: `restore_views`)."""
    t.symbol, t.builder = new.symbol, new.builder
    for v in live_views(t):
        repoint(v, v.view.derive(t))
    if t.views:
        t.views = [r for r in t.views if r() is not None]
    for outer in _outers(t):
        stand_for(outer, t)


def stand_for(outer, inner) -> None:
    """Inside the graph `if` branch or loop being traced, the live views of `outer` show
    `inner` (its stand-in there) until `restore_views`."""
    saved = innermost_graph_trace().saved_views
    for v in live_views(outer):
        saved.setdefault(id(v), (v, v.symbol, v.builder))
        derived = v.view.derive(inner)
        v.symbol, v.builder = derived.symbol, derived.builder
        stand_for(v, v)


def restore_views(builder) -> None:
    """Undo `stand_for` once `builder`'s graph `if` branch or loop is traced."""
    for v, symbol, owner in reversed(list(builder.saved_views.values())):
        v.symbol, v.builder = symbol, owner
    builder.saved_views.clear()


def snapshot(leaf, builder, shown: dict):
    """`leaf` as a branch or loop body gives it: a view shown re-derived in `builder` is
    given as a new object holding what it shows (`shown` maps it back to the view)."""
    if id(leaf) not in builder.saved_views:
        return leaf
    snap = leaf.new_object()
    shown[id(snap)] = leaf
    return snap


def link(builder, inner, outer) -> None:
    """`inner` (a loop-body input) stands for traced `outer` in `builder`'s graph."""
    if _symbolic(inner) and _symbolic(outer):
        builder.proxies[id(inner)] = (inner, outer)
        stand_for(outer, inner)


def _outers(t):
    """The arrays `t` stands for in the graph `if`s and loops being traced (outermost
    last)."""
    b = innermost_graph_trace()
    while b is not None:
        entry = b.proxies.get(id(t))
        if entry is not None and entry[0] is t:
            t = entry[1]
            yield t
        else:
            b = b.parent


def stand_in_for_branch(builder, t):
    """`t`'s innermost stand-in; in a graph `if` branch that has none yet, a new one."""
    here = _stand_in_here(t)
    if builder.cond_branch and id(here) not in builder.proxies:
        return proxy(builder, here)
    return here


def _stand_in_here(t):
    """The innermost stand-in of `t` in the graph `if`s and loops being traced (`t`
    itself if none)."""
    found = True
    while found:
        found = False
        b = innermost_graph_trace()
        while b is not None and not found:
            for p, outer in b.proxies.values():
                if outer is t:
                    t, found = p, True
                    break
            b = b.parent
    return t


def live_views(t) -> list:
    """The views of `t` still referenced somewhere."""
    return [v for v in (r() for r in t.views or ())
            if v is not None and v.view is not None and v.view.base is t]


def check_writable(t, what: str) -> None:
    """Refuse a write to a value of an enclosing graph that the current graph `if` or loop
    does not carry (reached through an attribute, a container or a closure)."""
    _check_handed(t)
    current = innermost_graph_trace()
    if current is None or t.builder is current or id(t) in current.proxies:
        return
    raise TracingError(at_user_line(
        f"{what.capitalize()} writes into a traced value from outside the graph `if` or "
        "loop it is in, which does not carry it (it was reached through an attribute, a "
        "container or a closure). Bind it to a local name before the statement "
        "(`buf = self.buf`) and write through that name (`buf[i] = v`), or pass it in as "
        "an argument."))


def proxy(builder, x):
    """A stand-in for traced `x` in a graph `if` branch traced by `builder`: written in
    place, it leaves `x` alone (the other branch must not see the write); `graph_cond`
    writes the joined value into `x` afterwards. Other values are returned as they are."""
    if not _symbolic(x) or builder is None or not x.symbol.shape or x.view is not None:
        return x  # a view is its own stand-in: writes go to its base's (`write`)
    p = x.new_object()
    builder.proxies[id(p)] = (p, x)
    return p


def written_outer(children) -> list:
    """The outer values whose stand-ins were written in some of `children` (branches)."""
    seen: dict = {}
    for child in children:
        for p, outer in child.proxies.values():
            if p.symbol is not outer.symbol:
                seen.setdefault(id(outer), outer)
    return list(seen.values())


def branch_stand_in(child, outer):
    """`outer`'s stand-in in branch `child` (`outer` itself if it has none)."""
    return next((p for p, o in child.proxies.values() if o is outer), outer)
