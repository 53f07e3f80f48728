"""Pictures: DOT text of graphs with values and derivatives, rendering, Jupyter display.

Numbers in pictures are checked against oracles: the seed's derivatives by hand from
e = (a + b) * (b + 1), elementwise partials against numpy's derivative formulas, totals
against central finite differences of the plain Python function.
"""

import html
import re
import shutil
import sys

import numpy as np
import pytest

import autotrace as at
from autotrace import viz

A, B = np.array([2.0]), np.array([1.0])


@at.trace
def seed(a, b):
    c = a + b
    d = b + 1
    e = c * d
    return e


def branchy(x, y):
    if x.sum() > 0:
        z = x * y
    else:
        z = x - y
    while (z * z).sum() < 100:
        z = z * 2
    return z + 1


def wave(x):
    y = np.sin(x)
    return y * x


# -- a tiny reader of the DOT text we write ----------------------------------------------------
_NODE = re.compile(r"^\s*(\w+) \[label=<(.*)>(?:,|\])")
_EDGE = re.compile(r"^\s*(\w+) -> (\w+)(?: \[(.*)\])?;$")


def _rows(label: str) -> list[str]:
    return [html.unescape(re.sub(r"<[^>]+>", "", r)) for r in label.split("<BR/>")]


def parse(dot: str):
    """(nodes: id -> label rows, edges: (src, dst) -> label rows)."""
    nodes, edges = {}, {}
    for line in dot.splitlines():
        edge = _EDGE.match(line)
        if edge:
            src, dst, attrs = edge.groups()
            label = re.search(r"label=<(.*)>", attrs or "")
            edges[src, dst] = _rows(label.group(1)) if label else []
            continue
        node = _NODE.match(line)
        if node:
            nodes[node.group(1)] = _rows(node.group(2))
    return nodes, edges


