"""TraceRegistry's heads root: the compare-and-swap of anchorBatch, its log, and verifyHead.

The expected map roots and proofs are computed here by a small fold written from the rules
(ARCHITECTURE.md, proof rules v2, items 3 and 4), independently of backend.hashing, so that the
contract is checked against the text of the rules and not against our other implementation.
"""

from __future__ import annotations

import pytest
from eth_utils import keccak

from backend.chain.errors import DecodedRevert
from tests.contracts.conftest import EMPTY, Registry

DEPTH = 256
ROOTS = [keccak(text=f"batch {i}") for i in range(4)]
LOT_A = keccak(text="DT-XOAI-2026-0001")
LOT_B = keccak(text="LV-QUYT-2026-0002")
#: Differs from LOT_A in bit 7 only: the two paths share every node above height 8.
LOT_NEAR_A = (int.from_bytes(LOT_A) ^ (1 << 7)).to_bytes(32)
ABSENT = keccak(text="never anchored")

# ------------------------------------------------------------ the rules, spelled out small


def head_leaf(lot_key: bytes, head_hash: bytes, seq: int) -> bytes:
    return keccak(keccak(lot_key + head_hash + seq.to_bytes(32)))


def node(left: bytes, right: bytes) -> bytes:
    return EMPTY if left == right == EMPTY else keccak(left + right)


def subtree(leaves: dict[int, bytes], height: int) -> bytes:
    """Root of a subtree of ``height`` holding ``leaves`` (keys sharing every bit above it)."""
    if not leaves:
        return EMPTY
    if height == 0:
        (leaf,) = leaves.values()
        return leaf
    bit = height - 1
    left = {k: v for k, v in leaves.items() if not k >> bit & 1}
    right = {k: v for k, v in leaves.items() if k >> bit & 1}
    return node(subtree(left, bit), subtree(right, bit))


def map_root(leaves: dict[int, bytes]) -> bytes:
    return subtree(leaves, DEPTH)


def head_proof(leaves: dict[int, bytes], lot_key: bytes) -> tuple[int, list[bytes]]:
    """(bitmap, non-zero siblings from the leaf upward) for ``lot_key``."""
    key = int.from_bytes(lot_key)
    bitmap, siblings = 0, []
    for height in range(DEPTH):
        side = (key >> height) ^ 1
        sibling = subtree({k: v for k, v in leaves.items() if k >> height == side}, height)
        if sibling != EMPTY:
            bitmap |= 1 << height
            siblings.append(sibling)
    return bitmap, siblings


def fold(lot_key: bytes, leaf: bytes, bitmap: int, siblings: list[bytes]) -> bytes:
    key, n, rest = int.from_bytes(lot_key), leaf, iter(siblings)
    for i in range(DEPTH):
        s = next(rest) if bitmap >> i & 1 else EMPTY
        n = node(s, n) if key >> i & 1 else node(n, s)
    return n


HEADS = {
    LOT_A: (keccak(text="A, event 3"), 3),
    LOT_B: (keccak(text="B, event 1"), 1),
    LOT_NEAR_A: (keccak(text="near A, event 12"), 12),
}
LEAVES = {int.from_bytes(k): head_leaf(k, h, seq) for k, (h, seq) in HEADS.items()}
MAP_ROOT = map_root(LEAVES)


def anchor(registry: Registry, root: bytes, prev: bytes, new: bytes) -> dict[str, object]:
    """Anchor ``root`` moving the heads root ``prev`` → ``new``; the BatchAnchored log's args."""
    fns = registry.contract.functions
    receipt = registry.send(fns.anchorBatch(root, 5, prev, new), registry.admin)
    (log,) = registry.contract.events.BatchAnchored().process_receipt(receipt)
    return dict(log["args"])


def heads_root(registry: Registry) -> bytes:
    root: bytes = registry.contract.functions.headsRoot().call()
    return root


