"""Recording events: validate, normalise, hash, store, and queue milestones for the chain.

:func:`record_event` is the one door every event goes through (harvest, transfer, split, merge
and recall included), so every stored event is hashed by the same rules. Once its transaction
commits the event is *accepted*: the anchoring worker takes events with ``batch_id IS NULL`` in
``seq`` order, and the chain-action outbox carries milestone types one by one.

:func:`add_lot_event` is what the ``POST /lots/{code}/events`` endpoint offers: the custodian's
own observations. Types that change the lot itself (harvest, transfer, split, merge, recall)
have their own services, because recording them without the change would be a false record.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from backend.config import Settings
from backend.errors import InvalidInput
from backend.hashing import NonCanonicalValue, canonical_document, event_hash, lot_key, to_hex
from backend.models import (
    EVENT_KIND_CODES,
    ChainAction,
    ChainActionKind,
    Event,
    EventType,
    Lot,
    Organisation,
)
from backend.services import permissions, validation
from backend.services.event_data import validate_event_data, validate_location
from backend.services.locking import lock_lot

#: Types recorded only by the service that also makes the change they describe.
STRUCTURAL_TYPES = frozenset(
    {EventType.HARVEST, EventType.TRANSFER, EventType.SPLIT, EventType.MERGE, EventType.RECALL}
)
_OWN_ENDPOINT = {
    EventType.HARVEST: "POST /api/v1/lots",
    EventType.TRANSFER: "POST /api/v1/lots/{code}/transfer",
    EventType.SPLIT: "POST /api/v1/lots/{code}/split",
    EventType.MERGE: "POST /api/v1/lots/merge",
    EventType.RECALL: "POST /api/v1/lots/{code}/recall",
}
#: Types a custodian may record through the generic events endpoint.
OBSERVATION_TYPES = tuple(t for t in EventType if t not in STRUCTURAL_TYPES)


def record_event(
    session: Session,
    *,
    lot: Lot,
    org: Organisation,
    event_type: EventType,
    occurred_at: datetime,
    location: dict[str, Any] | None,
    data: dict[str, Any],
    settings: Settings,
) -> Event:
    """Validate, hash and store one event (and its chain action if it is a milestone).

    Permission checks are the caller's job; this function only guarantees that what is stored
    is exactly what was hashed.
    """
    event_type = EventType(event_type)
    occurred = validation.event_time(occurred_at, field="occurred_at")
    clean_location = validate_location(location)
    clean_data = validate_event_data(event_type, data)
    assert lot.id is not None and org.id is not None
    event = Event(
        lot_id=lot.id,
        type=event_type,
        occurred_at=occurred,
        org_id=org.id,
        location=clean_location,
        data=clean_data,
        event_hash="",
    )
    try:
        document = canonical_document(
            event_id=event.id,
            lot_code=lot.code,
            event_type=event_type.value,
            occurred_at=occurred,
            org_slug=org.slug,
            location=clean_location,
            data=clean_data,
        )
        event.event_hash = to_hex(event_hash(document))
    except NonCanonicalValue as exc:  # validation should have caught it; say where, not 500
        raise InvalidInput(
            f"Giá trị không thể băm / value cannot be hashed: {exc}", field=exc.path
        ) from exc
    session.add(event)
    session.flush()
    if event_type.value in settings.direct_types:
        session.add(
            ChainAction(
                kind=ChainActionKind.LOT_EVENT,
                event_id=event.id,
                lot_key=to_hex(lot_key(lot.code)),
                event_kind=EVENT_KIND_CODES[event_type],
                payload_hash=event.event_hash,
            )
        )
        session.flush()
    return event


def parse_event_type(value: Any, *, field: str = "type") -> EventType:
    """An :class:`EventType` from its name; :class:`InvalidInput` listing the names otherwise."""
    try:
        return EventType(value)
    except ValueError:
        names = ", ".join(t.value for t in EventType)
        raise InvalidInput(
            f"Loại sự kiện không hợp lệ / unknown event type; expected one of: {names}",
            field=field,
        ) from None


def add_lot_event(
    session: Session,
    *,
    lot_code: str,
    org: Organisation,
    event_type: str,
    occurred_at: datetime,
    location: dict[str, Any] | None,
    data: dict[str, Any],
    settings: Settings,
) -> Event:
    """The current custodian's observation about its lot (type from :data:`OBSERVATION_TYPES`)."""
    kind = parse_event_type(event_type)
    lot = lock_lot(session, lot_code)
    permissions.require_custodian(org, lot)
    if kind in STRUCTURAL_TYPES:
        raise InvalidInput(
            "Loại sự kiện này có điểm cuối riêng / this event type has its own endpoint: "
            + _OWN_ENDPOINT[kind],
            field="type",
        )
    return record_event(
        session,
        lot=lot,
        org=org,
        event_type=kind,
        occurred_at=occurred_at,
        location=location,
        data=data,
        settings=settings,
    )
