"""Recording events: validate, normalise, hash, store, and queue milestones for the chain.

:func:`record_event` is the one door every event goes through (harvest, transfer, split, merge
and recall included), so every stored event is hashed by the same rules. Once its transaction
commits the event is *accepted*: the anchoring worker takes events with ``batch_id IS NULL`` in
``seq`` order, and the chain-action outbox carries milestone types one by one.

:func:`add_lot_event` is what the ``POST /lots/{code}/events`` endpoint offers: the custodian's
own observations. Types that change the lot itself (harvest, transfer and the steps that
close its shipment, split, merge, recall) have their own services, because recording them
without the change would be a false record.
:func:`add_lot_events` takes many such observations at once, on any lots the caller holds
(``POST /events/batch``, for field workers who log offline and upload later), all or none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from backend.config import Settings
from backend.entropy import new_uuid
from backend.errors import InvalidInput, NotFound
from backend.hashing import NonCanonicalValue, event_hash, lot_key, to_hex
from backend.i18n.messages import message
from backend.models import (
    EVENT_KIND_CODES,
    ChainAction,
    ChainActionKind,
    Disclosure,
    Event,
    EventType,
    Lot,
    Organisation,
)
from backend.new_rows import insert_new_rows, new_row
from backend.services import validation
from backend.services.accounts import permissions
from backend.services.compliance import phi
from backend.services.ledger import queries
from backend.services.ledger.documents import event_document
from backend.services.ledger.documents_v2 import seal_v2
from backend.services.ledger.event_data import (
    validate_event_data,
    validate_location,
    validate_private_fields,
)
from backend.services.ledger.locking import UNKNOWN_LOT, lock_lot
from backend.services.signing import sign_event

#: Where each type that changes the lot is recorded.
_OWN_ENDPOINT = {
    EventType.HARVEST: "POST /api/v1/lots",
    EventType.TRANSFER: "POST /api/v1/lots/{code}/transfer",
    EventType.TRANSFER_RECEIVED: "POST /api/v1/lots/{code}/receive",
    EventType.TRANSFER_REFUSED: "POST /api/v1/lots/{code}/refuse",
    EventType.TRANSFER_VOIDED: "POST /api/v1/lots/{code}/cancel-shipment",
    EventType.SPLIT: "POST /api/v1/lots/{code}/split",
    EventType.MERGE: "POST /api/v1/lots/merge",
    EventType.RECALL: "POST /api/v1/lots/{code}/recall",
}
#: Types recorded only by the service that also makes the change they describe.
STRUCTURAL_TYPES = frozenset(_OWN_ENDPOINT)
#: Types a custodian may record through the generic events endpoint.
OBSERVATION_TYPES = tuple(t for t in EventType if t not in STRUCTURAL_TYPES)
#: Most events one batch may carry (a day of offline field work, several lots, in one upload).
MAX_BATCH_EVENTS = 500


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
    private_fields: Sequence[str] = (),
    system_data: dict[str, Any] | None = None,
) -> Event:
    """Validate, hash and store one event (and its chain action if it is a milestone).

    Permission checks and the lot's lock are the caller's job; this function only guarantees
    that what is stored is exactly what was hashed. ``private_fields`` name free-text members
    of ``data`` that enter a rules-v2 document only as commitments (refused under rules v1).
    Once hashed, the event is signed as the write's signing context says (by the server for a
    custodial organisation, by the signatures the client sent, or collected for a draft).
    """
    prepared = _prepare_event(
        session,
        private_fields=private_fields,
        lot=lot,
        org=org,
        event_type=event_type,
        occurred_at=occurred_at,
        location=location,
        data=data,
        settings=settings,
        system_data=system_data,
    )
    sign_event(session, event=prepared.event, lot=lot, org=org, settings=settings)
    session.add(prepared.event)
    session.flush()
    insert_new_rows(session, prepared.followers())
    return prepared.event


@dataclass(frozen=True)
class _PreparedEvent:
    """An event validated and hashed but not yet stored, with what is stored after it (its
    milestone action, the disclosures of its private values)."""

    event: Event
    action: ChainAction | None
    disclosures: list[Disclosure]

    def followers(self) -> list[ChainAction | Disclosure]:
        """Rows that reference the event, so are stored after it (nothing reads them back as
        objects: one Core INSERT per table, :func:`~backend.new_rows.insert_new_rows`)."""
        return [*([self.action] if self.action is not None else []), *self.disclosures]


def _prepare_event(
    session: Session,
    *,
    private_fields: Sequence[str] = (),
    lot: Lot,
    org: Organisation,
    event_type: EventType,
    occurred_at: datetime,
    location: dict[str, Any] | None,
    data: dict[str, Any],
    settings: Settings,
    system_data: dict[str, Any] | None = None,
) -> _PreparedEvent:
    """The hashing rules of :func:`record_event`, apart from the session, so a batch can add
    many events and flush them together while each is hashed exactly as a single one is."""
    event_type = EventType(event_type)
    occurred = validation.event_time(occurred_at, field="occurred_at")
    clean_location = validate_location(location)
    clean_data = validate_event_data(event_type, data)
    if system_data:
        clean_data.update(system_data)
    writes_v2 = _writes_v2(session, lot, settings)
    private = validate_private_fields(private_fields, clean_data, event_type, commitments=writes_v2)
    assert lot.id is not None and org.id is not None
    event = new_row(
        Event,
        id=new_uuid(),  # from the draft's seed while a signed write is drafted or applied
        lot_id=lot.id,
        type=event_type,
        occurred_at=occurred,
        org_id=org.id,
        location=clean_location,
        data=clean_data,
        event_hash="",
    )
    disclosures: list[Disclosure] = []
    try:
        if writes_v2:
            disclosures = seal_v2(session, event=event, lot=lot, org=org, private_fields=private)
        else:
            document = event_document(event, lot_code=lot.code, org_slug=org.slug)
            event.event_hash = to_hex(event_hash(document))
    except NonCanonicalValue as exc:  # validation should have caught it; say where, not 500
        raise InvalidInput(message("validation.unhashable", tail=exc), field=exc.path) from exc
    action = None
    if event_type.value in settings.direct_types:
        action = ChainAction(
            kind=ChainActionKind.LOT_EVENT,
            event_id=event.id,
            lot_key=to_hex(lot_key(lot.code)),
            event_kind=EVENT_KIND_CODES[event_type],
            payload_hash=event.event_hash,
        )
    return _PreparedEvent(event, action, disclosures)


def _writes_v2(session: Session, lot: Lot, settings: Settings) -> bool:
    """New events follow rules v2 when configured, except on a lot whose history began under
    v1: its chain would start in the middle (the upgrade seals such lots instead)."""
    if settings.event_schema < 2:
        return False
    if lot.last_seq > 0:
        return True
    first = session.exec(select(Event.seq).where(Event.lot_id == lot.id).limit(1)).first()
    return first is None


def parse_event_type(value: Any, *, field: str = "type") -> EventType:
    """An :class:`EventType` from its name; :class:`InvalidInput` listing the names otherwise."""
    try:
        return EventType(value)
    except ValueError:
        names = ", ".join(t.value for t in EventType)
        raise InvalidInput(message("ledger.events.unknown_type", tail=names), field=field) from None


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
    private_fields: Sequence[str] = (),
) -> Event:
    """The current custodian's observation about its lot (type from :data:`OBSERVATION_TYPES`);
    ``private_fields`` as for :func:`record_event`."""
    kind = parse_event_type(event_type)
    lot = lock_lot(session, lot_code)
    permissions.require_custodian(org, lot)
    _refuse_structural(kind, field="type")
    if kind is EventType.PACKING:
        phi.require_released(session, lot=lot, action="packing", field="type")
    _require_on_hand(session, lot, kind, data, field="data.quantity_in")
    return record_event(
        session,
        lot=lot,
        org=org,
        event_type=kind,
        occurred_at=occurred_at,
        location=location,
        data=data,
        settings=settings,
        private_fields=private_fields,
    )


def _require_on_hand(session: Session, lot: Lot, kind: EventType, data: Any, *, field: str) -> None:
    """A processing step cannot take in more than is left of the lot (quantity is conserved:
    what it declares lost is then no longer left to split or process)."""
    if kind is not EventType.PROCESSING or not isinstance(data, dict) or "quantity_in" not in data:
        return
    went_in = validation.decimal_string(data["quantity_in"], field=field)
    left = queries.remaining_quantity(session, lot)
    if Decimal(went_in) > Decimal(left):
        raise InvalidInput(message("ledger.data.more_than_left", left=left), field=field)


def _refuse_structural(kind: EventType, *, field: str) -> None:
    """Types that change the lot are recorded by their own service, never as observations."""
    if kind in STRUCTURAL_TYPES:
        raise InvalidInput(
            message("ledger.events.own_endpoint", tail=_OWN_ENDPOINT[kind]), field=field
        )


# --- batches ------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventInput:
    """One observation of a batch: the lot it is about and what happened, as received."""

    lot_code: str
    event_type: str
    occurred_at: datetime
    location: dict[str, Any] | None
    data: dict[str, Any]
    private_fields: Sequence[str] = ()


def add_lot_events(
    session: Session,
    *,
    org: Organisation,
    items: Sequence[EventInput],
    settings: Settings,
    field: str = "events",
    indexes: Sequence[int] | None = None,
) -> list[Event]:
    """Many observations, on any lots the caller holds, stored all together or not at all.

    Each item obeys exactly the rules of :func:`add_lot_event` and is hashed by the same
    code as :func:`record_event`; an error names the item (``events[3].data.brix``) and, since
    nothing is committed here, leaves the whole batch unstored once the caller rolls back.
    Every lot named is locked once, in sorted code order, so two batches naming the same lots
    in different orders queue behind each other instead of deadlocking on PostgreSQL. The
    events are flushed in one go (their ids are made client-side), then their milestone
    actions and disclosures, which reference them, are inserted in one statement per table.
    Events are stored, and returned, in the order given. ``indexes`` are the items' positions
    in the request when they are a part of it (error paths name those positions).
    """
    if not 1 <= len(items) <= MAX_BATCH_EVENTS:
        raise InvalidInput(message("ledger.events.batch_size", most=MAX_BATCH_EVENTS), field=field)
    lots = _lock_lots(session, {item.lot_code for item in items})
    released: set[str] = set()
    prepared = [
        _prepare_item(
            session,
            item,
            path=f"{field}[{index}]",
            lot=lots[item.lot_code],
            org=org,
            settings=settings,
            released=released,
        )
        for index, item in zip(indexes or range(len(items)), items, strict=True)
    ]
    for item, ready in zip(items, prepared, strict=True):  # signatures in request order
        sign_event(session, event=ready.event, lot=_held(lots, item), org=org, settings=settings)
    session.add_all([p.event for p in prepared])
    session.flush()
    insert_new_rows(session, [row for p in prepared for row in p.followers()])
    return [p.event for p in prepared]


def _held(lots: dict[str, Lot | None], item: EventInput) -> Lot:
    lot = lots[item.lot_code]
    assert lot is not None  # _prepare_item refused an unknown lot
    return lot


def _lock_lots(session: Session, codes: set[str]) -> dict[str, Lot | None]:
    """Each lot locked once, in sorted order; ``None`` for a code that names no lot.

    Unknown codes are noted rather than raised at once, so the error reported is that of the
    first bad item in request order, whatever the lock order.
    """
    found: dict[str, Lot | None] = {}
    for code in sorted(codes):
        try:
            found[code] = lock_lot(session, code)
        except NotFound:
            found[code] = None
    return found


def _prepare_item(
    session: Session,
    item: EventInput,
    *,
    path: str,
    lot: Lot | None,
    org: Organisation,
    settings: Settings,
    released: set[str],
) -> _PreparedEvent:
    """One item checked in the order :func:`add_lot_event` checks, errors named by ``path``.

    ``released`` holds the lots of this batch already found free of a harvest hold: holds
    are made only with a harvest lot, never by an observation, so a lot free at the batch's
    first packing item is free at its last, and its ancestry is walked once, not per item.
    """
    kind = parse_event_type(item.event_type, field=f"{path}.type")
    if lot is None:
        raise NotFound(UNKNOWN_LOT, field=f"{path}.lot")
    permissions.require_custodian(org, lot, field=f"{path}.lot")
    _refuse_structural(kind, field=f"{path}.type")
    if kind is EventType.PACKING and lot.code not in released:
        phi.require_released(session, lot=lot, action="packing", field=f"{path}.type")
        released.add(lot.code)
    _require_on_hand(session, lot, kind, item.data, field=f"{path}.data.quantity_in")
    try:
        return _prepare_event(
            session,
            lot=lot,
            org=org,
            event_type=kind,
            occurred_at=item.occurred_at,
            location=item.location,
            data=item.data,
            settings=settings,
            private_fields=item.private_fields,
        )
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field=_within(path, exc.field)) from exc


def _within(path: str, field: str | None) -> str:
    """``field`` of one event, as a path from the batch body (``events[3]`` + ``data.brix``)."""
    return f"{path}.{field}" if field else path
