"""Python control flow on arrays, converted to graph control flow.

`collatz_steps` loops while a condition on an array holds, `clipped_sum` branches and
breaks on array values, `describe` returns different things on different paths. One
graph per input signature serves every input: the branches and the trip counts are
decided when the graph runs, not when it is traced. The generated code is printed so
you can see what autotrace made of each function.

Run it: `python samples/control_flow.py`
"""

from __future__ import annotations

import numpy as np

import autotrace as at


def collatz_steps(n):
    """How many Collatz steps take `n` to 1 (a while loop whose trip count is data)."""
    steps = 0
    while n != 1:
        if n % 2 == 0:
            n = n // 2
        else:
            n = 3 * n + 1
        steps += 1
    return steps


def clipped_sum(x, limit):
    """Sum the entries of `x` until the running total would pass `limit`."""
    total = 0.0
    for v in x:
        if total + v > limit:
            break
        total += v
    return total


def describe(x):
    """Early returns on array conditions."""
    if np.all(x > 0):
        return x.sum()
    if np.any(np.isnan(x)):
        return np.float64(-1.0)
    return np.abs(x).max()


def main(echo=print) -> dict:
    results = {}
    for fn, inputs in (
        (collatz_steps, [np.array(6), np.array(7), np.array(27)]),
        (clipped_sum, [(np.array([1.0, 2.0, 3.0, 4.0]), np.array(4.0)),
                       (np.array([5.0, 1.0, 1.0, 1.0]), np.array(4.0)),
                       (np.array([0.5, 0.5, 0.5, 0.5]), np.array(4.0))]),
        (describe, [np.array([1.0, 2.0]), np.array([1.0, np.nan]), np.array([-3.0, 2.0])]),
    ):
        traced = at.trace(fn)
        echo(f"## {fn.__name__}: converted code\n")
        echo(traced.code)
        outputs = []
        for args in inputs:
            args = args if isinstance(args, tuple) else (args,)
            got, want = traced(*args), fn(*args)
            echo(f"{fn.__name__}{tuple(a.tolist() for a in args)} = {got!r}   (Python: {want!r})")
            outputs.append((got, want))
        echo(f"traced {traced.trace_count} time(s) for {len(inputs)} calls\n")
        results[fn.__name__] = outputs
    echo("## collatz_steps: the graph (one while_loop with a cond inside)\n")
    echo(str(at.trace(collatz_steps).get_concrete_function(np.array(6)).graph))
    return results


if __name__ == "__main__":
    main()
