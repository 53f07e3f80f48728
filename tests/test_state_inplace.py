"""In-place writes (`x[i] = v`, `x += y`, `np.copyto`, `out=`): the traced function against
the plain one on the same inputs over several calls, comparing the results AND the
caller's arrays after each call; graph `if`s and loops (one concrete graph, inputs taking
every path); gradients against finite differences; aliases (exact) and the refusals."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import autotrace as at
from autotrace.errors import TracingError


def same(fn, *calls, traces: int | None = None):
    """Call `fn` and its traced version on copies of each argument tuple in `calls`; the
    results and the arguments after the call must agree (values, dtypes, shapes)."""
    traced = at.trace(fn)
    for args in calls:
        plain_args, traced_args = copy.deepcopy(args), copy.deepcopy(args)
        try:
            want = fn(*plain_args)
        except Exception as e:  # numpy's error, with numpy's message
            with pytest.raises(type(e)) as info:
                traced(*traced_args)
            assert str(e) in str(info.value)
            continue
        got = traced(*traced_args)
        _equal(got, want)
        for a, b in zip(traced_args, plain_args):
            _equal(a, b)
    if traces is not None:
        assert traced.trace_count == traces
    return traced


def _equal(got, want):
    if isinstance(want, (tuple, list)):
        assert type(got) is type(want) and len(got) == len(want)
        for g, w in zip(got, want):
            _equal(g, w)
        return
    assert type(got) is type(want), (got, want)
    if isinstance(want, (np.ndarray, np.generic)):
        assert got.dtype == want.dtype and np.shape(got) == np.shape(want)
    np.testing.assert_array_equal(got, want)


FLOATS = np.array([[1.5, -2.0, 3.0, 0.5], [-1.0, 2.5, -0.5, 4.0], [2.0, -3.0, 1.0, -1.5]])
INTS = np.array([[1, -2, 3, 0], [-1, 2, -5, 4], [2, -3, 1, -1]])
BOOLS = np.array([[1, 0, 1, 0], [0, 0, 1, 1], [1, 1, 0, 0]], dtype=bool)


# -- every write form, on the caller's array -------------------------------------------------
def set_int(x, v):
    x[1] = v
    return x.sum()


def set_mask(x, v):
    x[x > 0] = v
    return x


def add_slice(x, v):
    x[1:3] += v
    return x * 2


def mul_ellipsis(x, v):
    x[..., 0] *= 2
    return x


def add_whole(x, y):
    x += y
    return x


def div_scalar(x, s):
    x /= s
    return x.max()


def negative_step(x, v):
    x[::-2] = v
    return x


def fancy(x, v):
    x[[0, 2]] = v
    return x


def fancy_repeated(x, v):
    x[[0, 0, 2]] += v  # numpy adds once at a repeated index: the last write wins
    return x


def broadcast_row(x, v):
    x[1:] = v[0]
    return x


def broadcast_column(x, v):
    x[:, 1] = v[:, 0]
    return x


def centre(x, v):
    x -= x.mean()
    return x


FORMS = [set_int, set_mask, add_slice, mul_ellipsis, add_whole, div_scalar, negative_step,
         fancy, fancy_repeated, centre]
ARRAY_FORMS = [set_int, add_slice, add_whole, negative_step, fancy, fancy_repeated,
               broadcast_row, broadcast_column]


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.__name__)
def test_write_forms_with_scalar_values(form):
    v = np.float64(0.25)
    same(form, (FLOATS.copy(), v), (FLOATS * -1, v + 1), (FLOATS + 2, v * 3), traces=1)


@pytest.mark.parametrize("form", ARRAY_FORMS, ids=lambda f: f.__name__)
def test_write_forms_with_broadcast_array_values(form):
    v = np.array([0.5, -1.0, 2.0, 3.0])
    if form in (broadcast_row, broadcast_column):
        v = np.arange(12.0).reshape(3, 4)
    same(form, (FLOATS.copy(), v), (FLOATS * -1, v + 1), traces=1)


@pytest.mark.parametrize("form", [set_int, set_mask, fancy, negative_step, broadcast_row],
                         ids=lambda f: f.__name__)
def test_float_values_into_int_arrays_are_cast_like_numpy(form):
    same(form, (INTS.copy(), np.full((3, 4), 1.75)[0]), (INTS * 2, np.full((3, 4), -2.5)[0]))


@pytest.mark.parametrize("form", [add_slice, add_whole, div_scalar, centre],
                         ids=lambda f: f.__name__)
def test_augmented_writes_of_float_into_int_raise_numpys_error(form):
    same(form, (INTS.copy(), np.float64(1.5)))


@pytest.mark.parametrize("key, value", [
    (np.s_[1:3], np.ones((3, 4))),
    (np.s_[[0, 2]], np.ones((3, 4))),
    (np.s_[:, 1], np.ones(4)),
])
def test_values_of_the_wrong_shape_raise_numpys_error(key, value):
    def f(x, v):
        x[key] = v
        return x

    same(f, (np.zeros((3, 4)), value))


def test_mask_write_of_a_2d_value_raises_numpys_error():
    def f(x, v):
        x[x > 0] = v
        return x

    same(f, (FLOATS.copy(), np.ones((3, 4))))


def test_augmented_write_of_the_wrong_shape_raises_numpys_error():
    def f(x, v):
        x[1:3] += v
        return x

    same(f, (np.zeros((3, 4)), np.ones((3, 4))))


def test_bool_arrays():
    def f(b, c):
        b[0] = 2
        b |= c
        b[:, 1] = c[:, 0]
        return b

    same(f, (BOOLS.copy(), ~BOOLS), (~BOOLS, BOOLS))


def test_int_arrays_with_int_values():
    same(add_whole, (INTS.copy(), INTS * 3), (INTS + 1, -INTS))
    same(fancy_repeated, (INTS.copy(), np.full((3, 4), 2)))


def test_augmented_write_that_would_broadcast_raises_numpys_error():
    def f(x, y):
        x += y
        return x

    same(f, (np.zeros(3), np.ones((2, 3))))


def test_traced_index_and_scalar_arguments():
    def f(x, i, v):
        x[i] = v
        x[i - 1] += 1.0
        return x

    traced = same(f, (np.zeros(4), np.int64(2), 3.0), (np.ones(4), np.int64(3), -1.0))
    assert traced.trace_count <= 2


def test_local_numpy_buffer_written_with_traced_values():
    def f(x):
        out = np.zeros(3)
        out[1] = x.sum()
        out[::2] += x[:2]
        return out

    same(f, (np.array([1.0, 2.0, 3.0]),), (np.array([-1.0, 0.5, 4.0]),), traces=1)


def test_result_is_the_callers_array_and_fast_path_writes_back():
    traced = at.trace(centre)
    a = np.array([1.0, 2.0, 6.0])
    assert traced(a, None) is a
    np.testing.assert_allclose(a, [-2.0, -1.0, 3.0])
    b = np.array([3.0, 3.0, 6.0])
    traced(b, None)  # the cached path
    np.testing.assert_allclose(b, [-1.0, -1.0, 2.0])
    cf = traced.get_concrete_function(at.TensorSpec((None,), np.float64), None)
    c = np.array([1.0, 3.0])
    cf(c, None)
    np.testing.assert_allclose(c, [-1.0, 1.0])


def test_copyto_and_out_arguments():
    def f(x, y):
        np.add(x, y, out=x)
        np.copyto(y, x * 2)
        np.multiply(x, 3, out=x)
        np.copyto(x, 0.0, where=y > 5)
        return x.sum() + y.sum()

    same(f, (np.ones(3), np.arange(3.0)), (np.arange(3.0), -np.ones(3)), traces=1)


def test_copyto_and_out_casting_errors_are_numpys():
    def g(x):
        np.copyto(x, 1.5)
        return x

    def h(x):
        np.sin(x, out=x)
        return x

    same(g, (np.zeros(3, np.int64),))
    same(h, (np.zeros(3, np.int64),))


def test_out_into_a_numpy_array_is_refused():
    def f(x):
        buf = np.zeros(3)
        np.add(x, 1.0, out=buf)
        return buf

    def g(x):
        buf = np.zeros(3)
        np.copyto(buf, x)
        return buf

    with pytest.raises(NotImplementedError, match=r"numpy\.add\(\.\.\., out=\.\.\.\) is "
                                                  "not supported on traced values"):
        at.trace(f)(np.ones(3))
    with pytest.raises(TracingError, match=r"`np.copyto\(dst, src\)` writes a traced value "
                                           r"into `dst`, a numpy array"):
        at.trace(g)(np.ones(3))


# -- aliases ---------------------------------------------------------------------------------
def test_a_second_name_sees_the_write():
    def f(x):
        y = x
        y += 1
        y[0] = -1.0
        return x

    same(f, (np.arange(3.0),), (np.ones(3),))


def test_writes_through_a_slice_view_reach_the_base():
    def f(x):
        v = x[0]
        v += 1
        x[1, ::2] = v[:2]
        return x, v

    same(f, (FLOATS.copy(),), (FLOATS * 2,))


def test_views_see_later_writes_to_their_base():
    def f(x):
        v = x[1:]
        x[1] = 0.0
        x += 1
        return v.sum(), v

    same(f, (FLOATS.copy(),), (-FLOATS,))


def test_a_copy_is_independent():
    def f(x):
        c = x.copy()
        c[0] = 9.0
        d = np.copy(x)
        d += 1
        return x, c, d

    same(f, (np.arange(3.0),))


def test_numpy_scalars_are_immutable():
    def f(x):
        s = x.sum()
        t = s
        s += 1
        return s, t

    same(f, (np.arange(3.0),))


@pytest.mark.parametrize("body, view", [
    ("x.T[0] = 1.0", "the transpose `x.T`"),
    ("x.reshape(-1)[0] = 1.0", "the view `x.reshape(...)`"),
    ("v = x.T\n    v += 1.0", "the transpose `x.T`"),
])
def test_writes_through_other_views_are_refused(tmp_path, body, view):
    source = f"import numpy as np\n\ndef f(x):\n    {body}\n    return x\n"
    path = tmp_path / "views.py"
    path.write_text(source)
    namespace: dict = {}
    exec(compile(source, str(path), "exec"), namespace)
    with pytest.raises(TracingError) as info:
        at.trace(namespace["f"])(np.zeros((2, 2)))
    message = str(info.value)
    assert f"An in-place write into {view} of another traced array" in message
    assert f'views.py", line {4 + body.count(chr(10))}' in message


# -- graph if --------------------------------------------------------------------------------
def write_in_if(x):
    if x.sum() > 0:
        x[0] = 10.0
    else:
        x[1:] *= 2
    return x.sum()


def write_in_one_branch_rebind_in_other(x):
    y = x
    if x[0] > 0:
        x[0] = 0.0
    else:
        x = x * 2
    return x, y


def test_writes_in_graph_if_take_both_paths_in_one_graph():
    same(write_in_if, (np.array([1.0, 2.0]),), (np.array([-5.0, 2.0]),),
         (np.array([3.0, -1.0]),), traces=1)
    same(write_in_one_branch_rebind_in_other, (np.array([1.0, 2.0]),),
         (np.array([-1.0, 2.0]),), traces=1)


def test_write_in_graph_if_inside_graph_loop():
    def f(x, t):
        for i in range(t):
            if x[i] > 0:
                x[i] = -x[i]
            else:
                x[i] += 10.0
        return x

    same(f, (np.array([1.0, -2.0, 3.0]), np.int64(2)), (np.array([-1.0, 2.0, 3.0]), np.int64(3)),
         traces=1)


# -- graph loops -----------------------------------------------------------------------------
def buffer_unknown_size(x):
    out = np.zeros_like(x)
    for i in range(x.shape[0]):
        out[i] = np.sin(x[i]) * x[i]
    return out


def buffer_traced_bound(x, t):
    out = np.zeros(4)
    for i in range(t):
        out[i] = x[i] ** 2
    return out


def test_buffer_pattern_with_unknown_size():
    traced = at.trace(buffer_unknown_size)
    cf = traced.get_concrete_function(at.TensorSpec((None,), np.float64))
    for n in (1, 3, 5):
        x = np.linspace(-1.0, 2.0, n)
        np.testing.assert_allclose(cf(x), buffer_unknown_size(x))
    assert traced.trace_count == 1


def test_buffer_pattern_with_traced_bound():
    x = np.array([0.5, -1.0, 2.0, 1.5])
    same(buffer_traced_bound, (x, np.int64(2)), (x, np.int64(4)), (x, np.int64(0)), traces=1)


def test_loop_writes_into_the_callers_array():
    def f(x, t):
        y = x
        for i in range(t):
            x[i] *= 2
        return y.sum()

    same(f, (np.array([1.0, 2.0, 3.0]), np.int64(2)), (np.array([1.0, 2.0, 3.0]), np.int64(3)),
         traces=1)


def test_while_loop_write():
    def f(x):
        i = 0
        while x.sum() < 10.0:
            x[i % 3] += 1.0
            i += 1
        return x

    same(f, (np.zeros(3),), (np.array([4.0, 4.0, 1.0]),), traces=1)


def test_write_then_rebind_in_a_graph_loop_is_refused():
    def f(x, t):
        for i in range(t):
            x[i] = 0.0
            x = x * 2
        return x

    with pytest.raises(TracingError, match=r"`x` is written in place and then rebound in the "
                                           r"body of the loop at line \d+ of "
                                           r"test_state_inplace.py"):
        at.trace(f)(np.ones(3), np.int64(2))


def test_write_to_an_uncarried_outer_value_is_refused():
    class Box:
        pass

    def f(x, t):
        box = Box()
        box.buf = x * 1.0
        for i in range(t):
            box.buf[i] = 0.0
        return box.buf

    with pytest.raises(TracingError, match=r"An item assignment writes into a traced value "
                                           r"from outside the graph `if` or loop it is in"):
        at.trace(f)(np.ones(3), np.int64(2))


def test_views_follow_writes_inside_graph_if_and_loops():
    def in_loop(x, t):
        v = x[0]
        total = 0.0
        for i in range(t):
            total = total + v.sum()  # sees the writes of earlier iterations
            x[0, i] = 1.0 + i
        return v, total

    def in_if(x):
        v = x[1:]
        w = x.T
        if x.sum() > 0:
            x[1, 0] = 9.0
            s = v.sum() + w[0, 1]  # the views show the write inside the branch
        else:
            v += 1.0  # a write through the view reaches `x`
            s = w.sum()
        return x, v, s

    same(in_loop, (np.zeros((2, 3)), np.int64(2)), (np.ones((2, 3)), np.int64(3)), traces=1)
    same(in_if, (FLOATS.copy(),), (-FLOATS,), traces=1)


# -- gradients -------------------------------------------------------------------------------
def test_gradients_of_writes_match_finite_differences():
    x = np.array([0.3, -0.7, 1.1, 0.4])
    at.check_grads(at.trace(buffer_unknown_size), (x,), order=2)
    at.check_grads(lambda x: at.trace(buffer_traced_bound)(x, np.int64(3)), (x,), order=2)

    def mixed(x, v):
        x[1:3] = v * v
        x[[0, 0]] = v[0]  # repeated: only the last write reaches x
        x *= x
        return x

    at.check_grads(mixed, (x, np.array([0.5, -1.5])), order=2)
    at.check_grads(at.trace(write_in_if), (x,), order=2)
    at.check_grads(at.trace(write_in_if), (-x,), order=2)


def test_gradient_is_of_the_inputs_as_they_were():
    def f(x):
        x -= x.mean()
        return (x ** 2).sum()

    def pure(x):
        return ((x - x.mean()) ** 2).sum()

    a = np.array([1.0, 2.0, 6.0])
    np.testing.assert_allclose(at.hessian(f)(a.copy()), at.hessian(pure)(a.copy()))
    b = a.copy()
    np.testing.assert_allclose(at.grad(f)(b), at.grad(pure)(a))
    np.testing.assert_allclose(b, a - a.mean())  # grad ran f, which wrote its argument


def test_arguments_sharing_memory_with_a_written_one_are_refused():
    def f(x, y):
        x += 1
        return y

    traced = at.trace(f)
    a = np.zeros(3)
    traced(a, np.zeros(3))
    with pytest.raises(ValueError, match=r"argument `x` is written in place by the traced "
                                         r"function and shares memory with argument `y`"):
        traced(a, a)
    with pytest.raises(ValueError, match="shares memory"):
        traced(a, a[::-1])


# -- arrays from outside the function --------------------------------------------------------
GLOBAL_BUFFER = np.zeros(3)


class Model:
    def __init__(self):
        self.w = np.ones(3)


def writes_global(x):
    GLOBAL_BUFFER[0] = x.sum()
    GLOBAL_BUFFER[1:] += x[:2]
    return GLOBAL_BUFFER * 2


def test_global_and_closure_arrays_are_read_live_and_written_back():
    traced = at.trace(writes_global)
    for x in (np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 1.0]), np.array([0.5, -1, 2])):
        before = GLOBAL_BUFFER.copy()
        want = writes_global(x)
        after, GLOBAL_BUFFER[:] = GLOBAL_BUFFER.copy(), before
        np.testing.assert_array_equal(traced(x), want)
        np.testing.assert_array_equal(GLOBAL_BUFFER, after)
    assert traced.trace_count == 1

    def make():
        counts = np.zeros(2, dtype=np.int64)

        def step(x):
            if x.sum() > 0:
                counts[0] += 1
            else:
                counts[1] += 1
            return counts.sum()

        return step, counts

    plain, plain_counts = make()
    step, counts = make()
    traced = at.trace(step)
    for x in (np.ones(2), -np.ones(2), np.ones(2)):
        assert traced(x) == plain(x)
        np.testing.assert_array_equal(counts, plain_counts)
    assert traced.trace_count == 1


def test_gradient_of_a_function_writing_a_global_array():
    def loss(x):
        GLOBAL_BUFFER[0] = (x * x).sum()
        return GLOBAL_BUFFER.sum() * x[0]

    GLOBAL_BUFFER[:] = [0.0, 1.0, 2.0]
    x = np.array([1.5, -0.5, 2.0])
    g = at.grad(loss)(x)
    np.testing.assert_allclose(GLOBAL_BUFFER, [6.5, 1.0, 2.0])  # grad ran `loss`
    # d/dx [(|x|^2 + 3) x0] = 2 x x0 + e0 (|x|^2 + 3)
    np.testing.assert_allclose(g, 2 * x * x[0] + np.array([(x * x).sum() + 3.0, 0.0, 0.0]))


def test_writes_into_local_containers_keep_python_meaning():
    def f(x):
        parts = [np.zeros(3), np.zeros(3)]
        parts[0][1] = 5.0
        held = [x * 1.0]
        held[0][0] = 7.0
        held[0] += 1
        return parts[0] + held[0]

    same(f, (np.ones(3),), (np.arange(3.0),), traces=1)


def test_traced_attribute_values_are_written_in_place():
    class Box:
        pass

    def f(x):
        box = Box()
        box.h = x * 2.0
        box.h[0] = -1.0
        box.h += 1
        return box.h

    same(f, (np.ones(3),), (np.arange(3.0),), traces=1)


def test_tape_differentiates_a_watched_value_as_it_was_watched():
    @at.trace
    def f(x):
        with at.GradientTape() as tape:
            tape.watch(x)
            x[0] = x[1] * 3.0
            y = (x * x).sum()
        return tape.gradient(y, x)

    def expected(x):  # d/dx of x1^2 * 9 + x1^2 + x2^2 (x0 is overwritten)
        return np.array([0.0, 20.0 * x[1], 2.0 * x[2]])

    a = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(f(a.copy()), expected(a))


def test_vmap_and_jvp_of_functions_that_write():
    def f(x):
        y = x * 1.0
        y[1:] += y[:-1] ** 2
        y[0] = np.sin(x[-1])
        return y

    xs = np.array([[0.3, -0.2, 0.5], [1.0, 0.4, -0.7]])
    np.testing.assert_allclose(at.vmap(f)(xs), np.stack([f(x.copy()) for x in xs]))
    np.testing.assert_allclose(at.vmap(at.trace(buffer_unknown_size))(xs),
                               np.stack([buffer_unknown_size(x) for x in xs]))
    x, t, eps = xs[0], np.array([1.0, -2.0, 0.5]), 1e-6
    out, tangent = at.jvp(f, (x,), (t,))
    np.testing.assert_allclose(out, f(x.copy()))
    numeric = (f(x + eps * t) - f(x - eps * t)) / (2 * eps)
    np.testing.assert_allclose(tangent, numeric, rtol=1e-6, atol=1e-8)


def test_saving_a_function_that_writes_its_arguments_is_refused(tmp_path):
    cf = at.trace(centre).get_concrete_function(np.zeros(3), None)
    with pytest.raises(at.UnsupportedError, match=r"cannot save centre: it writes its "
                                                  r"argument\(s\) `x` in place"):
        cf.save(tmp_path / "f.json")


def test_traced_functions_calling_traced_functions_that_write():
    inner = at.trace(centre)

    def outer(x, t):
        inner(x, None)
        y = x * 1.0
        for i in range(t):
            inner(y, None)
            y[i] += 1.0
        return x, y

    same(outer, (np.array([1.0, 2.0, 6.0]), np.int64(2)), (np.array([0.0, 3.0, 3.0]),
                                                          np.int64(3)), traces=1)
    cf = inner.get_concrete_function(np.zeros(3), None)

    @at.trace
    def calls_concrete(x):
        cf(x, None)
        return x

    a = np.array([1.0, 2.0, 6.0])
    np.testing.assert_allclose(calls_concrete(a), [-2.0, -1.0, 3.0])
    np.testing.assert_allclose(a, [-2.0, -1.0, 3.0])
    b = np.array([1.0, 2.0, 6.0])
    assert cf(b, None) is b


def test_loop_buffers_are_written_in_place_when_nothing_else_reads_them():
    traced = at.trace(buffer_unknown_size)
    cf = traced.get_concrete_function(at.TensorSpec((None,), np.float64))
    assert "_setitem_into(out" in cf.source  # one copy before the loop, not one per trip

    def running(x, t):
        out = x  # the caller's array, read inside the loop: written as numpy does
        for i in range(1, t):
            out[i] = out[i - 1] + x[i]
        return out

    same(running, (np.array([1.0, 2.0, 3.0, 4.0]), np.int64(3)),
         (np.array([1.0, -2.0, 3.0, 4.0]), np.int64(4)), traces=1)
    same(buffer_traced_bound, (np.array([0.5, -1.0, 2.0, 1.5]), np.int64(3)), traces=1)


def test_every_augmented_operator_and_list_operands():
    def floats(x, w):
        x += [1.0, 2.0, 3.0]
        x[[True, False, True]] = 0.0
        x[np.array([2])] -= 5
        x **= 2
        x //= 2
        x %= 3
        x[:2] = [4.0, 5.0]
        return x

    def ints(x, w):
        x <<= 1
        x &= 6
        x |= 1
        x ^= 2
        x >>= 1
        x *= w
        return x

    def matmul(x, w):
        x @= w
        return x

    same(floats, (np.ones(3), None), (np.arange(3.0), None))
    same(ints, (np.arange(5), np.int64(3)), (np.arange(5) * 3, np.int64(-1)))
    same(matmul, (np.ones((2, 2)), np.eye(2) * 2), (np.arange(4.0).reshape(2, 2), np.ones((2, 2))))


def test_a_sequence_too_deep_for_the_target_raises_numpys_error():
    def f(x):
        x[0] = [[1.0, 2.0]]
        return x

    same(f, (np.zeros((2, 2)),))


def test_writing_a_carried_view_in_a_graph_loop_is_refused():
    def f(x, t):
        v = x[0]
        for i in range(t):
            v[i] = 1.0
        return x

    with pytest.raises(TracingError, match=r"`v` is a view of another array \(`v = x\[\.\.\.\]`\) "
                                           r"and is written in place in the loop at line \d+"):
        at.trace(f)(np.zeros((2, 3)), np.int64(2))


def test_global_array_written_through_a_local_name():
    def alias(x):
        w = GLOBAL_BUFFER
        w[1] = x.sum()
        return w * 1.0

    traced = at.trace(alias)
    for x in (np.ones(3), np.arange(3.0)):
        GLOBAL_BUFFER[:] = [1.0, 2.0, 3.0]
        want, after = alias(x), GLOBAL_BUFFER.copy()
        GLOBAL_BUFFER[:] = [1.0, 2.0, 3.0]
        np.testing.assert_array_equal(traced(x), want)
        np.testing.assert_array_equal(GLOBAL_BUFFER, after)


def test_global_array_written_in_a_graph_loop_through_a_local_name():
    def fill(x, t):
        w = GLOBAL_BUFFER
        for i in range(t):
            w[i] = x[i] * 10.0
        return w.sum()

    def direct(x, t):
        for i in range(t):
            GLOBAL_BUFFER[i] = x[i]
        return x

    traced = at.trace(fill)
    for t in (1, 3):
        GLOBAL_BUFFER[:] = 1.0
        want, after = fill(np.arange(3.0), t), GLOBAL_BUFFER.copy()
        GLOBAL_BUFFER[:] = 1.0
        assert traced(np.arange(3.0), np.int64(t)) == want
        np.testing.assert_array_equal(GLOBAL_BUFFER, after)
    with pytest.raises(TracingError, match="from outside the graph `if` or loop it is in"):
        at.trace(direct)(np.arange(3.0), np.int64(2))
