"""HeadsMap: incremental updates and proofs equal the level-by-level reference (rules v2, 3–4).

Keys are drawn to stress the compressed layout: random keys, keys sharing their top 200 bits
(long shared paths, branching just above the leaves), and keys one bit away from each other
(branching at the root, or at height 1).
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.hashing import (
    HashingError,
    HeadsMap,
    InvalidNode,
    MemoryNodeStore,
    Node,
    fold_head_proof,
    head_leaf,
    reference,
    verify_head,
    verify_no_head,
)
from backend.hashing import heads_map as heads_map_module
from backend.hashing.heads import ZERO
from backend.hashing.heads_store import Child, pack_node, unpack_node
from tests.hashing.strategies import flip_bit, hashes

SHARED_BYTES = 25  # 200 bits


@st.composite
def key_pools(draw: st.DrawFn) -> list[bytes]:
    """Distinct lot keys, many of them sharing long prefixes with one base key."""
    base = draw(hashes)
    kinds = st.one_of(
        hashes,
        st.binary(min_size=32 - SHARED_BYTES, max_size=32 - SHARED_BYTES).map(
            lambda tail: base[:SHARED_BYTES] + tail
        ),
        st.integers(0, 255).map(lambda bit: flip_bit(base, bit)),
        st.just(base),
    )
    return draw(st.lists(kinds, min_size=1, max_size=10, unique=True))


@dataclass
class Model:
    """The map under test next to the plain dict of leaves the reference computes from."""

    heads: HeadsMap = field(default_factory=HeadsMap)
    leaves: dict[bytes, bytes] = field(default_factory=dict)

    def set(self, key: bytes, head: bytes, seq: int) -> None:
        self.heads.set_head(key, head, seq)
        self.leaves[key] = head_leaf(key, head, seq)

    def remove(self, key: bytes) -> None:
        assert self.heads.remove(key) == (key in self.leaves)
        self.leaves.pop(key, None)

    def check_proof(self, key: bytes) -> None:
        root = self.heads.root
        bitmap, siblings = self.heads.proof(key)
        assert (bitmap, list(siblings)) == reference.head_proof(self.leaves, key)
        leaf = self.leaves.get(key, ZERO)
        assert self.heads.leaf(key) == leaf
        assert fold_head_proof(key, leaf, bitmap, siblings) == root
        assert verify_no_head(root, key, bitmap, siblings) == (key not in self.leaves)


operations = st.lists(
    st.tuples(
        st.integers(0, 9),
        st.sampled_from(["set", "set", "set", "remove"]),
        hashes,
        st.integers(1, 9),
    ),
    max_size=25,
)


@settings(max_examples=80, deadline=None)
@given(key_pools(), operations, hashes)
def test_root_and_proofs_equal_the_reference_after_any_update_sequence(
    pool: list[bytes], steps: list[tuple[int, str, bytes, int]], stranger: bytes
) -> None:
    model = Model()
    for index, action, head, seq in steps:
        key = pool[index % len(pool)]
        model.set(key, head, seq) if action == "set" else model.remove(key)
        assert model.heads.root == reference.heads_root(model.leaves)
    for key in [*pool, stranger]:
        model.check_proof(key)
    assert len(model.heads.store) <= 2 * len(model.leaves)  # type: ignore[arg-type]


@settings(max_examples=40, deadline=None)
@given(key_pools(), hashes, hashes)
def test_a_proof_of_a_stale_head_fails(pool: list[bytes], old: bytes, new: bytes) -> None:
    model = Model()
    for key in pool:
        model.set(key, old, 1)
    key = pool[0]
    before = model.heads.root
    old_proof = model.heads.proof(key)
    assert verify_head(before, key, old, 1, *old_proof)
    model.set(key, new, 2)
    after, new_proof = model.heads.root, model.heads.proof(key)
    assert verify_head(after, key, new, 2, *new_proof)
    assert not verify_head(after, key, old, 1, *new_proof)
    assert not verify_head(after, key, new, 1, *new_proof)
    assert not verify_head(after, key, old, 1, *old_proof)
    assert not verify_no_head(after, key, *new_proof)


def test_a_larger_random_map_equals_the_reference() -> None:
    rng = random.Random(14)
    model = Model()
    keys = [rng.randbytes(32) for _ in range(150)]
    keys += [keys[0][:SHARED_BYTES] + rng.randbytes(7) for _ in range(30)]
    for key in keys:
        model.set(key, rng.randbytes(32), rng.randint(1, 1000))
    for key in rng.sample(keys, 40):
        model.set(key, rng.randbytes(32), rng.randint(1, 1000))
    assert model.heads.root == reference.heads_root(model.leaves)
    levels = reference.heads_levels(model.leaves)
    for key in [*rng.sample(keys, 20), rng.randbytes(32)]:
        bitmap, siblings = model.heads.proof(key)
        expected = [levels[h].get((int.from_bytes(key, "big") >> h) ^ 1, ZERO) for h in range(256)]
        assert list(siblings) == [s for s in expected if s != ZERO]
        assert bitmap == sum(1 << h for h, s in enumerate(expected) if s != ZERO)


def test_the_empty_map_has_root_zero_and_proves_every_lot_absent() -> None:
    heads = HeadsMap()
    key = os.urandom(32)
    assert heads.root == ZERO
    assert heads.proof(key) == (0, ())
    assert verify_no_head(heads.root, key, 0, [])
    assert heads.remove(key) is False


def test_removing_every_lot_empties_the_store() -> None:
    model = Model()
    keys = [os.urandom(32) for _ in range(20)]
    for key in keys:
        model.set(key, os.urandom(32), 1)
    for key in keys:
        model.remove(key)
    assert model.heads.root == ZERO
    assert len(model.heads.store) == 0  # type: ignore[arg-type]


def test_a_zero_leaf_is_refused_because_it_means_no_head() -> None:
    with pytest.raises(InvalidNode, match="remove"):
        HeadsMap().set_leaf(os.urandom(32), ZERO)


class CountingStore(MemoryNodeStore):
    """A memory store that counts its calls, to see what an update or a reopening touches."""

    __slots__ = ("calls",)

    def __init__(self) -> None:
        super().__init__()
        self.calls = {"get": 0, "put": 0, "delete": 0}

    def get(self, height: int, prefix: int) -> Node | None:
        self.calls["get"] += 1
        return super().get(height, prefix)

    def put(self, height: int, prefix: int, node: Node) -> None:
        self.calls["put"] += 1
        super().put(height, prefix, node)

    def delete(self, height: int, prefix: int) -> None:
        self.calls["delete"] += 1
        super().delete(height, prefix)


def test_a_map_reopened_on_its_store_continues_without_recomputing() -> None:
    store = CountingStore()
    first = HeadsMap(store)
    keys = [os.urandom(32) for _ in range(50)]
    first.set_heads((key, os.urandom(32), 3) for key in keys)
    root = first.root
    store.calls = dict.fromkeys(store.calls, 0)
    reopened = HeadsMap(store)
    assert reopened.root == root
    assert store.calls == {"get": 1, "put": 0, "delete": 0}
    assert reopened.proof(keys[7]) == first.proof(keys[7])


def test_an_update_hashes_and_writes_only_along_its_path(monkeypatch: pytest.MonkeyPatch) -> None:
    store = CountingStore()
    heads = HeadsMap(store)
    heads.set_heads((os.urandom(32), os.urandom(32), 1) for _ in range(500))
    hashed = []
    real = heads_map_module.new_keccak
    monkeypatch.setattr(heads_map_module, "new_keccak", lambda data: hashed.append(1) or real(data))
    store.calls = dict.fromkeys(store.calls, 0)
    heads.set_leaf(os.urandom(32), os.urandom(32))  # a new lot: a split, two lifts
    assert len(hashed) <= 2 * 256
    assert store.calls["put"] <= 30 and store.calls["delete"] == 0
    hashed.clear()
    key = os.urandom(32)
    heads.set_leaf(key, os.urandom(32))
    hashed.clear()
    heads.set_leaf(key, os.urandom(32))  # an existing lot: exactly one hash per level
    assert len(hashed) == 256


def test_a_store_missing_a_linked_node_is_reported() -> None:
    store = MemoryNodeStore()
    heads = HeadsMap(store)
    near = os.urandom(32)
    lost = flip_bit(near, 250)  # the two part just above the leaves: a branching node at height 6
    heads.set_heads((key, os.urandom(32), 1) for key in (near, lost, flip_bit(near, 0)))
    store.delete(6, int.from_bytes(near, "big") >> 6)
    with pytest.raises(HashingError, match="missing node"):
        heads.proof(lost)
    with pytest.raises(HashingError, match="missing node"):
        heads.set_leaf(lost, os.urandom(32))


@given(
    hashes,
    st.one_of(st.none(), st.tuples(st.integers(0, 255), st.integers(0, 2**200), hashes)),
    st.one_of(st.none(), st.tuples(st.integers(0, 255), st.integers(0, 2**256 - 1), hashes)),
)
def test_packed_nodes_unpack_to_themselves(
    digest: bytes,
    left: tuple[int, int, bytes] | None,
    right: tuple[int, int, bytes] | None,
) -> None:
    node = Node(
        digest, None if left is None else Child(*left), None if right is None else Child(*right)
    )
    packed = pack_node(node)
    assert unpack_node(packed) == node
    assert len(packed) == 33 + 66 * ((left is not None) + (right is not None))


@pytest.mark.parametrize("packed", [b"", b"\x04" + bytes(32), b"\x01" + bytes(32), bytes(34)])
def test_bytes_that_are_not_a_packed_node_are_refused(packed: bytes) -> None:
    with pytest.raises(HashingError):
        unpack_node(packed)
