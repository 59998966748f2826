"""The second step of custody: the receiver receives or refuses a shipment, or the sender voids
one that waited too long (docs/custody.md).

Each step is an event of the lot, signed by the organisation that takes it like any event
(``record_event``): ``transfer_received`` and ``transfer_refused`` by the receiver,
``transfer_voided`` by the sender. Their ``data`` names the shipment (``shipment``, the id the
transfer's data gave it) and the transfer event (``transfer``, its event_hash), so a reader of
the documents alone can tell which shipment each closes (docs/proof-rules.md, section 3.4).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from backend.config import Settings
from backend.errors import Conflict, InvalidInput, PermissionDenied
from backend.i18n.messages import message
from backend.models import Event, EventType, Lot, Organisation
from backend.models_custody import Shipment, ShipmentStatus
from backend.services import validation
from backend.services.ledger.events import record_event
from backend.services.ledger.locking import lock_lot
from backend.timeutil import as_utc, rfc3339_z, utcnow

NO_SHIPMENT = message("ledger.custody.no_shipment")
NOT_RECEIVER = message("ledger.custody.not_receiver")
NOT_SENDER = message("ledger.custody.not_sender")
BEFORE_TRANSFER = message("ledger.custody.before_transfer")


@dataclass(frozen=True)
class ShipmentStep:
    """What a step wrote: the lot, the event, and the shipment it closed."""

    lot: Lot
    event: Event
    shipment: Shipment


def open_shipment(session: Session, lot: Lot) -> Shipment | None:
    """The lot's shipment waiting for its receiver, if any (at most one: a lot in transit
    cannot be transferred again)."""
    query = select(Shipment).where(
        Shipment.lot_id == lot.id, Shipment.status == ShipmentStatus.OPEN.value
    )
    return session.exec(query).first()


def voidable_from(shipment: Shipment, settings: Settings) -> datetime:
    """When the sender may void the shipment: ``SENTRACE_SHIPMENT_EXPIRY_H`` after sending."""
    return as_utc(shipment.sent_at) + timedelta(hours=settings.shipment_expiry_h)


def receive_lot(
    session: Session,
    *,
    lot_code: str,
    org: Organisation,
    occurred_at: datetime | None = None,
    location: dict[str, Any] | None = None,
    note: str | None = None,
    settings: Settings,
) -> ShipmentStep:
    """The receiver takes the lot: a ``transfer_received`` event, and custody is its own."""
    lot, shipment, transfer = _open_for(session, lot_code)
    _require_party(org, shipment.to_org_id, NOT_RECEIVER)
    data = _closing_data(shipment, transfer)
    _add_text(data, "note", note, required=False)
    event = _record(
        session,
        lot,
        org,
        EventType.TRANSFER_RECEIVED,
        transfer,
        occurred_at,
        data,
        location=location,
        settings=settings,
    )
    lot.custodian_org_id = shipment.to_org_id
    return _close(session, lot, shipment, event, ShipmentStatus.RECEIVED)


def refuse_lot(
    session: Session,
    *,
    lot_code: str,
    org: Organisation,
    reason: str,
    occurred_at: datetime | None = None,
    settings: Settings,
) -> ShipmentStep:
    """The receiver refuses the lot, saying why: a ``transfer_refused`` event; the sender keeps
    custody and may act on the lot again."""
    lot, shipment, transfer = _open_for(session, lot_code)
    _require_party(org, shipment.to_org_id, NOT_RECEIVER)
    data = _closing_data(shipment, transfer)
    _add_text(data, "reason", reason, required=True)
    event = _record(
        session,
        lot,
        org,
        EventType.TRANSFER_REFUSED,
        transfer,
        occurred_at,
        data,
        settings=settings,
    )
    return _close(session, lot, shipment, event, ShipmentStatus.REFUSED, reason=data["reason"])


def void_shipment(
    session: Session,
    *,
    lot_code: str,
    org: Organisation,
    occurred_at: datetime | None = None,
    note: str | None = None,
    settings: Settings,
) -> ShipmentStep:
    """The sender calls off a shipment its receiver left unanswered past the expiry: a
    ``transfer_voided`` event; the sender keeps custody. Refused (409) before the expiry, with
    the moment it becomes allowed."""
    lot, shipment, transfer = _open_for(session, lot_code)
    _require_party(org, shipment.from_org_id, NOT_SENDER)
    allowed_from = voidable_from(shipment, settings)
    if utcnow() < allowed_from:
        shown = allowed_from.replace(microsecond=0)
        if allowed_from.microsecond:  # the next whole second: never a moment still too early
            shown += timedelta(seconds=1)
        hours = settings.shipment_expiry_h
        raise Conflict(message("ledger.custody.not_expired", at=rfc3339_z(shown), hours=hours))
    data = _closing_data(shipment, transfer)
    _add_text(data, "note", note, required=False)
    event = _record(
        session, lot, org, EventType.TRANSFER_VOIDED, transfer, occurred_at, data, settings=settings
    )
    return _close(session, lot, shipment, event, ShipmentStatus.VOIDED)


def shipments_of(session: Session, org: Organisation, *, incoming: bool) -> list[Shipment]:
    """The open shipments addressed to ``org`` (``incoming``) or sent by it, oldest first."""
    party = Shipment.to_org_id if incoming else Shipment.from_org_id
    query = (
        select(Shipment)
        .where(party == org.id, Shipment.status == ShipmentStatus.OPEN.value)
        .order_by(col(Shipment.sent_at))
    )
    return list(session.exec(query))


# --- steps' common parts ----------------------------------------------------------------


def _open_for(session: Session, lot_code: str) -> tuple[Lot, Shipment, Event]:
    """The locked lot, its open shipment (409 without one) and the transfer that opened it."""
    lot = lock_lot(session, lot_code)
    shipment = open_shipment(session, lot)
    if shipment is None:
        raise Conflict(NO_SHIPMENT)
    transfer = session.exec(select(Event).where(Event.id == shipment.transfer_event_id)).one()
    return lot, shipment, transfer


def _require_party(org: Organisation, party_id: int, refusal: str) -> None:
    if org.id != party_id:
        raise PermissionDenied(refusal)


def _closing_data(shipment: Shipment, transfer: Event) -> dict[str, Any]:
    return {"shipment": shipment.id, "transfer": transfer.event_hash}


def _add_text(data: dict[str, Any], key: str, value: Any, *, required: bool) -> None:
    clean = validation.text(value, field=key, max_length=1000, required=required, multiline=True)
    if clean:
        data[key] = clean


def _record(
    session: Session,
    lot: Lot,
    org: Organisation,
    kind: EventType,
    transfer: Event,
    occurred_at: datetime | None,
    data: dict[str, Any],
    *,
    location: dict[str, Any] | None = None,
    settings: Settings,
) -> Event:
    """The closing event; it cannot say it happened before the transfer it answers."""
    when = validation.event_time(occurred_at or utcnow(), field="occurred_at")
    if when < as_utc(transfer.occurred_at):
        raise InvalidInput(BEFORE_TRANSFER, field="occurred_at")
    return record_event(
        session,
        lot=lot,
        org=org,
        event_type=kind,
        occurred_at=when,
        location=location,
        data=data,
        settings=settings,
    )


def _close(
    session: Session,
    lot: Lot,
    shipment: Shipment,
    event: Event,
    status: ShipmentStatus,
    *,
    reason: str | None = None,
) -> ShipmentStep:
    shipment.status = status.value
    shipment.closed_at = utcnow()
    shipment.closing_event_id = event.id
    shipment.reason = reason
    lot.in_transit_to = None
    session.add_all([shipment, lot])
    session.flush()
    return ShipmentStep(lot, event, shipment)
