"""A milestone's or a recall's transaction is shown as the chain holds it, never from its row.

The outbox row (``ChainAction``) that sent a milestone keeps its transaction hash and status;
anyone with the database can rewrite them. Verification, its JSON and the proof bundle ask the
registry's own logs instead (``chain_logs``: the receipt of the row's transaction first, then
the lot's logs), under both rules: a rewritten row changes nothing shown, a row the chain does
not back shows no transaction, and a log deep enough is cached like a final anchor, so a final
lot costs the node no call.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend.chain import ChainClient
from backend.chain.fact_cache import ChainFactCache
from backend.hashing import lot_key, to_hex
from backend.models import EVENT_KIND_CODES, ChainActionKind, EventType
from backend.runtime import Runtime
from backend.services.verification.chain_logs import milestone_name, read_receipt_logs
from backend.services.verification.chain_view import AnchorState, ChainView
from tests.support.app import Actors
from tests.support.custody import hand_over
from tests.support.ledger_flow import actions, anchor_everything, events, execute, harvest, note

FORGED = "0x" + "4f" * 32


@pytest.fixture(params=[1, 2], ids=["rules-v1", "rules-v2"])
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    return {"event_schema": request.param}


def _chain(runtime: Runtime) -> ChainClient:
    assert runtime.chain is not None
    return runtime.chain


def _verification(client: TestClient, code: str) -> dict[str, Any]:
    body: dict[str, Any] = client.get(f"/api/v1/lots/{code}/verification").json()
    return body


def _on_chain(runtime: Runtime, code: str) -> dict[str, str]:
    """Event hash → transaction of the lot's ``LotEventRecorded`` logs, read from the node."""
    logs = _chain(runtime).lot_events(lot_key(code))
    return {to_hex(log.event_hash): log.tx_hash for log in logs}


def test_rewritten_rows_leave_the_chains_transactions_shown(
    runtime: Runtime, supply_chain: Actors, client: TestClient
) -> None:
    harvest(supply_chain, "LO-M")
    hand_over(supply_chain.post, "LO-M", "htx", "dg")
    anchor_everything(runtime)
    supply_chain.post("/api/v1/lots/LO-M/recall", "ql", {"reason": "Nhiễm nấm mốc"})
    anchor_everything(runtime)
    (recall,) = [a for a in actions(runtime.engine) if a.kind is ChainActionKind.RECALL]
    _verification(client, "LO-M")  # final facts cached: a cached anchor's reason says "≥ n"
    before = _verification(client, "LO-M")
    bundle_before = client.get("/api/v1/lots/LO-M/proof").json()

    execute(runtime.engine, "UPDATE chainaction SET tx_hash = :t, status = 'FAILED'", t=FORGED)

    body = _verification(client, "LO-M")
    assert {k: v for k, v in body.items() if k != "checked_at"} == {
        k: v for k, v in before.items() if k != "checked_at"
    }
    assert body["recall"]["tx_hash"] == recall.tx_hash  # as the outbox sent it, before the edit
    logs = _on_chain(runtime, "LO-M")
    shown = {e["computed_hash"]: e for e in body["events"] if e["milestone_tx_hash"]}
    assert {h: e["milestone_tx_hash"] for h, e in shown.items()} == logs
    assert {e["type"] for e in shown.values()} == {"harvest", "transfer", "recall"}
    assert {e["milestone_status"] for e in shown.values()} == {"confirmed"}
    assert FORGED not in json.dumps(body)

    bundle = client.get("/api/v1/lots/LO-M/proof").json()
    assert bundle["milestones"] == bundle_before["milestones"]
    assert {m["event_hash"]: m["tx_hash"] for m in bundle["milestones"]} == logs
    assert {m["status"] for m in bundle["milestones"]} == {"confirmed"}
    kinds = {m["kind"] for m in bundle["milestones"]}
    assert kinds == {EVENT_KIND_CODES[t] for t in (EventType.HARVEST, EventType.TRANSFER)} | {
        EVENT_KIND_CODES[EventType.RECALL]
    }
    assert FORGED not in json.dumps(bundle)


