"""Pictures: DOT text of graphs with values and derivatives, rendering, Jupyter display.

Numbers in pictures are checked against oracles: the seed's derivatives by hand from
e = (a + b) * (b + 1), elementwise partials against numpy's derivative formulas, totals
against central finite differences of the plain Python function.
"""

import html
import importlib
import os
import re
import struct
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import autotrace as at
from autotrace import viz

A, B = np.array([2.0]), np.array([1.0])
RENDER = importlib.import_module("autotrace.viz.render")  # viz.render is the function


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
    assert "e = 6<BR/>" in dot


# -- labels and titles ---------------------------------------------------------------------------
@pytest.mark.parametrize("value, text", [
    (np.array([2.0]), "2"),                 # shape (1,): the type row already says f64[1]
    (np.array(2.5), "2.5"),
    (np.array([2.0, 1.0]), "[2, 1]"),
    (np.array([[2.0]]), "[[2]]"),           # a matrix keeps its brackets
    (np.array([[1, 2], [3, 4]]), "[[1, 2], [3, 4]]"),
    (np.array([True]), "True"),
    (np.array([1 + 2j]), "1+2j"),
    (2, "2"), (0.125, "0.125"), (None, "None"),
    (np.arange(7.0), "f64[7] min 0 max 6 mean 3"),
])
def test_value_text(value, text):
    from autotrace.viz.labels import value_text

    assert value_text(value) == text


def test_title_names_the_function_and_its_inputs():
    dot = seed.to_dot(A, B)
    assert parse_title(dot) == ["seed(a, b)"]
    assert parse_title(seed.to_dot(A, B, gradients=True)) == [
        "seed(a, b)", "edges: local ∂y/∂x  ·  nodes: total ∂e/∂node"]
    assert parse_title(seed.to_dot(A, B, title="e = (a + b) * (b + 1)")) == [
        "e = (a + b) * (b + 1)"]

    @at.trace
    def many(p, q, r, s, t, u, v):
        return p + q + r + s + t + u + v

    assert parse_title(many.to_dot(*[A] * 7)) == ["many(p, q, r, s, t, … 2 more)"]


def parse_title(dot: str) -> list[str]:
    return _rows(re.search(r"labelloc=t, .*label=<(.*)>\];", dot).group(1))


# -- which Graphviz program renders --------------------------------------------------------------
FAKE_SVG = '<svg xmlns="http://www.w3.org/2000/svg"><text>{name}</text></svg>'


