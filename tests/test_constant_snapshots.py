"""A numpy array the function made, used by an op and then written in place, keeps the
value the op saw (graph constants are snapshots: `autotrace/graph/constants.py`)."""

import numpy as np
import pytest

import autotrace as at
from autotrace.graph.basis import identity_basis
from autotrace.graph.constants import ConstantSnapshots, same_bits
from autotrace.graph.ir import Graph


def item_write(x):
    buf = np.zeros(3)
    y = buf * x
    buf[0] = 1.0
    return y + buf


def augmented(x):
    buf = np.zeros(3)
    y = buf * x
    buf += 1.0
    return y + buf


def fill(x):
    buf = np.zeros(3)
    y = buf * x
    buf.fill(1.0)
    return y + buf


def copyto(x):
    buf = np.zeros(3)
    y = buf * x
    np.copyto(buf, 2.0)
    return y + buf


def out_argument(x):
    buf = np.arange(3.0)
    y = buf * x
    np.add(buf, 1.0, out=buf)
    return y - buf


def negative_zero(x):
    buf = np.zeros(3)
    y = x / buf[0:1]  # 1/+0 = inf
    buf[0] = -0.0
    return y + x / buf[0:1]  # 1/-0 = -inf


def in_graph_if(x):
    buf = np.ones(3)
    y = x.sum() * buf
    if x[0] > 0:
        z = y + buf
    else:
        z = y - buf
    buf[1] = 5.0
    return z * buf


def in_python_loop(x):
    buf = np.zeros(3)
    total = x * 0.0
    for i in range(3):
        total = total + buf * x
        buf[i] = i + 1.0
    return total


def broadcast_view(x):
    base = np.arange(3.0)
    wide = np.broadcast_to(base, (4, 3))
    y = wide * x
    base[0] = 7.0
    return y + wide


CASES = [item_write, augmented, fill, copyto, out_argument, in_graph_if, in_python_loop,
         broadcast_view]


@pytest.mark.parametrize("fn", CASES, ids=lambda f: f.__name__)
def test_traced_matches_plain_after_later_writes(fn):
    traced = at.trace(fn)
    for x in (np.array([1.0, 2.0, 3.0]), np.array([-1.0, 0.5, 2.0])):  # both `if` paths
        expected = fn(x.copy())
        got = traced(x.copy())
        np.testing.assert_array_equal(got, expected)
        assert got.dtype == expected.dtype
    assert traced.trace_count == 1


def test_sign_of_zero_written_later_is_seen():
    traced = at.trace(negative_zero)
    x = np.array([1.0])
    with np.errstate(divide="ignore", invalid="ignore"):
        np.testing.assert_array_equal(traced(x), negative_zero(x))  # inf + -inf = nan


def test_gradient_uses_value_before_the_write():
    grad = at.grad(lambda x: np.sum(item_write(x) * x))
    x = np.array([1.0, 2.0, 3.0])
    # d/dx sum((0*x + [1,0,0]) * x) = [1, 0, 0]
    np.testing.assert_array_equal(grad(x), [1.0, 0.0, 0.0])
    at.check_grads(lambda x: np.sum(item_write(x) * x), (x,))


def test_unchanged_array_embeds_one_snapshot():
    snapshots = ConstantSnapshots()
    a = np.arange(4.0)
    first = snapshots.of(a)
    assert first is not a and snapshots.of(a) is first
    a[1] = 9.0
    second = snapshots.of(a)
    assert second is not first and second.tolist() == [0.0, 9.0, 2.0, 3.0]
    assert first.tolist() == [0.0, 1.0, 2.0, 3.0]


def test_arrays_that_cannot_change_are_embedded_as_they_are():
    snapshots = ConstantSnapshots()
    frozen = np.arange(3.0)
    frozen.flags.writeable = False
    assert snapshots.of(frozen) is frozen
    basis = identity_basis(4, np.float64, (2, 2, 4))
    assert snapshots.of(basis) is basis
    writeable_base = np.arange(3.0)
    view = writeable_base[:]
    view.flags.writeable = False  # its memory can still change through the base
    assert snapshots.of(view) is not view


def test_broadcast_view_is_copied_at_its_stored_size():
    base = np.arange(3.0)
    wide = np.broadcast_to(base, (1000, 3))
    snapshot = ConstantSnapshots().of(wide)
    assert snapshot.shape == (1000, 3) and snapshot.base is not None
    assert snapshot.strides[0] == 0
    base[0] = 5.0
    assert snapshot[999, 0] == 0.0


@pytest.mark.parametrize("a, b, same", [
    (np.array([np.nan, 1.0]), np.array([np.nan, 1.0]), True),
    (np.array([0.0]), np.array([-0.0]), False),
    (np.array([complex(1, 0.0)]), np.array([complex(1, -0.0)]), False),
    (np.array([1, 2]), np.array([1, 3]), False),
    (np.array(["a", "b"]), np.array(["a", "b"]), True),
    (np.zeros(2), np.zeros(3), False),
])
def test_same_bits(a, b, same):
    assert same_bits(a, b) is same


HIDDEN = {"w": np.array([1.0, 2.0])}
_hidden_lookup = HIDDEN.get  # a builtin method: a path to the array captures do not follow


def reads_hidden_state(x):
    return x * _hidden_lookup("w")


def test_an_array_the_trace_never_wrote_is_held_by_reference_after_the_trace():
    f = at.trace(reads_hidden_state)
    x = np.array([1.0, 1.0])
    for k in range(3):
        np.testing.assert_array_equal(f(x), reads_hidden_state(x))
        HIDDEN["w"][k % 2] += 1.5  # in place: the graph's constant is the array itself
    assert f.trace_count == 1


def test_the_snapshot_of_an_array_written_while_tracing_stays():
    snapshots = ConstantSnapshots()
    kept, written = np.zeros(2), np.zeros(2)
    first = snapshots.of(written)
    written[0] = 1.0
    second = snapshots.of(written)
    g = Graph("g", outputs=[snapshots.of(kept), first, second])
    snapshots.restore(g)
    assert g.outputs[0] is kept  # never written: the array itself
    assert g.outputs[1] is first and g.outputs[2] is second  # written: what each use saw
    assert first[0] == 0.0 and second[0] == 1.0