def test_a_row_the_chain_does_not_back_shows_no_transaction(
    runtime: Runtime, supply_chain: Actors, client: TestClient
) -> None:
    """A milestone row forged for a note (never recorded on chain on its own), pointing at a
    real transaction of the lot: the chain holds no log of that note, so none is shown."""
    harvest(supply_chain, "LO-N")
    note_id = note(supply_chain, "LO-N", "Tưới nước")
    anchor_everything(runtime)
    (genuine,) = _on_chain(runtime, "LO-N").values()
    key = to_hex(lot_key("LO-N"))
    execute(
        runtime.engine,
        "INSERT INTO chainaction (kind, event_id, lot_key, event_kind, payload_hash, status, "
        "tx_hash, attempts, created_at) VALUES ('LOT_EVENT', :e, :k, 1, :h, 'CONFIRMED', :t, 1, "
        "'2026-05-02 08:00:00')",
        e=note_id,
        k=key,
        h=next(e.event_hash for e in events(runtime.engine, lot_code="LO-N") if e.id == note_id),
        t=genuine,
    )
    body = _verification(client, "LO-N")
    assert body["verdict"] == "verified"
    (shown,) = [e for e in body["events"] if e["id"] == note_id]
    assert shown["milestone_tx_hash"] is None
    assert shown["milestone_status"] == "pending"
    (milestone,) = [
        m
        for m in client.get("/api/v1/lots/LO-N/proof").json()["milestones"]
        if m["event_id"] == note_id
    ]
    assert (milestone["tx_hash"], milestone["status"]) == (None, "pending")


def test_a_final_milestone_is_cached_and_a_shallow_one_is_not(
    runtime: Runtime, supply_chain: Actors
) -> None:
    harvest(supply_chain, "LO-C")
    anchor_everything(runtime)
    ((event_hash, tx_hash),) = _on_chain(runtime, "LO-C").items()
    key, kind = to_hex(lot_key("LO-C")), EVENT_KIND_CODES[EventType.HARVEST]
    chain, cache = _chain(runtime), ChainFactCache()

    deep = ChainView(chain, ChainFactCache(), confirmations=10_000).milestone(key, kind, event_hash)
    assert (deep.state, deep.tx_hash) == (AnchorState.SHALLOW, tx_hash)
    wrong_kind = ChainView(chain, cache, confirmations=1).milestone(key, kind + 1, event_hash)
    assert (wrong_kind.state, wrong_kind.tx_hash) == (AnchorState.ABSENT, None)
    assert len(cache) == 0

    (in_receipt,) = read_receipt_logs(chain, tx_hash, lot_key("LO-C"))  # one call, no scan
    assert (in_receipt.name, in_receipt.tx_hash) == (milestone_name(kind, event_hash), tx_hash)
    assert read_receipt_logs(chain, FORGED, lot_key("LO-C")) == []
    assert read_receipt_logs(chain, tx_hash, lot_key("LO-X")) == []
    for hint in (tx_hash, FORGED, "GIẢ", None):  # the row's transaction only says where to look
        fresh = ChainView(chain, ChainFactCache(), confirmations=1)
        found = fresh.milestone(key, kind, event_hash, hint=hint)
        assert (found.state, found.tx_hash) == (AnchorState.FINAL, tx_hash), hint
        assert fresh.milestone(key, kind + 1, event_hash, hint=hint).tx_hash is None, hint

    final = ChainView(chain, cache, confirmations=1).milestone(key, kind, event_hash)
    assert (final.state, final.tx_hash) == (AnchorState.FINAL, tx_hash)
    assert len(cache) == 1
    cache.mark_chain_down()  # the node is not asked again: the final fact is served
    served = ChainView(chain, cache, confirmations=1)
    assert served.milestone(key, kind, event_hash).tx_hash == tx_hash
    assert served.milestone(key, kind + 1, event_hash).state is AnchorState.UNKNOWN
