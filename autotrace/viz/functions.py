"""Pictures of traced and concrete functions: pick the graph, flatten the arguments."""

from __future__ import annotations

from autotrace.function import ConcreteFunction
from autotrace.signature import TensorSpec
from autotrace.viz.dot import graph_to_dot
from autotrace.viz.render import GraphvizUnavailable, render


def function_to_dot(fn, args: tuple = (), *, values: bool = False, gradients: bool = False,
                    output: int | None = None, **options) -> str:
    """DOT text of the graph `fn` traces for `args` (see `graph_to_dot` for options).

    Args:
        fn: a `TracedFunction` (traced for `args`, or its `input_signature` without them)
            or a `ConcreteFunction` (`args` only needed for values and gradients).
        args: positional arguments: values, or `TensorSpec`s when values are not shown.
        values, gradients, output: as for `graph_to_dot`; they need concrete arguments.

    Raises:
        ValueError: values or gradients asked for with `TensorSpec` arguments.
        TypeError: arguments that do not match the concrete function.
    """
    cf = concrete_function(fn, args)
    inputs = graph_inputs(cf, args) if values or gradients else None
    return graph_to_dot(cf.graph, inputs, values=values, gradients=gradients, output=output,
                        **options)


def concrete_function(fn, args: tuple):
    """`fn` itself if it is a concrete function, else its concrete function for `args`."""

    if isinstance(fn, ConcreteFunction):
        return fn
    return fn.get_concrete_function(*args)


def graph_inputs(cf, args: tuple) -> list:
    """The values of `cf.graph.inputs` for a call `cf(*args)` (captured Variables last)."""
    leaves, tree = cf._traced._canonical(args, {})
    cf._check(leaves, tree)
    inputs = cf.graph_inputs(leaves)
    specs = [i for i, x in enumerate(inputs) if isinstance(x, TensorSpec)]
    if specs:
        raise ValueError("values=True and gradients=True need concrete arguments, but "
                         f"graph input {cf.graph.inputs[specs[0]].name or specs[0]} was given "
                         "as a TensorSpec; pass arrays instead")
    return inputs + [v.numpy() for v in cf.variables]


def render_function(fn, args: tuple, path, format: str | None = None,
                    **options) -> str:
    """Render `fn`'s graph for `args` to `path` and return a one-line status to print.

    Unlike `render`, a missing Graphviz is not an error here: the DOT text is written next
    to `path` and the returned message says so and what to install (for demos and
    scripts that should run everywhere). Options: as for `function_to_dot`.
    """

    try:
        written = render(function_to_dot(fn, args, **options), path, format)
    except GraphvizUnavailable as e:
        return str(e)
    return f"wrote {written}"
