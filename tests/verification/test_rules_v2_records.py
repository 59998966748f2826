"""Rules v2 records: what the ledger writes with ``SENTRACE_EVENT_SCHEMA=2`` and how its own
chain of documents catches events deleted, moved or inserted behind the application's back.

Events are anchored one batch each, as the 30-second batches of a real server leave them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from backend.hashing import (
    canonical_bytes,
    check_commitment,
    from_hex,
    keccak,
    read_document,
    to_hex,
)
from backend.models import Disclosure, Event, Lot
from backend.runtime import Runtime
from backend.services.anchoring.heads.proofs import ROOT_VERSIONS
from backend.services.anchoring.heads.store import NODE_CACHE
from tests.support.app import Actors
from tests.support.ledger_flow import anchor_everything, events, execute, harvest, note

LOT = "LO-V2"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"event_schema": 2}


def _verification(client: TestClient, code: str) -> dict[str, Any]:
    return client.get(f"/api/v1/lots/{code}/verification").json()


def _reasons(body: dict[str, Any]) -> set[str]:
    found = {p["reason_code"] for p in body["problems"]}
    found |= {e["reason_code"] for e in body["events"]}
    return found


@pytest.fixture
def three_batches(runtime: Runtime, supply_chain: Actors, client: TestClient) -> list[Event]:
    """Harvest and two notes of lot LO-V2, each anchored in a batch of its own."""
    harvest(supply_chain, LOT)
    anchor_everything(runtime)
    note(supply_chain, LOT, "Tỉa cành")
    anchor_everything(runtime)
    note(supply_chain, LOT, "Kiểm tra sâu bệnh")
    anchor_everything(runtime)
    assert _verification(client, LOT)["verdict"] == "verified"
    stored = events(runtime.engine, lot_code=LOT)
    assert len({e.batch_id for e in stored}) == 3
    return stored


def test_events_form_a_hash_chain_of_stored_canonical_documents(
    three_batches: list[Event],
) -> None:
    documents = [read_document(bytes(e.canonical or b"")) for e in three_batches]
    assert [d["seq"] for d in documents] == [1, 2, 3]
    assert [e.lot_seq for e in three_batches] == [1, 2, 3]
    assert documents[0]["prev"] is None
    for event, document in zip(three_batches, documents, strict=True):
        assert document["schema"] == "sentrace/event@2"
        assert to_hex(keccak(bytes(event.canonical or b""))) == event.event_hash
    assert documents[1]["prev"] == three_batches[0].event_hash
    assert documents[2]["prev"] == three_batches[1].event_hash


def test_the_first_event_states_the_lot_facts(three_batches: list[Event]) -> None:
    facts = read_document(bytes(three_batches[0].canonical or b""))["lot_facts"]
    assert facts["product"]["name"] == "Xoài cát Hòa Lộc"
    assert facts["producer"] == {"org": "htx", "name": "HTX Mỹ Xương"}
    assert facts["farm"]["code"] == "F-01"
    assert facts["farm"]["commune"] == "Mỹ Xương"
    later = read_document(bytes(three_batches[1].canonical or b""))
    assert "lot_facts" not in later


def test_an_exact_point_is_a_commitment_opened_by_its_disclosure(
    runtime: Runtime, supply_chain: Actors
) -> None:
    body = {
        "type": "note",
        "occurred_at": "2026-05-02T08:00:00Z",
        "location": {"lat": "10.4600", "lon": "105.6400", "commune": "Mỹ Xương"},
        "data": {"text": "Vị trí bẫy ruồi vàng"},
    }
    harvest(supply_chain, LOT)
    event_id = supply_chain.post(f"/api/v1/lots/{LOT}/events", "htx", body)["id"]
    with Session(runtime.engine) as session:
        event = session.exec(select(Event).where(Event.id == event_id)).one()
        document = read_document(bytes(event.canonical or b""))
        disclosure = session.exec(select(Disclosure).where(Disclosure.event_id == event_id)).one()
    assert document["location"]["commune"] == "Mỹ Xương"
    assert "lat" not in document["location"]
    commitment = document["location"]["point"]
    assert disclosure.path == "location.point"
    assert disclosure.value == {"lat": "10.46", "lon": "105.64"}  # as validated and stored
    assert check_commitment(disclosure.value, from_hex(disclosure.salt), commitment)


def test_a_split_child_names_its_parent_and_the_split_event(
    runtime: Runtime, supply_chain: Actors
) -> None:
    harvest(supply_chain, LOT)
    body = {"children": [{"code": "LO-V2-A", "quantity": "100"}]}
    supply_chain.post(f"/api/v1/lots/{LOT}/split", "htx", body)
    parent_events = events(runtime.engine, lot_code=LOT)
    child_first = events(runtime.engine, lot_code="LO-V2-A")[0]
    document = read_document(bytes(child_first.canonical or b""))
    assert document["seq"] == 1
    assert document["parents"] == [{"lot": LOT, "event_hash": parent_events[-1].event_hash}]


def test_a_batch_upload_numbers_each_lots_events_in_order(
    runtime: Runtime, supply_chain: Actors
) -> None:
    harvest(supply_chain, LOT)
    harvest(supply_chain, "LO-V2-B")
    items = [
        {"lot": code, "type": "note", "occurred_at": "2026-05-03T08:00:00Z", "data": {"text": t}}
        for code, t in ((LOT, "một"), ("LO-V2-B", "hai"), (LOT, "ba"))
    ]
    supply_chain.post("/api/v1/events/batch", "htx", {"events": items})
    assert [e.lot_seq for e in events(runtime.engine, lot_code=LOT)] == [1, 2, 3]
    assert [e.lot_seq for e in events(runtime.engine, lot_code="LO-V2-B")] == [1, 2]
    with Session(runtime.engine) as session:
        lot = session.exec(select(Lot).where(Lot.code == LOT)).one()
    assert lot.last_seq == 3


def test_deleting_a_middle_event_alone_in_its_batch_is_a_gap(
    runtime: Runtime, client: TestClient, three_batches: list[Event]
) -> None:
    middle = three_batches[1]
    execute(
        runtime.engine,
        "DELETE FROM senttx WHERE action_id IN (SELECT id FROM chainaction WHERE event_id = :id)",
        id=middle.id,
    )
    execute(runtime.engine, "DELETE FROM chainaction WHERE event_id = :id", id=middle.id)
    execute(runtime.engine, "DELETE FROM event WHERE id = :id", id=middle.id)
    execute(runtime.engine, "UPDATE batch SET event_count = 0 WHERE id = :b", b=middle.batch_id)
    body = _verification(client, LOT)
    assert body["verdict"] == "tampered"
    assert "tampered_gap" in _reasons(body)


def test_an_event_moved_to_another_lot_is_caught_on_both_lots(
    runtime: Runtime, supply_chain: Actors, client: TestClient, three_batches: list[Event]
) -> None:
    harvest(supply_chain, "LO-V2-OTHER")
    anchor_everything(runtime)
    with Session(runtime.engine) as session:
        other = session.exec(select(Lot).where(Lot.code == "LO-V2-OTHER")).one()
    moved = three_batches[1]
    execute(runtime.engine, "UPDATE event SET lot_id = :l WHERE id = :id", l=other.id, id=moved.id)
    source = _verification(client, LOT)
    assert source["verdict"] == "tampered"
    assert "tampered_gap" in _reasons(source)
    receiving = _verification(client, "LO-V2-OTHER")
    assert receiving["verdict"] == "tampered"
    assert "tampered_moved" in _reasons(receiving)


def test_an_edited_column_does_not_change_what_the_document_says(
    runtime: Runtime, client: TestClient, three_batches: list[Event]
) -> None:
    """Columns are indexes: the verdict and the document rest on the stored bytes."""
    execute(runtime.engine, "UPDATE event SET lot_seq = 7 WHERE id = :id", id=three_batches[2].id)
    assert _verification(client, LOT)["verdict"] == "verified"


def test_edited_canonical_bytes_are_tampered(
    runtime: Runtime, client: TestClient, three_batches: list[Event]
) -> None:
    raw = bytes(three_batches[1].canonical or b"").replace("Tỉa cành".encode(), "Bón phân".encode())
    execute(runtime.engine, "UPDATE event SET canonical = :c WHERE id = :id",
            c=raw, id=three_batches[1].id)  # fmt: skip
    body = _verification(client, LOT)
    assert body["verdict"] == "tampered"
    assert "tampered_hash" in _reasons(body)


def test_the_page_states_the_facts_of_the_verified_document_not_the_rows(
    runtime: Runtime, client: TestClient, three_batches: list[Event]
) -> None:
    execute(runtime.engine, "UPDATE product SET name_vi = 'Xoài giả mạo'")
    execute(runtime.engine, "UPDATE lot SET quantity = '9999' WHERE code = :c", c=LOT)
    execute(runtime.engine, "UPDATE organisation SET name = 'HTX Giả' WHERE slug = 'htx'")
    page = client.get(f"/l/{LOT}").text
    assert "Xoài cát Hòa Lộc" in page
    assert "Xoài giả mạo" not in page
    assert "<dd>1000 kg</dd>" in page  # the document's quantity, never the edited row's
    assert "9999 kg" not in page  # (bare digits: a hash on the page may hold "9999")
    assert "HTX Mỹ Xương" in page
    assert "HTX Giả" not in page


def test_an_event_anchored_long_after_it_happened_is_marked_recorded_late(
    client: TestClient, three_batches: list[Event]
) -> None:
    """The notes say they happened on 2 May 2026 and were anchored today: far past 72 hours."""
    body = _verification(client, LOT)
    assert all(event["anchored_at"] for event in body["events"])
    assert all(event["recorded_late"] for event in body["events"])
    page = client.get(f"/l/{LOT}?lang=en").text
    assert "Recorded late: anchored on the blockchain at" in page


def test_an_event_anchored_promptly_is_not_late(
    runtime: Runtime, supply_chain: Actors, client: TestClient
) -> None:
    harvest(supply_chain, LOT)
    now = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    body = {"type": "note", "occurred_at": now, "data": {"text": "Vừa ghi"}}
    supply_chain.post(f"/api/v1/lots/{LOT}/events", "htx", body)
    anchor_everything(runtime)
    latest = _verification(client, LOT)["events"][-1]
    assert latest["anchored_at"] is not None
    assert latest["recorded_late"] is False


def test_an_event_dated_in_the_future_is_refused(supply_chain: Actors) -> None:
    harvest(supply_chain, LOT)
    later = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    body = {"type": "note", "occurred_at": later, "data": {"text": "Chưa xảy ra"}}
    response = supply_chain.client.post(
        f"/api/v1/lots/{LOT}/events", json=body, headers=supply_chain.headers["htx"]
    )
    assert response.status_code == 422
    assert response.json()["field"] == "occurred_at"


@pytest.fixture
def split_child(runtime: Runtime, supply_chain: Actors, client: TestClient) -> str:
    """LO-V2 split into LO-V2-A, everything anchored and verified; the child's code."""
    harvest(supply_chain, LOT)
    supply_chain.post(
        f"/api/v1/lots/{LOT}/split", "htx", {"children": [{"code": "LO-V2-A", "quantity": "100"}]}
    )
    anchor_everything(runtime)
    assert _verification(client, "LO-V2-A")["verdict"] == "verified"
    return "LO-V2-A"


