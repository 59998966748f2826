"""ChainClient and the registry's heads root: the compare-and-swap, its error, and the folds."""

from __future__ import annotations

import pytest
from eth_utils import keccak

from backend.chain.client import ChainClient
from backend.chain.errors import ChainReverted, StaleHeadsRoot
from backend.chain.types import EMPTY_HEADS_ROOT, HeadsUpdate
from backend.hashing import HeadsMap

LOTS = [keccak(text=f"DT-SEN-2026-{i:04d}") for i in range(3)]
ABSENT = keccak(text="DT-SEN-2026-9999")


def heads_map(*seqs: int) -> HeadsMap:
    """A map whose lot ``i`` has the head (keccak("event i/seq"), seq)."""
    return HeadsMap.from_heads(
        (LOTS[i], keccak(text=f"event {i}/{seq}"), seq) for i, seq in enumerate(seqs)
    )


def test_a_new_registry_reads_the_empty_heads_root(memory_client: ChainClient) -> None:
    assert memory_client.heads_root() == EMPTY_HEADS_ROOT


def test_an_anchor_moves_the_heads_root_and_its_log_says_to_what(
    memory_client: ChainClient,
) -> None:
    root = keccak(text="batch 1")
    new = heads_map(1, 4, 2).root

    result = memory_client.anchor_batch(root, 7, HeadsUpdate(EMPTY_HEADS_ROOT, new))

    assert memory_client.heads_root() == new
    where = memory_client.anchor_receipt(root)
    assert where is not None and (where.tx_hash, where.heads_root) == (result.tx_hash, new)


def test_an_anchor_without_an_update_keeps_the_heads_root(memory_client: ChainClient) -> None:
    current = heads_map(1).root
    memory_client.anchor_batch(keccak(text="batch 1"), 1, HeadsUpdate(EMPTY_HEADS_ROOT, current))

    memory_client.anchor_batch(keccak(text="batch 2"), 1)

    assert memory_client.heads_root() == current
    where = memory_client.anchor_receipt(keccak(text="batch 2"))
    assert where is not None and where.heads_root == current


def test_a_stale_update_is_refused_before_sending_with_both_roots(
    memory_client: ChainClient,
) -> None:
    current = heads_map(1).root
    memory_client.anchor_batch(keccak(text="batch 1"), 1, HeadsUpdate(EMPTY_HEADS_ROOT, current))
    nonce = memory_client.w3.eth.get_transaction_count(memory_client.signer, "pending")
    stale = HeadsUpdate(EMPTY_HEADS_ROOT, heads_map(2).root)

    with pytest.raises(StaleHeadsRoot) as caught:
        memory_client.send_anchor_batch(keccak(text="batch 2"), 1, stale)

    error = caught.value
    assert isinstance(error, ChainReverted)
    assert error.error_name == "TraceRegistryStaleHeadsRoot"
    assert (error.prev_heads_root, error.current_heads_root) == (EMPTY_HEADS_ROOT, current)
    assert f"TraceRegistryStaleHeadsRoot(0x{'00' * 32}, 0x{current.hex()})" in str(error)
    assert "do not resend" in str(error)
    assert memory_client.w3.eth.get_transaction_count(memory_client.signer, "pending") == nonce


def test_short_heads_roots_are_refused_before_any_call(memory_client: ChainClient) -> None:
    with pytest.raises(ValueError, match="prev heads root must be 32 bytes"):
        memory_client.send_anchor_batch(keccak(text="r"), 1, HeadsUpdate(b"\x00", bytes(32)))


def test_verify_head_and_no_head_agree_with_the_python_map(memory_client: ChainClient) -> None:
    built = heads_map(3, 1, 12)
    memory_client.anchor_batch(keccak(text="b"), 3, HeadsUpdate(EMPTY_HEADS_ROOT, built.root))

    for i, seq in enumerate((3, 1, 12)):
        proof = built.proof(LOTS[i])
        head = keccak(text=f"event {i}/{seq}")
        assert memory_client.verify_head(LOTS[i], head, seq, proof) is True
        assert memory_client.verify_head(LOTS[i], head, seq + 1, proof) is False
        assert memory_client.verify_no_head(LOTS[i], proof) is False
    assert memory_client.verify_no_head(ABSENT, built.proof(ABSENT)) is True
