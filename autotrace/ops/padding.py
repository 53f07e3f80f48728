"""`numpy.pad` as one op (numpy's own `np.pad` is the impl, so values and the order in
which axes are padded, and so the corners, are numpy's), modes constant (static or traced
`constant_values`), edge, reflect, symmetric and wrap.

The VJP is written with registry ops: for constant mode the interior slice of the
cotangent (and, for a traced constant, the sum of the rest); for the other modes, axis by
axis in reverse, the cotangent scattered back through the positions numpy copies
(`np.pad(np.arange(n), ...)`, a static index array), so it is differentiable again.
"""

from __future__ import annotations

import numpy as np

from autotrace.core import Tracer, bind
from autotrace.ops.batch_rules import per_example
from autotrace.ops.creation import zeros_like
from autotrace.ops.elementwise import where
from autotrace.ops.index import getitem, index_add_into, normalize_key
from autotrace.ops.reduce import sum as reduce_sum
from autotrace.ops.registry import Aval, Op, apply, dispatches, register
from autotrace.ops.shape import astype, dtype_of, expand_dims, fresh_copy
from autotrace.ops.shapes import shape_of

_INDEX_MODES = ("edge", "reflect", "symmetric", "wrap")
_NUMPY_MODES = ("constant", "empty", "edge", "wrap", "linear_ramp", "maximum", "mean",
                "median", "minimum", "reflect", "symmetric")


def _pad_impl(x, *constant, pairs, mode, values=None):
    if mode != "constant":
        return np.pad(x, pairs, mode=mode)
    return np.pad(x, pairs, constant_values=constant[0] if constant else values)


def _pad_abstract(x: Aval, *constant: Aval, pairs, mode, values=None) -> Aval:
    return Aval(tuple(None if d is None else d + b + a for d, (b, a) in zip(x.shape, pairs)),
                x.dtype)


def _interior(pairs) -> tuple:
    return tuple(slice(b, -a if a else None) for b, a in pairs)


def _pad_vjp(g, x, *rest, pairs, mode, values=None):
    constant = rest[:-1]
    if mode == "constant":
        gx = getitem(g, _interior(pairs))
        if not constant:
            return (gx,)
        c = constant[0]
        gc = None if dtype_of(c).kind not in "fc" else \
            astype(reduce_sum(g) - reduce_sum(gx), dtype_of(c), copy=False)
        return gx, gc
    for axis in reversed(range(len(pairs))):
        before, after = pairs[axis]
        if before or after:
            n = shape_of(x)[axis]
            lead = (slice(None),) * axis
            positions = np.pad(np.arange(n), (before, after), mode=mode)
            like = getitem(g, lead + (slice(0, n),))  # the shape before this axis was padded
            index, inputs = normalize_key(lead + (positions,))
            g = index_add_into(g, like, inputs, index)
    return (g,)


def _pad_jvp(primals, tangents, **params):
    """Linear in `x` and a traced constant jointly; a static constant pads tangents with 0."""
    out = bind(_pad, *primals, **params)
    if all(t is None for t in tangents):
        return out, None
    x, *constant = primals
    args = [tangents[0] if tangents[0] is not None else zeros_like(x)]
    if constant:
        args.append(tangents[1] if tangents[1] is not None else zeros_like(constant[0]))
    zero = {"values": tuple((0, 0) for _ in params["pairs"])} if "values" in params else {}
    return out, bind(_pad, *args, **{**params, **zero})


def _pad_batch(trace, op, values, dims, params):
    """Shared pad widths: pad the stacked values, nothing on the batch axis. A batched
    traced constant (one per example; static per-example shapes): pad with zeros, then
    each example's constant (cast to the values' dtype, as numpy's assignment does) where
    a constant static mask says padding."""
    x = trace.batched(values[0], dims[0])
    pairs = ((0, 0),) + params["pairs"]
    if len(values) == 1 or dims[1] is None:
        extra = {"values": ((0, 0),) + params["values"]} if "values" in params else {}
        return bind(op, x, *values[1:], **{**params, "pairs": pairs, **extra}), 0
    shape = shape_of(x)[1:]
    if None in shape:
        return per_example(trace, op, values, dims, params)
    padded = bind(op, x, **dict(params, pairs=pairs, values=((0, 0),) * len(pairs)))
    mask = np.pad(np.ones(shape, bool), params["pairs"])
    constant = astype(values[1], dtype_of(x), copy=False)
    constant = expand_dims(constant, tuple(range(1, 1 + len(shape)))) if shape else constant
    return where(mask, padded, constant), 0


