"""Every way of editing the ledger behind the application's back ends ``tampered``, naming
the event, with a reason in Vietnamese and English.

Events are recorded under the default rules (v2) unless a test is marked ``event_schema(1)``:
the attacks that only rules v1 reads (a hashed column edited, since v1 rebuilds documents from
columns) run under v1, lots of which stay after an upgrade, each beside its v2 form (the
stored canonical bytes edited)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from backend.hashing import (
    canonical_bytes,
    canonical_document,
    event_hash,
    keccak,
    read_document,
    to_hex,
)
from backend.models import EventType, Lot, Organisation
from backend.runtime import Runtime
from tests.support.app import Actors
from tests.support.ledger_flow import (
    anchor_everything,
    events,
    execute,
    harvest,
    note,
    set_event_json,
)

LOT = "LO-1"
URL = f"/api/v1/lots/{LOT}/verification"


@pytest.fixture
def anchored(runtime: Runtime, supply_chain: Actors, client: TestClient) -> list[str]:
    """Lot LO-1 with a harvest and two notes, all anchored and verified; their event ids."""
    harvest(supply_chain, LOT)
    note(supply_chain, LOT, "Tỉa cành, bón phân")
    note(supply_chain, LOT, "Kiểm tra sâu bệnh")
    anchor_everything(runtime)
    assert client.get(URL).json()["verdict"] == "verified"
    return [e.id for e in events(runtime.engine, lot_code=LOT)]


def _id_of(runtime: Runtime, model: Any, code_field: str, code: str) -> int:
    with Session(runtime.engine) as session:
        row = session.exec(select(model).where(getattr(model, code_field) == code)).one()
        return int(row.id)


def _edit_type(runtime: Runtime, event_id: str) -> None:
    execute(runtime.engine, "UPDATE event SET type = :t WHERE id = :id",
            t=EventType.QUALITY_CHECK.name, id=event_id)  # fmt: skip


def _edit_time(runtime: Runtime, event_id: str) -> None:
    execute(runtime.engine, "UPDATE event SET occurred_at = :t WHERE id = :id",
            t=datetime(2026, 4, 1, 0, 0, tzinfo=UTC), id=event_id)  # fmt: skip


def _edit_org(runtime: Runtime, event_id: str) -> None:
    other = _id_of(runtime, Organisation, "slug", "htx2")
    execute(runtime.engine, "UPDATE event SET org_id = :o WHERE id = :id", o=other, id=event_id)


def _edit_location(runtime: Runtime, event_id: str) -> None:
    set_event_json(runtime.engine, event_id, "location", {"lat": "10.4567", "lon": "105.6"})


def _edit_data(runtime: Runtime, event_id: str) -> None:
    set_event_json(runtime.engine, event_id, "data", {"text": "Không phun thuốc"})


def _edit_hash(runtime: Runtime, event_id: str) -> None:
    execute(runtime.engine, "UPDATE event SET event_hash = :h WHERE id = :id",
            h="0x" + "00" * 31 + "01", id=event_id)  # fmt: skip


def _rewrite_document(
    runtime: Runtime, event_id: str, members: dict[str, Any], *, rehash: bool = False
) -> None:
    """Rules v2: store the event's document with ``members`` changed, still canonical (only
    the hash can tell); with ``rehash`` its stored hash too."""
    event = next(e for e in events(runtime.engine) if e.id == event_id)
    raw = canonical_bytes({**read_document(bytes(event.canonical or b"")), **members})
    execute(runtime.engine, "UPDATE event SET canonical = :c WHERE id = :id", c=raw, id=event_id)
    if rehash:
        execute(runtime.engine, "UPDATE event SET event_hash = :h WHERE id = :id",
                h=to_hex(keccak(raw)), id=event_id)  # fmt: skip


def _member_edit(**members: Any) -> Callable[[Runtime, str], None]:
    def edit(runtime: Runtime, event_id: str) -> None:
        _rewrite_document(runtime, event_id, members)

    return edit


#: Rules v1 rebuilds each document from the event's columns: the intruder edits a column.
EDITS_V1: dict[str, Callable[[Runtime, str], None]] = {
    "type": _edit_type,
    "occurred_at": _edit_time,
    "organisation": _edit_org,
    "location": _edit_location,
    "data": _edit_data,
    "event_hash": _edit_hash,
}
#: Rules v2 hashes the stored bytes (the columns beside them are indexes, and editing them
#: changes nothing shown: test_tampering_v2.py in tests/security): the intruder edits the bytes.
EDITS_V2: dict[str, Callable[[Runtime, str], None]] = {
    "type": _member_edit(type="quality_check"),
    "occurred_at": _member_edit(occurred_at="2026-04-01T00:00:00Z"),
    "organisation": _member_edit(org="htx2", org_name="HTX Giả"),
    "location": _member_edit(location={"commune": "Tân Thuận Đông"}),
    "data": _member_edit(data={"text": "Không phun thuốc"}),
    "event_hash": _edit_hash,
}


def _schemas(name: str) -> list[Any]:
    """One case per rules version, each test's events recorded under that version."""
    return [
        pytest.param(schema, name, marks=pytest.mark.event_schema(schema), id=f"v{schema}-{name}")
        for schema in (1, 2)
    ]


