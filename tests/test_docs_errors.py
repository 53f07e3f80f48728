"""docs/errors.md lists every error and warning class a user can meet."""

import inspect
import pathlib
import re

import autotrace
from autotrace import errors
from autotrace.errors import ConversionWarning

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _documented() -> set[str]:
    text = (ROOT / "docs" / "errors.md").read_text()
    return set(re.findall(r"^### (\w+)", text, flags=re.MULTILINE))


def _message_classes() -> set[type]:
    found = {c for _, c in inspect.getmembers(errors, inspect.isclass)
             if issubclass(c, BaseException) and c.__module__ == errors.__name__}
    found |= {c for _, c in inspect.getmembers(autotrace, inspect.isclass)
              if issubclass(c, BaseException)}
    return found | {ConversionWarning}


def test_every_error_and_warning_class_is_documented():
    classes = _message_classes()
    assert {"ConversionError", "TracingError", "UnsupportedError", "GraphSizeError",
            "RetracingWarning", "CacheEvictionWarning", "UnrollingWarning"} <= \
        {c.__name__ for c in classes}
    missing = sorted(c.__name__ for c in classes if c.__name__ not in _documented())
    assert missing == [], f"add a `### Name` section to docs/errors.md for {missing}"
