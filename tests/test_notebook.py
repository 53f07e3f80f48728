"""samples/intro_computational_graphs.ipynb runs top to bottom in a real Jupyter kernel
(nbclient + ipykernel, the `notebook` extra) and shows what it says: the seed's numbers,
the converted code, and its pictures inline.

The numbers are checked against the seed notebook's (worked out by hand from
e = (a + b) * (b + 1) at a = 2, b = 1): e = 6, de/da = 2, de/db = 5 from the tape outside,
de/dc = 2, de/dd = 3, de/de = 1 from the tape inside.
"""

import pathlib
import xml.etree.ElementTree as ET

import pytest

from autotrace.viz import dot_program

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOK = pathlib.Path(__file__).resolve().parent.parent / "samples" / \
    "intro_computational_graphs.ipynb"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def executed():
    if dot_program() is None:
        pytest.skip("no Graphviz program for the pictures: pip install autotrace[viz]")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=180, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute()
    return nb


def outputs(nb, cell_text: str) -> list:
    """The outputs of the one code cell whose source contains `cell_text`."""
    cells = [c for c in nb.cells if c.cell_type == "code" and cell_text in c.source]
    assert len(cells) == 1, f"{len(cells)} cells contain {cell_text!r}"
    return cells[0].outputs


def picture_texts(output) -> list[str]:
    """The text lines of an output's SVG picture, parsed as XML."""
    root = ET.fromstring(output["data"]["image/svg+xml"].encode())
    assert root.tag == f"{SVG}svg"
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def test_stored_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)


def test_pictures_inline(executed):
    shown = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs
             if "image/svg+xml" in o.get("data", {})]
    assert len(shown) == 5  # graph, values, derivatives, graph with gradients, backward
    graph = picture_texts(outputs(executed, "get_concrete_function(a, b, False)\ncf")[0])
    assert graph[0] == "create_graph(a, b)" and {"c = a + b", "d = b + 1", "e = c * d"} <= \
        set(graph)
    values = picture_texts(outputs(executed, "values=True)))")[0])
    assert {"a = 2", "b = 1", "c = 3", "d = 2", "e = 6"} <= set(values)
    derivatives = picture_texts(outputs(executed, "gradients=True)))")[0])
    totals = {"∂e/∂a = 2", "∂e/∂b = 5", "∂e/∂c = 2", "∂e/∂d = 3", "∂e/∂e = 1"}
    partials = {"∂c/∂a = 1", "∂c/∂b = 1", "∂d/∂b = 1", "∂e/∂c = 2", "∂e/∂d = 3"}
    assert totals | partials <= set(derivatives)
    backward = picture_texts(outputs(executed, "with_grads.backward().graph")[0])
    assert backward[0].startswith("create_graph_backward(a, b, ")


def test_concrete_functions_show_picture_and_text(executed):
    (shown,) = outputs(executed, "get_concrete_function(a, b, False)\ncf")
    assert shown["data"]["text/plain"].startswith(
        "graph create_graph(a: f64[1], b: f64[1]) -> f64[1]")
    assert shown["data"]["text/html"].startswith("<svg")
    assert shown["data"]["text/html"] in shown["data"]["image/svg+xml"]


def test_converted_code_is_highlighted(executed):
    (shown,) = outputs(executed, "viz.Code(create_graph.code)")
    assert "<span" in shown["data"]["text/html"] or "<pre>" in shown["data"]["text/html"]
    assert "at__.add(a, b)" in shown["data"]["text/plain"]


def test_the_seed_numbers(executed):
    (e,) = outputs(executed, 'e = create_graph(a, b, False)["out"]')
    assert e["data"]["text/plain"] == "EagerTensor([6.], dtype=float64)"
    (de_da,) = outputs(executed, "de_da = tape.gradient(e, a)")
    (de_db,) = outputs(executed, "de_db = tape.gradient(e, b)\nde_db")
    assert (de_da["data"]["text/plain"], de_db["data"]["text/plain"]) == \
        ("array([2.])", "array([5.])")
    (inner,) = outputs(executed, "for name, value in int_grads.items()")
    assert inner["text"] == ("d_dc EagerTensor([2.], dtype=float64)\n"
                             "d_dd EagerTensor([3.], dtype=float64)\n"
                             "d_de EagerTensor([1.], dtype=float64)\n")
    (together,) = outputs(executed, "print(de_da)")
    assert together["text"] == "[2.]\n[5.]\n[2.]\n[3.]\n[1.]\n"