def numbers(text: str) -> np.ndarray:
    """The numbers of a label value such as `[2, 1]` or `0.5`."""
    return np.array([float(t) for t in re.findall(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?", text)])


def facts(dot: str) -> dict:
    """name -> {'value': ..., 'total': ...} for top-level values, and edge partials."""
    nodes, edges = parse(dot)
    name_of = {i: rows[0].split(" = ")[0] for i, rows in nodes.items()}
    found = {}
    for ident, rows in nodes.items():
        name = name_of[ident]
        info = found.setdefault(name, {})
        for row in rows[1:]:
            if row.startswith(f"{name} = "):
                info["value"] = numbers(row.split(" = ", 1)[1])
            elif row.startswith("∂") and f"/∂{name} = " in row:
                info["total"] = numbers(row.split(" = ", 1)[1])
    partials = {}
    for rows in edges.values():
        for row in rows:
            m = re.match(r"∂(\S+)/∂(\S+) = (.*)", row)
            if m:
                partials[m.group(1), m.group(2)] = numbers(m.group(3))
    return {"nodes": found, "partials": partials, "raw_nodes": nodes, "edges": edges}


# -- the seed notebook's three pictures ---------------------------------------------------------
def test_seed_graph_names_ops_and_roles():
    dot = seed.get_concrete_function(A, B).graph.to_dot()
    nodes, edges = parse(dot)
    heads = {rows[0] for rows in nodes.values()}
    assert {"a", "b", "c = a + b", "d = b + 1", "e = c * d"} <= heads
    assert dot.count("shape=ellipse") == 2  # inputs a and b
    assert dot.count("peripheries=2") == 1  # the output e
    assert len(edges) == 5


def test_seed_values_at_their_nodes():
    found = facts(seed.to_dot(A, B, values=True))["nodes"]
    c, d = A + B, B + 1
    expected = {"a": A, "b": B, "c": c, "d": d, "e": c * d}
    for name, value in expected.items():
        np.testing.assert_allclose(found[name]["value"], value)
    assert all("total" not in info for info in found.values())


def test_seed_derivatives_on_edges_and_totals_at_nodes():
    info = facts(seed.to_dot(A, B, values=True, gradients=True))
    c, d = A + B, B + 1  # by hand: ∂e/∂c = d, ∂e/∂d = c, and sums over paths
    local = {("c", "a"): 1, ("c", "b"): 1, ("d", "b"): 1, ("e", "c"): d, ("e", "d"): c}
    assert set(info["partials"]) == set(local)
    for edge, value in local.items():
        np.testing.assert_allclose(info["partials"][edge], value)
    totals = {"a": d, "b": d + c, "c": d, "d": c, "e": 1}
    for name, value in totals.items():
        np.testing.assert_allclose(info["nodes"][name]["total"], value)


def test_seed_with_tape_inside_and_dict_outputs():
    @at.trace
    def create_graph(a, b):
        with at.GradientTape(persistent=True) as tape:
            c = a + b
            d = b + 1
            e = c * d
        return {"out": e, "d_dc": tape.gradient(e, c), "d_dd": tape.gradient(e, d)}

    info = facts(create_graph.to_dot(at.Variable([2.0]), at.Variable([1.0]), values=True,
                                     gradients=True))
    assert info["nodes"]["e"]["value"] == 6 and info["nodes"]["b"]["total"] == 5
    assert "output 0" in sum(info["raw_nodes"].values(), [])


# -- control flow ---------------------------------------------------------------------------------
def test_if_and_while_are_clusters_with_their_subgraphs():
    f = at.trace(branchy)
    x, y = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    dot = f.to_dot(x, y)
    clusters = re.findall(r"subgraph (cluster_\w+) \{\s*label=(.*?); style=", dot)
    titles = [html.unescape(re.sub(r"<[^>]+>", "", t[1:-1])) for _, t in clusters]
    assert "if x.sum() > 0:" in titles and "while (z * z).sum() < 100:" in titles
    assert {"then", "else", "cond", "body"} <= set(titles)
    heads = {rows[0] for rows in parse(dot)[0].values()}
    assert {"z_1 = x_1 * y_1", "z_2 = x_2 - y_2"} <= heads
    assert any(re.fullmatch(r"z[\d_]* = z[\d_]* \* 2", h) for h in heads)


def test_control_flow_values_and_totals_match_python_and_finite_differences():
    f = at.trace(branchy)
    x, y = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    info = facts(f.to_dot(x, y, values=True, gradients=True))
    out = [n for n in info["nodes"].values() if "value" in n and "total" in n]
    assert any(np.allclose(n["value"], branchy(x, y)) for n in out)
    eps = 1e-6
    fd = [(branchy(x + eps * e, y).sum() - branchy(x - eps * e, y).sum()) / (2 * eps)
          for e in np.eye(2)]
    np.testing.assert_allclose(info["nodes"]["x"]["total"], fd, rtol=1e-4)


def test_other_branch_is_drawn_too_and_values_follow_the_inputs():
    f = at.trace(branchy)
    x, y = np.array([-1.0, -2.0]), np.array([3.0, 4.0])
    info = facts(f.to_dot(x, y, values=True))
    np.testing.assert_allclose(info["nodes"]["z"]["value"], x - y)


# -- partials that are arrays, Jacobians, summaries --------------------------------------------
def test_elementwise_partials_are_arrays_from_the_vjp():
    x = np.array([0.0, 0.5, 1.0])
    info = facts(at.trace(wave).to_dot(x, values=True, gradients=True))
    y = np.sin(x)
    np.testing.assert_allclose(info["partials"]["y", "x"], np.cos(x), rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(info["partials"]["%0", "y"], x, rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(info["partials"]["%0", "x"], y, rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(info["nodes"]["x"]["total"], x * np.cos(x) + y, rtol=1e-3, atol=1e-4)


def test_non_elementwise_edges_name_the_jacobian_shape():
    f = at.trace(lambda x, w: np.tanh(x @ w).sum())
    dot = f.to_dot(np.ones((3, 2)), np.ones((2, 4)), gradients=True)
    rows = sum(parse(dot)[1].values(), [])
    assert any(r.endswith(": Jacobian [3,4,3,2]") for r in rows)
    sums = [r for r in rows if r.startswith("∂%1/∂")]  # the sum: one output, a gradient
    assert sums and "Jacobian" not in sums[0]


def test_big_arrays_show_as_type_and_summary():
    x = np.arange(100.0)
    dot = at.trace(lambda x: x * 2).to_dot(x, values=True)
    assert "f64[100] min 0 max 198 mean 99" in dot


def test_values_hide_print_output(capsys):
    @at.trace
    def noisy(x):
        print("side effect", x)
        return x + 1

    dot = noisy.to_dot(np.array([1.0]), values=True)
    assert "side effect" not in capsys.readouterr().out
    assert "<B>print(&quot;side effect&quot;, x)</B>" in dot.replace('"', "&quot;")
    assert "shape=note" in dot


# -- errors ---------------------------------------------------------------------------------------
def test_values_need_inputs():
    graph = seed.get_concrete_function(A, B).graph
    with pytest.raises(ValueError, match="need the graph's inputs"):
        graph.to_dot(values=True)
    with pytest.raises(ValueError, match="takes 2 inputs"):
        graph.to_dot(inputs=[A], values=True)


def test_values_need_concrete_arguments():
    spec = at.TensorSpec((1,), np.float64)
    assert "c = a + b" in seed.to_dot(spec, spec)
    with pytest.raises(ValueError, match="TensorSpec"):
        seed.to_dot(spec, spec, values=True)


def test_bad_options_and_outputs():
    graph = seed.get_concrete_function(A, B).graph
    with pytest.raises(ValueError, match="unknown drawing option"):
        graph.to_dot(colour="red")
    with pytest.raises(ValueError, match="rankdir"):
        graph.to_dot(rankdir="UP")
    with pytest.raises(ValueError, match="out of range"):
        graph.to_dot(inputs=[A, B], gradients=True, output=3)
    ints = at.trace(lambda n: n + 1).get_concrete_function(np.array([1])).graph
    with pytest.raises(ValueError, match="no float output"):
        ints.to_dot(inputs=[np.array([1])], gradients=True)


def test_concrete_function_and_options():
    cf = seed.get_concrete_function(A, B)
    dot = cf.to_dot(A, B, values=True, rankdir="TB", show_origins=True, title="seed")
    assert "rankdir=TB" in dot and "<B>seed</B>" in dot and "test_viz.py:" in dot
    assert "e = [6]" in dot


# -- rendering ------------------------------------------------------------------------------------
def _graphviz_or_skip():
    pytest.importorskip("graphviz")
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot program is not installed")


def test_render_svg_and_png(tmp_path):
    _graphviz_or_skip()
    svg = seed.render(tmp_path / "e.svg", A, B, values=True, gradients=True)
    text = svg.read_text()
    assert "<svg" in text and "∂e/∂b = [5]" in text
    png = seed.get_concrete_function(A, B).graph.render(tmp_path / "e.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_render_dot_needs_nothing(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    path = seed.render(tmp_path / "e.dot", A, B)
    assert path.read_text().startswith('digraph "seed"')


def test_render_without_graphviz_package_writes_dot_and_says_what_to_install(tmp_path,
                                                                             monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    with pytest.raises(viz.GraphvizUnavailable) as err:
        seed.render(tmp_path / "e.svg", A, B)
    message = str(err.value)
    assert "pip install autotrace[viz]" in message and "Graphviz system package" in message
    assert "graphviz` Python package is not installed" in message
    assert (tmp_path / "e.dot").read_text().startswith("digraph")
    assert not (tmp_path / "e.svg").exists()


def test_render_without_dot_program(tmp_path, monkeypatch):
    pytest.importorskip("graphviz")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(viz.GraphvizUnavailable, match="`dot` program was not found"):
        seed.render(tmp_path / "e.png", A, B)
    assert (tmp_path / "e.dot").exists()
    message = viz.render_function(seed, (A, B), tmp_path / "f.svg")
    assert "pip install autotrace[viz]" in message and (tmp_path / "f.dot").exists()


def test_render_format_errors(tmp_path):
    with pytest.raises(ValueError, match="cannot tell the picture format"):
        seed.render(tmp_path / "e.jpeg", A, B)
    with pytest.raises(ValueError, match="unsupported format"):
        seed.render(tmp_path / "e", A, B, format="bmp")


# -- Jupyter --------------------------------------------------------------------------------------
def test_jupyter_pictures_and_text_fallback(monkeypatch):
    _graphviz_or_skip()
    cf = seed.get_concrete_function(A, B)
    assert "<svg" in cf.graph._repr_mimebundle_()["image/svg+xml"]
    assert "<svg" in cf._repr_mimebundle_()["image/svg+xml"]
    shown = seed._repr_mimebundle_()
    assert "<svg" in shown["text/html"] and "at__" in html.unescape(
        re.sub(r"<[^>]+>", "", shown["text/html"]))
    monkeypatch.setitem(sys.modules, "graphviz", None)
    bundle = cf.graph._repr_mimebundle_()
    assert set(bundle) == {"text/plain"} and bundle["text/plain"] == str(cf.graph)
    assert "<pre>graph seed" in seed._repr_mimebundle_()["text/html"]


def test_code_is_highlighted_when_pygments_is_there(monkeypatch):
    code = viz.Code(seed.code)
    assert code == seed.code
    pytest.importorskip("pygments")
    assert "<span" in code._repr_html_()
    monkeypatch.setitem(sys.modules, "pygments", None)
    assert code._repr_html_().startswith("<pre>def seed(a, b):")
