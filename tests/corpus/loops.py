"""while / for loops: data-dependent trip counts, range over Python ints and traced bounds,
iteration over arrays and Python lists, enumerate/zip, break/continue, loop `else`,
early returns in loops, loop-carried shapes and dtypes."""

import numpy as np

from corpus.registry import Registry

CORPUS = Registry()
case = CORPUS.case

POS = np.array([1.0, 2.0, 3.0])
NEG = np.array([-1.0, -2.0, 0.5])
MIX = np.array([2.0, -5.0, 1.0])
BIG = np.array([10.0, 20.0, 30.0])
P32 = np.array([1.0, 2.0, 3.0], np.float32)
N32 = np.array([-1.0, 4.0, 0.5], np.float32)
M2 = np.array([[1.0, 2.0], [3.0, -4.0], [-5.0, 6.0]])
M2B = np.array([[-1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
COUNT = np.array(3)
ZERO = np.array(0)
SEVEN = np.array(7)


# -- while -------------------------------------------------------------------------------
@case(POS, BIG, BIG * 4)
def while_data_dependent(x):
    i = 0
    while x.sum() < 100:
        x = x * 2
        i += 1
    return x, i


@case(POS, BIG)
def while_counter_stays_python_int(x):
    steps = 0
    total = x.sum()
    while total < 50:
        total = total * 1.5
        steps = steps + 1
    return steps, total


@case(POS, BIG, -BIG)
def while_break(x):
    i = 0
    while i < 10:
        if x.sum() > 40:
            break
        x = x * 2
        i += 1
    return x, i


@case(POS, MIX, NEG)
def while_continue(x):
    i = 0
    s = 0.0
    while i < 3:
        i += 1
        if x[i - 1] < 0:
            continue
        s = s + x[i - 1]
    return s


@case(POS, BIG)
def while_else_without_break(x):
    n = 0
    while x.sum() < 50:
        x = x * 3
        n += 1
    else:
        n = n + 100
    return x, n


@case(POS, MIX, BIG)
def while_else_with_break(x):
    i = 0
    found = -1
    while i < 3:
        if x[i] < 0:
            found = i
            break
        i += 1
    else:
        found = 99
    return found


@case(POS, BIG)
def nested_while(x):
    outer = 0
    while x.sum() < 200:
        inner = x
        while inner.max() < 50:
            inner = inner + 10
        x = x + inner
        outer += 1
    return x, outer


@case(POS, NEG)
def while_in_branch(x):
    if x.sum() > 0:
        while x.sum() < 20:
            x = x + 1
    else:
        x = x * 0
    return x


@case(COUNT, ZERO, SEVEN)
def while_python_test_tensor_state(n):
    acc = n * 0
    k = 0
    while k < 4:
        if acc < 10:
            acc = acc + n * k
        k += 1
    return acc, k


# -- for over range ----------------------------------------------------------------------
@case(POS, NEG)
def for_range_python(x):
    s = 0.0
    for i in range(3):
        if x[i] > 0:
            s = s + x[i]
    return s


@case(COUNT, ZERO, SEVEN)
def for_range_traced_bound(n):
    s = 0
    for i in range(n):
        s = s + i
    return s


@case((COUNT, POS), (ZERO, POS), (SEVEN, NEG))
def for_range_traced_start_stop_step(n, x):
    s = x * 0
    for i in range(1, n, 2):
        s = s + x * i
    return s


@case(POS, NEG, merged_scalars=True)
def range_break_on_tensor(x):
    total = 0.0
    for i in range(3):
        if x[i] < 0:
            break
        total = total + x[i]
    return total


@case(POS, MIX, NEG)
def range_continue_on_tensor(x):
    total = x[0] * 0
    for i in range(3):
        if x[i] < 0:
            continue
        total = total + x[i]
    return total


@case(POS, NEG)
def python_counter_through_range_loop(x):
    n = 0
    for _ in range(4):
        n += 2
    if x.sum() > 0:
        x = x * n
    return x, n


# -- for over arrays ---------------------------------------------------------------------
@case(POS, NEG, MIX)
def for_over_array(x):
    s = 0.0
    for v in x:
        s = s + v * v if v > 0 else s - v
    return s


@case(P32, N32)
def float32_sum_stays_float32(x):
    s = 0.0
    for v in x:
        s = s + v
    if s > 5:
        s = s / 2
    return s


@case(M2, M2B)
def for_over_rows(m):
    acc = np.zeros(2)
    for row in m:
        if row[0] > 0:
            acc = acc + row
    return acc


@case(POS, NEG, MIX)
def count_positive(x):
    n = 0
    for v in x:
        if v > 0:
            n += 1
    return n


@case(POS, MIX, NEG, merged_scalars=True)
def break_in_array_loop(x):
    s = 0.0
    for v in x:
        if v < 0:
            break
        s = s + v
    return s


@case(POS, MIX, NEG)
def continue_in_array_loop(x):
    s = x[0] * 0
    for v in x:
        if v < 0:
            continue
        s = s + v
    return s


@case(POS, MIX)
def enumerate_array(x):
    s = 0.0
    for i, v in enumerate(x):
        if v > 0:
            s = s + v * i
    return s


@case((POS, BIG), (NEG, POS), (BIG, MIX))
def zip_arrays(x, y):
    s = x[0] * 0
    for a, b in zip(x, y):
        if a < b:
            s = s + b - a
    return s


@case(POS, MIX)
def enumerate_with_start(x):
    best = x[0]
    where = 0
    for i, v in enumerate(x, 1):
        if v > best:
            best = v
            where = i
    return best, where


@case(POS, NEG)
def for_over_python_list(x):
    out = x
    for w in [1.0, -2.0, 3.0]:
        if out.sum() > 0:
            out = out * w
    return out


@case(POS, NEG)
def for_over_list_of_arrays(x):
    total = x * 0
    for a in [x, x * 2, -x]:
        if a.sum() > 0:
            total = total + a
    return total


@case(POS, NEG)
def python_list_built_in_unrolled_loop(x):
    parts = []
    for k in range(3):
        parts.append(x * k)
    stacked = np.stack(parts)
    if stacked.sum() > 0:
        return parts
    return [p * -1 for p in parts]


@case(POS, MIX)
def zip_python_lists(x):
    out = []
    for a, b in zip([1, 2, 3], ["a", "b", "c"]):
        out.append((b, x[a - 1] * a))
    if x.sum() > 0:
        x = x * len(out)
    return out, x


# -- nested loops ------------------------------------------------------------------------
@case(POS, MIX, NEG)
def nested_loops_break_inner(x):
    n = 0
    for i in range(3):
        for v in x:
            if v > i:
                break
            n += 1
    return n


@case(POS, MIX, NEG)
def nested_loops_continue(x):
    s = 0.0
    for k in range(2):
        for v in x:
            if v < k:
                continue
            s = s + v
    return s


@case(M2, M2B)
def nested_array_loops(m):
    total = 0.0
    for row in m:
        for v in row:
            if v > 0:
                total = total + v
            else:
                total = total - 1
    return total


# -- loop else, early returns --------------------------------------------------------------
@case(POS, MIX, merged_scalars=True)
def for_else_clause(x):
    result = -1.0
    for v in x:
        if v < 0:
            result = v
            break
    else:
        result = 100.0
    return result


@case(POS, MIX)
def range_else_clause(x):
    hit = 0
    for i in range(3):
        if x[i] < 0:
            hit = i
            break
    else:
        hit = 10
    return hit


@case(POS, MIX, NEG)
def return_inside_array_loop(x):
    for v in x:
        if v < 0:
            return v
    return x.sum()


@case(POS, MIX)
def return_inside_range_loop(x):
    for i in range(3):
        if x[i] < 0:
            return x * i
    return x


@case(POS, BIG)
def return_inside_while(x):
    i = 0
    while i < 5:
        if x.sum() > 50:
            return x, i
        x = x * 2
        i += 1
    return -x, i


# -- loop-carried types --------------------------------------------------------------------
@case(POS, BIG)
def shape_changes_in_loop(x):
    y = x
    while y.sum() < 50:
        y = np.concatenate([y, y])
    return y


@case(POS, NEG)
def python_int_becomes_array_dtype(x):
    s = 0
    for v in x:
        s = s + v
    return s if s > 0 else -s


@case(POS, NEG)
def loop_variable_only_inside(x):
    s = x * 0
    for v in x:
        t = v * 2
        if t > 0:
            u = t + 1
            s = s + u
    return s


@case(POS, NEG, MIX)
def if_inside_while(x):
    i = 0
    pos = 0
    neg = 0
    while i < 3:
        if x[i] > 0:
            pos += 1
        else:
            neg += 1
        i += 1
    return pos, neg


@case(P32, N32)
def float32_while(x):
    y = x
    while y.max() < 8:
        y = y * 2 + 0.5
    return y


@case(POS, MIX)
def print_in_loop(x):
    for v in x:
        if v < 0:
            print("negative", v)
    return x


@case(POS, MIX, BIG)
def return_from_nested_loops(x):
    rounds = 0
    while True:  # only the `return` inside the inner loop ends it
        for v in x:
            if v > 6:
                return v, rounds
        x = x * 2
        rounds += 1


@case(POS, MIX)
def return_skips_loop_else(x):
    for v in x:
        if v < 0:
            return v * 10
    else:
        x = x + 1
    return x.sum()


@case(POS, NEG, merged_scalars=True)
def item_assignment_carried_through_loop(x):
    stats = {"pos": 0.0, "neg": 0.0}
    for v in x:
        if v > 0:
            stats["pos"] = stats["pos"] + v
        else:
            stats["neg"] = stats["neg"] - v
    return stats


@case(M2, M2 + 10)
def enumerate_rows_with_break(m):
    found = -1
    for i, row in enumerate(m):
        if row.sum() < 0:
            found = i
            break
    return found


@case(POS, POS * 4)
def while_continue_on_python_counter(x):
    i = 0
    s = x[0] * 0
    while s < 10:
        i += 1
        if i % 2 == 0:
            continue
        s = s + x.max()
    return s, i


@case(POS, NEG)
def list_of_arrays_with_tensor_break(x):
    total = x * 0
    for a in [x, x * 2, x * 3]:
        if a.sum() > 8:
            break
        total = total + a
    return total


@case(M2, -M2)
def starred_loop_target(m):
    out = 0.0
    for first, *others in m:
        if first > 0:
            out = out + first + len(others)
    return out


@case(POS, NEG)
def walrus_in_while_condition(x):
    n = 5
    total = x * 0
    while (n := n - 1) > 0:
        total = total + x
    return (total if total.sum() > 0 else total * 2), n


@case(POS, POS * -20)
def assert_in_array_loop(x):
    s = 0.0
    for v in x:
        assert v > -10, "too small"
        s = s + v
    return s


@case(POS, POS * 30)
def print_in_graph_loop(x):
    i = 0
    while x.sum() < 20:
        print("iteration", i, x)
        x = x * 2
        i += 1
    return x


@case(POS, MIX)
def return_in_while_with_else(x):
    i = 0
    while i < 3:
        if x[i] < 0:
            return i
        i += 1
    else:
        i = 100
    return i


@case(POS, NEG)
def break_inside_try_in_python_loop(x):
    s = 0.0
    for k in range(3):
        try:
            if k == 2:
                break
            s = s + x[k]
        finally:
            pass
    return s if s > 0 else -s


@case(POS, MIX)
def nested_while_with_breaks(x):
    n = 0
    while n < 5:
        m = 0
        while m < 5:
            if x[m % 3] * m > 4:
                break
            m += 1
        n += 1
        if m > 2:
            break
    return n, m
