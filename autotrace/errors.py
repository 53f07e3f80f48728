"""Error types, and attaching the user's file and line to errors raised inside autotrace."""

from __future__ import annotations

import linecache
import os
import sys

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
# Code objects produced by the converter count as user code wherever their file lives
# (the demo's own functions live inside this package).
CONVERTED_CODES: set = set()


class AutotraceError(Exception):
    """Base class of errors raised by autotrace itself."""


class ConversionError(AutotraceError):
    """A construct the converter cannot turn into graph code (names the construct and line)."""


class TracingError(AutotraceError, TypeError):
    """A traced value was used in a way that needs a concrete value (bool(), float(), ...)."""


class UnsupportedError(AutotraceError, NotImplementedError):
    """A numpy function or feature autotrace does not implement for traced values."""


def user_frame(depth: int = 1):
    """The innermost frame that belongs to user code (not autotrace, numpy or stdlib)."""
    frame = sys._getframe(depth + 1)
    while frame is not None:
        code = frame.f_code
        if code in CONVERTED_CODES or not _is_library_file(code.co_filename):
            return frame
        frame = frame.f_back
    return None


def _is_library_file(filename: str) -> bool:
    if filename.startswith(_PACKAGE_DIR) or filename.startswith("<"):
        return True
    return "site-packages" in filename and os.sep + "numpy" + os.sep in filename


def location_of_frame(frame) -> str:
    """`file.py:12: source text` of a frame's current line."""
    filename, lineno = frame.f_code.co_filename, frame.f_lineno
    source = linecache.getline(filename, lineno).strip()
    return f'File "{filename}", line {lineno}, in {frame.f_code.co_name}: {source}'


def at_user_line(message: str, depth: int = 1) -> str:
    """Append the location of the user's line currently executing to `message`."""
    frame = user_frame(depth + 1)
    if frame is None:
        return message
    return f"{message}\n  at {location_of_frame(frame)}"
