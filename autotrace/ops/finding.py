"""Index finding: nonzero (and one-argument `where`), argwhere, flatnonzero,
count_nonzero, unique, isin.

Results whose length depends on the data have an unknown dim (`None`), as a boolean
mask's selection does. `nonzero` and `unique_indices` are ops with integer results (no
gradient); `unique`'s values are the input gathered at the first occurrences
(`x.ravel()[index]`, exactly numpy's values), so they carry gradients. Batched, these ops
run example by example; per-example results of different lengths cannot be stacked
(numpy's error).
"""

from __future__ import annotations

import numpy as np

from autotrace.core import bind
from autotrace.ops.index import getitem
from autotrace.ops.join import stack
from autotrace.ops.reduce import sum as reduce_sum
from autotrace.ops.registry import Aval, Op, apply, dispatches, register
from autotrace.ops.shape import astype, python_scalar, ravel, reshape, reshape_like
from autotrace.ops.shapes import normalize_axes, shape_of

_INTP = np.dtype(np.intp)


# --- nonzero and friends ------------------------------------------------------------------
_nonzero = register(Op(
    "nonzero", lambda x: np.nonzero(x),
    lambda x: tuple(Aval((None,), _INTP) for _ in x.shape),
    multiple_results=True, differentiable=False,
))


def _nonzero_0d_error() -> Exception | None:
    try:
        np.nonzero(np.ones(()))
    except ValueError as e:
        return e
    return None


_NONZERO_0D = _nonzero_0d_error()  # numpy >= 2.1 refuses 0-d input


@dispatches(np.nonzero)
def nonzero(a) -> tuple:
    """`numpy.nonzero`: one index array per axis, of a length known only at run time."""
    if not shape_of(a):
        if _NONZERO_0D is not None:
            raise ValueError(str(_NONZERO_0D))
        a = reshape(a, (1,))
    return tuple(apply(_nonzero, a))


@dispatches(np.argwhere)
def argwhere(a):
    """`numpy.argwhere`: the indices of nonzero elements, one row each."""
    if not shape_of(a):
        return getitem(argwhere(reshape(a, (1,))), (slice(None), slice(None, 0)))
    return stack(nonzero(a), axis=1)


@dispatches(np.flatnonzero)
def flatnonzero(a):
    """`numpy.flatnonzero`: indices of the nonzero elements of the flattened value."""
    return nonzero(ravel(a))[0]


@dispatches(np.count_nonzero)
def count_nonzero(a, axis=None, *, keepdims=False):
    """`numpy.count_nonzero`: intp counts; without `axis`, the type numpy gives (a Python
    int before numpy 2.3)."""
    counts = reduce_sum(astype(a, bool, copy=False),
                        axis=None if axis is None else normalize_axes(axis, len(shape_of(a))),
                        keepdims=keepdims)
    counts = astype(counts, _INTP, copy=False)
    return python_scalar(counts) if axis is None and not keepdims and _COUNT_IS_INT else counts


# numpy < 2.3 counts the whole array into a Python int, later versions into an intp scalar
_COUNT_IS_INT = type(np.count_nonzero(np.ones(1))) is int


# --- unique -------------------------------------------------------------------------------
def _unique_abstract(x: Aval, equal_nan=True):
    return Aval((None,), _INTP), Aval((None,), _INTP), Aval((None,), _INTP)


def _unique_impl(x, equal_nan=True):
    _, index, inverse, counts = np.unique(x, return_index=True, return_inverse=True,
                                          return_counts=True, equal_nan=equal_nan)
    return index, np.reshape(inverse, -1), counts


_unique_indices = register(Op("unique_indices", _unique_impl, _unique_abstract,
                              multiple_results=True, differentiable=False))
# numpy 2 shapes the inverse like the input for axis=None (2.0.1 briefly did not)
_INVERSE_SHAPED = np.unique(np.zeros((1, 1)), return_inverse=True)[1].ndim == 2


@dispatches(np.unique)
def unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None, *,
           equal_nan=True, sorted=True):  # noqa: A002 - numpy's name
    """`numpy.unique` of the flattened value (axis=None): sorted values, and on request
    first indices, the inverse and counts. The values carry gradients."""
    if axis is not None:
        raise NotImplementedError("numpy.unique(axis=...) is not supported on traced values")
    if not sorted:
        raise NotImplementedError("numpy.unique(sorted=False) is not supported on traced "
                                  "values")
    flat = ravel(ar)
    index, inverse, counts = apply(_unique_indices, flat, equal_nan=bool(equal_nan))
    values = getitem(flat, index)
    if _INVERSE_SHAPED:
        inverse = reshape_like(inverse, ar) if shape_of(ar) else reshape(inverse, ())
    extra = [r for r, wanted in ((index, return_index), (inverse, return_inverse),
                                 (counts, return_counts)) if wanted]
    return (values, *extra) if extra else values


# --- isin ---------------------------------------------------------------------------------
def _isin_batch(trace, op, values, dims, params):
    """Elementwise in `element`: one call when the test values are shared."""
    if dims[1] is None:
        return bind(op, *values, **params), dims[0]
    from autotrace.autodiff.batch_trace import loop_rule  # lazy import: autodiff is above ops

    return loop_rule(trace, op, values, dims, params)


_isin = register(Op(
    "isin", lambda x, test, invert=False, kind=None: np.isin(x, test, invert=invert, kind=kind),
    lambda x, test, invert=False, kind=None: Aval(x.shape, np.dtype(bool)),
    differentiable=False, batch=_isin_batch,
))


@dispatches(np.isin)
def isin(element, test_elements, assume_unique=False, invert=False, *, kind=None):
    """`numpy.isin`: whether each element is among `test_elements` (either may be traced)."""
    if kind not in (None, "sort", "table"):
        raise ValueError(f"Invalid kind: '{kind}'. Please use None or 'sort' or 'table'.")
    params = {"invert": True} if invert else {}
    if kind is not None:
        params["kind"] = kind
    return apply(_isin, element, test_elements, **params)
