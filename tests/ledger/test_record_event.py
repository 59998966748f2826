"""record_event: what is stored is exactly what is hashed, and milestones join the outbox."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlmodel import Session, col, select

from backend.errors import InvalidInput
from backend.hashing import (
    canonical_document,
    check_commitment,
    event_hash,
    from_hex,
    keccak,
    lot_key,
    read_document,
    to_hex,
)
from backend.models import (
    EVENT_KIND_CODES,
    ChainAction,
    ChainActionKind,
    Disclosure,
    Event,
    EventType,
)
from backend.runtime import Runtime
from backend.services.ledger.custody import transfer_lot
from backend.services.ledger.events import record_event
from backend.services.ledger.recall import recall_lot
from backend.timeutil import as_utc
from tests.ledger.world import World

ICT = timezone(timedelta(hours=7))


def rehash(session: Session, event: Event, lot_code: str, org_slug: str) -> str:
    """The hash recomputed from the row as a fresh session reads it back."""
    session.expire_all()
    stored = session.get(Event, event.seq)
    assert stored is not None
    document = canonical_document(
        event_id=stored.id,
        lot_code=lot_code,
        event_type=stored.type.value,
        occurred_at=as_utc(stored.occurred_at),
        org_slug=org_slug,
        location=stored.location,
        data=stored.data,
    )
    return to_hex(event_hash(document))


def actions(session: Session) -> list[ChainAction]:
    """The outbox's milestones and recalls (not the signer changes the organisations' keys
    queued)."""
    query = select(ChainAction).where(
        col(ChainAction.kind).in_([ChainActionKind.LOT_EVENT, ChainActionKind.RECALL])
    )
    return list(session.exec(query.order_by(col(ChainAction.id))))


@pytest.mark.parametrize(
    "rules",
    [
        pytest.param(1, marks=pytest.mark.event_schema(1), id="v1"),
        pytest.param(2, marks=pytest.mark.event_schema(2), id="v2"),
    ],
)
def test_a_stored_event_rehashes_to_its_event_hash(
    world: World, runtime: Runtime, rules: int
) -> None:
    """Rules v1 rebuild the document from the columns. Rules v2 hash the stored bytes (proof
    rules 3.5), which hold the exact point only as a commitment (3.4): the columns say what
    the bytes say, and the point's disclosure opens the commitment."""
    lot = world.harvest("L-1")
    text = unicodedata.normalize("NFD", "Phun thuốc lúc sáng sớm, trời lặng gió")
    event = record_event(
        world.session,
        lot=lot,
        org=world.coop,
        event_type=EventType.INPUT_APPLICATION,
        occurred_at=datetime(2026, 4, 20, 8, 0, 0, 654321, tzinfo=ICT),
        location={"lat": 10.45, "lon": 105.6, "tên": unicodedata.normalize("NFD", "Lô số 3")},
        data={
            "product": "Nativo 750WG",
            "active_ingredient": "Tebuconazole",
            "dose": 0.3,
            "unit": "g/L",
            "pre_harvest_interval_days": 7,
            "note": text,
        },
        settings=world.settings,
    )
    world.session.commit()
    with Session(runtime.engine) as fresh:
        stored = fresh.get(Event, event.seq)
        assert stored is not None
        assert as_utc(stored.occurred_at) == datetime(2026, 4, 20, 1, 0, 0, tzinfo=UTC)
        assert stored.data["note"] == unicodedata.normalize("NFC", text)
        assert stored.data["dose"] == "0.3"
        assert stored.batch_id is None
        point = {"lat": "10.45", "lon": "105.6"}
        if rules == 1:
            assert stored.location == {**point, "tên": "Lô số 3"}
            assert rehash(fresh, stored, "L-1", "htx") == stored.event_hash == event.event_hash
            return
        raw = bytes(stored.canonical or b"")
        assert to_hex(keccak(raw)) == stored.event_hash == event.event_hash
        document = read_document(raw)
        assert (document["location"], document["data"]) == (stored.location, stored.data)
        assert document["occurred_at"] == "2026-04-20T01:00:00Z"
        assert document["location"]["tên"] == "Lô số 3"
        [opened] = fresh.exec(select(Disclosure).where(Disclosure.event_id == stored.id)).all()
        assert (opened.path, opened.value) == ("location.point", point)
        assert check_commitment(point, from_hex(opened.salt), document["location"]["point"])


def test_milestones_join_the_chain_outbox_and_observations_do_not(world: World) -> None:
    lot = world.harvest("L-1")
    record_event(
        world.session,
        lot=lot,
        org=world.coop,
        event_type=EventType.QUALITY_CHECK,
        occurred_at=datetime(2026, 5, 1, 9, tzinfo=UTC),
        location=None,
        data={"result": "pass"},
        settings=world.settings,
    )
    _, transfer = transfer_lot(
        world.session, lot_code="L-1", org=world.coop, to_slug="dg", settings=world.settings
    )
    world.session.commit()
    queued = actions(world.session)
    harvest = world.session.exec(select(Event).where(Event.type == EventType.HARVEST)).one()
    assert [(a.kind, a.event_id, a.event_kind, a.payload_hash) for a in queued] == [
        (ChainActionKind.LOT_EVENT, harvest.id, EVENT_KIND_CODES[EventType.HARVEST],
         harvest.event_hash),
        (ChainActionKind.LOT_EVENT, transfer.id, EVENT_KIND_CODES[EventType.TRANSFER],
         transfer.event_hash),
    ]  # fmt: skip
    assert {a.lot_key for a in queued} == {to_hex(lot_key("L-1"))}


def test_the_milestone_types_come_from_the_settings(world: World) -> None:
    settings = world.settings.model_copy(update={"direct_event_types": "quality_check"})
    lot = world.harvest("L-1")
    before = len(actions(world.session))
    record_event(
        world.session,
        lot=lot,
        org=world.coop,
        event_type=EventType.QUALITY_CHECK,
        occurred_at=datetime(2026, 5, 1, 9, tzinfo=UTC),
        location=None,
        data={"result": "fail"},
        settings=settings,
    )
    world.session.commit()
    assert len(actions(world.session)) == before + 1


def test_a_recall_queues_the_reason_hash_and_the_recall_event(world: World) -> None:
    world.harvest("L-1")
    reason = unicodedata.normalize("NFD", "Dư lượng thuốc vượt ngưỡng")
    lot, event = recall_lot(
        world.session, lot_code="L-1", org=world.regulator, reason=reason, settings=world.settings
    )
    world.session.commit()
    nfc_reason = unicodedata.normalize("NFC", reason)
    assert lot.recall_reason == nfc_reason
    assert lot.recalled_at is not None
    recall_actions = [a for a in actions(world.session) if a.event_id == event.id]
    assert sorted((a.kind, a.payload_hash) for a in recall_actions) == sorted(
        [
            (ChainActionKind.LOT_EVENT, event.event_hash),
            (ChainActionKind.RECALL, to_hex(keccak(nfc_reason.encode("utf-8")))),
        ]
    )


def test_nothing_is_stored_when_validation_fails(world: World) -> None:
    lot = world.harvest("L-1")
    count_before = len(list(world.session.exec(select(Event))))
    with pytest.raises(InvalidInput) as refused:
        record_event(
            world.session,
            lot=lot,
            org=world.coop,
            event_type=EventType.NOTE,
            occurred_at=datetime(2026, 5, 1, tzinfo=UTC),
            location=None,
            data={"text": "ok", "weight": float("nan")},
            settings=world.settings,
        )
    assert refused.value.field == "data.weight"
    world.session.rollback()
    assert len(list(world.session.exec(select(Event)))) == count_before