_pad = register(Op("pad", _pad_impl, _pad_abstract, vjp=_pad_vjp, jvp=_pad_jvp,
                   batch=_pad_batch))


# --- the numpy front end ------------------------------------------------------------------
def _pad_pairs(pad_width, ndim: int) -> tuple:
    """numpy's `pad_width` forms (int, (n,), (before, after), per-axis pairs, dict) as one
    (before, after) pair per axis, with numpy's errors."""
    if isinstance(pad_width, dict) and _PAD_TAKES_DICT:
        pairs = [(0, 0)] * ndim
        for ax, width in pad_width.items():
            pairs[ax] = (width, width) if isinstance(width, int) else tuple(width)
        pad_width = pairs
    widths = np.asarray(pad_width)
    if widths.dtype.kind != "i":
        raise TypeError("`pad_width` must be of integral type.")
    if widths.ndim < 3 and widths.size in (1, 2) and widths.shape != (2, 1):
        widths = widths.ravel()
        widths = np.array([widths[0], widths[-1]])
    if widths.size and widths.min() < 0:
        raise ValueError("index can't contain negative values")
    return tuple(tuple(int(w) for w in pair) for pair in np.broadcast_to(widths, (ndim, 2)))


def _pad_takes_dict() -> bool:
    try:
        np.pad(np.zeros(1), {0: 1})
    except Exception:  # noqa: BLE001 - numpy before 2.3 takes no dict
        return False
    return True


_PAD_TAKES_DICT = _pad_takes_dict()


def _static_values(values, ndim: int, dtype: np.dtype) -> tuple:
    """numpy's `constant_values` forms as one pair of Python numbers per axis, checked
    the way numpy stores them (`out[...] = value`: same casts, same overflow errors)."""
    values = np.asarray(values)
    if values.ndim < 3 and values.size in (1, 2) and values.shape != (2, 1):
        flat = values.ravel()
        values = np.array([flat[0], flat[-1]])
    pairs = np.broadcast_to(values, (ndim, 2))
    probe = np.empty((), dtype)
    for v in pairs.ravel():
        probe[...] = v
    return tuple(tuple(v.item() for v in pair) for pair in pairs)


@dispatches(np.pad)
def pad(array, pad_width, mode="constant", **kwargs):
    """`numpy.pad` with modes constant (a traced scalar `constant_values` too), edge,
    reflect, symmetric, wrap and empty (zeros). The modes other than constant need the
    sizes of the padded axes known statically."""
    if not callable(mode) and mode not in _NUMPY_MODES:
        raise ValueError(f"mode '{mode}' is not supported")
    if callable(mode) or mode not in ("constant", "empty", *_INDEX_MODES):
        raise NotImplementedError(f"numpy.pad(mode={mode!r}) is not supported on traced "
                                  "values; use constant, edge, reflect, symmetric or wrap")
    allowed = {"constant": {"constant_values"}, "reflect": {"reflect_type"},
               "symmetric": {"reflect_type"}}.get(mode, set())
    if set(kwargs) - allowed:
        raise ValueError(f"unsupported keyword arguments for mode '{mode}': "
                         f"{set(kwargs) - allowed}")
    if kwargs.get("reflect_type", "even") != "even":
        raise NotImplementedError("numpy.pad(reflect_type='odd') is not supported on traced "
                                  "values")
    shape = shape_of(array)
    pairs = _pad_pairs(pad_width, len(shape))
    if not any(b or a for b, a in pairs):
        return array if shape else fresh_copy(array)  # numpy returns a new 0-d array
    if mode in _INDEX_MODES:
        return _pad_by_index(array, pairs, mode)
    value = kwargs.get("constant_values", 0)
    if isinstance(value, Tracer):
        if shape_of(value):
            raise NotImplementedError("a traced constant_values of numpy.pad must be a scalar")
        return apply(_pad, array, value, pairs=pairs, mode="constant")
    values = _static_values(value, len(shape), dtype_of(array))
    return apply(_pad, array, pairs=pairs, mode="constant", values=values)


def _pad_by_index(array, pairs: tuple, mode: str):
    for axis, (before, after) in enumerate(pairs):
        n = shape_of(array)[axis]
        if (before or after) and n is None:
            raise ValueError(f"numpy.pad(mode={mode!r}) needs the size of axis {axis} while "
                             "tracing, and it is unknown; trace with a fixed size for it")
        if (before or after) and n == 0:
            raise ValueError(f"can't extend empty axis {axis} using modes other than "
                             "'constant' or 'empty'")
    return apply(_pad, array, pairs=pairs, mode=mode)
