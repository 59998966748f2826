"""Editing the database behind the application's back is caught, event by event.

One world per database (SQLite, PostgreSQL) is built through the API and anchored on the
in-process chain. Each case tampers with a lot of its own; lots whose case changes a whole batch
(its rows, root or count) get a batch of their own, so no case can disturb another. Each edit
is plain SQL, as an intruder with database access would write it. The verdict must be
``tampered`` for the right event (the others in the lot stay ``verified``) with the reason code
that says what broke, and the lot must be ``tampered`` with a reason that names that event or
batch.

A forged row that claims no batch at all reads ``pending`` by design (it looks exactly like a
write that has not been anchored yet); what cannot be forged is a row that claims to be anchored.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from backend.app import create_app
from backend.hashing import canonical_document, event_hash, leaf_hash, lot_key, to_hex
from backend.models import Batch, Event, Lot, Organisation
from backend.runtime import Runtime
from backend.timeutil import as_utc
from tests.support.app import ADMIN, make_settings

NOTE_TIME = "2026-05-02T08:00:00Z"

#: Lots whose tampering shows on their own events only: they share one anchored batch.
SHARED_BATCH = [
    "type",
    "occurred_at",
    "org",
    "location",
    "data",
    "event_hash",
    "leaf",
    "proof",
    "moved_to",
    "forged_orphan",
    "forged_pending",
    "lot_code",
    "org_slug",
    "control",
]
#: Lots whose tampering changes a batch as a whole (rows, root, count): a batch each.
OWN_BATCH = ["moved", "deleted", "forged_in_batch", "swap_a", "swap_b", "root", "count"]


@dataclass
class World:
    client: TestClient
    engine: Engine
    runtime: Runtime
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    memo: dict[str, Any] = field(default_factory=dict)

    def post(self, path: str, org: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.client.post(path, json=body, headers=self.headers[org])
        assert response.status_code in (200, 201), response.text
        result: dict[str, Any] = response.json()
        return result

    def org(self, slug: str, role: str) -> None:
        body = {"slug": slug, "name": slug.upper(), "role": role}
        response = self.client.post("/api/v1/orgs", json=body, headers=ADMIN)
        assert response.status_code == 201, response.text
        self.headers[slug] = {"Authorization": f"Bearer {response.json()['api_key']}"}

    def anchor(self) -> None:
        for _ in range(20):
            report = self.runtime.anchoring.run_once(force=True, wait=True)
            if not report.more_work and not report.built and not report.sent:
                return
        raise AssertionError("anchoring did not settle")

    def verification(self, code: str) -> dict[str, Any]:
        response = self.client.get(f"/api/v1/lots/{code}/verification")
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def events(self, code: str) -> list[Event]:
        with Session(self.engine) as session:
            statement = (
                select(Event)
                .join(Lot, col(Lot.id) == col(Event.lot_id))
                .where(Lot.code == code)
                .order_by(col(Event.seq))
            )
            return list(session.exec(statement).all())

    def one(self, model: type[Any], **where: Any) -> Any:
        with Session(self.engine) as session:
            statement = select(model)
            for name, value in where.items():
                statement = statement.where(getattr(model, name) == value)
            return session.exec(statement).one()

    def sql(self, statement: str, **params: Any) -> None:
        """One statement, as an intruder at a database prompt would type it."""
        with self.engine.begin() as connection:
            assert connection.execute(text(statement), params).rowcount == 1

    def json_value(self, name: str) -> str:
        """A bound JSON parameter (PostgreSQL wants the cast spelled out)."""
        return f"CAST(:{name} AS JSON)" if self.engine.dialect.name == "postgresql" else f":{name}"


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    root: Path = tmp_path_factory.mktemp("tamper")
    if request.param == "sqlite":
        url = f"sqlite:///{(root / 'ledger.db').as_posix()}"
        cluster = None
    else:
        from tests.support.postgres import start_cluster

        cluster = start_cluster()
        url = cluster.create_database()
    # Milestones are off: these tests are about batches, and every transaction costs time.
    settings = make_settings(root / "data", url, direct_event_types="")
    runtime = Runtime.start(settings, start_worker=False)
    try:
        with TestClient(create_app(runtime)) as client:
            built = World(client=client, engine=runtime.engine, runtime=runtime)
            build(built)
            yield built
    finally:
        runtime.close()
        if cluster is not None:
            cluster.stop()


def build(world: World) -> None:
    world.org("htx", "cooperative")
    world.org("htx2", "cooperative")
    world.org("htx-slug", "cooperative")
    for org, farm in (("htx", "F-01"), ("htx-slug", "F-S")):
        world.post(
            "/api/v1/farms", org, {"code": farm, "name": "Vườn ông Tư", "commune": "Mỹ Xương"}
        )
    world.post("/api/v1/products", "htx", {"code": "xoai", "name_vi": "Xoài cát Hòa Lộc"})
    for case in SHARED_BATCH:
        record_lot(world, case)
    world.anchor()
    for case in OWN_BATCH:
        record_lot(world, case)
        world.anchor()
    for case in SHARED_BATCH + OWN_BATCH:
        assert world.verification(f"T-{case}")["verdict"] == "verified", case


def record_lot(world: World, case: str) -> None:
    """Lot ``T-case``: a harvest (with a location) and two notes."""
    org, farm = ("htx-slug", "F-S") if case == "org_slug" else ("htx", "F-01")
    lot = {
        "code": f"T-{case}",
        "product": "xoai",
        "farm": farm,
        "quantity": "100",
        "unit": "kg",
        "harvested_at": "2026-05-01T06:30:00+07:00",
        "location": {"commune": "Mỹ Xương"},
    }
    world.post("/api/v1/lots", org, lot)
    for i in range(2):
        note = {"type": "note", "occurred_at": NOTE_TIME, "data": {"text": f"ghi chú {i}"}}
        world.post(f"/api/v1/lots/T-{case}/events", org, note)


def verdicts(body: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {e["id"]: (e["verdict"], e["reason_code"]) for e in body["events"]}


def assert_only(world: World, code: str, event_id: str, reason_code: str) -> dict[str, Any]:
    """``event_id`` is tampered for ``reason_code``; every other event of the lot verified."""
    body = world.verification(code)
    found = verdicts(body)
    assert found.pop(event_id) == ("tampered", reason_code), body
    assert set(found.values()) <= {("verified", "verified")}, body
    assert body["verdict"] == "tampered"
    assert body["reason_code"] == "in_event"
    assert event_id in body["reason"] and event_id in body["reason_en"]
    return body


def note_of(world: World, case: str, index: int = 1) -> Event:
    return world.events(f"T-{case}")[index]


# ------------------------------------------------------------------- hashed event fields


def test_changing_an_event_type_is_caught(world: World) -> None:
    event = note_of(world, "type")
    world.sql("UPDATE event SET type = 'PROCESSING' WHERE id = :id", id=event.id)
    assert_only(world, "T-type", event.id, "tampered_hash")


def test_moving_an_event_by_one_second_is_caught(world: World) -> None:
    event = note_of(world, "occurred_at")
    later = as_utc(event.occurred_at) + timedelta(seconds=1)
    world.sql("UPDATE event SET occurred_at = :at WHERE id = :id", at=later, id=event.id)
    assert_only(world, "T-occurred_at", event.id, "tampered_hash")


def test_crediting_an_event_to_another_organisation_is_caught(world: World) -> None:
    event = note_of(world, "org")
    other = world.one(Organisation, slug="htx2")
    world.sql("UPDATE event SET org_id = :org WHERE id = :id", org=other.id, id=event.id)
    assert_only(world, "T-org", event.id, "tampered_hash")


def test_editing_an_event_location_is_caught(world: World) -> None:
    event = note_of(world, "location", 0)  # the harvest carries a location
    new = json.dumps({"commune": "Tân Thuận Đông"})
    world.sql(
        f"UPDATE event SET location = {world.json_value('v')} WHERE id = :id", v=new, id=event.id
    )
    assert_only(world, "T-location", event.id, "tampered_hash")


def test_editing_event_data_is_caught(world: World) -> None:
    event = note_of(world, "data")
    new = json.dumps({"text": "không phun thuốc"})
    world.sql(f"UPDATE event SET data = {world.json_value('v')} WHERE id = :id", v=new, id=event.id)
    assert_only(world, "T-data", event.id, "tampered_hash")


def test_rewriting_the_stored_hash_to_match_edited_data_is_caught_by_the_leaf(
    world: World,
) -> None:
    event = note_of(world, "event_hash")
    data = {"text": "đã sửa cả mã băm"}
    document = canonical_document(
        event_id=event.id,
        lot_code="T-event_hash",
        event_type="note",
        occurred_at=event.occurred_at,
        org_slug="htx",
        location=event.location,
        data=data,
    )
    world.sql(
        f"UPDATE event SET data = {world.json_value('v')}, event_hash = :h WHERE id = :id",
        v=json.dumps(data),
        h=to_hex(event_hash(document)),
        id=event.id,
    )
    assert_only(world, "T-event_hash", event.id, "tampered_leaf")


def test_a_consistent_rewrite_of_hash_and_leaf_is_caught_by_the_proof(world: World) -> None:
    event = note_of(world, "leaf")
    data = {"text": "đã sửa cả lá Merkle"}
    document = canonical_document(
        event_id=event.id,
        lot_code="T-leaf",
        event_type="note",
        occurred_at=event.occurred_at,
        org_slug="htx",
        location=event.location,
        data=data,
    )
    digest = event_hash(document)
    world.sql(
        f"UPDATE event SET data = {world.json_value('v')}, event_hash = :h, leaf = :leaf "
        "WHERE id = :id",
        v=json.dumps(data),
        h=to_hex(digest),
        leaf=to_hex(leaf_hash(lot_key("T-leaf"), digest)),
        id=event.id,
    )
    body = assert_only(world, "T-leaf", event.id, "tampered_proof")
    assert any(e["batch_root"] in body["reason"] for e in body["events"])


def test_editing_a_stored_proof_is_caught(world: World) -> None:
    event = note_of(world, "proof")
    assert event.merkle_proof
    forged = ["0x" + "11" * 32, *event.merkle_proof[1:]]
    world.sql(
        f"UPDATE event SET merkle_proof = {world.json_value('v')} WHERE id = :id",
        v=json.dumps(forged),
        id=event.id,
    )
    assert_only(world, "T-proof", event.id, "tampered_proof")


# ------------------------------------------------------------- rows moved, gone or forged


def move_hidden_event(world: World) -> Event:
    """Move the second event of T-moved onto lot T-moved_to, once (two tests look at it)."""
    if "moved" not in world.memo:
        event = note_of(world, "moved")
        target = world.one(Lot, code="T-moved_to")
        world.sql("UPDATE event SET lot_id = :lot WHERE id = :id", lot=target.id, id=event.id)
        world.memo["moved"] = event
    moved: Event = world.memo["moved"]
    return moved


def test_an_event_moved_to_another_lot_is_tampered_there(world: World) -> None:
    event = move_hidden_event(world)
    receiving = world.verification("T-moved_to")
    assert verdicts(receiving)[event.id] == ("tampered", "tampered_hash")
    assert receiving["verdict"] == "tampered" and event.id in receiving["reason"]


@pytest.mark.xfail(
    strict=True,
    reason=(
        "known gap in services/verification: a lot only counts the rows of its batches, so an "
        "event moved to another lot (lot_id edited, batch kept) leaves the losing lot reading "
        "verified; rows of the lot's batches whose stored leaf is this lot's leaf "
        "(leaf_hash(lot_key(code), event_hash) == leaf) but which sit on another lot would "
        "reveal it"
    ),
)
def test_a_lot_that_lost_an_event_to_another_lot_is_tampered(world: World) -> None:
    event = move_hidden_event(world)
    losing = world.verification("T-moved")
    assert event.id not in verdicts(losing)
    assert losing["verdict"] == "tampered", losing


def test_deleting_an_event_is_caught(world: World) -> None:
    event = note_of(world, "deleted")
    root = world.one(Batch, id=event.batch_id).root
    world.sql("DELETE FROM event WHERE id = :id", id=event.id)
    body = world.verification("T-deleted")
    assert body["verdict"] == "tampered"
    assert body["reason_code"] == "tampered_missing_events"
    assert root in body["reason"] and "3" in body["reason"] and "2" in body["reason"]
    assert set(verdicts(body).values()) == {("verified", "verified")}


def forged_row(world: World, case: str, **columns: Any) -> str:
    """Insert an event row for lot ``T-case`` hashed correctly from its own fields."""
    lot = world.one(Lot, code=f"T-{case}")
    org = world.one(Organisation, slug="htx")
    sibling = note_of(world, case)
    forged_id = str(uuid.uuid4())
    data = {"text": "kiểm tra đạt chuẩn xuất khẩu"}
    digest = event_hash(
        canonical_document(
            event_id=forged_id,
            lot_code=lot.code,
            event_type="note",
            occurred_at=sibling.occurred_at,
            org_slug="htx",
            location=None,
            data=data,
        )
    )
    values = {
        "id": forged_id,
        "lot_id": lot.id,
        "type": "NOTE",
        "occurred_at": sibling.occurred_at,
        "recorded_at": sibling.recorded_at,
        "org_id": org.id,
        "data": json.dumps(data),
        "event_hash": to_hex(digest),
        "batch_id": None,
        "leaf": None,
        "merkle_proof": None,
        **columns,
    }
    if values["leaf"] == "computed":
        values["leaf"] = to_hex(leaf_hash(lot_key(lot.code), digest))
    names = ", ".join(values)
    placeholders = ", ".join(
        world.json_value(k) if k in {"data", "merkle_proof"} else f":{k}" for k in values
    )
    world.sql(f"INSERT INTO event ({names}) VALUES ({placeholders})", **values)
    return forged_id


def test_a_forged_event_claiming_an_anchored_batch_is_caught(world: World) -> None:
    sibling = note_of(world, "forged_in_batch")
    forged = forged_row(
        world,
        "forged_in_batch",
        batch_id=sibling.batch_id,
        leaf="computed",
        merkle_proof=json.dumps(sibling.merkle_proof),
    )
    body = world.verification("T-forged_in_batch")
    assert verdicts(body)[forged] == ("tampered", "tampered_proof")
    assert [p["reason_code"] for p in body["problems"]] == ["tampered_extra_events"]
    assert body["verdict"] == "tampered" and forged in body["reason"]


def test_a_forged_event_carrying_a_proof_without_a_batch_is_caught(world: World) -> None:
    sibling = note_of(world, "forged_orphan")
    forged = forged_row(
        world, "forged_orphan", leaf="computed", merkle_proof=json.dumps(sibling.merkle_proof)
    )
    assert_only(world, "T-forged_orphan", forged, "tampered_orphan_proof")


def test_a_forged_event_claiming_no_batch_reads_pending_not_verified(world: World) -> None:
    forged = forged_row(world, "forged_pending")
    body = world.verification("T-forged_pending")
    assert verdicts(body)[forged] == ("pending", "pending_unanchored")
    assert body["verdict"] == "pending"


def test_swapping_two_events_between_batches_is_caught_for_both(world: World) -> None:
    a, b = note_of(world, "swap_a"), note_of(world, "swap_b")
    assert a.batch_id != b.batch_id
    world.sql("UPDATE event SET batch_id = :b WHERE id = :id", b=b.batch_id, id=a.id)
    world.sql("UPDATE event SET batch_id = :b WHERE id = :id", b=a.batch_id, id=b.id)
    assert_only(world, "T-swap_a", a.id, "tampered_proof")
    assert_only(world, "T-swap_b", b.id, "tampered_proof")


# ------------------------------------------------------------------------ batches, names


def test_editing_a_stored_root_is_caught_for_every_event_of_the_batch(world: World) -> None:
    events = world.events("T-root")
    batch = world.one(Batch, id=events[0].batch_id)
    world.sql("UPDATE batch SET root = :r WHERE id = :id", r="0x" + "ab" * 32, id=batch.id)
    body = world.verification("T-root")
    assert set(verdicts(body).values()) == {("tampered", "tampered_proof")}
    assert body["verdict"] == "tampered" and events[0].id in body["reason"]


def test_editing_a_batch_event_count_is_caught_against_the_chain(world: World) -> None:
    events = world.events("T-count")
    world.sql("UPDATE batch SET event_count = 2 WHERE id = :id", id=events[0].batch_id)
    body = world.verification("T-count")
    codes = [p["reason_code"] for p in body["problems"]]
    assert "tampered_count_mismatch" in codes and body["verdict"] == "tampered"


def test_renaming_a_lot_is_caught_for_every_event(world: World) -> None:
    world.sql("UPDATE lot SET code = 'T-renamed' WHERE code = 'T-lot_code'")
    body = world.verification("T-renamed")
    assert set(verdicts(body).values()) == {("tampered", "tampered_hash")}
    assert world.client.get("/api/v1/lots/T-lot_code/verification").status_code == 404


def test_renaming_an_organisation_is_caught_for_its_events(world: World) -> None:
    world.sql("UPDATE organisation SET slug = 'htx-renamed' WHERE slug = 'htx-slug'")
    body = world.verification("T-org_slug")
    assert set(verdicts(body).values()) == {("tampered", "tampered_hash")}
    assert world.verification("T-control")["verdict"] == "verified"
