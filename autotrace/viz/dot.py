"""DOT text of a graph (Graphviz's language), optionally with values and derivatives.

One box per node, labelled with the user's names (`c = a + b`) and the value's type;
graph inputs are blue ellipses, nodes producing graph outputs are amber with a double
border, constants are written inline in the expressions. A control-flow node (`cond`,
`while_loop`) is drawn inside a cluster titled with the user's `if`/`while` line, holding
one sub-cluster per sub-graph (`then`/`else`, `cond`/`body`); dashed edges bind the node's
operands to the sub-graph inputs and bring the sub-graph results back to the node.

With values, every top-level value is written at its node; with gradients, each edge
x -> y carries the local partial ∂y/∂x and each node the total d(target)/d(node) (see
`autotrace.viz.evaluate`). Values inside sub-graphs are not shown: a branch may not run,
and a loop body runs many times.
"""

from __future__ import annotations

import html
import itertools
from dataclasses import dataclass

from autotrace.graph.ir import Graph, Namer, Node, Var, format_graph, format_value
from autotrace.viz import labels
from autotrace.viz.evaluate import Evaluation, evaluate, has_partials

FONT = "Helvetica,Arial,sans-serif"
GRADIENT_COLOR = "#b91c1c"
MUTED_COLOR = "#64748b"
_INPUT = 'shape=ellipse, fillcolor="#dbeafe", color="#1d4ed8"'
_OUTPUT = 'fillcolor="#fef3c7", color="#b45309", peripheries=2'
_SUB_INPUT = 'shape=ellipse, style="filled,dashed", fillcolor="#eef2ff", color="#6366f1"'
_EFFECT = 'shape=note, style="filled", fillcolor="#f1f5f9"'
_CONSTANT = 'shape=plaintext, style="", fontcolor="#475569"'
_BIND = f'style=dashed, color="{MUTED_COLOR}", arrowhead=empty'
_SUBGRAPH_NAMES = {"then": "then", "orelse": "else", "cond": "cond", "body": "body"}
RANKDIRS = ("LR", "TB", "BT", "RL")
_TITLE_INPUTS = 6  # inputs named in the title; more are counted


@dataclass(frozen=True)
class DotOptions:
    """How a picture is drawn (see `graph_to_dot`)."""

    rankdir: str = "LR"
    show_types: bool = True
    show_origins: bool = False
    max_inline: int = 6
    title: str | None = None


def graph_to_dot(graph: Graph, inputs=None, *, values: bool = False, gradients: bool = False,
                 output: int | None = None, **options) -> str:
    """DOT text of `graph`.

    Args:
        graph: the graph to draw (`cf.graph`, `str(graph)` names the same values).
        inputs: one value per graph input; needed for `values` and `gradients`.
        values: write each top-level value at its node.
        gradients: local partials ∂y/∂x on edges and totals d(output)/d(node) at nodes.
        output: which graph output `gradients` differentiate (default: first float one).
        **options: `rankdir` ("LR", "TB", "BT", "RL"), `show_types` (True),
            `show_origins` (False: file:line under each node), `max_inline` (6: larger
            arrays show as type + min/max/mean), `title`.

    Returns:
        DOT source text; render it with `autotrace.viz.render` or Graphviz's `dot`.

    Raises:
        ValueError: values/gradients without inputs, a bad option, or a bad `output`.

    Example:
        >>> print(cf.graph.to_dot())                      # doctest: +SKIP
        >>> cf.graph.to_dot(inputs=[a, b], values=True, gradients=True)  # doctest: +SKIP
    """
    opts = _options(options)
    evaluation = None
    if values or gradients:
        if inputs is None:
            raise ValueError("values=True and gradients=True need the graph's inputs: "
                             "graph.to_dot(inputs=[...]) or traced_fn.to_dot(*args, ...)")
        evaluation = evaluate(graph, inputs, gradients, output)
    return _Writer(graph, evaluation, values, opts).text()


