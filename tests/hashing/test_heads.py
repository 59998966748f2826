"""The heads map's leaf, node and proof folding (rules v2, items 3–4), against the reference."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.hashing import (
    HashingError,
    HeadProof,
    InvalidHeadProof,
    InvalidNode,
    NonCanonicalValue,
    fold_head_proof,
    head_leaf,
    heads_node,
    keccak,
    reference,
    verify_head,
    verify_no_head,
)
from backend.hashing.heads import ZERO
from tests.hashing.strategies import hashes

seqs = st.integers(1, 2**64 - 1)


@given(hashes, hashes, seqs)
def test_head_leaf_is_the_double_hash_of_the_abi_encoding(
    key: bytes, head: bytes, seq: int
) -> None:
    assert head_leaf(key, head, seq) == reference.head_leaf(key, head, seq)
    assert head_leaf(key, head, seq) == keccak(keccak(key + head + seq.to_bytes(32, "big")))


@pytest.mark.parametrize("seq", [0, -1, 2**64, True, 1.0, "1", None])
def test_head_leaf_refuses_a_seq_outside_uint64_or_below_one(seq: object) -> None:
    with pytest.raises(NonCanonicalValue, match="seq"):
        head_leaf(os.urandom(32), os.urandom(32), seq)  # type: ignore[arg-type]


def test_head_leaf_refuses_hashes_that_are_not_32_bytes() -> None:
    with pytest.raises(InvalidNode):
        head_leaf(os.urandom(31), os.urandom(32), 1)
    with pytest.raises(InvalidNode):
        head_leaf(os.urandom(32), os.urandom(33), 1)


def test_the_node_of_two_empty_children_is_empty_and_otherwise_ordered() -> None:
    left, right = os.urandom(32), os.urandom(32)
    assert heads_node(ZERO, ZERO) == ZERO
    assert heads_node(left, right) == keccak(left + right)
    assert heads_node(right, left) == keccak(right + left) != heads_node(left, right)
    assert heads_node(left, ZERO) == keccak(left + ZERO)
    assert heads_node(ZERO, left) == keccak(ZERO + left) != heads_node(left, ZERO)


@st.composite
def proofs(draw: st.DrawFn) -> tuple[bytes, bytes, int, list[bytes]]:
    """A lot key, a leaf (sometimes zero) and any well-formed proof: bitmap and its siblings."""
    bitmap = draw(st.one_of(st.integers(0, 2**256 - 1), st.integers(0, 2**16 - 1)))
    siblings = draw(st.lists(hashes, min_size=bitmap.bit_count(), max_size=bitmap.bit_count()))
    leaf = draw(st.one_of(st.just(ZERO), hashes))
    return draw(hashes), leaf, bitmap, siblings


@settings(max_examples=60)
@given(proofs())
def test_folding_is_the_rule_spelled_out(proof: tuple[bytes, bytes, int, list[bytes]]) -> None:
    key, leaf, bitmap, siblings = proof
    assert fold_head_proof(key, leaf, bitmap, siblings) == reference.fold_head_proof(
        key, leaf, bitmap, siblings
    )


def test_a_zero_leaf_with_no_siblings_folds_to_the_empty_root() -> None:
    assert fold_head_proof(os.urandom(32), ZERO, 0, []) == ZERO
    assert verify_no_head(ZERO, os.urandom(32), 0, [])


def test_a_single_lot_is_its_leaf_hashed_up_past_256_empty_siblings() -> None:
    key, head = os.urandom(32), os.urandom(32)
    leaf = head_leaf(key, head, 7)
    root = reference.heads_root({key: leaf})
    assert fold_head_proof(key, leaf, 0, []) == root
    assert verify_head(root, key, head, 7, 0, [])
    assert not verify_head(root, key, head, 8, 0, [])
    assert not verify_no_head(root, key, 0, [])


@pytest.mark.parametrize(
    ("bitmap", "count"),
    [(0b101, 1), (0b101, 3), (0, 1), (2**256, 0), (-1, 0)],
)
def test_a_proof_whose_siblings_do_not_fit_the_bitmap_cannot_be_folded(
    bitmap: int, count: int
) -> None:
    key, siblings = os.urandom(32), [os.urandom(32) for _ in range(count)]
    with pytest.raises(InvalidHeadProof):
        fold_head_proof(key, os.urandom(32), bitmap, siblings)
    assert not verify_head(ZERO, key, os.urandom(32), 1, bitmap, siblings)
    assert not verify_no_head(ZERO, key, bitmap, siblings)


def test_a_sibling_that_is_not_32_bytes_is_malformed_input() -> None:
    with pytest.raises(InvalidNode):
        fold_head_proof(os.urandom(32), os.urandom(32), 1, [os.urandom(31)])
    assert issubclass(InvalidHeadProof, HashingError)


def test_a_head_proof_is_a_plain_pair_in_the_contract_s_argument_order() -> None:
    proof = HeadProof(5, (os.urandom(32), os.urandom(32)))
    bitmap, siblings = proof
    assert (bitmap, siblings) == (proof.bitmap, proof.siblings)
