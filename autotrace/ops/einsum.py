"""Einstein summation (`einsum`) and `tensordot`.

`einsum` rewrites its subscripts at trace time into the explicit, ellipsis-free form
(`'...ij,jk'` on a 3-d and a 2-d operand becomes `'aij,jk->aik'`); that string is the
node's `subscripts` param, shown in graph text and passed to `numpy.einsum` at run time.

The VJP for one operand is one more einsum: the cotangent contracted with the other
operands. A label repeated in that operand (`'ii'`) gets a fresh label tied to it by an
identity matrix, a label no other term has gets a factor of ones, and size-1 dims that
were broadcast are summed out by `unbroadcast`. `tensordot` runs `numpy.tensordot` (so
results are numpy's exactly) and differentiates through the equivalent einsum.
"""

from __future__ import annotations

import string
from collections import Counter
from typing import Sequence

import numpy as np

from autotrace.ops import rules
from autotrace.ops.batch_rules import per_example
from autotrace.ops.creation import eye, ones_like
from autotrace.ops.registry import Aval, Op, apply, dispatches, register
from autotrace.ops.shape import dim_of, dtype_of, moveaxis, unbroadcast
from autotrace.ops.shapes import broadcast_shapes, normalize_axis, shape_of

_LETTERS = string.ascii_letters


# --- subscripts ---------------------------------------------------------------------------
def parse_subscripts(subscripts: str, ndims: Sequence[int]) -> tuple[list[str], str]:
    """(labels per operand, output labels) in explicit form without ellipses.

    Example:
        >>> parse_subscripts("...ij,jk", [3, 2])
        (['aij', 'jk'], 'aik')
    """
    spec = subscripts.replace(" ", "")
    lhs, arrow, rhs = spec.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(ndims):
        raise ValueError(f"einsum: the subscripts name {len(terms)} operand(s) but "
                         f"{len(ndims)} were given")
    for ch in (lhs + rhs).replace("...", "").replace(",", ""):
        if ch not in _LETTERS:
            raise ValueError(f"invalid subscript '{ch}' in einstein sum subscripts string, "
                             "subscripts must be letters")
    n_ell = max([nd - len(t) + 3 for t, nd in zip(terms, ndims) if "..." in t] + [0])
    ell = "".join(c for c in _LETTERS if c not in spec)[:n_ell]
    inputs = [_expand(t, nd, ell, k) for k, (t, nd) in enumerate(zip(terms, ndims))]
    if not arrow:
        counts = Counter("".join(terms).replace(".", ""))
        return inputs, ell + "".join(sorted(c for c, n in counts.items() if n == 1))
    if n_ell and "..." not in rhs:
        raise ValueError("output has more dimensions than subscripts given in einstein sum, "
                         "but no '...' ellipsis provided to broadcast the extra dimensions.")
    output = rhs.replace("...", ell)
    _check_output(output, "".join(inputs))
    return inputs, output


def _expand(term: str, ndim: int, ell: str, k: int) -> str:
    if "..." in term:
        n = ndim - (len(term) - 3)
        if n < 0:
            raise ValueError("einstein sum subscripts string contains too many subscripts for "
                             f"operand {k}")
        return term.replace("...", ell[len(ell) - n:])
    if len(term) != ndim:
        many = "many" if len(term) > ndim else "few"
        raise ValueError(f"einstein sum subscripts string contains too {many} subscripts for "
                         f"operand {k}")
    return term


def _check_output(output: str, seen: str) -> None:
    for c in output:
        if c not in seen:
            raise ValueError("einstein sum subscripts string included output subscript "
                             f"'{c}' which never appeared in an input")
        if output.count(c) > 1:
            raise ValueError("einstein sum subscripts string includes output subscript "
                             f"'{c}' multiple times")


def _split(subscripts: str) -> tuple[list[str], str]:
    lhs, _, output = subscripts.partition("->")
    return lhs.split(","), output


# --- einsum -------------------------------------------------------------------------------
def _einsum_abstract(*avals: Aval, subscripts: str, optimize=False) -> Aval:
    inputs, output = _split(subscripts)
    sizes: dict = {}
    for labels, aval in zip(inputs, avals):
        for c, d in zip(labels, aval.shape):
            sizes[c] = broadcast_shapes((sizes[c],), (d,))[0] if c in sizes else d
    return Aval(tuple(sizes[c] for c in output), np.result_type(*(a.dtype for a in avals)))


def _einsum_vjp(g, *operands_and_out, subscripts: str, optimize=False):
    operands = operands_and_out[:-1]
    inputs, output = _split(subscripts)
    return tuple(_operand_grad(g, operands, inputs, output, k) for k in range(len(operands)))


def _operand_grad(g, operands, inputs, output, k):
    """d(einsum)/d(operand k) applied to the cotangent `g`, as one einsum."""
    x = operands[k]
    if dtype_of(x).kind not in "fc":
        return None
    others = [j for j in range(len(operands)) if j != k]
    terms = [output] + [inputs[j] for j in others]
    values = [g] + [operands[j] for j in others]
    spare = iter(c for c in _LETTERS if c not in "".join(inputs))
    target = ""
    for pos, c in enumerate(inputs[k]):
        if c in target:  # 'ii': the second i becomes j, with a factor eye[i, j]
            fresh = next(spare)
            terms.append(c + fresh)
            values.append(eye(dim_of(x, pos), dtype=dtype_of(x)))
            c = fresh
        target += c
    if any(c not in "".join(terms) for c in target):  # labels only x has: sum of g spreads
        terms.append(target)
        values.append(ones_like(x))
    grad = apply(_einsum, *values, subscripts=",".join(terms) + "->" + target)
    return unbroadcast(grad, x)