def fake_program(folder, name: str, exit_code: int = 0):
    """An executable `name` in `folder` that reads DOT on stdin and prints an SVG naming
    itself and its arguments (or fails with `exit_code`)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    body = (f"cat > /dev/null; echo '{FAKE_SVG.format(name=name)}' $@"
            if exit_code == 0 else f"echo 'syntax error in line 1' >&2; exit {exit_code}")
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def programs(tmp_path, monkeypatch):
    """PATH holding only fake programs, and no pip scripts folder to fall back on."""
    if sys.platform == "win32":
        pytest.skip("fake programs are shell scripts")
    monkeypatch.setattr(RENDER, "script_folders", lambda: [])
    RENDER._svg.cache_clear()
    yield tmp_path
    RENDER._svg.cache_clear()


def test_system_dot_is_preferred_over_graphviz_pure(programs, monkeypatch):
    system = fake_program(programs / "usr", "dot")
    pure = fake_program(programs / "venv", "graphviz-pure")
    monkeypatch.setenv("PATH", f"{pure.parent}{os.pathsep}{system.parent}")
    assert viz.dot_program() == str(system)
    out = seed.render(programs / "e.svg", A, B).read_text()
    assert out.startswith("<svg") and "<text>dot</text></svg> -Tsvg" in out
    assert "<text>dot</text>" in viz.to_svg(seed.to_dot(A, B))


def test_graphviz_pure_when_there_is_no_system_dot(programs, monkeypatch):
    pure = fake_program(programs / "venv", "graphviz-pure")
    monkeypatch.setenv("PATH", str(pure.parent))
    assert viz.dot_program() == str(pure)
    out = seed.render(programs / "e.png", A, B).read_text()
    assert "<text>graphviz-pure</text></svg> -Tpng" in out


def test_graphviz_pure_found_in_the_scripts_folder_of_an_inactive_venv(programs,
                                                                       monkeypatch):
    pure = fake_program(programs / "venv" / "bin", "graphviz-pure")
    monkeypatch.setenv("PATH", str(programs / "empty"))
    monkeypatch.setattr(RENDER, "script_folders", lambda: [str(pure.parent)])
    assert viz.dot_program() == str(pure)


def test_script_folders_are_this_pythons():
    import sysconfig

    folders = RENDER.script_folders()
    assert sysconfig.get_path("scripts") in folders
    assert os.path.dirname(sys.executable) in folders


def test_neither_program_is_an_error_naming_both(programs, monkeypatch):
    monkeypatch.setenv("PATH", str(programs / "empty"))
    assert viz.dot_program() is None
    with pytest.raises(viz.GraphvizUnavailable) as err:
        seed.render(programs / "e.svg", A, B)
    assert str(err.value).startswith(
        f"cannot render {programs / 'e.svg'}: neither Graphviz's `dot` program nor "
        "`graphviz-pure` was found. Install `pip install autotrace[viz]` (it brings "
        "`graphviz-pure`, a Graphviz that needs no system package), or the Graphviz system "
        "package that provides `dot`")
    assert (programs / "e.dot").read_text().startswith('digraph "seed"')
    assert not (programs / "e.svg").exists()
    assert viz.to_svg(seed.to_dot(A, B)) is None
    message = viz.render_function(seed, (A, B), programs / "f.svg")
    assert "pip install autotrace[viz]" in message and (programs / "f.dot").exists()


def test_pdf_needs_the_system_dot(programs, monkeypatch):
    pure = fake_program(programs / "venv", "graphviz-pure")
    monkeypatch.setenv("PATH", str(pure.parent))
    with pytest.raises(viz.GraphvizUnavailable, match=r"`graphviz-pure` \(found at .*\) "
                       r"writes svg and png only, and Graphviz's `dot` program was not found"):
        seed.render(programs / "e.pdf", A, B)
    assert (programs / "e.dot").exists()
    system = fake_program(programs / "usr", "dot")
    monkeypatch.setenv("PATH", str(system.parent))
    assert "-Tpdf" in seed.render(programs / "e.pdf", A, B).read_text()


def test_a_failing_program_reports_its_message(programs, monkeypatch):
    broken = fake_program(programs / "usr", "dot", exit_code=3)
    monkeypatch.setenv("PATH", str(broken.parent))
    with pytest.raises(RuntimeError, match=r"dot -Tsvg failed \(exit 3\): syntax error in "
                       "line 1"):
        seed.render(programs / "e.svg", A, B)


def test_rendering_needs_no_graphviz_python_package(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    assert seed.render(tmp_path / "e.dot", A, B).read_text().startswith('digraph "seed"')
    if viz.dot_program() is None:
        pytest.skip("no Graphviz program (dot or graphviz-pure) here")
    ET.fromstring(seed.render(tmp_path / "e.svg", A, B).read_bytes())


# -- real rendering (the system's dot or graphviz-pure, whichever dot_program finds) ------------
def _program_or_skip() -> str:
    program = viz.dot_program()
    if program is None:
        pytest.skip("no Graphviz program: pip install autotrace[viz]")
    return program


SVG = "{http://www.w3.org/2000/svg}"


def svg_texts(data: bytes) -> list[str]:
    """The text lines of an SVG picture (parsing it as XML on the way)."""
    root = ET.fromstring(data)
    assert root.tag == f"{SVG}svg"
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def test_render_svg_is_valid_xml_with_the_labels(tmp_path):
    _program_or_skip()
    svg = seed.render(tmp_path / "e.svg", A, B, values=True, gradients=True)
    texts = svg_texts(svg.read_bytes())
    assert texts[0] == "seed(a, b)"
    assert {"∂e/∂b = 5", "∂e/∂c = 2", "e = 6", "c = a + b"} <= set(texts)


def test_render_png_is_a_png_at_144_dpi(tmp_path):
    _program_or_skip()
    png = seed.get_concrete_function(A, B).graph.render(tmp_path / "e.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    svg = ET.fromstring(viz.to_svg(seed.get_concrete_function(A, B).graph.to_dot()))
    points = float(svg.get("width").removesuffix("pt"))
    expected = points * 144 / 72  # 2 pixels per point: labels stay sharp
    assert abs(width - expected) <= max(3, 0.02 * expected) and height > 50


def test_render_dot_needs_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    path = seed.render(tmp_path / "e.dot", A, B)
    assert path.read_text() == seed.to_dot(A, B)


def test_render_format_errors(tmp_path):
    with pytest.raises(ValueError, match="cannot tell the picture format"):
        seed.render(tmp_path / "e.jpeg", A, B)
    with pytest.raises(ValueError, match="unsupported format"):
        seed.render(tmp_path / "e", A, B, format="bmp")


# -- Jupyter --------------------------------------------------------------------------------------
def test_graphs_and_concrete_functions_show_as_pictures():
    _program_or_skip()
    cf = seed.get_concrete_function(A, B)
    for shown in (cf.graph, cf):
        assert svg_texts(shown._repr_mimebundle_()["image/svg+xml"].encode())[0] == \
            "seed(a, b)"
        assert shown._repr_mimebundle_()["text/plain"] == str(cf.graph)
        assert shown._repr_svg_() == shown._repr_mimebundle_()["image/svg+xml"]
        svg = shown._repr_svg_()
        assert shown._repr_html_() == svg[svg.index("<svg"):]
        assert shown._repr_html_().startswith("<svg") and svg.startswith("<?xml")


def test_traced_functions_show_code_and_latest_picture():
    _program_or_skip()

    @at.trace
    def twice(x):
        return x * 2

    assert twice._repr_svg_() is None  # nothing traced yet: code only
    assert "<svg" not in twice._repr_html_() and "def twice(x):" in _text(twice._repr_html_())
    twice(np.array([1.0, 2.0]))
    twice(np.array(3))
    svg = twice._repr_svg_()
    assert "twice(x)" in svg_texts(svg.encode()) and "i64[]" in svg_texts(svg.encode())
    html_text = twice._repr_html_()
    assert html_text == twice._repr_mimebundle_()["text/html"]
    assert html_text.endswith(svg[svg.index("<svg"):]) and "<?xml" not in html_text
    assert "at__.mul(x, 2)" in _text(html_text)
    assert twice._repr_mimebundle_()["text/plain"] == repr(twice)


def test_pictures_fall_back_to_text_without_graphviz(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(RENDER, "script_folders", lambda: [])
    cf = seed.get_concrete_function(A, B)
    bundle = cf.graph._repr_mimebundle_()
    assert bundle == {"text/plain": str(cf.graph)} == cf._repr_mimebundle_()
    assert cf.graph._repr_svg_() is None and cf._repr_svg_() is None
    assert cf._repr_html_() == f"<pre>{html.escape(str(cf.graph))}</pre>"
    assert seed._repr_svg_() is None
    assert f"<pre>{html.escape(str(cf.graph))}</pre>" in seed._repr_html_()


def test_display_hooks_never_raise():
    broken = at.trace(len)  # a builtin: no source to show
    assert broken._repr_html_() is None
    assert broken._repr_mimebundle_() == {"text/plain": repr(broken)}


def _text(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def test_code_is_highlighted_when_pygments_is_there(monkeypatch):
    code = viz.Code(seed.code)
    assert code == seed.code
    pytest.importorskip("pygments")
    assert "<span" in code._repr_html_()
    monkeypatch.setitem(sys.modules, "pygments", None)
    assert code._repr_html_().startswith("<pre>def seed(a, b):")
