"""Documentation that is generated must match its generator."""

import pathlib

from autotrace.ops.catalog import markdown

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_ops_list_is_current():
    text = (ROOT / "docs" / "ops.md").read_text()
    assert text == markdown(), "regenerate: python -m autotrace.ops.catalog > docs/ops.md"
