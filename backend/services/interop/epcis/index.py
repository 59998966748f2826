"""The index the EPCIS query interface reads: one row per eventID, with what is queried.

Captured events are indexed as they are captured (``capture``). An event SenTrace recorded
itself is indexed from its stored document when a query first needs it (:func:`catch_up`):
the index names events the EPCIS way and is never what proves them (the export verifies).
Two readers catching up at once may index the same event; the second one's insert is
refused by the unique keys and it simply carries on.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backend.hashing import HashingError, read_document
from backend.models import Event, Lot
from backend.models_epcis import EpcisEvent, EpcisIdentifier, EpcisSource
from backend.services.interop.epcis.event_hash import utc_millis
from backend.services.interop.epcis.export import CAPTURED, with_event_id
from backend.services.interop.epcis.identifiers import canonical_identifier
from backend.services.interop.epcis.lot_facts import facts_of_lot
from backend.services.interop.epcis.mapping import LotFacts, Mapper
from backend.services.interop.epcis.vocabulary import Vocabulary, cbv_uri

logger = logging.getLogger(__name__)

#: Events indexed per catch-up pass (a query after a large import catches up over a few).
CATCH_UP_LIMIT = 2000
_UTC_MILLIS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
_EPC_MEMBERS = ("epcList", "childEPCs", "inputEPCList", "outputEPCList")
_CLASS_MEMBERS = ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList")


def identifiers_of(event: dict[str, Any]) -> set[tuple[str, str]]:
    """(kind, canonical URI) of every object an EPCIS event names: ``epc`` for instances
    (and a parent), ``class`` for the epcClass of a quantity."""
    found: set[tuple[str, str]] = set()
    for member in _EPC_MEMBERS:
        for uri in event.get(member) or []:
            found.add(("epc", canonical_identifier(str(uri))))
    if isinstance(event.get("parentID"), str):
        found.add(("epc", canonical_identifier(event["parentID"])))
    for member in _CLASS_MEMBERS:
        for element in event.get(member) or []:
            if isinstance(element, dict) and isinstance(element.get("epcClass"), str):
                found.add(("class", canonical_identifier(element["epcClass"])))
    return found


def index_row(
    *, identity: str, lot_id: int, body: dict[str, Any], capture_id: str | None = None
) -> tuple[EpcisEvent, list[EpcisIdentifier]]:
    """The row of one EPCIS event and its identifiers (flushed by the caller)."""
    place = body.get("bizLocation")
    row = EpcisEvent(
        event_id=identity,
        lot_id=lot_id,
        event_type=str(body.get("type")),
        event_time=parse_time(str(body.get("eventTime"))),
        biz_step=cbv_uri("BizStep", body["bizStep"])
        if isinstance(body.get("bizStep"), str)
        else None,
        biz_location=canonical_identifier(place["id"])
        if isinstance(place, dict) and isinstance(place.get("id"), str)
        else None,
        body=body,
        capture_id=capture_id,
    )
    return row, [
        EpcisIdentifier(epcis_event_id=0, kind=k, uri=u[:300]) for k, u in identifiers_of(body)
    ]


def store(
    session: Session, row: EpcisEvent, identifiers: list[EpcisIdentifier], sources: list[str]
) -> None:
    """Insert ``row`` with its identifiers and the SenTrace events it is recorded as."""
    session.add(row)
    session.flush()
    assert row.id is not None
    for identifier in identifiers:
        identifier.epcis_event_id = row.id
    session.add_all(identifiers)
    session.add_all([EpcisSource(sentrace_event_id=s, epcis_event_id=row.id) for s in sources])
    session.flush()


def parse_time(stamp: str) -> datetime:
    """An EPCIS time as an aware UTC datetime at millisecond precision; ``ValueError`` for one
    that is not RFC 3339 with an offset or has no UTC equivalent (year 10000)."""
    utc = utc_millis(stamp)
    if _UTC_MILLIS.fullmatch(utc) is None:
        raise ValueError(stamp)
    return datetime.fromisoformat(utc[:-1] + "+00:00").astimezone(UTC)


def catch_up(session: Session, vocabulary: Vocabulary, *, limit: int = CATCH_UP_LIMIT) -> int:
    """Index up to ``limit`` rules-v2 events not indexed yet; returns how many were looked at.
    Commits each pass (its own session's work only)."""
    pending = session.exec(
        select(Event)
        .outerjoin(EpcisSource, col(EpcisSource.sentrace_event_id) == col(Event.id))
        .where(col(EpcisSource.sentrace_event_id).is_(None), col(Event.canonical).is_not(None))
        .order_by(col(Event.seq))
        .limit(limit)
    ).all()
    mapper = Mapper(vocabulary)
    facts: dict[int, LotFacts] = {}
    for event in pending:
        _index_native(session, event, mapper, facts)
    try:
        session.commit()
    except IntegrityError:  # another reader indexed some of them first: theirs stand
        session.rollback()
        logger.info("EPCIS index: a concurrent pass indexed the same events")
    return len(pending)


def _index_native(
    session: Session, event: Event, mapper: Mapper, facts: dict[int, LotFacts]
) -> None:
    try:
        document = read_document(bytes(event.canonical or b""))
    except HashingError:
        return  # an unreadable record is verification's finding, not the index's
    if isinstance((document.get("data") or {}).get(CAPTURED), dict):
        return  # captured events are indexed by their capture
    if event.lot_id not in facts:
        lot = session.get(Lot, event.lot_id)
        if lot is None:
            return
        facts[event.lot_id] = facts_of_lot(session, lot)
    body = with_event_id(mapper.event(document, facts[event.lot_id]), mapper.voc)
    existing = session.exec(
        select(EpcisEvent).where(EpcisEvent.event_id == body["eventID"])
    ).first()
    if existing is not None and existing.id is not None:  # the same EPCIS event twice
        session.add(EpcisSource(sentrace_event_id=event.id, epcis_event_id=existing.id))
        session.flush()
        return
    row, identifiers = index_row(identity=body["eventID"], lot_id=event.lot_id, body=body)
    store(session, row, identifiers, [event.id])
