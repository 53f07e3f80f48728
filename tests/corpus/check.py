"""`assert_same_as_python`: the traced function against the function itself, the oracle.

For every input: the same values (np.testing), dtypes, Python types and container
structure, the same text printed, the same exception type and message when the original
raises. Over all inputs: ONE trace (they share a signature) and at least `paths` distinct
paths through the original (its executed bytecode, recorded with `sys.settrace`), so one
graph is shown to compute several branches and trip counts.
"""

from __future__ import annotations

import contextlib
import copy
import io
import os
import sys

import numpy as np

import autotrace as at

_HERE = os.path.dirname(os.path.abspath(__file__))
_PY_SCALARS = (bool, int, float, complex)


def assert_same_as_python(fn, inputs: list, merged_scalars: bool = False, paths: int = 2,
                          rtol: float = 1e-12) -> None:
    """Check `at.trace(fn)` against `fn` on each argument tuple of `inputs` (see module doc)."""
    traced = at.trace(fn)
    seen = {compare_call(traced, fn, args, merged_scalars, rtol) for args in inputs}
    assert traced.trace_count == 1, f"{fn.__name__} traced {traced.trace_count} times"
    assert len(seen) >= paths, f"{fn.__name__}: the inputs take {len(seen)} path(s) only"


def compare_call(traced, fn, args: tuple, merged_scalars: bool = False,
                 rtol: float = 1e-12) -> tuple:
    """Check one call of `traced` against `fn` (result or error, printed text); returns
    the path `fn` took."""
    expected, printed, path = _run_python(fn, copy.deepcopy(args))
    got, got_printed = _run(traced, copy.deepcopy(args))
    where = f"{fn.__name__}{_describe(args)}"
    if isinstance(expected, BaseException):
        _assert_same_error(got, expected, where)
    else:
        assert not isinstance(got, BaseException), f"{where}: raised {got!r}"
        assert_same(got, expected, where, merged_scalars, rtol)
    assert got_printed == printed, f"{where}: printed {got_printed!r}, not {printed!r}"
    return path


def assert_same(got, expected, where: str = "result", merged_scalars: bool = False,
                rtol: float = 1e-12) -> None:
    """Same Python type, dtype, shape, structure and values (NaN == NaN)."""
    if isinstance(expected, _PY_SCALARS) and merged_scalars and isinstance(got, np.generic):
        np.testing.assert_allclose(got, expected, rtol=rtol, err_msg=where)
        return
    assert type(got) is type(expected), \
        f"{where}: {type(got).__name__} {got!r} is not {type(expected).__name__} {expected!r}"
    if isinstance(expected, (list, tuple)):
        assert len(got) == len(expected), f"{where}: length {len(got)} != {len(expected)}"
        for i, (g, e) in enumerate(zip(got, expected)):
            assert_same(g, e, f"{where}[{i}]", merged_scalars, rtol)
    elif isinstance(expected, dict):
        assert list(got) == list(expected), f"{where}: keys {list(got)} != {list(expected)}"
        for k in expected:
            assert_same(got[k], expected[k], f"{where}[{k!r}]", merged_scalars, rtol)
    elif isinstance(expected, (np.ndarray, np.generic)):
        assert got.dtype == expected.dtype, f"{where}: dtype {got.dtype} != {expected.dtype}"
        assert got.shape == expected.shape, f"{where}: shape {got.shape} != {expected.shape}"
        _assert_values(got, expected, where, rtol)
    elif isinstance(expected, _PY_SCALARS):
        _assert_values(got, expected, where, rtol)
    else:
        assert got == expected, f"{where}: {got!r} != {expected!r}"


def _assert_values(got, expected, where: str, rtol: float) -> None:
    if np.asarray(expected).dtype.kind in "fc":
        np.testing.assert_allclose(got, expected, rtol=rtol, equal_nan=True, err_msg=where)
    else:
        np.testing.assert_array_equal(got, expected, err_msg=where)


def _assert_same_error(got, expected: BaseException, where: str) -> None:
    assert isinstance(got, BaseException), f"{where}: returned {got!r}, Python raises " \
                                           f"{expected!r}"
    assert type(got) is type(expected), f"{where}: raised {got!r}, Python raises {expected!r}"
    assert str(expected) in str(got), f"{where}: message {str(got)!r} lacks {str(expected)!r}"


def _run(fn, args):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            result = fn(*args)
        except Exception as e:  # compared with what Python raises
            result = e
    return result, out.getvalue()


def _run_python(fn, args):
    """`fn(*args)` (or the exception), what it printed, and the path it took: the
    bytecode offsets it ran in corpus code (lines do not separate `a if p else b`)."""
    lines = []

    def tracer(frame, event, arg):
        if frame.f_code.co_filename.startswith(_HERE):
            frame.f_trace_opcodes = True
            if event == "opcode":
                lines.append((frame.f_code.co_name, frame.f_lasti))
            return tracer
        return None

    old = sys.gettrace()
    sys.settrace(tracer)
    try:
        result, printed = _run(fn, args)
    finally:
        sys.settrace(old)
    return result, printed, tuple(lines)


def _describe(args) -> str:
    return "(" + ", ".join(np.array2string(a, threshold=6) if isinstance(a, np.ndarray)
                           else repr(a) for a in args) + ")"
