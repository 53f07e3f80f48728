"""numpy as the oracle: run a function on plain numpy and through autotrace, compare.

`check(fn, *args)` asserts that

* the traced function (`autotrace.trace(fn, autograph=False)`) returns what `fn` returns on
  the same numpy inputs: equal values (NaNs equal), identical dtype, shape and Python type
  (`np.ndarray` vs numpy scalar);
* the eager path (`EagerTensor` inputs, no trace) and the traced function called on
  `EagerTensor`s return an `EagerTensor` holding the same;
* when numpy raises, both autotrace paths raise an exception of numpy's type (or a subclass).

numpy's warnings (log(0), 0/0, mean of empty) are silenced for both sides alike.
"""

from __future__ import annotations

import contextlib
import warnings

import numpy as np
import pytest

import autotrace as at

DTYPES = {
    "f32": np.float32, "f64": np.float64, "i32": np.int32, "i64": np.int64, "bool": np.bool_,
}  # fmt: skip


def sample(shape, dtype, seed: int = 0, positive: bool = False) -> np.ndarray:
    """Small deterministic values of `dtype`: ints in [-4, 4] (or [1, 4]), floats with halves."""
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return rng.integers(0, 2, size=shape).astype(bool)
    lo = 1 if positive or dtype.kind == "u" else -4
    values = rng.integers(lo, 5, size=shape).astype(np.float64)
    if dtype.kind in "fc":
        values = values / 2
    if dtype.kind == "c":
        values = values + 1j * rng.integers(-2, 3, size=shape)
    return values.astype(dtype)


def scalar_or_array(shape, dtype, seed: int = 0, positive: bool = False):
    """`sample`, but a numpy scalar for shape `"scalar"` (what numpy returns for 0-d ops)."""
    if shape == "scalar":
        return sample((), dtype, seed, positive)[()]
    return sample(shape, dtype, seed, positive)


def bind(fn, *args, **kwargs):
    """`lambda x: fn(x, *args, **kwargs)`, with the extra arguments bound by value."""
    return lambda x: fn(x, *args, **kwargs)


def method(name: str, *args, **kwargs):
    """`lambda x: x.<name>(*args, **kwargs)`."""
    return lambda x: getattr(x, name)(*args, **kwargs)


def assert_same(got, expected) -> None:
    """Same Python type, dtype, shape and values (NaN == NaN)."""
    assert type(got) is type(expected), f"type {type(got).__name__} != {type(expected).__name__}"
    assert got.dtype == expected.dtype, f"dtype {got.dtype} != {expected.dtype}"
    assert np.shape(got) == np.shape(expected), f"shape {np.shape(got)} != {np.shape(expected)}"
    if not np.array_equal(got, expected, equal_nan=expected.dtype.kind in "fc"):
        np.testing.assert_array_equal(got, expected)  # raises, with a readable diff


@contextlib.contextmanager
def quiet():
    """Silence numpy's floating-point and RuntimeWarnings (0/0, mean of empty, ddof >= n)."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _numpy(fn, args):
    with quiet():
        try:
            return fn(*args), None
        except Exception as e:  # noqa: BLE001 - the oracle's error is the expected outcome
            return None, e


def _eager(args):
    return [at.EagerTensor(a) if isinstance(a, (np.ndarray, np.generic)) else a for a in args]


def check(fn, *args, eager: bool = True, traced=None):
    """Compare `fn` on numpy with `fn` traced (and eager); returns numpy's result.

    Args:
        fn: a function of numpy values (a lambda is fine).
        *args: its arguments; arrays and numpy scalars become graph inputs.
        eager: also run `fn` and the traced function on `EagerTensor`s.
        traced: a traced `fn` to reuse (to check a graph on new values of its signature).
    """
    expected, error = _numpy(fn, args)
    traced = traced or at.trace(fn, autograph=False)
    runs = [("traced", lambda: traced(*args))]
    if eager:
        runs.append(("eager", lambda: fn(*_eager(args))))
        runs.append(("traced on eager", lambda: traced(*_eager(args))))
    for mode, run in runs:
        with quiet():
            if error is not None:
                with pytest.raises(type(error)):
                    run()
                continue
            got = run()
        if mode != "traced":
            assert isinstance(got, at.EagerTensor), f"{mode}: result is {type(got).__name__}"
            got = got.numpy()
        try:
            if mode == "traced on eager":  # registry._wrap_eager makes numpy scalars 0-d arrays
                got = got[()] if type(expected) is not np.ndarray else got
            assert_same(got, expected)
        except AssertionError as e:
            raise AssertionError(f"{mode}: {e}") from None
    return expected


def raises_like_numpy(fn, *args) -> BaseException:
    """numpy raises on `fn(*args)`; the traced call raises the same type. Returns the error."""
    expected, error = _numpy(fn, args)
    assert error is not None, f"numpy did not raise (returned {expected!r})"
    with quiet(), pytest.raises(type(error)) as info:
        at.trace(fn, autograph=False)(*args)
    return info.value