def test_a_deleted_link_to_the_parent_is_caught(
    runtime: Runtime, client: TestClient, split_child: str
) -> None:
    execute(runtime.engine, "DELETE FROM lotlink")
    body = _verification(client, split_child)
    assert body["verdict"] == "tampered"
    assert "tampered_parent_missing" in _reasons(body)


def test_a_link_to_a_lot_no_record_names_is_caught(
    runtime: Runtime, supply_chain: Actors, client: TestClient, split_child: str
) -> None:
    harvest(supply_chain, "LO-V2-ELSEWHERE")
    anchor_everything(runtime)
    with Session(runtime.engine) as session:
        ids = {lot.code: lot.id for lot in session.exec(select(Lot)).all()}
    insert = "INSERT INTO lotlink VALUES (:p, :c, 'MERGE', '1')"  # parent, child, kind, quantity
    execute(runtime.engine, insert, p=ids["LO-V2-ELSEWHERE"], c=ids[split_child])
    body = _verification(client, split_child)
    assert body["verdict"] == "tampered"
    assert "tampered_parent_extra" in _reasons(body)


def test_deleting_the_newest_event_alone_in_its_batch_is_caught_by_the_head(
    runtime: Runtime, client: TestClient, three_batches: list[Event]
) -> None:
    """The chain of documents stays intact without its last link: only the head shows it."""
    newest = three_batches[-1]
    execute(
        runtime.engine,
        "DELETE FROM senttx WHERE action_id IN (SELECT id FROM chainaction WHERE event_id = :id)",
        id=newest.id,
    )
    execute(runtime.engine, "DELETE FROM chainaction WHERE event_id = :id", id=newest.id)
    execute(runtime.engine, "DELETE FROM event WHERE id = :id", id=newest.id)
    execute(runtime.engine, "UPDATE batch SET event_count = 0 WHERE id = :b", b=newest.batch_id)
    body = _verification(client, LOT)
    assert body["verdict"] == "tampered"
    assert "tampered_head_missing" in _reasons(body)