def batched_subscripts(subscripts: str, dims) -> str | None:
    """`subscripts` with a fresh label for the batch axis, on the batched operands (`dims`
    not None) and first in the output; None when every letter is taken."""
    inputs, output = _split(subscripts)
    fresh = next((c for c in _LETTERS if c not in subscripts), None)
    if fresh is None:
        return None
    terms = [fresh + t if d is not None else t for t, d in zip(inputs, dims)]
    return ",".join(terms) + "->" + fresh + output


def _einsum_batch(trace, op, values, dims, params):
    subscripts = batched_subscripts(params["subscripts"], dims)
    if subscripts is None:
        return per_example(trace, op, values, dims, params)
    return apply(op, *values, **dict(params, subscripts=subscripts)), 0


_einsum = register(Op(
    "einsum",
    lambda *ops, subscripts, optimize=False: np.einsum(subscripts, *ops, optimize=optimize),
    _einsum_abstract, vjp=_einsum_vjp, batch=_einsum_batch,
))
rules.multilinear(_einsum)


@dispatches(np.einsum)
def einsum(subscripts, *operands, out=None, dtype=None, order="K", casting="safe",
           optimize=False):
    """`numpy.einsum` in the subscripts-string form: explicit (`'ij,jk->ik'`), implicit
    (`'ij,jk'`) and with ellipses (`'...ij,...jk->...ik'`)."""
    if out is not None or dtype is not None:
        raise NotImplementedError("einsum(out=/dtype=) is not supported on traced values")
    if not isinstance(subscripts, str):
        raise NotImplementedError("einsum in the (operand, sublist, ...) form is not supported "
                                  "on traced values; use a subscripts string")
    inputs, output = parse_subscripts(subscripts, [len(shape_of(x)) for x in operands])
    params = {"subscripts": ",".join(inputs) + "->" + output}
    if optimize is not False:
        params["optimize"] = optimize
    return apply(_einsum, *operands, **params)


# --- tensordot ----------------------------------------------------------------------------
def _tensordot_abstract(a: Aval, b: Aval, axes=((), ())) -> Aval:
    axes_a, axes_b = axes
    for i, j in zip(axes_a, axes_b):
        if None not in (a.shape[i], b.shape[j]) and a.shape[i] != b.shape[j]:
            raise ValueError("shape-mismatch for sum")
    shape = tuple(d for i, d in enumerate(a.shape) if i not in axes_a) + tuple(
        d for j, d in enumerate(b.shape) if j not in axes_b)
    return Aval(shape, np.result_type(a.dtype, b.dtype))


def tensordot_subscripts(nda: int, ndb: int, axes: tuple) -> str:
    """The einsum subscripts of `tensordot` with normalized `axes`."""
    labels_a, labels_b = _LETTERS[:nda], list(_LETTERS[nda:nda + ndb])
    for i, j in zip(*axes):
        labels_b[j] = labels_a[i]
    free_a = "".join(c for i, c in enumerate(labels_a) if i not in axes[0])
    free_b = "".join(c for j, c in enumerate(labels_b) if j not in axes[1])
    return f"{labels_a},{''.join(labels_b)}->{free_a}{free_b}"


def _tensordot_vjp(g, a, b, out, axes):
    subscripts = tensordot_subscripts(len(shape_of(a)), len(shape_of(b)), axes)
    return _einsum_vjp(g, a, b, out, subscripts=subscripts)


def _tensordot_batch(trace, op, values, dims, params):
    """One batched operand: its contracted axes shift by one (a batched `b` puts the batch
    after `a`'s free axes: moved to the front). Both batched: the einsum with a batch label."""
    (a, b), (da, db), (axes_a, axes_b) = values, dims, params["axes"]
    if da is not None and db is not None:
        example = tensordot_subscripts(len(shape_of(a)) - 1, len(shape_of(b)) - 1,
                                       params["axes"])
        subscripts = batched_subscripts(example, dims)
        if subscripts is None:
            return per_example(trace, op, values, dims, params)
        return apply(_einsum, a, b, subscripts=subscripts), 0
    if da is not None:
        return apply(op, a, b, axes=(tuple(i + 1 for i in axes_a), axes_b)), 0
    out = apply(op, a, b, axes=(axes_a, tuple(j + 1 for j in axes_b)))
    at = len(shape_of(a)) - len(axes_a)
    return (moveaxis(out, at, 0) if at else out), 0


_tensordot = register(Op("tensordot", lambda a, b, axes: np.tensordot(a, b, axes=axes),
                         _tensordot_abstract, vjp=_tensordot_vjp, batch=_tensordot_batch))
rules.multilinear(_tensordot)


def _tensordot_axes(axes, nda: int, ndb: int) -> tuple:
    """numpy's `axes` argument -> (axes of a, axes of b), non-negative ints."""
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        if not 0 <= n <= min(nda, ndb):
            raise ValueError("shape-mismatch for sum")
        return tuple(range(nda - n, nda)), tuple(range(n))
    axes_a, axes_b = ([x] if isinstance(x, (int, np.integer)) else list(x) for x in axes)
    if len(axes_a) != len(axes_b):
        raise ValueError("shape-mismatch for sum")
    return (tuple(normalize_axis(i, nda) for i in axes_a),
            tuple(normalize_axis(j, ndb) for j in axes_b))


@dispatches(np.tensordot)
def tensordot(a, b, axes=2):
    """`numpy.tensordot`: sum products over `axes` (an int N: the last N axes of `a` with
    the first N of `b`; or a pair of axis sequences)."""
    axes = _tensordot_axes(axes, len(shape_of(a)), len(shape_of(b)))
    return apply(_tensordot, a, b, axes=axes)
