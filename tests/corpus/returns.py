"""Early returns where the converter needs flags: lifting that gives up, the `retval`
placeholder meeting other paths, falling off the end, returns in nested loops, tuples,
calls in nested lambdas (the regression cases of issue 8, items 1-4)."""

import numpy as np

from corpus.registry import Registry

CORPUS = Registry()
case = CORPUS.case


def sums(*totals):
    """3-vectors whose sums are `totals` (the functions branch on the sum)."""
    return [np.full(3, t / 3) for t in totals]


TRACE_TIME_CALLS = []


def note_trace_time():
    """A Python side effect: runs when the graph is traced, not when it runs."""
    TRACE_TIME_CALLS.append(1)


# -- lifting that gives up: the flags apply to the lifted body -----------------------------
@case(*sums(0, 6, 2.5, 3.5), paths=4)
def lift_gives_up(x):
    if np.sum(x) > 5:
        return x
    if np.sum(x) > 3:
        pass
    elif np.sum(x) > 2:
        return x + 1
    return x + 2


@case(*sums(-3, 3, -9, 0), paths=4)
def lift_gives_up_with_loops(x):
    if np.sum(x) > 0:
        return x
    while np.sum(x) < -5:
        break
    while np.sum(x) < 0:
        return x + 1.0
    return x + 2.0


@case(*sums(0, 6, 2.5), paths=3)
def side_effects_after_early_returns(x):
    if np.sum(x) > 5:
        return x
    print("checked 5", np.sum(x))
    if np.sum(x) > 3:
        pass
    elif np.sum(x) > 2:
        return x + 1
    note_trace_time()
    print("end", x[0])
    return x + 2


# -- the retval placeholder where paths join ------------------------------------------------
@case(np.array([-1.0, 2.0]), np.array([1.0, 2.0]))
def placeholder_on_both_branches(y):
    for i in range(3):
        if np.min(y) >= 0.0:
            break
        if i == 3:
            return np.sum(y)
    return np.sum(np.tanh(y))


@case(*[(x, 7) for x in sums(3, -3, 12)], paths=3)
def tuple_returned_in_while_in_if(x, k):
    q = x * 2
    if np.sum(x) > 0:
        while np.sum(x) < 10:
            x = x + 1
            if k > 5:
                return (k, x + q)
    return (k, x)


case(*[(x, 3) for x in sums(3, -3, 12)], paths=2)(tuple_returned_in_while_in_if)  # no return


@case(*[(x, 3) for x in sums(3, -3, 7.5, 12)], paths=4)
def tuple_returned_in_tensor_while_in_tensor_if(x, k):
    q = x * 2
    if np.sum(x) > 0:
        while np.sum(x) < 10:
            x = x + 1
            if np.max(x) > 3:
                return (k, x + q)
        return (k, x)
    return (k, x - q)


# -- falling off the end ---------------------------------------------------------------------
def falls_off_after_loop(x, k):
    for i in range(2):
        if k == i:
            return x


@case(*sums(3, -3))
def returns_none_or_falls_off(x):
    if np.sum(x) > 0:
        print("positive", x[0])
        return None
    x = x + 1


@case(*sums(1, 3, 20), paths=3)
def while_true_returns(x):
    while True:
        x = x * 2
        if np.sum(x) > 10:
            return x


# -- returns in nested loops, tuples --------------------------------------------------------
@case(np.array([1.0, 2.0, 3.0]), np.array([0.1, 0.1, 0.1]), np.array([3.0, 0.0, 0.0]),
      merged_scalars=True, paths=3)
def return_from_nested_loops(x):
    total = 0.0
    for i in range(3):
        j = 0
        while j < 3:
            total = total + x[j] * i
            if total > 4.0:
                return total, i
            j += 1
    return total, -1


@case(np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 1.0]), np.array([0.0, 4.0, 1.0]), paths=3)
def return_from_graph_loops(x):
    for v in x:
        i = 0.0
        while i < v:
            i = i + 1
            if i * v > 6:
                return v - i
    return np.sum(x)


@case(np.array([1.0, 2.0, 3.0]), np.array([1.0, -1.0, 0.5]), np.array([0.5, 0.5, 0.0]), paths=3)
def tuples_from_branches(x):
    if np.sum(x) > 2:
        return x, np.max(x)
    for v in x:
        if v < 0:
            return -x, v
    return x * 2, np.min(x)


@case(*[(x, k) for x in sums(3, -3) for k in (np.int64(7), np.int64(3), np.int64(-1))],
      paths=3)
def returns_from_loop_in_loop_in_if(x, k):
    if k > 0:
        for i in range(2):
            for v in x:
                if v * k > 2:
                    return v, i
        return x[0], -1
    return -x[0], -2


# -- calls inside nested lambdas -------------------------------------------------------------
def helper_with_tensor_if(x):
    if np.sum(x) > 0:
        return x
    return -x


@case(*[(x, np.int64(k)) for x in sums(3, -3) for k in (7, 3, -1)], paths=3)
def call_in_nested_lambda(x, k):
    if k > 0 and (k < 5 or np.max(helper_with_tensor_if(x)) > 0.0):
        return x + 1
    return x


# -- a nested function's returns are its own ------------------------------------------------
@case(np.ones(2), np.array([1.0, 6.0]), np.array([3.0, 1.0]), paths=3)
def nested_def_with_early_returns(x):
    def scale(y):
        for v in y:
            if v > 2:
                return y * v
        return -y

    for v in x:
        if v > 5:
            return scale(x)
    return scale(x) + 1


# -- Python values returned on tensor-decided paths (refused unless they agree) -------------
def returns_two_strings(x):
    for v in x:
        if v < 0:
            return "negative"
    return "positive"


def returns_none_or_array(x):
    for v in x:
        if v < 0:
            return None
    return x


@case(np.ones(2), -np.ones(2))
def returns_one_string(x):
    for v in x:
        if v < 0:
            return "done"
    return "done"


@case(*[(x, k) for x in sums(1, 3, 20) for k in (np.int64(1), np.int64(-1))], paths=4)
def endless_loop_in_a_branch(x, k):
    if k > 0:
        while True:
            x = x * 2
            if np.sum(x) > 10:
                return x
    else:
        return -x


@case(*sums(3, -3))
def dead_return_after_break(x):
    if np.sum(x) > 0:
        x = -x
    else:
        for v in x:
            x = x - v
            break
            return x  # never runs: the loop has no return flag to test
    return x
