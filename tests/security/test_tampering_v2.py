"""Editing the database behind the application's back is caught, event by event: rules v2.

The twin of test_tampering.py (rules v1) on the same world (tampering_world.py), recorded under
proof rules v2 (``event_schema(2)``). A v2 event is verified from the exact canonical bytes it
stored, never rebuilt from columns, and each lot's documents form a chain (``seq``, ``prev``)
whose newest link the lot heads map proves on chain. So the attacks change shape:

- an edit of a hashed *column* changes nothing shown: the column is an index beside the stored
  document, the lot stays ``verified`` and every surface states the document's value;
- the same edit made where v2 reads it, in the stored bytes, is ``tampered`` (``tampered_hash``,
  then the leaf and the proof when the intruder rewrites those to match);
- rows moved, deleted, forged, swapped, and edited batches are ``tampered`` as under v1, and
  the lot that lost an event to another lot is ``tampered`` too (its chain has a gap), which
  v1 cannot see.

A forged document chained after the newest event in no batch reads ``pending`` by design
(docs/proof-rules.md section 9): test_rules_v2_records.py pins that.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from backend.hashing import canonical_bytes, keccak, leaf_hash, lot_key, read_document, to_hex
from backend.models import Batch, Event, Lot, Organisation
from backend.timeutil import as_utc
from tests.security.tampering_world import (
    DATABASES,
    World,
    assert_only,
    note_of,
    open_world,
    problems,
    verdicts,
)
from tests.support.app import ADMIN

pytestmark = pytest.mark.event_schema(2)

#: Each attack on a hashed member, as (the member in the stored document, its forged value, the
#: column beside it, that column's forged SQL value, the event: 0 the harvest, 1 a note).
MEMBERS: dict[str, tuple[str, Any, str, str, int]] = {
    "type": ("type", "processing", "type", "'PROCESSING'", 1),
    "occurred_at": ("occurred_at", "2026-05-02T08:00:01Z", "occurred_at", ":later", 1),
    "org": ("org", "htx2", "org_id", ":other_org", 1),
    "location": ("location", {"commune": "Tân Thuận Đông"}, "location", ":forged_json", 0),
    "data": ("data", {"text": "không phun thuốc"}, "data", ":forged_json", 1),
}
#: Lots whose tampering shows on their own events only: they share one anchored batch.
SHARED_BATCH = [
    *(f"doc_{name}" for name in MEMBERS),
    *(f"col_{name}" for name in MEMBERS),
    "event_hash",
    "leaf",
    "proof",
    "moved_to",
    "forged_orphan",
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
    yield from open_world(request, tmp_path_factory, schema=2, shared=SHARED_BATCH, own=OWN_BATCH)


def document_of(event: Event) -> dict[str, Any]:
    return read_document(bytes(event.canonical or b""))


def rewrite_bytes(
    world: World, event: Event, members: dict[str, Any], *, rehash: bool, releaf: bool
) -> bytes:
    """Store ``event``'s document with ``members`` changed, still in canonical form (so only
    the hash can tell), with its stored hash and leaf rewritten to match when asked."""
    raw = canonical_bytes({**document_of(event), **members})
    sets, values = ["canonical = :raw"], {"raw": raw, "id": event.id}
    if rehash:
        sets.append("event_hash = :hash")
        values["hash"] = to_hex(keccak(raw))
    if releaf:
        sets.append("leaf = :leaf")
        values["leaf"] = to_hex(leaf_hash(lot_key(document_of(event)["lot"]), keccak(raw)))
    world.sql(f"UPDATE event SET {', '.join(sets)} WHERE id = :id", **values)
    return raw


# ------------------------------------------------------------------- hashed event members


@pytest.mark.parametrize("name", list(MEMBERS))
def test_editing_a_member_of_the_stored_document_is_caught(world: World, name: str) -> None:
    """The v2 form of editing a hashed field: the stored bytes no longer hash to the event's
    recorded hash. (Its document unreadable, the lot's chain also misses that link.)"""
    member, forged, _, _, index = MEMBERS[name]
    event = note_of(world, f"doc_{name}", index)
    rewrite_bytes(world, event, {member: forged}, rehash=False, releaf=False)
    body = assert_only(world, f"T-doc_{name}", event.id, "tampered_hash")
    assert problems(body) == ["tampered_gap"]
    lot = world.client.get(f"/api/v1/lots/T-doc_{name}", headers=ADMIN).json()
    shown = next(e for e in lot["events"] if e["id"] == event.id)
    assert shown["proven"] is False and shown[member] != forged
    assert lot["verdict"] == "tampered" and lot["verified_facts"] is False


@pytest.mark.parametrize("name", list(MEMBERS))
def test_an_edited_column_leaves_the_document_and_its_verdict(world: World, name: str) -> None:
    """Under v2 a column beside the stored bytes is an index: editing it is not tampering with
    the record (the verdict stays ``verified``) and no surface shows the forged value."""
    member, forged, column, value, index = MEMBERS[name]
    code = f"T-col_{name}"
    event = note_of(world, f"col_{name}", index)
    before = world.client.get(f"/api/v1/lots/{code}", headers=ADMIN).json()
    page = world.client.get(f"/l/{code}?lang=vi").text
    params = {
        "later": as_utc(event.occurred_at) + timedelta(seconds=1),
        "other_org": world.one(Organisation, slug="htx2").id,
        "forged_json": json.dumps(forged),
    }
    sql_value = world.json_value("forged_json") if value == ":forged_json" else value
    used = {k: v for k, v in params.items() if f":{k}" in sql_value}
    world.sql(f"UPDATE event SET {column} = {sql_value} WHERE id = :id", id=event.id, **used)
    assert set(verdicts(world.verification(code)).values()) == {("verified", "verified")}
    after = world.client.get(f"/api/v1/lots/{code}", headers=ADMIN).json()
    shown = next(e for e in after["events"] if e["id"] == event.id)
    assert shown[member] == document_of(event)[member] != forged
    assert after["events"] == before["events"]
    assert world.client.get(f"/l/{code}?lang=vi").text == page


def test_rewriting_the_stored_hash_to_match_edited_bytes_is_caught_by_the_leaf(
    world: World,
) -> None:
    event = note_of(world, "event_hash")
    rewrite_bytes(world, event, {"data": {"text": "đã sửa cả mã băm"}}, rehash=True, releaf=False)
    body = world.verification("T-event_hash")
    assert verdicts(body)[event.id] == ("tampered", "tampered_leaf")
    assert body["verdict"] == "tampered" and event.id in body["reason"]
    # The next document still names the genuine hash: the lot's chain is broken there too.
    assert problems(body) == ["tampered_broken_link"]


def test_a_consistent_rewrite_of_bytes_hash_and_leaf_is_caught_by_the_proof(world: World) -> None:
    event = note_of(world, "leaf")
    rewrite_bytes(world, event, {"data": {"text": "đã sửa cả lá Merkle"}}, rehash=True, releaf=True)
    body = world.verification("T-leaf")
    assert verdicts(body)[event.id] == ("tampered", "tampered_proof")
    assert any(e["batch_root"] in body["reason"] for e in body["events"])
    assert problems(body) == ["tampered_broken_link"]


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


def move_event(world: World) -> Event:
    """Move the second event of T-moved onto lot T-moved_to, once (two tests look at it). The
    intruder gives it the receiving lot's next ``lot_seq``: that index is unique per lot."""
    if "moved" not in world.memo:
        event = note_of(world, "moved")
        target = world.one(Lot, code="T-moved_to")
        world.sql(
            "UPDATE event SET lot_id = :lot, lot_seq = 4 WHERE id = :id", lot=target.id, id=event.id
        )
        world.memo["moved"] = event
    moved: Event = world.memo["moved"]
    return moved


def test_an_event_moved_to_another_lot_is_tampered_there(world: World) -> None:
    event = move_event(world)
    receiving = world.verification("T-moved_to")
    assert verdicts(receiving)[event.id] == ("tampered", "tampered_moved")
    assert receiving["verdict"] == "tampered" and event.id in receiving["reason"]


def test_a_lot_that_lost_an_event_to_another_lot_is_tampered(world: World) -> None:
    """What rules v1 cannot see: the losing lot's chain of documents now skips a ``seq``."""
    event = move_event(world)
    losing = world.verification("T-moved")
    assert event.id not in verdicts(losing)
    assert losing["verdict"] == "tampered", losing
    assert problems(losing) == ["tampered_gap"]
    assert set(verdicts(losing).values()) == {("verified", "verified")}


def test_deleting_an_event_is_caught(world: World) -> None:
    event = note_of(world, "deleted")
    root = world.one(Batch, id=event.batch_id).root
    world.sql("DELETE FROM event WHERE id = :id", id=event.id)
    body = world.verification("T-deleted")
    assert body["verdict"] == "tampered"
    assert problems(body) == ["tampered_missing_events", "tampered_gap"]
    assert root in body["reason"] and "3" in body["reason"] and "2" in body["reason"]
    assert set(verdicts(body).values()) == {("verified", "verified")}


def forged_row(world: World, case: str, **columns: Any) -> str:
    """Insert a v2 note for lot ``T-case`` as a careful intruder would: a canonical document
    chained after the lot's newest one (``seq`` 4, ``prev`` its hash), hashed correctly."""
    newest = note_of(world, case, 2)
    document = document_of(newest)
    forged = {
        **document,
        "id": str(uuid.uuid4()),
        "seq": 4,
        "prev": newest.event_hash,
        "data": {"text": "kiểm tra đạt chuẩn xuất khẩu"},
    }
    raw = canonical_bytes(forged)
    values = {
        "id": forged["id"],
        "lot_id": newest.lot_id,
        "type": "NOTE",
        "occurred_at": newest.occurred_at,
        "recorded_at": newest.recorded_at,
        "org_id": newest.org_id,
        "data": json.dumps(forged["data"]),
        "event_hash": to_hex(keccak(raw)),
        "schema_version": 2,
        "lot_seq": 4,
        "prev_hash": newest.event_hash,
        "canonical": raw,
        "batch_id": None,
        "leaf": to_hex(leaf_hash(lot_key(f"T-{case}"), keccak(raw))),
        "merkle_proof": json.dumps(newest.merkle_proof),
        **columns,
    }
    names = ", ".join(values)
    placeholders = ", ".join(
        world.json_value(k) if k in {"data", "merkle_proof"} else f":{k}" for k in values
    )
    world.sql(f"INSERT INTO event ({names}) VALUES ({placeholders})", **values)
    return str(forged["id"])


def test_a_forged_event_claiming_an_anchored_batch_is_caught(world: World) -> None:
    sibling = note_of(world, "forged_in_batch")
    forged = forged_row(world, "forged_in_batch", batch_id=sibling.batch_id)
    body = world.verification("T-forged_in_batch")
    assert verdicts(body)[forged] == ("tampered", "tampered_proof")
    assert "tampered_extra_events" in problems(body)
    assert body["verdict"] == "tampered" and forged in body["reason"]


def test_a_forged_event_carrying_a_proof_without_a_batch_is_caught(world: World) -> None:
    forged = forged_row(world, "forged_orphan")
    assert_only(world, "T-forged_orphan", forged, "tampered_orphan_proof")


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
    assert "tampered_count_mismatch" in problems(body) and body["verdict"] == "tampered"


def test_renaming_a_lot_is_caught_for_every_event(world: World) -> None:
    """Every stored document names the lot by its recorded code: under the new code each
    reads as an event moved in from another lot."""
    world.sql("UPDATE lot SET code = 'T-renamed' WHERE code = 'T-lot_code'")
    body = world.verification("T-renamed")
    assert set(verdicts(body).values()) == {("tampered", "tampered_moved")}
    assert world.client.get("/api/v1/lots/T-lot_code/verification").status_code == 404


def test_renaming_an_organisation_changes_nothing_its_documents_say(world: World) -> None:
    """The recorder's slug and name are members of each v2 document: the organisation row is
    not what is shown, so renaming it is no tampering with the record (under v1, where the
    slug is rebuilt from the row, it is: test_tampering.py)."""
    before = world.client.get("/api/v1/lots/T-org_slug", headers=ADMIN).json()
    world.sql("UPDATE organisation SET slug = 'htx-renamed' WHERE slug = 'htx-slug'")
    body = world.verification("T-org_slug")
    assert set(verdicts(body).values()) == {("verified", "verified")}
    after = world.client.get("/api/v1/lots/T-org_slug", headers=ADMIN).json()
    assert {e["org"] for e in after["events"]} == {"htx-slug"}
    assert after["events"] == before["events"]
    assert world.verification("T-control")["verdict"] == "verified"