def test_a_forged_unanchored_event_after_the_head_is_tampered_for_want_of_a_signature(
    runtime: Runtime, client: TestClient, three_batches: list[Event]
) -> None:
    """A row written behind the app's back, correctly chained, claims no batch: by the chain
    of documents alone it would only extend the lot as an event not anchored yet, but it
    carries no signature of its organisation (docs/proof-rules.md section 12)."""
    newest = three_batches[-1]
    with Session(runtime.engine) as session:
        lot = session.exec(select(Lot).where(Lot.code == LOT)).one()
        document = read_document(bytes(newest.canonical or b""))
        forged = {
            **document,
            "id": "00000000-0000-4000-8000-000000000001",
            "seq": 4,
            "prev": newest.event_hash,
            "data": {"text": "Đạt chuẩn xuất khẩu"},
        }
        raw = canonical_bytes(forged)
        session.add(
            Event(
                id=forged["id"],
                lot_id=lot.id,
                type=newest.type,
                occurred_at=newest.occurred_at,
                org_id=newest.org_id,
                data=forged["data"],
                event_hash=to_hex(keccak(raw)),
                schema_version=2,
                lot_seq=4,
                prev_hash=newest.event_hash,
                canonical=raw,
            )
        )
        session.commit()
    body = _verification(client, LOT)
    assert body["verdict"] == "tampered"
    assert (body["events"][-1]["verdict"], body["events"][-1]["reason_code"]) == (
        "tampered",
        "tampered_unsigned",
    )
    assert [e["verdict"] for e in body["events"][:-1]] == ["verified"] * 3


def test_a_heads_root_the_ledger_never_recorded_is_caught(
    runtime: Runtime, client: TestClient, three_batches: list[Event]
) -> None:
    """Editing the batches' heads roots (to replay an older map, say) leaves the chain's
    current root unknown to the ledger, once the process reads the table again (a fresh
    process: the caches of finished versions are dropped here to stand for a restart)."""
    newest_batch = three_batches[-1].batch_id
    sql = "UPDATE batch SET heads_root = prev_heads_root WHERE id = :b"
    execute(runtime.engine, sql, b=newest_batch)
    ROOT_VERSIONS.clear()
    NODE_CACHE.clear()
    body = _verification(client, LOT)
    assert body["verdict"] == "tampered"
    assert "tampered_head_unknown" in _reasons(body)


def test_a_lot_whose_every_event_was_deleted_is_caught_by_the_head(
    runtime: Runtime, client: TestClient, three_batches: list[Event]
) -> None:
    execute(runtime.engine, "DELETE FROM senttx")
    execute(runtime.engine, "DELETE FROM chainaction")
    execute(runtime.engine, "DELETE FROM event")
    body = _verification(client, LOT)
    assert body["verdict"] == "tampered"
    assert "tampered_head_missing" in _reasons(body)
