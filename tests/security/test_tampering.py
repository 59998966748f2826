"""Editing the database behind the application's back is caught, event by event: rules v1.

These lots are recorded under proof rules v1 (``event_schema(1)``): an installation upgraded to
v2 keeps its v1 lots, and they must stay verifiable. Under v1 the verifier rebuilds each
document from the event's columns, so editing a hashed column is what an intruder does. The
same attacks on rules v2 records (where columns are indexes beside the stored canonical bytes,
and the bytes are what an intruder must edit) are in test_tampering_v2.py; the world both use
is in tampering_world.py. The verdict must be ``tampered`` for the right event (the others in
the lot stay ``verified``) with the reason code that says what broke, and the lot must be
``tampered`` with a reason that names that event or batch.

A forged row that claims no batch at all reads ``pending`` by design (it looks exactly like a
write that has not been anchored yet); what cannot be forged is a row that claims to be anchored.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from backend.hashing import canonical_document, event_hash, leaf_hash, lot_key, to_hex
from backend.models import Batch, Lot, Organisation
from backend.timeutil import as_utc
from tests.security.tampering_world import (
    DATABASES,
    World,
    assert_only,
    note_of,
    open_world,
    verdicts,
)

pytestmark = pytest.mark.event_schema(1)

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


@pytest.fixture(scope="module", params=DATABASES)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    yield from open_world(request, tmp_path_factory, schema=1, shared=SHARED_BATCH, own=OWN_BATCH)


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


def test_an_event_moved_to_another_lot_is_tampered_there(world: World) -> None:
    """The moved event's v1 document is rebuilt with the receiving lot's code: its hash breaks.

    The lot that lost it still reads ``verified`` under v1, by design: a v1 lot only knows the
    rows of its batches (docs/proof-rules.md 2.4). Rules v2 catches that side too
    (test_tampering_v2.py).
    """
    event = note_of(world, "moved")
    target = world.one(Lot, code="T-moved_to")
    world.sql("UPDATE event SET lot_id = :lot WHERE id = :id", lot=target.id, id=event.id)
    receiving = world.verification("T-moved_to")
    assert verdicts(receiving)[event.id] == ("tampered", "tampered_hash")
    assert receiving["verdict"] == "tampered" and event.id in receiving["reason"]


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
