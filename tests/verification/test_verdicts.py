"""Verdicts other than tampering: pending, unknown, not final, chain away, recalled, lineage."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from backend.chain.fact_cache import ChainFactCache
from backend.runtime import Runtime
from backend.services.verification.chain_view import ChainView
from backend.services.verification.engine import verify_lot
from tests.support.app import ADMIN, Actors
from tests.support.ledger_flow import anchor_everything, events, execute, harvest, note

#: Both rules: lots are recorded under v2 now, and lots recorded under v1 before an upgrade
#: keep being verified.
BOTH_RULES = pytest.mark.parametrize(
    "rules",
    [
        pytest.param(1, marks=pytest.mark.event_schema(1), id="v1"),
        pytest.param(2, marks=pytest.mark.event_schema(2), id="v2"),
    ],
)


def _verify(runtime: Runtime, code: str, view: ChainView) -> dict[str, object]:
    with Session(runtime.engine) as session:
        result = verify_lot(session, code=code, view=view)
    assert result is not None
    return result.as_json()


def test_an_unknown_lot_is_a_404_with_the_unknown_verdict(client: TestClient) -> None:
    response = client.get("/api/v1/lots/KHONG-CO/verification")
    assert response.status_code == 404
    assert response.json() == {
        "detail": "Không tìm thấy lô / lot not found",
        "code": "not_found",
        "field": None,
        "lot": "KHONG-CO",
        "verdict": "unknown",
    }
    assert client.get("/api/v1/lots/KHONG-CO/proof").status_code == 404


def test_accepted_events_read_pending_until_anchored_then_verified(
    runtime: Runtime, supply_chain: Actors, client: TestClient
) -> None:
    anchor_everything(runtime)  # the organisations' keys reach the chain first
    harvest(supply_chain, "LO-1")
    event_id = note(supply_chain, "LO-1", "Tưới nước")

    before = client.get("/api/v1/lots/LO-1/verification")
    assert before.headers["cache-control"] == "no-store"
    body = before.json()
    assert body["verdict"] == "pending"
    assert {e["reason_code"] for e in body["events"]} == {"pending_unanchored"}
    assert body["events"][1]["reason_vi"] == "Đã ghi nhận, đang chờ gom vào đợt ghi lên blockchain."

    anchor_everything(runtime)

    after = client.get("/api/v1/lots/LO-1/verification").json()
    assert after["verdict"] == "verified"
    assert after["reason_code"] == "lot_verified"
    event = next(e for e in after["events"] if e["id"] == event_id)
    assert event["event_hash"] == event["computed_hash"]
    assert event["batch_root"] and event["tx_hash"] and event["block_number"]
    assert after["chain"]["reachable"] is True
    assert after["chain"]["contract_address"] == runtime.chain.contract_address  # type: ignore[union-attr]


def test_a_root_without_enough_confirmations_reads_pending(
    runtime: Runtime, supply_chain: Actors
) -> None:
    harvest(supply_chain, "LO-2")
    anchor_everything(runtime)
    demanding = ChainView(runtime.chain, ChainFactCache(), confirmations=50)

    body = _verify(runtime, "LO-2", demanding)

    assert body["verdict"] == "pending"
    (event,) = body["events"]  # type: ignore[misc]
    assert event["reason_code"] == "pending_not_final"
    assert "/50" in event["reason_en"]


@BOTH_RULES
def test_without_a_chain_anchored_events_read_pending_unless_already_known_final(
    runtime: Runtime, supply_chain: Actors, client: TestClient, rules: int
) -> None:
    """Once the node stops answering, each event's final facts stay known and it stays
    verified. Under rules v1 that is the lot's whole proof. Under rules v2 the lot is also
    proven complete against the heads root the chain holds now, never a remembered one (an
    older root would hide every event anchored since: docs/proof-rules.md 7, step 4), so the
    lot reads pending until the node answers again, and so does each event: who signed it
    (section 12) is read from the chain at the request's block, never remembered."""
    harvest(supply_chain, "LO-3")
    anchor_everything(runtime)

    no_chain = _verify(runtime, "LO-3", ChainView(None, ChainFactCache(), confirmations=1))
    assert no_chain["verdict"] == "pending"
    assert no_chain["events"][0]["reason_code"] == "pending_chain_unreachable"  # type: ignore[index]
    assert no_chain["chain"]["reachable"] is False  # type: ignore[index]

    assert client.get("/api/v1/lots/LO-3/verification").json()["verdict"] == "verified"
    runtime.chain_cache.mark_chain_down()  # the node stops answering; final facts stay known
    view = ChainView(runtime.chain, runtime.chain_cache, confirmations=1)
    away = _verify(runtime, "LO-3", view)
    if rules == 1:
        assert [e["verdict"] for e in away["events"]] == ["verified"]  # type: ignore[union-attr]
        assert away["verdict"] == "verified"
    else:
        (event,) = away["events"]  # type: ignore[misc]
        assert (event["verdict"], event["reason_code"]) == ("pending", "pending_chain_unreachable")
        assert away["verdict"] == "pending"

    runtime.chain_cache.mark_chain_up()  # the next request (its own view) asks the node again
    back = ChainView(runtime.chain, runtime.chain_cache, confirmations=1)
    assert _verify(runtime, "LO-3", back)["verdict"] == "verified"


