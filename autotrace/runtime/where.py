"""Where in the user's code a runtime call comes from, for error messages."""

from __future__ import annotations

import linecache
import os

from autotrace.errors import frame_lineno, user_frame


def here(depth: int = 1) -> str:
    """`line 12 of model.py (`if x > 0:`)` for the user statement being executed."""
    frame = user_frame(depth + 1)
    if frame is None:
        return "an unknown line"
    filename, lineno = frame.f_code.co_filename, frame_lineno(frame)
    source = linecache.getline(filename, lineno).strip()
    text = f"line {lineno} of {os.path.basename(filename)}"
    return f"{text} (`{source}`)" if source else text


# A generated helper takes a variable that lives in a cell shared with a closure as
# `at__<name>` (convert/passes/control_flow.py, `CELL_PARAM`).
CELL_PARAM = "at__"


def param_names(fn) -> tuple:
    """Parameter names of a generated helper (the variables it takes and returns)."""
    if fn is None:
        return ()
    code = fn.__code__
    return tuple(n.removeprefix(CELL_PARAM) for n in code.co_varnames[: code.co_argcount])


_GRAPH_STATEMENTS = {
    "if": "an `if` whose condition is a tensor",
    "while": "a `while` loop whose condition is a tensor",
    "for": "a `for` loop over a tensor (or whose `break` depends on one)",
    "conditional expression": "a conditional expression whose condition is a tensor",
}


def graph_statement(kind: str) -> str:
    """`a `while` loop whose condition is a tensor`: what made statement `kind` a graph op."""
    return _GRAPH_STATEMENTS.get(kind, f"a `{kind}` on a tensor")