def _options(options: dict) -> DotOptions:
    unknown = set(options) - set(DotOptions.__dataclass_fields__)
    if unknown:
        raise ValueError(f"unknown drawing option(s) {sorted(unknown)}; known: "
                         f"{sorted(DotOptions.__dataclass_fields__)}")
    opts = DotOptions(**options)
    if opts.rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {RANKDIRS}, got {opts.rankdir!r}")
    return opts


class _Writer:
    """Builds the DOT lines of one top-level graph (and its sub-graphs)."""

    def __init__(self, graph: Graph, evaluation: Evaluation | None, values: bool,
                 opts: DotOptions):
        self.graph = graph
        self.ev = evaluation or Evaluation()
        self.show_values = values
        self.opts = opts
        self.namer = Namer()
        format_graph(graph, self.namer)  # the same names as str(graph)
        self.lines: list[str] = []
        # Edges go after all nodes, at the top level: an edge written inside a cluster
        # would pull both of its ends into that cluster.
        self.edges: list[str] = []
        self.source: dict[int, tuple[str, bool]] = {}  # var uid -> (dot id, multi-result)
        self.outputs = {o.uid: i for i, o in enumerate(graph.outputs) if isinstance(o, Var)}
        self._ids = itertools.count()

    def text(self) -> str:
        self._header()
        for var in self.graph.inputs:
            self._input(var, "  ")
        for node in self.graph.nodes:
            self._node(node, "  ", top=True)
        self._constant_outputs()
        return "\n".join(self.lines + self.edges + ["}", ""])

    # -- header -------------------------------------------------------------------------
    def _header(self) -> None:
        title = _html_lines(self._title())
        self.lines += [
            f"digraph {_quote(self.graph.name)} {{",
            f'  graph [rankdir={self.opts.rankdir}, fontname="{FONT}", fontsize=13, '
            f"labelloc=t, nodesep=0.35, ranksep=0.5, label=<{title}>];",
            f'  node [fontname="{FONT}", fontsize=12, shape=box, style="rounded,filled", '
            f'fillcolor="#f8fafc", color="#475569", margin="0.15,0.07"];',
            f'  edge [fontname="{FONT}", fontsize=11, color="#334155", arrowsize=0.7];',
        ]

    def _title(self) -> list[tuple[str, str]]:
        rows = [(self.opts.title or self._signature(), "b")]
        if self.ev.target is not None:
            t = self._name(self.ev.target)
            rows.append((f"edges: local ∂y/∂x  ·  nodes: total ∂{t}/∂node", GRADIENT_COLOR))
        return rows

    def _signature(self) -> str:
        """`seed(a, b)`: the traced function and its inputs, named as in the picture."""
        names = [self._name(v) for v in self.graph.inputs]
        if len(names) > _TITLE_INPUTS:
            names = names[:_TITLE_INPUTS - 1] + [f"… {len(names) - _TITLE_INPUTS + 1} more"]
        return f"{self.graph.name}({', '.join(names)})"

    # -- nodes --------------------------------------------------------------------------
    def _input(self, var: Var, indent: str) -> None:
        ident = f"v{var.uid}"
        rows = [(self._name(var), "b")] + self._facts([var])
        style = _INPUT + (", " + _OUTPUT if var.uid in self.outputs else "")
        self._declare(ident, rows, style, indent)
        self.source[var.uid] = (ident, False)

    def _node(self, node: Node, indent: str, top: bool = False) -> None:
        if node.subgraphs():
            self._control(node, indent, top)
            return
        ident = self._declare_node(node, indent, top)
        for x in _distinct_vars(node.inputs):
            self._edge(x, ident, self._partial_label(node, x) if top else "")

    def _declare_node(self, node: Node, indent: str, top: bool) -> str:
        ident = f"n{node.uid}"
        rows = [(labels.expression(node, self.namer), "b")]
        rows += self._facts(node.outputs) if top else self._types(node.outputs)
        if self.opts.show_origins and node.origin is not None:
            rows.append((node.origin.short(), "small"))
        is_output = top and any(v.uid in self.outputs for v in node.outputs)
        style = _OUTPUT if is_output else _EFFECT if node.op.effect else ""
        tooltip = node.origin.short() if node.origin is not None else node.op.name
        self._declare(ident, rows, style, indent, tooltip)
        for v in node.outputs:
            self.source[v.uid] = (ident, len(node.outputs) > 1)
        return ident

    def _facts(self, variables) -> list[tuple[str, str]]:
        """Type, value, total derivative and output marks of top-level values."""
        rows = self._types(variables)
        for v in variables:
            name = self._name(v)
            if self.show_values and v.uid in self.ev.values:
                rows.append((f"{name} = {self._value(self.ev.values[v.uid])}", ""))
            if v.uid in self.ev.totals:
                rows.append((f"∂{self._name(self.ev.target)}/∂{name} = "
                             f"{self._value(self.ev.totals[v.uid])}", GRADIENT_COLOR))
            if v.uid in self.outputs:
                mark = "output" if len(self.graph.outputs) == 1 else \
                    f"output {self.outputs[v.uid]}"
                rows.append((mark + (f": {name}" if len(variables) > 1 else ""), "small"))
        return rows

    def _types(self, variables) -> list[tuple[str, str]]:
        if not self.opts.show_types or not variables:
            return []
        return [(", ".join(v.type_str() for v in variables), "small")]

    def _constant_outputs(self) -> None:
        for i, out in enumerate(self.graph.outputs):
            if not isinstance(out, Var):
                ident = f"k{next(self._ids)}"
                text = f"output {i} = {format_value(out, self.namer)}"
                self._declare(ident, [(text, "")], _CONSTANT, "  ")

    # -- control flow -------------------------------------------------------------------
    def _control(self, node: Node, indent: str, top: bool) -> None:
        """The node in a cluster with one sub-cluster per sub-graph (see module doc)."""
        inner = indent + "  "
        title = node.origin.source if node.origin is not None and node.origin.source \
            else node.op.name
        self.lines.append(f"{indent}subgraph cluster_n{node.uid} {{")
        self.lines.append(f'{inner}label=<{_html_lines([(title, "b")])}>; style="rounded,dashed";'
                          f' color="{MUTED_COLOR}"; fontsize=12;')
        ident = self._declare_node(node, inner, top)
        bound_from = len(node.inputs)
        for key, sub in node.params.items():
            if isinstance(sub, Graph):
                bound_from = min(bound_from, self._subgraph(node, key, sub, inner))
        self.lines.append(f"{indent}}}")
        for x in _distinct_vars(node.inputs[:bound_from]):
            self._edge(x, ident, "")

    def _subgraph(self, node: Node, key: str, sub: Graph, indent: str) -> int:
        """Draw `sub` as a cluster; returns the index of the first node input it binds."""
        first = len(node.inputs) - len(sub.inputs)
        inner = indent + "  "
        self.lines.append(f"{indent}subgraph cluster_n{node.uid}_{key} {{")
        self.lines.append(f'{inner}label="{_SUBGRAPH_NAMES.get(key, key)}"; style="rounded";'
                          f' color="#cbd5e1"; fontcolor="{MUTED_COLOR}";')
        used = _used(sub)
        for var, outer in zip(sub.inputs, node.inputs[max(first, 0):]):
            if var.uid in used:
                self._sub_input(var, outer, inner)
        for child in sub.nodes:
            self._node(child, inner)
        self._results(node, sub, inner)
        self.lines.append(f"{indent}}}")
        return first if first >= 0 else len(node.inputs)

    def _sub_input(self, var: Var, outer, indent: str) -> None:
        ident = f"v{var.uid}"
        rows = [(self._name(var), "b")] + self._types([var])
        if not isinstance(outer, Var):
            rows.append((f"← {format_value(outer, self.namer)}", "small"))
        self._declare(ident, rows, _SUB_INPUT, indent)
        self.source[var.uid] = (ident, False)
        if isinstance(outer, Var):
            self._edge(outer, ident, "", _BIND)

    def _results(self, node: Node, sub: Graph, indent: str) -> None:
        """Dashed edges from the sub-graph's results to the control-flow node."""
        named = len(sub.outputs) == len(node.outputs) > 1
        for i, out in enumerate(sub.outputs):
            label = self._name(node.outputs[i]) if named else ""
            if isinstance(out, Var):
                self._edge(out, f"n{node.uid}", _plain_label(label), _BIND)
            else:
                ident = f"k{next(self._ids)}"
                self._declare(ident, [(format_value(out, self.namer), "")], _CONSTANT, indent)
                self.edges.append(f"  {ident} -> n{node.uid} [{_BIND}"
                                  f"{', label=' + _quote(label) if label else ''}];")

    # -- edges --------------------------------------------------------------------------
    def _edge(self, x: Var, target: str, label: str, style: str = "") -> None:
        found = self.source.get(x.uid)
        if found is None:
            return
        ident, multi = found
        parts = [style] if style else []
        if multi and not label:
            label = _plain_label(self._name(x))
        if label:
            parts.append(f"label={label}")
        attrs = f" [{', '.join(parts)}]" if parts else ""
        self.edges.append(f"  {ident} -> {target}{attrs};")

    def _partial_label(self, node: Node, x: Var) -> str:
        """`∂c/∂a = [1]` for an edge a -> c, a Jacobian note, or nothing."""
        if self.ev.target is None or not has_partials(node) or x.dtype.kind not in "fc":
            return ""
        y = node.outputs[0]
        yname, xname = self._name(y), self._name(x)
        partial = self.ev.partials.get((node.uid, x.uid))
        if partial is not None:
            text = labels.partial_text(yname, xname, partial, self.opts.max_inline)
        else:
            text = labels.jacobian_text(yname, xname, self._shape(y), self._shape(x))
        return f"<{_html_lines([(text, GRADIENT_COLOR)])}>"

    # -- helpers ------------------------------------------------------------------------
    def _declare(self, ident: str, rows, style: str, indent: str, tooltip: str = "") -> None:
        attrs = [f"label=<{_html_lines(rows)}>"]
        if style:
            attrs.append(style)
        if tooltip:
            attrs.append(f"tooltip={_quote(tooltip)}")
        self.lines.append(f"{indent}{ident} [{', '.join(attrs)}];")

    def _name(self, var: Var) -> str:
        return self.namer(var)

    def _value(self, x) -> str:
        return labels.value_text(x, self.opts.max_inline)

    def _shape(self, var: Var) -> tuple:
        value = self.ev.values.get(var.uid)
        return tuple(getattr(value, "shape", var.shape))


def _distinct_vars(inputs) -> list[Var]:
    return list(dict.fromkeys(x for x in inputs if isinstance(x, Var)))


def _used(graph: Graph) -> set[int]:
    """Uids of values the graph's own nodes or results read."""
    used = {x.uid for node in graph.nodes for x in node.inputs if isinstance(x, Var)}
    return used | {o.uid for o in graph.outputs if isinstance(o, Var)}


def _html_lines(rows) -> str:
    """An HTML-like label: rows of (text, style); style "b" bold, "small" muted, or a
    colour."""
    out = []
    for text, style in rows:
        text = html.escape(text, quote=False)
        if style == "b":
            text = f"<B>{text}</B>"
        elif style == "small":
            text = f'<FONT POINT-SIZE="10" COLOR="{MUTED_COLOR}">{text}</FONT>'
        elif style:
            text = f'<FONT COLOR="{style}">{text}</FONT>'
        out.append(text)
    return "<BR/>".join(out)


def _plain_label(text: str) -> str:
    return _quote(text) if text else ""


def _quote(text: str) -> str:
    """A DOT string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
