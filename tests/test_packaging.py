"""The explicit package list in pyproject.toml must cover every package directory."""

import pathlib
import re

import pytest

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_every_package_directory_is_listed():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    found = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in (ROOT / "autotrace").rglob("__init__.py")
    }
    assert found - listed == set(), "add these packages to [tool.setuptools] packages"
    assert config["package-dir"]["autotrace_samples"] == "samples"
    assert "autotrace_samples" in listed


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_license_file_matches_the_metadata():
    project = _project()
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License\n\nCopyright (c) ") and "the autotrace authors" in text
    assert "THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND" in text
    # an SPDX `license` replaces the License classifier (setuptools >= 77 refuses both)
    assert not any(c.startswith("License ::") for c in project["classifiers"])


def test_classifiers_are_known_to_pypi():
    trove = pytest.importorskip("trove_classifiers")
    unknown = [c for c in _project()["classifiers"] if c not in trove.classifiers]
    assert unknown == []


def test_extras_bring_what_pictures_and_the_notebook_need():
    extras = _project()["optional-dependencies"]
    names = {key: {re.split(r"[<>=\[ ]", d)[0] for d in deps} for key, deps in extras.items()}
    assert names["viz"] == {"graphviz-pure"}  # no `graphviz` Python package: not needed
    assert names["notebook"] == {"nbclient", "nbformat", "ipykernel"}
    assert "autotrace[notebook]" in extras["dev"]  # CI installs dev: the notebook test runs
    assert names["onnx"] == {"onnx", "onnxruntime"} and "autotrace[onnx]" in extras["dev"]