@pytest.mark.parametrize(("schema", "field"), [p for name in EDITS_V1 for p in _schemas(name)])
def test_editing_a_hashed_field_makes_that_event_and_its_lot_tampered(
    runtime: Runtime, client: TestClient, anchored: list[str], schema: int, field: str
) -> None:
    edit = (EDITS_V1 if schema == 1 else EDITS_V2)[field]
    victim = anchored[1]

    edit(runtime, victim)

    body = client.get(URL).json()
    verdicts = {e["id"]: (e["verdict"], e["reason_code"]) for e in body["events"]}
    assert verdicts[victim] == ("tampered", "tampered_hash")
    assert {v for i, v in verdicts.items() if i != victim} == {("verified", "verified")}
    assert body["verdict"] == "tampered"
    assert victim in body["reason"] and victim in body["reason_en"]
    assert body["reason_vi"] != body["reason_en"]


def test_moving_an_event_to_another_lot_makes_it_tampered_under_that_lot(
    runtime: Runtime, supply_chain: Actors, client: TestClient, anchored: list[str]
) -> None:
    harvest(supply_chain, "LO-2")
    anchor_everything(runtime)
    other = _id_of(runtime, Lot, "code", "LO-2")

    execute(runtime.engine, "UPDATE event SET lot_id = :l WHERE id = :id", l=other, id=anchored[2])

    body = client.get("/api/v1/lots/LO-2/verification").json()
    moved = next(e for e in body["events"] if e["id"] == anchored[2])
    assert (moved["verdict"], body["verdict"]) == ("tampered", "tampered")


@pytest.mark.event_schema(1)
def test_recomputing_the_hash_after_an_edit_still_fails_at_the_anchored_leaf(
    runtime: Runtime, client: TestClient, anchored: list[str]
) -> None:
    victim = next(e for e in events(runtime.engine) if e.id == anchored[1])
    forged_data = {"text": "Không phun thuốc"}
    forged = canonical_document(
        event_id=victim.id, lot_code=LOT, event_type="note", occurred_at=victim.occurred_at,
        org_slug="htx", location=victim.location, data=forged_data,
    )  # fmt: skip
    set_event_json(runtime.engine, victim.id, "data", forged_data)
    execute(runtime.engine, "UPDATE event SET event_hash = :h WHERE id = :id",
            h=to_hex(event_hash(forged)), id=victim.id)  # fmt: skip

    body = client.get(URL).json()

    event = next(e for e in body["events"] if e["id"] == victim.id)
    assert (event["verdict"], event["reason_code"]) == ("tampered", "tampered_leaf")
    assert event["computed_hash"] == event["event_hash"]


def test_rewriting_the_stored_bytes_and_hash_still_fails_at_the_anchored_leaf(
    runtime: Runtime, client: TestClient, anchored: list[str]
) -> None:
    """The rules v2 form of the attack above: the stored document and its hash rewritten."""
    victim = anchored[1]
    _rewrite_document(runtime, victim, {"data": {"text": "Không phun thuốc"}}, rehash=True)

    body = client.get(URL).json()

    event = next(e for e in body["events"] if e["id"] == victim)
    assert (event["verdict"], event["reason_code"]) == ("tampered", "tampered_leaf")
    assert event["computed_hash"] == event["event_hash"]
    assert body["verdict"] == "tampered"


#: The lot's problems once its newest event is deleted: v1 sees only the batch short of a row;
#: v2 also finds the newest event the lot heads map proves missing.
DELETED_PROBLEMS = {
    1: ["tampered_missing_events"],
    2: ["tampered_missing_events", "tampered_head_missing"],
}


