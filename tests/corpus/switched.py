"""The whole control-flow corpus run with an optimization switched on and off: an
equivalence test per pass (issue 12). `outcomes` runs one case's forward function and the
gradient of its sum on every input; `assert_same` compares two runs."""

from __future__ import annotations

import copy
import warnings

import numpy as np

import autotrace as at
from corpus import branches, calls, logic, loops, python_values

CASES = [c for m in (branches, loops, calls, logic, python_values) for c in m.CORPUS.cases]


def float_args(args) -> tuple:
    """Positions of the float arrays among `args` (what a gradient differentiates)."""
    return tuple(i for i, a in enumerate(args)
                 if isinstance(a, np.ndarray) and a.dtype.kind == "f")


def loss_of(fn):
    def loss(*args):
        return np.sum(fn(*args))

    return loss


def outcomes(case, observe, forward: bool = True) -> list:
    """Per input, for the forward function (if `forward`) and the gradient of the sum
    w.r.t. the float arrays: `(result, observe(fn, args))`, or `(exception type, None)`."""
    fns = [at.trace(case.fn)] if forward else []
    argnums = float_args(case.inputs[0])
    if argnums:
        fns.append(at.grad(loss_of(case.fn), argnums=argnums))
    out = []
    for args in case.inputs:
        for fn in fns:
            try:
                with np.errstate(all="ignore"), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    out.append((fn(*copy.deepcopy(args)), observe(fn, copy.deepcopy(args))))
            except Exception as e:  # the same failure with and without the pass
                out.append((type(e), None))
    return out


def graph_text(fn, args) -> str:
    return str(fn.get_concrete_function(*args).graph)


def source(fn, args) -> str:
    return fn.get_concrete_function(*args)._call.source


def assert_same(on: list, off: list, rtol: float, exact_scalars: bool = True) -> None:
    """Equal results: the same exception types; arrays of the same type, dtype and shape,
    equal bit for bit (`rtol` 0) or within `rtol`; other leaves equal (or within `rtol`
    when not `exact_scalars`)."""
    assert len(on) == len(off)
    for (value_on, _), (value_off, _) in zip(on, off):
        if isinstance(value_off, type):
            assert value_on is value_off
            continue
        for got, want in zip(leaves(value_on), leaves(value_off)):
            assert type(got) is type(want)
            if isinstance(want, (np.ndarray, np.generic)) or not exact_scalars:
                assert np.asarray(got).dtype == np.asarray(want).dtype
                assert np.shape(got) == np.shape(want)
                if rtol:
                    np.testing.assert_allclose(got, want, rtol=rtol, atol=0, equal_nan=True)
                else:
                    np.testing.assert_array_equal(got, want)  # bit for bit
            else:
                assert got == want or (got != got and want != want)


def count_changed(on: list, off: list) -> int:
    """How many of the observations differ between two runs."""
    return sum(a != b for (_, a), (_, b) in zip(on, off))


def leaves(x) -> list:
    if isinstance(x, (tuple, list)):
        return [leaf for item in x for leaf in leaves(item)]
    if isinstance(x, dict):
        return [leaf for k in sorted(x, key=str) for leaf in leaves(x[k])]
    return [x]