def test_the_small_fold_agrees_with_itself_on_every_lot() -> None:
    """The helpers above are consistent: each proof folds back to the map root, a gap does not."""
    assert MAP_ROOT != EMPTY
    for lot_key in HEADS:
        bitmap, siblings = head_proof(LEAVES, lot_key)
        assert fold(lot_key, LEAVES[int.from_bytes(lot_key)], bitmap, siblings) == MAP_ROOT
    bitmap, siblings = head_proof(LEAVES, LOT_A)
    assert bitmap >> 7 & 1 == 1  # the sibling at height 7 is LOT_NEAR_A's leaf
    assert fold(ABSENT, EMPTY, *head_proof(LEAVES, ABSENT)) == MAP_ROOT


# ------------------------------------------------------------------- compare-and-swap


def test_a_fresh_registry_has_the_empty_heads_root(registry: Registry) -> None:
    assert heads_root(registry) == EMPTY


def test_anchor_batch_moves_the_heads_root_and_logs_the_new_one(registry: Registry) -> None:
    args = anchor(registry, ROOTS[0], EMPTY, MAP_ROOT)

    assert args == {"root": ROOTS[0], "headsRoot": MAP_ROOT, "eventCount": 5}
    assert heads_root(registry) == MAP_ROOT


def test_a_stale_prev_heads_root_is_refused_with_both_roots(registry: Registry) -> None:
    fns = registry.contract.functions
    anchor(registry, ROOTS[0], EMPTY, MAP_ROOT)

    revert = registry.revert_of(fns.anchorBatch(ROOTS[1], 2, EMPTY, ROOTS[3]), registry.admin)

    assert revert == DecodedRevert("TraceRegistryStaleHeadsRoot", (EMPTY, MAP_ROOT))
    assert heads_root(registry) == MAP_ROOT
    assert fns.anchorOf(ROOTS[1]).call()[0] == 0  # the batch was not anchored either


def test_heads_roots_form_one_linear_history_readable_from_the_logs(registry: Registry) -> None:
    history = [EMPTY, keccak(text="h1"), keccak(text="h2"), keccak(text="h3")]
    for i in range(3):
        anchor(registry, ROOTS[i], history[i], history[i + 1])
    # Replaying an older heads root as the base of a new anchor is refused.
    revert = registry.revert_of(
        registry.contract.functions.anchorBatch(ROOTS[3], 1, history[1], MAP_ROOT), registry.admin
    )
    assert revert == DecodedRevert("TraceRegistryStaleHeadsRoot", (history[1], history[3]))

    logs = registry.contract.events.BatchAnchored().get_logs(from_block=0)
    assert [log["args"]["headsRoot"] for log in logs] == history[1:]
    assert [log["args"]["root"] for log in logs] == ROOTS[:3]


def test_an_anchor_sent_against_the_current_root_keeps_it(registry: Registry) -> None:
    anchor(registry, ROOTS[0], EMPTY, MAP_ROOT)
    args = anchor(registry, ROOTS[1], MAP_ROOT, MAP_ROOT)
    assert args["headsRoot"] == MAP_ROOT
    assert heads_root(registry) == MAP_ROOT


def test_a_resent_anchor_reads_as_already_anchored_not_stale(registry: Registry) -> None:
    """The same transaction sent twice: the root is anchored and its prev is now stale."""
    fns = registry.contract.functions
    receipt = registry.send(fns.anchorBatch(ROOTS[0], 5, EMPTY, MAP_ROOT), registry.admin)
    timestamp = registry.w3.eth.get_block(receipt["blockNumber"])["timestamp"]

    revert = registry.revert_of(fns.anchorBatch(ROOTS[0], 5, EMPTY, MAP_ROOT), registry.admin)

    assert revert == DecodedRevert("TraceRegistryRootAlreadyAnchored", (ROOTS[0], timestamp))


def test_the_heads_root_is_its_own_slot_after_the_anchors(registry: Registry) -> None:
    """_roles, the default admin rules (two slots), _paused, Nonces' _nonces, _anchors,
    _recalled, then _headsRoot: slot 7."""
    anchor(registry, ROOTS[0], EMPTY, MAP_ROOT)
    assert registry.w3.eth.get_storage_at(registry.contract.address, 7) == MAP_ROOT


