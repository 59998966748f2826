"""Crash and chain-loss recovery: nothing lost, nothing anchored twice, nothing laundered."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account
from fastapi.testclient import TestClient

from backend.chain import ChainClient
from backend.chain.providers import fund_from_tester
from backend.hashing import from_hex
from backend.models import BatchStatus
from backend.runtime import Runtime
from backend.services.anchoring import backoff
from backend.services.anchoring.batching import build_batch
from backend.services.anchoring.service import AnchoringService
from tests.support.app import Actors
from tests.support.ledger_flow import (
    actions,
    anchor_everything,
    batches,
    execute,
    harvest,
    note,
)


def _chain(runtime: Runtime) -> ChainClient:
    assert runtime.chain is not None
    return runtime.chain


def _sent_count(runtime: Runtime) -> int:
    chain = _chain(runtime)
    return int(chain.w3.eth.get_transaction_count(chain.signer))


def _stored_batch(runtime: Runtime) -> Any:
    built = build_batch(runtime.engine, max_events=100, max_delay_s=0, force=True)
    assert built is not None
    return built


def _tester(runtime: Runtime) -> Any:
    return _chain(runtime).w3.provider.ethereum_tester  # type: ignore[attr-defined]


@pytest.mark.parametrize("status_at_crash", [BatchStatus.PENDING, BatchStatus.SENT])
def test_a_root_already_on_chain_is_confirmed_after_a_restart_not_sent_again(
    runtime: Runtime, supply_chain: Actors, status_at_crash: BatchStatus
) -> None:
    harvest(supply_chain, "LO-1")
    built = _stored_batch(runtime)
    # The send went through, then the process died (before or after recording it).
    mined = _chain(runtime).anchor_batch(from_hex(built.root), built.event_count)
    tx_hash = mined.tx_hash if status_at_crash is BatchStatus.SENT else None
    execute(
        runtime.engine,
        "UPDATE batch SET status = :status, tx_hash = :tx WHERE id = :id",
        status=status_at_crash.name,
        tx=tx_hash,
        id=built.batch_id,
    )
    sent_before = _sent_count(runtime)

    restarted = AnchoringService(
        engine=runtime.engine, settings=runtime.settings, chain=runtime.require_chain
    )
    report = restarted.run_once()

    (batch,) = batches(runtime.engine)
    assert batch.status is BatchStatus.CONFIRMED
    assert (batch.tx_hash, batch.block_number) == (mined.tx_hash, mined.block_number)
    assert report.sent == 0
    assert _sent_count(runtime) - sent_before == report.outbox_sent  # only the milestone


def test_a_sent_batch_whose_transaction_the_node_never_saw_is_sent_again(
    runtime: Runtime, supply_chain: Actors
) -> None:
    harvest(supply_chain, "LO-2")
    built = _stored_batch(runtime)
    lost_tx = "0x" + "ab" * 32
    execute(
        runtime.engine,
        "UPDATE batch SET status = 'SENT', tx_hash = :tx WHERE id = :id",
        tx=lost_tx,
        id=built.batch_id,
    )

    first = runtime.anchoring.run_once()
    second = runtime.anchoring.run_once()

    assert (first.requeued, second.sent, second.confirmed) == (1, 1, 1)
    (batch,) = batches(runtime.engine)
    assert batch.status is BatchStatus.CONFIRMED and batch.tx_hash != lost_tx
    assert _chain(runtime).anchor_of(from_hex(built.root)) is not None


def test_a_vanished_root_reads_tampered_then_pending_then_verified_after_reconcile(
    runtime: Runtime, supply_chain: Actors, client: TestClient
) -> None:
    snapshot = _tester(runtime).take_snapshot()
    harvest(supply_chain, "LO-3")
    note(supply_chain, "LO-3", "Bón phân hữu cơ")
    anchor_everything(runtime)
    url = "/api/v1/lots/LO-3/verification"
    assert client.get(url).json()["verdict"] == "verified"  # also fills the cache

    _tester(runtime).revert_to_snapshot(snapshot)  # the chain forgets the anchor (a reorg)

    lost = client.get(url).json()
    assert lost["verdict"] == "tampered"
    assert {e["reason_code"] for e in lost["events"]} == {"tampered_anchor_missing"}

    report = runtime.anchoring.reconcile()
    (batch,) = batches(runtime.engine)
    assert report.requeued == [batch.root] and report.refused == []
    assert report.actions_requeued == 1  # the harvest milestone vanished too
    between = client.get(url).json()
    assert between["verdict"] == "pending"
    assert {e["reason_code"] for e in between["events"]} == {"pending_reanchoring"}

    anchor_everything(runtime)
    assert client.get(url).json()["verdict"] == "verified"
    lot_events = _chain(runtime).lot_events(from_hex(actions(runtime.engine)[0].lot_key))
    assert len(lot_events) == 1  # the milestone is on chain once, not twice


def test_reconcile_refuses_to_anchor_a_root_edited_in_the_database(
    runtime: Runtime, supply_chain: Actors, client: TestClient
) -> None:
    harvest(supply_chain, "LO-4")
    anchor_everything(runtime)
    forged_root = "0x" + "42" * 32
    execute(runtime.engine, "UPDATE batch SET root = :root", root=forged_root)

    report = runtime.anchoring.reconcile()

    assert report.requeued == []
    assert [item["root"] for item in report.refused] == [forged_root]
    assert "rebuild" in report.refused[0]["reason"]
    (batch,) = batches(runtime.engine)
    assert batch.status is BatchStatus.CONFIRMED
    assert _chain(runtime).anchor_of(from_hex(forged_root)) is None
    assert client.get("/api/v1/lots/LO-4/verification").json()["verdict"] == "tampered"


def test_a_batch_the_contract_keeps_refusing_is_marked_failed_and_retried_on_request(
    runtime: Runtime, supply_chain: Actors, client: TestClient
) -> None:
    owner = _chain(runtime)
    stranger = ChainClient(owner.w3, Account.create(), endpoint=owner.endpoint)
    fund_from_tester(owner.w3, stranger.signer)
    stranger.attach(str(owner.contract_address))  # no ANCHORER_ROLE: every send reverts
    harvest(supply_chain, "LO-5")
    service = AnchoringService(
        engine=runtime.engine, settings=runtime.settings, chain=lambda: stranger
    )

    for _ in range(backoff.MAX_REVERTS + 2):
        service.run_once(force=True)

    (batch,) = batches(runtime.engine)
    assert (batch.status, batch.attempts) == (BatchStatus.FAILED, backoff.MAX_REVERTS)
    assert "AccessControlUnauthorizedAccount" in (batch.last_error or "")
    assert "revert 3 of at most 3" in (batch.last_error or "")
    body = client.get("/api/v1/lots/LO-5/verification").json()
    assert body["verdict"] == "pending"
    assert body["events"][0]["reason_code"] == "pending_failed"

    report = runtime.anchoring.reconcile(retry_failed=True)
    anchor_everything(runtime)

    assert report.retried_failed >= 1
    assert batches(runtime.engine)[0].status is BatchStatus.CONFIRMED
    assert client.get("/api/v1/lots/LO-5/verification").json()["verdict"] == "verified"
