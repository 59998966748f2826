"""The anchoring pass sends each batch's heads-root move, or none while the batch has no roots.

A stale heads root is decoded and reported, and a batch whose roots the ledger recorded is not
resent with the same stale root; a batch without roots reads the registry's root afresh.
"""

from __future__ import annotations

from typing import Any

import pytest
from eth_utils import keccak

from backend.chain import EMPTY_HEADS_ROOT, ChainClient, HeadsUpdate
from backend.hashing import to_hex
from backend.models import BatchStatus
from backend.runtime import Runtime
from backend.services.anchoring.batching import BuiltBatch, build_batch
from tests.support.app import Actors
from tests.support.ledger_flow import batches, execute, harvest

MOVED = keccak(text="heads root set by an earlier anchor")
NEXT = keccak(text="heads root after this batch")


def _chain(runtime: Runtime) -> ChainClient:
    assert runtime.chain is not None
    return runtime.chain


def _stored_batch(runtime: Runtime, supply_chain: Actors, code: str) -> BuiltBatch:
    harvest(supply_chain, code)
    built = build_batch(runtime.engine, max_events=100, max_delay_s=0, force=True)
    assert built is not None
    _set_heads(runtime, built.batch_id, None, None)  # stored without roots, as before rules v2
    return built


def _set_heads(runtime: Runtime, batch_id: int, prev: bytes | None, new: bytes | None) -> None:
    execute(
        runtime.engine,
        "UPDATE batch SET prev_heads_root = :prev, heads_root = :new WHERE id = :id",
        prev=None if prev is None else to_hex(prev),
        new=None if new is None else to_hex(new),
        id=batch_id,
    )


def _move_registry_heads_to(runtime: Runtime, root: bytes) -> None:
    chain = _chain(runtime)
    chain.anchor_batch(keccak(text="earlier batch"), 1, HeadsUpdate(chain.heads_root(), root))


def _logged_heads_root(runtime: Runtime, built: BuiltBatch) -> bytes:
    where = _chain(runtime).anchor_receipt(bytes.fromhex(built.root.removeprefix("0x")))
    assert where is not None
    return where.heads_root


def test_a_batch_without_heads_roots_is_anchored_without_moving_the_heads(
    runtime: Runtime, supply_chain: Actors
) -> None:
    _move_registry_heads_to(runtime, MOVED)
    built = _stored_batch(runtime, supply_chain, "HR-1")

    report = runtime.anchoring.run_once()

    assert (report.sent, report.failed) == (1, 0)
    assert _chain(runtime).heads_root() == MOVED
    assert _logged_heads_root(runtime, built) == MOVED


def test_a_batch_with_heads_roots_moves_the_registry_to_its_new_root(
    runtime: Runtime, supply_chain: Actors
) -> None:
    built = _stored_batch(runtime, supply_chain, "HR-2")
    _set_heads(runtime, built.batch_id, EMPTY_HEADS_ROOT, NEXT)

    report = runtime.anchoring.run_once()

    assert (report.sent, report.failed) == (1, 0)
    assert _chain(runtime).heads_root() == NEXT
    assert _logged_heads_root(runtime, built) == NEXT


def test_a_stale_recorded_heads_root_fails_the_batch_at_once_with_both_roots(
    runtime: Runtime, supply_chain: Actors
) -> None:
    _move_registry_heads_to(runtime, MOVED)
    built = _stored_batch(runtime, supply_chain, "HR-3")
    _set_heads(runtime, built.batch_id, EMPTY_HEADS_ROOT, NEXT)
    nonce = _chain(runtime).w3.eth.get_transaction_count(_chain(runtime).signer)

    first = runtime.anchoring.run_once()
    second = runtime.anchoring.run_once()

    assert (first.sent, first.failed, second.sent) == (0, 1, 0)
    (batch,) = batches(runtime.engine)
    assert (batch.status, batch.attempts) == (BatchStatus.FAILED, 1)
    assert batch.last_error is not None
    assert f"TraceRegistryStaleHeadsRoot(0x{'00' * 32}, {to_hex(MOVED)})" in batch.last_error
    assert "do not resend" in batch.last_error
    assert _chain(runtime).heads_root() == MOVED
    # Only the harvest milestone left the account: the anchor was refused before sending.
    assert _chain(runtime).w3.eth.get_transaction_count(_chain(runtime).signer) == nonce + 1


def test_a_stale_root_read_for_a_batch_without_roots_is_read_again_next_pass(
    runtime: Runtime, supply_chain: Actors, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another anchorer moved the root between our read and our send: retry with a fresh read."""
    _move_registry_heads_to(runtime, MOVED)
    _stored_batch(runtime, supply_chain, "HR-4")
    chain = _chain(runtime)
    real = chain.heads_root
    reads: list[bytes] = []

    def behind_once() -> bytes:
        reads.append(EMPTY_HEADS_ROOT if not reads else real())
        return reads[-1]

    monkeypatch.setattr(chain, "heads_root", behind_once)
    first = runtime.anchoring.run_once()
    second = runtime.anchoring.run_once()

    assert (first.sent, first.failed, second.sent) == (0, 0, 1)
    (batch,) = batches(runtime.engine)
    assert batch.attempts == 2 and batch.status is not BatchStatus.FAILED
    assert reads == [EMPTY_HEADS_ROOT, MOVED]


@pytest.mark.parametrize(
    ("prev", "new", "message"),
    [
        (EMPTY_HEADS_ROOT, None, "both or neither must be set"),
        (None, NEXT, "both or neither must be set"),
    ],
)
def test_a_batch_with_one_heads_root_fails_without_sending(
    runtime: Runtime, supply_chain: Actors, prev: Any, new: Any, message: str
) -> None:
    built = _stored_batch(runtime, supply_chain, "HR-5")
    _set_heads(runtime, built.batch_id, prev, new)

    report = runtime.anchoring.run_once()

    (batch,) = batches(runtime.engine)
    assert (report.sent, report.failed, batch.status) == (0, 1, BatchStatus.FAILED)
    assert batch.last_error is not None and message in batch.last_error
    assert _chain(runtime).anchor_of(bytes.fromhex(built.root.removeprefix("0x"))) is None


def test_a_heads_root_that_is_not_hex_fails_without_sending(
    runtime: Runtime, supply_chain: Actors
) -> None:
    built = _stored_batch(runtime, supply_chain, "HR-6")
    execute(
        runtime.engine,
        "UPDATE batch SET prev_heads_root = :prev, heads_root = 'not hex' WHERE id = :id",
        prev=to_hex(EMPTY_HEADS_ROOT),
        id=built.batch_id,
    )

    report = runtime.anchoring.run_once()

    (batch,) = batches(runtime.engine)
    assert (report.failed, batch.status) == (1, BatchStatus.FAILED)
