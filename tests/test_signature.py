"""`autotrace.signature`: flattening, cache keys, `TensorSpec`, fast keys."""

import collections
import gc
import weakref

import numpy as np
import pytest

import autotrace as at
from autotrace.signature import (
    ID,
    LEAF,
    IdentityKey,
    TensorSpec,
    describe_key,
    describe_leaf,
    fast_key,
    fast_key_is_exact,
    fast_key_objects,
    flatten,
    leaf_key,
    leaf_paths,
    unflatten,
)

Pair = collections.namedtuple("Pair", "left right")


class Thing:
    pass


NESTED = {"w": np.ones(2), "layers": [(1, np.zeros(3)), Pair(None, "s")], "empty": ()}


def test_flatten_unflatten_round_trip():
    leaves, tree = flatten(NESTED)
    assert len(leaves) == tree.num_leaves == 5
    assert leaves[0] is NESTED["w"]
    rebuilt = unflatten(tree, leaves)
    assert type(rebuilt["layers"][1]) is Pair and rebuilt["empty"] == ()
    assert flatten(rebuilt)[1] == tree


def test_tree_text_reads_like_python():
    _, tree = flatten(NESTED)
    assert str(tree) == "{'w': *, 'layers': [(*, *), Pair(*, *)], 'empty': ()}"
    assert str(flatten((1,))[1]) == "(*,)"
    assert str(LEAF) == "*"


def test_containers_of_other_types_are_structure_sensitive():
    assert flatten([1, 2])[1] != flatten((1, 2))[1]
    assert flatten({"a": 1, "b": 2})[1] != flatten({"b": 2, "a": 1})[1]


def test_leaf_paths_name_nested_leaves():
    _, tree = flatten(NESTED)
    assert leaf_paths(tree, "p") == ["p_w", "p_layers_0_0", "p_layers_0_1",
                                     "p_layers_1_left", "p_layers_1_right"]
    assert leaf_paths(flatten([np.ones(1), {"k": 2}])[1], "xs") == ["xs_0", "xs_1_k"]


def test_array_keys_are_shape_and_dtype():
    assert leaf_key(np.ones((2, 3))) == ((2, 3), np.dtype(np.float64))
    assert leaf_key(np.float64(2.0)) == leaf_key(np.array(5.0)) == ((), np.dtype(np.float64))
    assert leaf_key(np.float32(1)) != leaf_key(np.float64(1))
    assert leaf_key(TensorSpec((None, 3), np.float32)) == ((None, 3), np.dtype(np.float32))


def test_python_value_keys():
    keys = {leaf_key(v) for v in (1, 1.0, True, 1 + 0j, "1", b"1", None, slice(1))}
    assert len(keys) == 8
    assert leaf_key(slice(1, None, 2)) == leaf_key(slice(1, None, 2))
    assert leaf_key(0.0) != leaf_key(-0.0)
    assert leaf_key(float("nan")) == leaf_key(float("nan"))
    assert leaf_key(2) == leaf_key(2) and hash(leaf_key(2.5)) == hash(leaf_key(2.5))


def test_identity_keys_hold_objects_weakly():
    thing = Thing()
    key = leaf_key(thing)
    assert key[0] == ID and key == leaf_key(thing) and key != leaf_key(Thing())
    ref = weakref.ref(thing)
    del thing
    gc.collect()
    assert ref() is None
    assert not key[1] == key[1]  # a dead key matches nothing, itself included


def test_identity_keys_hold_unweakrefable_objects_strongly():
    obj = object()
    key = IdentityKey(obj)
    assert not key.weak and key == IdentityKey(obj)


def test_tensorspec():
    spec = at.TensorSpec((None, 3), np.float32)
    assert spec.dtype == np.dtype(np.float32) and spec.shape == (None, 3)
    assert spec.is_compatible_with(np.ones((7, 3), np.float32))
    assert not spec.is_compatible_with(np.ones((7, 3)))
    assert not spec.is_compatible_with(np.ones((7, 4), np.float32))
    assert not spec.is_compatible_with(np.ones(3, np.float32))
    assert TensorSpec.from_value(np.float32(1)) == TensorSpec((), np.float32)
    assert TensorSpec((2,)) == TensorSpec([2], "float64")


def test_descriptions():
    assert describe_leaf(np.ones((2, 3), np.int32)) == "i32[2,3]"
    assert describe_leaf(TensorSpec((None,))) == "f64[?]"
    assert describe_leaf(np.float64(2.0)) == "f64[]"
    assert describe_leaf(2.5) == "2.5" and describe_leaf("s") == "'s'"
    assert describe_leaf(Thing()) == "<Thing object>"
    for value in (3, -0.0, 1 + 2j, "s", None, True, np.ones(2), slice(None, 2)):
        assert describe_key(leaf_key(value)) == describe_leaf(value)


@pytest.mark.parametrize("args", [
    (np.ones(2), np.ones(3)),
    (np.float64(1.0), np.ones(()), 3, 2.5, "s", None, True),
    (Thing(),),
    (),
])
def test_fast_keys_are_consistent_with_cache_keys(args):
    key = fast_key(args)
    assert key is not None and key == fast_key(args)
    same_types = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)
    assert fast_key(same_types) == key


@pytest.mark.parametrize("args", [
    ([np.ones(2)],), ((1, 2),), ({"a": 1},), (1 + 2j,), (TensorSpec((1,)),), (slice(2),),
    (at.EagerTensor(np.ones(2)),), (np.ma.masked_array([1.0]),),
])
def test_no_fast_key_for_containers_tensors_and_subclasses(args):
    assert fast_key(args) is None


def test_fast_keys_distinguish_types_and_values():
    x = np.ones(2)
    keys = {fast_key((x, v)) for v in (1, 1.0, True, "1", None)}
    assert len(keys) == 5
    assert fast_key((x, 1)) != fast_key((x, 2))
    assert fast_key((np.ones(2),)) != fast_key((np.ones(2, np.float32),))
    a, b = Thing(), Thing()
    assert fast_key((a,)) != fast_key((b,)) and fast_key_objects((x, a, 1)) == [a]


def test_fast_keys_are_not_exact_for_signed_zero_and_nan():
    assert fast_key_is_exact((np.ones(1), 1.5, 2))
    assert not fast_key_is_exact((0.0,)) and not fast_key_is_exact((float("nan"),))
