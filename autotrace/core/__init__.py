"""The bottom layer: abstract values, `Op`, and the trace stack (`bind`).

Nothing here knows a tensor type, a graph or a tape: evaluation modes are `Trace`s
(plain numpy, eager + tapes, graph building, forward mode, batching) that register
themselves by being pushed on the stack or by owning the values passed to `bind`.
"""

from autotrace.core.op import PY_TYPE_OF_KIND, Aval, Op, weak_result  # noqa: F401
from autotrace.core.trace import (  # noqa: F401
    EVAL,
    Trace,
    Tracer,
    bind,
    find_top_trace,
    innermost_graph_trace,
    trace_stack,
)