@pytest.mark.parametrize(
    "schema", [pytest.param(n, marks=pytest.mark.event_schema(n), id=f"v{n}") for n in (1, 2)]
)
def test_deleting_an_event_is_noticed_through_its_batch_count(
    runtime: Runtime, client: TestClient, anchored: list[str], schema: int
) -> None:
    execute(runtime.engine, "DELETE FROM event WHERE id = :id", id=anchored[2])

    body = client.get(URL).json()

    assert body["verdict"] == "tampered"
    assert [p["reason_code"] for p in body["problems"]] == DELETED_PROBLEMS[schema]
    assert "3" in body["problems"][0]["reason_en"] and "2" in body["problems"][0]["reason_en"]


def test_a_forged_event_claiming_an_anchored_batch_is_tampered(
    runtime: Runtime, client: TestClient, anchored: list[str]
) -> None:
    genuine = next(e for e in events(runtime.engine) if e.id == anchored[1])
    forged_id = "00000000-0000-4000-8000-000000000001"
    when = datetime(2026, 4, 30, 7, 0, tzinfo=UTC)
    document = canonical_document(
        event_id=forged_id, lot_code=LOT, event_type="quality_check", occurred_at=when,
        org_slug="htx", location=None, data={"result": "pass"},
    )  # fmt: skip
    execute(
        runtime.engine,
        "INSERT INTO event (id, lot_id, type, occurred_at, recorded_at, org_id, data, event_hash,"
        " batch_id, leaf, merkle_proof) SELECT :id, lot_id, :type, :when, :when, org_id, :data,"
        " :hash, batch_id, leaf, merkle_proof FROM event WHERE id = :copy",
        id=forged_id, type=EventType.QUALITY_CHECK.name, when=when, data='{"result": "pass"}',
        hash=to_hex(event_hash(document)), copy=genuine.id,
    )  # fmt: skip

    body = client.get(URL).json()

    forged = next(e for e in body["events"] if e["id"] == forged_id)
    assert forged["verdict"] == "tampered"
    assert forged["reason_code"] in {"tampered_leaf", "tampered_proof"}
    assert [p["reason_code"] for p in body["problems"]] == ["tampered_extra_events"]


def test_a_row_carrying_proof_data_without_a_batch_is_tampered(
    runtime: Runtime, supply_chain: Actors, client: TestClient, anchored: list[str]
) -> None:
    fresh = note(supply_chain, LOT, "Thu hoạch đợt hai")
    set_event_json(runtime.engine, fresh, "merkle_proof", ["0x" + "11" * 32])

    body = client.get(URL).json()

    event = next(e for e in body["events"] if e["id"] == fresh)
    assert (event["verdict"], event["reason_code"]) == ("tampered", "tampered_orphan_proof")


def test_swapping_the_batches_of_two_events_makes_both_tampered(
    runtime: Runtime, supply_chain: Actors, client: TestClient, anchored: list[str]
) -> None:
    later = note(supply_chain, LOT, "Đóng thùng")
    anchor_everything(runtime)
    first = next(e for e in events(runtime.engine) if e.id == anchored[0])
    second = next(e for e in events(runtime.engine) if e.id == later)
    assert first.batch_id != second.batch_id

    for event, batch_id in ((first, second.batch_id), (second, first.batch_id)):
        execute(runtime.engine, "UPDATE event SET batch_id = :b WHERE id = :id",
                b=batch_id, id=event.id)  # fmt: skip

    body = client.get(URL).json()
    verdicts = {e["id"]: e["reason_code"] for e in body["events"]}
    assert verdicts[first.id] == verdicts[later] == "tampered_proof"


def test_editing_a_stored_proof_or_root_makes_the_events_tampered(
    runtime: Runtime, client: TestClient, anchored: list[str]
) -> None:
    set_event_json(runtime.engine, anchored[0], "merkle_proof", ["0x" + "22" * 32] * 2)
    body = client.get(URL).json()
    verdicts = {e["id"]: e["reason_code"] for e in body["events"]}
    assert verdicts[anchored[0]] == "tampered_proof"

    execute(runtime.engine, "UPDATE batch SET root = :r", r="0x" + "33" * 32)
    body = client.get(URL).json()
    assert {e["reason_code"] for e in body["events"]} == {"tampered_proof"}
