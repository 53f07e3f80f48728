"""The README's tour runs, and the graphs it shows are the ones autotrace prints."""

import pathlib
import subprocess
import sys

import pytest
from test_docs import code_blocks

from autotrace.viz import dot_program

ROOT = pathlib.Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def blocks(language: str) -> list[str]:
    """Fenced code blocks of the README tagged `language` ("" for untagged ones)."""
    return [code for _, code in code_blocks(README, language)]


@pytest.fixture(scope="module")
def tour_output(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("tour")
    code = blocks("python")[0]
    if dot_program() is None:  # the last line draws a picture
        code = code.replace('f.render("f.svg"', '# f.render("f.svg"')
    (folder / "tour.py").write_text(code)
    done = subprocess.run([sys.executable, "tour.py"], cwd=folder, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_tour_prints_the_values_it_promises(tour_output):
    assert tour_output.splitlines()[0] == "6.0"
    assert "(array([2.]), array([5.]))" in tour_output
    assert "[2.]" in tour_output.splitlines()[-1]


@pytest.mark.parametrize("which", [0, 1], ids=["forward", "gradient"])
def test_graph_listings_are_what_autotrace_prints(tour_output, which):
    listing = blocks("")[which]
    assert listing.strip() in tour_output