# ---------------------------------------------------------------------------- verifyHead


@pytest.fixture
def mapped(registry: Registry) -> Registry:
    """A registry whose heads root is MAP_ROOT (three lots)."""
    anchor(registry, ROOTS[0], EMPTY, MAP_ROOT)
    return registry


def verify_head(registry: Registry, lot_key: bytes, head: bytes, seq: int, proof: object) -> bool:
    bitmap, siblings = proof  # type: ignore[misc]
    result: bool = registry.contract.functions.verifyHead(
        lot_key, head, seq, bitmap, siblings
    ).call()
    return result


@pytest.mark.parametrize("lot_key", list(HEADS), ids=["A", "B", "near A"])
def test_verify_head_holds_for_every_lot_of_the_map(mapped: Registry, lot_key: bytes) -> None:
    head, seq = HEADS[lot_key]
    assert verify_head(mapped, lot_key, head, seq, head_proof(LEAVES, lot_key)) is True


def test_verify_head_refuses_an_older_head_a_wrong_seq_or_another_lot(mapped: Registry) -> None:
    head, seq = HEADS[LOT_A]
    proof = head_proof(LEAVES, LOT_A)
    assert verify_head(mapped, LOT_A, keccak(text="A, event 2"), seq - 1, proof) is False
    assert verify_head(mapped, LOT_A, head, seq - 1, proof) is False
    assert verify_head(mapped, LOT_B, head, seq, proof) is False


def test_verify_head_refuses_a_changed_or_misplaced_sibling(mapped: Registry) -> None:
    head, seq = HEADS[LOT_A]
    bitmap, siblings = head_proof(LEAVES, LOT_A)
    changed = [keccak(siblings[0]), *siblings[1:]]
    assert verify_head(mapped, LOT_A, head, seq, (bitmap, changed)) is False
    moved = bitmap ^ (1 << 7) ^ (1 << 6)  # same sibling, one level lower
    assert verify_head(mapped, LOT_A, head, seq, (moved, siblings)) is False


def test_verify_head_is_false_when_siblings_do_not_match_the_bitmap(mapped: Registry) -> None:
    head, seq = HEADS[LOT_B]
    bitmap, siblings = head_proof(LEAVES, LOT_B)
    assert verify_head(mapped, LOT_B, head, seq, (bitmap, siblings[:-1])) is False
    assert verify_head(mapped, LOT_B, head, seq, (bitmap, [*siblings, EMPTY])) is False


def test_verify_head_fails_once_the_heads_root_has_moved_on(mapped: Registry) -> None:
    head, seq = HEADS[LOT_B]
    proof = head_proof(LEAVES, LOT_B)
    newer = {**LEAVES, int.from_bytes(LOT_B): head_leaf(LOT_B, keccak(text="B, event 2"), 2)}
    anchor(mapped, ROOTS[1], MAP_ROOT, map_root(newer))

    assert verify_head(mapped, LOT_B, head, seq, proof) is False
    new_proof = head_proof(newer, LOT_B)
    assert verify_head(mapped, LOT_B, keccak(text="B, event 2"), 2, new_proof) is True


def test_verify_no_head_proves_a_lot_absent_and_only_an_absent_one(mapped: Registry) -> None:
    fns = mapped.contract.functions
    assert fns.verifyNoHead(ABSENT, *head_proof(LEAVES, ABSENT)).call() is True
    assert fns.verifyNoHead(LOT_A, *head_proof(LEAVES, LOT_A)).call() is False


def test_every_lot_is_absent_from_the_empty_map(registry: Registry) -> None:
    assert registry.contract.functions.verifyNoHead(LOT_A, 0, []).call() is True
    head, seq = HEADS[LOT_A]
    assert verify_head(registry, LOT_A, head, seq, (0, [])) is False
