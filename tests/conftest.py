"""Test configuration: every compiled graph checks its run-time values against the static
shapes and dtypes its nodes promise (`AUTOTRACE_CHECK=1`), so shape rules are validated by
every test that runs a graph."""

import os

os.environ.setdefault("AUTOTRACE_CHECK", "1")


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _forget_defined_ops():
    """Ops a test defines with `at.defop` (its own or a docs example) are removed after it,
    so the registry-driven tests and docs/ops.md see only autotrace's ops."""
    from autotrace.ops import defop

    before = set(defop.DEFINED)
    yield
    for name in set(defop.DEFINED) - before:
        defop.forget(name)
