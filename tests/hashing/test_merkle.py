"""Leaves, nodes, the tree layout and proofs (rules 4–8), against the reference spelling."""

from __future__ import annotations

import gc
import os
import random

import pytest
from eth_abi import encode as abi_encode
from eth_utils import keccak as eth_keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.hashing import (
    EmptyTree,
    InvalidNode,
    LeafNotInTree,
    MerkleTree,
    keccak,
    leaf_hash,
    leaf_hashes,
    node_hash,
    reference,
    to_hex,
    verify_proof,
)
from tests.hashing.strategies import batches, flip_bit, hashes

GOLDEN_ROOT = "0x6deb52b5da8fd108f79fab00341f38d2587896634c646ee52e49f845680a70c8"


def string_leaf(value: str) -> bytes:
    """OpenZeppelin's standard leaf for the type list ``["string"]``."""
    return keccak(keccak(abi_encode(["string"], [value])))


def test_golden_vector_of_rule_8() -> None:
    tree = MerkleTree.build([string_leaf(c) for c in "abcdef"])
    assert to_hex(tree.root) == GOLDEN_ROOT
    for leaf in tree.leaves:
        assert verify_proof(tree.proof(leaf), tree.root, leaf)


def test_layout_is_sorted_leaves_reversed_at_the_end() -> None:
    leaves = [string_leaf(c) for c in "abcdef"]
    tree = MerkleTree.build(leaves)
    nodes = tree.nodes
    assert len(nodes) == 2 * len(leaves) - 1
    assert list(nodes[len(leaves) - 1 :]) == sorted(leaves, reverse=True)
    for i in range(len(leaves) - 1):
        assert nodes[i] == node_hash(nodes[2 * i + 1], nodes[2 * i + 2])
    assert [to_hex(n) for n in nodes] == reference.build_tree(leaves)


def test_a_batch_of_one_is_its_own_root_with_an_empty_proof() -> None:
    leaf = leaf_hash(os.urandom(32), os.urandom(32))
    tree = MerkleTree.build([leaf])
    assert tree.root == leaf
    assert tree.proof(leaf) == []
    assert tree.proofs() == {leaf: []}
    assert verify_proof([], leaf, leaf)


def test_an_empty_batch_has_no_tree() -> None:
    with pytest.raises(EmptyTree):
        MerkleTree.build([])


@pytest.mark.parametrize("bad", [b"", b"\x00" * 31, b"\x00" * 33, "0x" + "00" * 32, None])
def test_nodes_must_be_32_bytes(bad: object) -> None:
    good = bytes(32)
    with pytest.raises(InvalidNode):
        MerkleTree.build([good, bad])  # type: ignore[list-item]
    with pytest.raises(InvalidNode):
        node_hash(good, bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidNode):
        leaf_hash(good, bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidNode):
        verify_proof([bad], good, good)  # type: ignore[list-item]


def test_bytes_like_values_are_accepted_as_their_bytes() -> None:
    a, b = os.urandom(32), os.urandom(32)
    assert node_hash(bytearray(a), memoryview(b)) == node_hash(a, b)
    tree = MerkleTree.build([bytearray(a), b])
    assert tree.root == node_hash(a, b)
    assert tree.proof(bytearray(a)) == [b]


def test_a_proof_for_a_foreign_leaf_is_refused() -> None:
    tree = MerkleTree.build([os.urandom(32) for _ in range(5)])
    with pytest.raises(LeafNotInTree):
        tree.proof(os.urandom(32))


@given(hashes, hashes)
def test_leaf_hash_equals_the_eth_abi_reference(key: bytes, event: bytes) -> None:
    assert leaf_hash(key, event) == reference.leaf_hash(key, event)
    assert leaf_hashes([(key, event)]) == [reference.leaf_hash(key, event)]


@given(hashes, hashes)
def test_node_hash_equals_the_eth_utils_reference_and_ignores_order(a: bytes, b: bytes) -> None:
    assert node_hash(a, b) == reference.node_hash(a, b) == node_hash(b, a)
    assert node_hash(a, b) == eth_keccak(min(a, b) + max(a, b))


@settings(max_examples=60, deadline=None)
@given(batches)
def test_tree_and_proofs_equal_the_reference_port(leaves: list[bytes]) -> None:
    tree = MerkleTree.build(leaves)
    root, proofs = reference.tree_and_proofs(leaves)
    assert tree.root == root
    assert tree.proofs() == proofs
    assert {leaf: tree.proof(leaf) for leaf in set(leaves)} == proofs
    assert len(tree) == len(leaves)


@settings(max_examples=60, deadline=None)
@given(batches, st.randoms(use_true_random=False))
def test_every_proof_verifies_and_any_flipped_bit_breaks_it(
    leaves: list[bytes], rng: random.Random
) -> None:
    tree = MerkleTree.build(leaves)
    proofs = tree.proofs()
    for leaf, proof in proofs.items():
        assert verify_proof(proof, tree.root, leaf)
        assert reference.verify_proof(proof, tree.root, leaf)
    for leaf in rng.sample(sorted(proofs), min(len(proofs), 8)):
        proof = proofs[leaf]
        assert not verify_proof(proof, flip_bit(tree.root, rng.randrange(256)), leaf)
        assert not verify_proof(proof, tree.root, flip_bit(leaf, rng.randrange(256)))
        for position in range(len(proof)):
            broken = list(proof)
            broken[position] = flip_bit(proof[position], rng.randrange(256))
            assert not verify_proof(broken, tree.root, leaf)
        if proof:
            assert not verify_proof(proof[:-1], tree.root, leaf)


@settings(max_examples=30, deadline=None)
@given(batches, st.randoms(use_true_random=False))
def test_the_root_does_not_depend_on_the_order_leaves_arrive_in(
    leaves: list[bytes], rng: random.Random
) -> None:
    shuffled = list(leaves)
    rng.shuffle(shuffled)
    assert MerkleTree.build(shuffled).root == MerkleTree.build(leaves).root


def test_duplicate_leaves_are_kept_as_openzeppelin_keeps_them() -> None:
    a, b, c = (os.urandom(32) for _ in range(3))
    leaves = [a, b, a, c, a]
    tree = MerkleTree.build(leaves)
    root, proofs = reference.tree_and_proofs(leaves)
    assert tree.root == root
    assert len(tree.nodes) == 9
    assert tree.proofs() == proofs
    assert verify_proof(tree.proof(a), tree.root, a)
    # The proof for a duplicate is the copy nearest the root, as OpenZeppelin's lookup picks.
    assert tree.index_of(a) == min(i for i, node in enumerate(tree.nodes) if node == a)


@pytest.mark.parametrize("size", [2, 3, 4, 5, 7, 8, 9, 16, 17, 100, 255, 256, 257, 300])
def test_batches_of_awkward_sizes_match_the_reference(size: int) -> None:
    rng = random.Random(size)
    leaves = [rng.randbytes(32) for _ in range(size)]
    tree = MerkleTree.build(leaves)
    root, proofs = reference.tree_and_proofs(leaves)
    assert tree.root == root
    assert tree.proofs() == proofs
    assert all(verify_proof(proof, root, leaf) for leaf, proof in proofs.items())


def test_building_all_proofs_leaves_the_garbage_collector_as_it_found_it() -> None:
    tree = MerkleTree.build([os.urandom(32) for _ in range(50)])
    assert gc.isenabled()
    tree.proofs()
    assert gc.isenabled()
    gc.disable()
    try:
        tree.proofs()
        assert not gc.isenabled()
    finally:
        gc.enable()
