"""The lot heads map's leaf, node and proof folding (ARCHITECTURE.md rules v2, items 3–4).

Each lot with anchored events has a head: the event_hash of its newest anchored event and that
event's ``seq``. The heads map is a sparse Merkle tree of depth 256 keyed by lot_key, so that one
32-byte root on chain commits to every lot's head at once: a deleted newest event, or a lot that
claims fewer events than were anchored, no longer matches the root.

Layout: bit 255 of the lot_key (its most significant bit) picks the branch under the root, bit 0
the branch just above the leaf; 0 is left. An empty subtree is 32 zero bytes, and a node whose
children are both empty is empty too, so the empty map's root is zero and only the paths of
present lots cost anything. Unlike v1's ``node_hash`` the pair is hashed in order (left ‖ right),
because here the position *is* the key.

A proof is a ``bitmap`` (bit ``i`` set when the sibling at height ``i`` is non-zero, height 0
beside the leaf) and the non-zero ``siblings`` from the leaf upward. Folding a zero leaf proves
that a lot has no head. :class:`~backend.hashing.heads_map.HeadsMap` maintains the map and writes
proofs; the functions here are what a verifier needs and what the contract's ``verifyHead`` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple

from backend.hashing.errors import InvalidHeadProof, NonCanonicalValue
from backend.hashing.keccak import new_keccak
from backend.hashing.merkle import HASH_SIZE, _bytes32

#: The value of an empty subtree, and the root of the empty map.
ZERO = bytes(HASH_SIZE)
#: Tree depth: one level per bit of the lot_key.
DEPTH = 256
_UINT64_MAX = 2**64 - 1
_UINT256_LIMIT = 2**DEPTH


class HeadProof(NamedTuple):
    """A head proof, as ``verifyHead(lotKey, headHash, seq, bitmap, siblings)`` takes it."""

    bitmap: int
    siblings: tuple[bytes, ...]


def head_leaf(lot_key: bytes, head_hash: bytes, seq: int) -> bytes:
    """keccak256(keccak256(abi.encode(bytes32 lot_key, bytes32 head_hash, uint64 seq))).

    ``abi.encode`` of these three static types is their 32-byte words in order, the ``uint64``
    left-padded with zeros; the double hash matches OpenZeppelin's standard leaf, as in v1.
    """
    if type(seq) is not int or not 1 <= seq <= _UINT64_MAX:
        raise NonCanonicalValue("seq", f"expected an integer from 1 to 2**64 - 1, got {seq!r}")
    words = _bytes32(lot_key, "lot_key") + _bytes32(head_hash, "head_hash") + seq.to_bytes(32)
    return new_keccak(new_keccak(words).digest()).digest()


def heads_node(left: bytes, right: bytes) -> bytes:
    """Zero when both children are empty, else keccak256(left ‖ right) (ordered, not sorted)."""
    left, right = _bytes32(left, "node"), _bytes32(right, "node")
    if left == ZERO and right == ZERO:
        return ZERO
    return new_keccak(left + right).digest()


def key_number(lot_key: bytes) -> int:
    """The lot_key as a uint256: its bit ``i`` chooses the side at height ``i``."""
    return int.from_bytes(_bytes32(lot_key, "lot_key"))


def fold_head_proof(lot_key: bytes, leaf: bytes, bitmap: int, siblings: Sequence[bytes]) -> bytes:
    """The root that ``leaf`` at ``lot_key`` gives under the proof, folded exactly as rule 4 says.

    Raises :class:`InvalidHeadProof` when the bitmap is outside uint256 or the siblings are not
    exactly one per set bit; :class:`~backend.hashing.errors.InvalidNode` for an element that is
    not 32 bytes.
    """
    key = key_number(lot_key)
    node = _bytes32(leaf, "leaf")
    if type(bitmap) is not int or not 0 <= bitmap < _UINT256_LIMIT:
        raise InvalidHeadProof(f"the bitmap must be a uint256, got {bitmap!r}")
    if bitmap.bit_count() != len(siblings):
        raise InvalidHeadProof(
            f"the bitmap sets {bitmap.bit_count()} bits but {len(siblings)} siblings are given"
        )
    keccak = new_keccak
    remaining = iter(siblings)
    for height in range(DEPTH):
        sibling = _bytes32(next(remaining), "sibling") if bitmap >> height & 1 else ZERO
        if node == ZERO and sibling == ZERO:
            continue  # node(0, 0) = 0
        node = keccak(sibling + node if key >> height & 1 else node + sibling).digest()
    return node


def verify_head(
    root: bytes,
    lot_key: bytes,
    head_hash: bytes,
    seq: int,
    bitmap: int,
    siblings: Sequence[bytes],
) -> bool:
    """True when ``(head_hash, seq)`` is the head of ``lot_key`` in the map whose root is ``root``.

    A proof that does not hold, or one whose bitmap and siblings do not fit together, is False;
    a value of the wrong shape (a hash that is not 32 bytes, a seq outside uint64) raises.
    """
    return _folds_to(root, lot_key, head_leaf(lot_key, head_hash, seq), bitmap, siblings)


def verify_no_head(root: bytes, lot_key: bytes, bitmap: int, siblings: Sequence[bytes]) -> bool:
    """True when the map whose root is ``root`` holds no head for ``lot_key`` (leaf zero folds)."""
    return _folds_to(root, lot_key, ZERO, bitmap, siblings)


def _folds_to(
    root: bytes, lot_key: bytes, leaf: bytes, bitmap: int, siblings: Sequence[bytes]
) -> bool:
    """Whether the proof folds ``leaf`` to ``root``. A pure function of its inputs, asked on
    every verification of a lot (256 levels each), so its answers are remembered, keyed by
    exactly those inputs (plain ``bytes`` and ``int`` only: anything else is folded afresh,
    and what raises is never remembered)."""
    if type(bitmap) is int and all(type(v) is bytes for v in (root, lot_key, leaf)):
        chosen = tuple(siblings)
        if all(type(sibling) is bytes for sibling in chosen):
            return _remembered_folds_to(root, lot_key, leaf, bitmap, chosen)
    return _checked_folds_to(root, lot_key, leaf, bitmap, siblings)


@lru_cache(maxsize=4096)
def _remembered_folds_to(
    root: bytes, lot_key: bytes, leaf: bytes, bitmap: int, siblings: tuple[bytes, ...]
) -> bool:
    return _checked_folds_to(root, lot_key, leaf, bitmap, siblings)


def _checked_folds_to(
    root: bytes, lot_key: bytes, leaf: bytes, bitmap: int, siblings: Sequence[bytes]
) -> bool:
    root = _bytes32(root, "root")
    try:
        return fold_head_proof(lot_key, leaf, bitmap, siblings) == root
    except InvalidHeadProof:
        return False
