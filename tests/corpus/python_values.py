"""Python values keep Python semantics next to tensor control flow: `match` on Python
values, lists and dicts built in unrolled loops, strings, None, tuples, Python counters,
names that are bound on some paths only, try/except around Python code."""

import numpy as np

from corpus.registry import Registry

CORPUS = Registry()
case = CORPUS.case

POS = np.array([1.0, 2.0, 3.0])
NEG = np.array([-1.0, -2.0, 0.5])
MIX = np.array([2.0, -5.0, 1.0])


@case((POS, "double"), (NEG, "double"))
def match_on_python_string(x, mode):
    match mode:
        case "double":
            y = x * 2
        case "negate":
            y = -x
        case _:
            y = x
    if y.sum() > 0:
        y = y + 1
    return y


@case((POS, (2, 3)), (NEG, (2, 3)))
def match_on_python_tuple(x, shape):
    match shape:
        case (rows, cols) if rows * cols > 4:
            k = rows + cols
        case (rows, _):
            k = rows
    return x * k if x.sum() > 0 else x - k


@case((POS, {"kind": "scale", "by": 3.0}), (NEG, {"kind": "scale", "by": 3.0}))
def match_on_python_mapping(x, cfg):
    match cfg:
        case {"kind": "scale", "by": factor}:
            x = x * factor
        case {"kind": "shift", **rest}:
            x = x + len(rest)
    if x.sum() < 0:
        x = -x
    return x


@case(POS, NEG)
def dict_built_in_loop(x):
    stats = {}
    for name, fn in (("sum", np.sum), ("max", np.max), ("min", np.min)):
        stats[name] = fn(x)
    if stats["sum"] > 0:
        stats["sum"] = stats["sum"] * 2
    return stats


@case(POS, NEG)
def list_of_branch_results(x):
    out = []
    for k in range(3):
        if x[k] > 0:
            v = x[k] * 10
        else:
            v = x[k]
        out.append(v)
    return out


@case(POS, NEG)
def tuple_unpacking_and_swap(x):
    a, b = x[0], x[1]
    if a < b:
        a, b = b, a
    return a, b


@case(POS, NEG)
def string_formatting_of_python_values(x):
    n = len(x)
    label = f"n={n}"
    if x.sum() > 0:
        x = x * n
    return label, x


@case(POS, NEG)
def none_on_python_path(x):
    best = None
    for k in range(2):
        if best is None:
            best = x * (k + 1)
    if best.sum() >= 0:
        best = best + 1
    return best


@case(POS, NEG)
def variable_bound_in_try(x):
    try:
        scale = {"a": 2.0}["a"]
    except KeyError:
        pass
    if x.sum() > 0:
        x = x * scale
    return x


@case(POS, NEG)
def variable_bound_in_handler(x):
    try:
        scale = {"a": 2.0}["b"]
    except KeyError:
        scale = 5.0
    y = x * scale
    if y.sum() > 0:
        y = y - scale
    return y


@case(POS, NEG)
def variable_bound_in_with(x):
    with np.errstate(divide="ignore"):
        inv = 1.0 / 4.0
    if x.sum() > 0:
        x = x * inv
    return x


@case(POS, NEG, MIX)
def names_from_previous_iterations(x):
    for k in range(3):
        if k > 0:
            x = x + last  # noqa: F821 - bound by the previous iteration
        last = x[k]  # noqa: F841
    if x.sum() > 0:
        x = x / 2
    return x


@case(POS, NEG)
def python_bool_flags(x):
    seen_negative = False
    for k in range(3):
        seen_negative = seen_negative or k > 1
    if seen_negative and x.sum() > 0:
        return x, seen_negative
    return -x, seen_negative


@case(POS, NEG)
def deleted_temporary(x):
    tmp = x * 2
    y = tmp + 1
    del tmp
    if y.sum() > 0:
        y = y * 3
    return y


@case(POS, NEG)
def global_constant_read(x):
    if x.sum() > 0:
        return x * SCALE
    return x / SCALE


SCALE = 4.0
_calls = []


@case(POS, NEG)
def global_python_value_rebound(x):
    global _LAST_MODE
    _LAST_MODE = "fast"
    if x.sum() > 0:
        x = x * 2
    return x, _LAST_MODE


_LAST_MODE = None


@case(POS, NEG)
def augmented_assignments(x):
    y = x * 1
    y += 1
    y *= 2
    y -= 3 * x
    n = 2
    n **= 3
    if y.sum() > 0:
        y /= n
    return y, n


@case(POS, NEG)
def slices_and_indexing(x):
    head, tail = x[:1], x[1:]
    if tail.sum() > 0:
        tail = tail[::-1]
    return np.concatenate([head, tail])


@case((POS, 7), (NEG, 7))
def raise_caught_in_python(x, n):
    try:
        if n > 5:
            raise ValueError("big")
        y = x
    except ValueError:
        y = x * 2
    if y.sum() > 0:
        y = y + x
    return y


@case(POS, NEG)
def deleted_after_branch(x):
    t = x * 2
    y = t + 1
    if y.sum() > 0:
        y = y * 2
    del t
    return y


@case(POS, NEG)
def one_element_condition(x):
    if x[:1] > 0:
        return x
    return -x
