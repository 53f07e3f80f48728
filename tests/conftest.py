"""Test configuration: every compiled graph checks its run-time values against the static
shapes and dtypes its nodes promise (`AUTOTRACE_CHECK=1`), so shape rules are validated by
every test that runs a graph."""

import os

os.environ.setdefault("AUTOTRACE_CHECK", "1")
