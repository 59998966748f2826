"""Reading a lot's private values back, each checked against the commitment it opens.

Rules v2 documents hold an exact position or a value marked private only as a salted
commitment; the value and its salt are :class:`~backend.models.Disclosure` rows. Only those
with a claim on a value may read it: the organisation that recorded the event, the lot's
producer cooperative (the owner of its farm), and regulators and the admin.

A disclosure row can be edited as easily as any other row, so whether it opens its commitment is
recomputed on every read, against the commitment at its path in the event's *stored* canonical
bytes (the bytes whose hash is anchored), never against anything rebuilt from columns. A value
changed in the database then reads ``checked=False``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from backend.errors import NotFound, PermissionDenied
from backend.hashing import (
    HashingError,
    check_commitment,
    from_hex,
    is_commitment,
    read_document,
)
from backend.hashing.commitments import COMMITMENT
from backend.i18n.messages import message
from backend.models import Disclosure, Event, Farm, Lot, Organisation
from backend.services.accounts import permissions
from backend.services.ledger import queries
from backend.services.ledger.locking import UNKNOWN_LOT

NOT_ALLOWED = message("ledger.disclosure.not_allowed")


@dataclass(frozen=True)
class OpenedValue:
    """One disclosed value, the commitment found for it, and whether it opens that commitment."""

    path: str
    value: Any
    salt: str
    commitment: str | None
    checked: bool


@dataclass(frozen=True)
class EventDisclosures:
    """The disclosed values of one event, in the order they were stored; ``seq`` is the one its
    stored document states (the column's when the document cannot be read)."""

    event_id: str
    seq: int | None
    values: list[OpenedValue]


def lot_disclosures(
    session: Session, *, lot_code: str, org: Organisation
) -> list[EventDisclosures]:
    """Every event of the lot with disclosed values that ``org`` may read, in lot order.

    Regulators, the admin and the lot's producer read every event's values; an organisation
    that recorded events of the lot reads those of its own events; anyone else is refused.
    """
    lot = queries.get_lot_by_code(session, lot_code)
    if lot is None:
        raise NotFound(UNKNOWN_LOT)
    query = (
        select(Event, Disclosure)
        .join(Disclosure, col(Disclosure.event_id) == col(Event.id))
        .where(Event.lot_id == lot.id)
        .order_by(col(Event.lot_seq), col(Event.seq), col(Disclosure.id))
    )
    if not _reads_every_event(session, lot, org):
        if not _recorded_on(session, lot, org):
            raise PermissionDenied(NOT_ALLOWED)
        query = query.where(Event.org_id == org.id)
    grouped: dict[str, tuple[EventDisclosures, Mapping[str, Any] | None]] = {}
    for event, disclosure in session.exec(query).all():
        if event.id not in grouped:
            document = _stored_document(event)
            seq = document["seq"] if document is not None else event.lot_seq
            grouped[event.id] = (EventDisclosures(event.id, seq, []), document)
        entry, document = grouped[event.id]
        entry.values.append(_opened(disclosure, document))
    return [entry for entry, _document in grouped.values()]


def _reads_every_event(session: Session, lot: Lot, org: Organisation) -> bool:
    if permissions.reads_everything(org):
        return True
    farm = session.get(Farm, lot.farm_id) if lot.farm_id is not None else None
    return farm is not None and farm.org_id == org.id


def _recorded_on(session: Session, lot: Lot, org: Organisation) -> bool:
    found = session.exec(
        select(Event.seq).where(Event.lot_id == lot.id, Event.org_id == org.id).limit(1)
    ).first()
    return found is not None


def _stored_document(event: Event) -> Mapping[str, Any] | None:
    """The event's stored canonical document, or None when its bytes are missing or no longer
    a document (then no disclosure of it can be checked)."""
    if event.canonical is None:
        return None
    try:
        return read_document(bytes(event.canonical))
    except HashingError:
        return None


def _opened(disclosure: Disclosure, document: Mapping[str, Any] | None) -> OpenedValue:
    found = value_at(document, disclosure.path) if document is not None else None
    commitment = found[COMMITMENT] if is_commitment(found) else None
    try:
        checked = commitment is not None and check_commitment(
            disclosure.value, from_hex(disclosure.salt), commitment
        )
    except HashingError:  # a salt that is not hex any more
        checked = False
    return OpenedValue(
        path=disclosure.path,
        value=disclosure.value,
        salt=disclosure.salt,
        commitment=commitment,
        checked=checked,
    )


def value_at(document: Any, path: str) -> Any:
    """The member of ``document`` at a dotted ``path`` such as ``lot_facts.farm.point``, or None.

    A member's own name may contain dots (``data.a.b`` can name the member ``a.b`` of ``data``),
    so every way of splitting the path is tried, whole names first.
    """
    if not isinstance(document, Mapping):
        return None
    if path in document:
        return document[path]
    for index in (i for i, char in enumerate(path) if char == "."):
        head, rest = path[:index], path[index + 1 :]
        if head in document:
            found = value_at(document[head], rest)
            if found is not None:
                return found
    return None
