"""Handing a lot on: the custodian sends it to another organisation (two-step custody).

The transfer event is written by the sender (its statement that the lot left its hands) and
opens a :class:`~backend.models.Shipment`, named in the event's ``data.shipment``. The sender
stays custodian and the lot is *in transit*: nobody records anything on it until the receiver
receives it (and becomes custodian) or refuses it, or the sender voids a shipment left
unanswered for ``SENTRACE_SHIPMENT_EXPIRY_H`` (``services.ledger.shipments``; docs/custody.md).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from backend.config import Settings
from backend.entropy import new_uuid
from backend.errors import Conflict, InvalidInput
from backend.i18n.messages import message
from backend.models import Event, EventType, Lot, Organisation, OrgRole
from backend.models_custody import Shipment
from backend.services import validation
from backend.services.accounts import permissions
from backend.services.accounts.orgs import get_org_by_slug
from backend.services.ledger.events import record_event
from backend.services.ledger.locking import lock_lot
from backend.timeutil import utcnow

UNKNOWN_ORG = message("ledger.custody.unknown_org")
SELF_TRANSFER = message("ledger.custody.self_transfer")
ADMIN_RECEIVER = message("ledger.custody.admin_receiver")
RECALLED = message("ledger.custody.recalled")


def transfer_lot(
    session: Session,
    *,
    lot_code: str,
    org: Organisation,
    to_slug: str,
    occurred_at: datetime | None = None,
    location: dict[str, Any] | None = None,
    note: str | None = None,
    settings: Settings,
) -> tuple[Lot, Event]:
    """Send a lot from ``org`` (its custodian) to the organisation ``to_slug``: a transfer
    event and an open shipment; custody moves only when the receiver receives it.

    ``data`` names both by slug; a rules-v2 document writes each as ``{"org", "name"}``
    (:func:`~backend.services.ledger.documents_v2.seal_v2`), so the names shown are hashed.
    ``data.shipment`` is the shipment's id, which the event closing it names again."""
    lot = lock_lot(session, lot_code)
    permissions.require_custodian(org, lot)
    receiver = get_org_by_slug(session, to_slug) if isinstance(to_slug, str) else None
    if receiver is None:
        raise InvalidInput(UNKNOWN_ORG, field="to")
    if receiver.id == org.id:
        raise InvalidInput(SELF_TRANSFER, field="to")
    if receiver.role is OrgRole.ADMIN:
        raise InvalidInput(ADMIN_RECEIVER, field="to")
    require_not_recalled(lot)
    shipment_id = new_uuid()  # from the draft's seed while a signed write is drafted or applied
    data: dict[str, Any] = {"from": org.slug, "to": receiver.slug, "shipment": shipment_id}
    clean_note = validation.text(
        note, field="note", max_length=1000, required=False, multiline=True
    )
    if clean_note:
        data["note"] = clean_note
    event = record_event(
        session,
        lot=lot,
        org=org,
        event_type=EventType.TRANSFER,
        occurred_at=occurred_at or utcnow(),
        location=location,
        data=data,
        settings=settings,
    )
    assert lot.id is not None and org.id is not None and receiver.id is not None
    session.add(
        Shipment(
            id=shipment_id,
            lot_id=lot.id,
            from_org_id=org.id,
            to_org_id=receiver.id,
            transfer_event_id=event.id,
            sent_at=utcnow(),
        )
    )
    lot.in_transit_to = receiver.id
    session.add(lot)
    session.flush()
    return lot, event


def require_not_recalled(lot: Lot) -> None:
    """A recalled lot stays where it is: no transfer, split or merge."""
    if lot.recalled_at is not None:
        raise Conflict(RECALLED)
