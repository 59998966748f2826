"""The chain outbox: milestones and recalls sent one by one, once each, shown in verification."""

from __future__ import annotations

from fastapi.testclient import TestClient

from backend.chain import ChainClient
from backend.hashing import from_hex, keccak, lot_key, to_hex
from backend.models import EVENT_KIND_CODES, BatchStatus, ChainActionKind, EventType
from backend.runtime import Runtime
from tests.support.app import Actors
from tests.support.custody import hand_over
from tests.support.ledger_flow import actions, anchor_everything, events, execute, harvest, note


def _chain(runtime: Runtime) -> ChainClient:
    assert runtime.chain is not None
    return runtime.chain


def test_milestones_are_recorded_on_chain_and_their_transactions_shown_in_verification(
    runtime: Runtime, supply_chain: Actors, client: TestClient
) -> None:
    harvest(supply_chain, "LO-1")
    hand_over(supply_chain.post, "LO-1", "htx", "dg")
    note(supply_chain, "LO-1", "Đã nhận hàng", org="dg")

    anchor_everything(runtime)

    milestones = {a.event_id: a for a in actions(runtime.engine)}
    assert all(a.status is BatchStatus.CONFIRMED and a.tx_hash for a in milestones.values())
    body = client.get("/api/v1/lots/LO-1/verification").json()
    shown = {e["type"]: e["milestone_tx_hash"] for e in body["events"]}
    assert shown["note"] is None
    for event in body["events"]:
        if event["type"] in ("harvest", "transfer"):
            assert event["milestone_tx_hash"] == milestones[event["id"]].tx_hash
    on_chain = _chain(runtime).lot_events(lot_key("LO-1"))
    stored = {e.id: e for e in events(runtime.engine, lot_code="LO-1")}
    expected = [(EVENT_KIND_CODES[stored[i].type], stored[i].event_hash) for i in milestones if i]
    assert sorted((log.kind, to_hex(log.event_hash)) for log in on_chain) == sorted(expected)
    assert {log.tx_hash for log in on_chain} == {a.tx_hash for a in milestones.values()}


def test_a_recall_is_written_on_chain_and_reaches_the_children_of_the_lot(
    runtime: Runtime, supply_chain: Actors, client: TestClient
) -> None:
    harvest(supply_chain, "LO-2")
    supply_chain.post(
        "/api/v1/lots/LO-2/split", "htx", {"children": [{"code": "LO-2A", "quantity": "400"}]}
    )
    anchor_everything(runtime)
    reason = "Dư lượng thuốc bảo vệ thực vật vượt ngưỡng"
    supply_chain.post("/api/v1/lots/LO-2/recall", "ql", {"reason": reason})

    anchor_everything(runtime)

    assert _chain(runtime).is_recalled(lot_key("LO-2"))
    (recall,) = [a for a in actions(runtime.engine) if a.kind is ChainActionKind.RECALL]
    assert recall.payload_hash == to_hex(keccak(reason.encode()))
    child = client.get("/api/v1/lots/LO-2A/verification").json()
    assert child["verdict"] == "recalled"
    assert child["recall"] == {
        "lot": "LO-2",
        "recalled_at": child["recall"]["recalled_at"],
        "reason": reason,
        "on_chain": True,
        "tx_hash": recall.tx_hash,
    }
    assert {e["verdict"] for e in child["events"]} == {"verified"}  # events keep their verdicts
    assert "LO-2" in child["reason_en"]


def test_a_milestone_that_reached_the_chain_before_a_crash_is_not_recorded_twice(
    runtime: Runtime, supply_chain: Actors
) -> None:
    harvest(supply_chain, "LO-3")
    (action,) = actions(runtime.engine)
    assert action.event_kind == EVENT_KIND_CODES[EventType.HARVEST]
    sent = _chain(runtime).record_lot_event(
        from_hex(action.lot_key), action.event_kind, from_hex(action.payload_hash)
    )
    # The attempt was counted, the transaction went out, then the process died.
    execute(runtime.engine, "UPDATE chainaction SET attempts = 1 WHERE id = :id", id=action.id)

    anchor_everything(runtime)

    (action,) = actions(runtime.engine)
    assert (action.status, action.tx_hash) == (BatchStatus.CONFIRMED, sent.tx_hash)
    assert len(_chain(runtime).lot_events(lot_key("LO-3"))) == 1


def test_a_lot_already_recalled_on_chain_counts_as_recalled_not_as_an_error(
    runtime: Runtime, supply_chain: Actors
) -> None:
    harvest(supply_chain, "LO-4")
    supply_chain.post("/api/v1/lots/LO-4/recall", "ql", {"reason": "Nghi nhiễm khuẩn"})
    (recall,) = [a for a in actions(runtime.engine) if a.kind is ChainActionKind.RECALL]
    assert recall.signer and recall.signature and recall.nonce is not None and recall.deadline
    chain = _chain(runtime)  # anyone relays the regulator's signed recall (here the admin)
    chain.grant_regulator(recall.signer)
    chain.recall_with_signature(
        from_hex(recall.lot_key),
        from_hex(recall.payload_hash),
        nonce=recall.nonce,
        deadline=recall.deadline,
        signature=recall.signature,
    )

    anchor_everything(runtime)

    (recall,) = [a for a in actions(runtime.engine) if a.kind is ChainActionKind.RECALL]
    assert recall.status is BatchStatus.CONFIRMED
    assert recall.last_error is None