@BOTH_RULES
def test_a_recalled_ancestor_makes_the_child_recalled_and_tampering_outranks_it(
    runtime: Runtime, supply_chain: Actors, client: TestClient, rules: int
) -> None:
    """The child's note is edited where its rules hash it: the ``data`` column under rules
    v1; under rules v2 that column is only an index beside the stored canonical bytes, which
    are what is hashed and shown (docs/proof-rules.md 3.5), so the bytes are edited."""
    harvest(supply_chain, "LO-4")
    supply_chain.post(
        "/api/v1/lots/LO-4/split", "htx", {"children": [{"code": "LO-4A", "quantity": "10"}]}
    )
    child_note = note(supply_chain, "LO-4A", "Đóng gói")
    supply_chain.post("/api/v1/lots/LO-4/recall", "ql", {"reason": "Nhiễm nấm mốc"})
    anchor_everything(runtime)

    body = client.get("/api/v1/lots/LO-4A/verification").json()
    assert body["verdict"] == "recalled"
    assert [a["lot"] for a in body["ancestors"]] == ["LO-4"]
    assert body["ancestors"][0]["verdict"] == "recalled"
    assert body["reason_code"] == "in_ancestor" and "Nhiễm nấm mốc" in body["reason"]

    if rules == 1:
        execute(runtime.engine, "UPDATE event SET data = :d WHERE id = :id",
                d='{"text": "Đóng gói lại"}', id=child_note)  # fmt: skip
    else:
        (stored,) = [e.canonical for e in events(runtime.engine) if e.id == child_note]
        edited = bytes(stored or b"").replace('"Đóng gói"'.encode(), '"Đóng gói lại"'.encode())
        assert edited != stored
        execute(runtime.engine, "UPDATE event SET canonical = :c WHERE id = :id",
                c=edited, id=child_note)  # fmt: skip
    body = client.get("/api/v1/lots/LO-4A/verification").json()
    assert body["verdict"] == "tampered"
    assert child_note in body["reason"]
    assert body["recall"]["lot"] == "LO-4"  # the recall is still shown


def test_a_recall_erased_from_the_lot_row_is_still_read_from_its_record_and_the_chain(
    runtime: Runtime, supply_chain: Actors, client: TestClient
) -> None:
    """The lot row's recall columns are a copy: the recall event's hashed record and the
    chain's recall flag both still say it."""
    harvest(supply_chain, "LO-5")
    supply_chain.post("/api/v1/lots/LO-5/recall", "ql", {"reason": "Sai nhãn"})
    anchor_everything(runtime)

    execute(runtime.engine, "UPDATE lot SET recalled_at = NULL, recall_reason = NULL")

    body = client.get("/api/v1/lots/LO-5/verification").json()
    assert body["verdict"] == "recalled"
    assert body["reason_code"] == "recalled"
    assert body["recall"]["on_chain"] is True and body["recall"]["reason"] == "Sai nhãn"
    assert body["recall"]["recalled_at"] is not None


def test_a_batch_can_be_looked_up_by_its_root(
    runtime: Runtime, supply_chain: Actors, client: TestClient
) -> None:
    harvest(supply_chain, "LO-6")
    event_id = note(supply_chain, "LO-6", "Sơ chế")
    anchor_everything(runtime)
    root = client.get("/api/v1/lots/LO-6/verification").json()["events"][0]["batch_root"]

    body = client.get(f"/api/v1/batches/{root}").json()

    assert body["status"] == "confirmed" and body["event_count"] == 2
    assert "events" not in body  # which events a batch holds is for the admin and regulators
    assert event_id in client.get(f"/api/v1/batches/{root}", headers=ADMIN).json()["events"]
    assert body["on_chain"]["state"] == "final"
    assert body["on_chain"]["block_number"] == body["block_number"]
    assert client.get("/api/v1/batches/0x" + "00" * 32).status_code == 404
    assert client.get("/api/v1/batches/not-a-root").status_code == 422
