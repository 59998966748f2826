"""Everything stored about a lot and the lots it came from, loaded in a handful of queries.

Verification and the proof bundle both start here: the lot, its ancestors (split and merge,
nearest generation first), every event of each, the organisations that recorded them, the
batches they sit in (with how many event rows each batch still has), and the outbox rows that
carried milestones and recalls to the chain.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from sqlmodel import Session, col, func, select

from backend.hashing import lot_key, to_hex
from backend.models import Batch, ChainAction, ChainActionKind, Event, Lot, Organisation
from backend.services import queries


@dataclass(frozen=True)
class LotRecord:
    """One lot with its events in time order."""

    lot: Lot
    events: list[Event]

    @property
    def lot_key(self) -> str:
        return to_hex(lot_key(self.lot.code))


@dataclass(frozen=True)
class Lineage:
    """A lot, its ancestors, and the rows needed to judge their events."""

    record: LotRecord
    ancestors: list[LotRecord]
    orgs: dict[int, Organisation]
    batches: dict[int, Batch]
    rows_per_batch: dict[int, int]
    milestones: dict[str, ChainAction]  # event id → recordLotEvent action
    recalls: dict[str, ChainAction]  # lot key (0x hex) → recall action

    @property
    def records(self) -> list[LotRecord]:
        return [self.record, *self.ancestors]


def normalise_code(code: str) -> str:
    """Lot codes arrive from URLs in NFC or NFD; they are stored NFC."""
    return unicodedata.normalize("NFC", code)


def load_lineage(session: Session, code: str) -> Lineage | None:
    """The lineage of the lot named ``code``, or None when there is no such lot."""
    lot = queries.get_lot_by_code(session, normalise_code(code))
    if lot is None:
        return None
    records = [_record(session, item) for item in (lot, *queries.lot_ancestors(session, lot))]
    events = [event for record in records for event in record.events]
    batches = queries.batches_by_id(session, (e.batch_id for e in events))
    return Lineage(
        record=records[0],
        ancestors=records[1:],
        orgs=queries.orgs_by_id(session, (e.org_id for e in events)),
        batches=batches,
        rows_per_batch=_rows_per_batch(session, list(batches)),
        milestones=_milestones(session, [e.id for e in events]),
        recalls=_recalls(session, [r.lot_key for r in records]),
    )


def _record(session: Session, lot: Lot) -> LotRecord:
    assert lot.id is not None
    return LotRecord(lot=lot, events=queries.events_for_lot(session, lot.id))


def _rows_per_batch(session: Session, batch_ids: list[int]) -> dict[int, int]:
    if not batch_ids:
        return {}
    rows = session.exec(
        select(Event.batch_id, func.count())
        .where(col(Event.batch_id).in_(batch_ids))
        .group_by(col(Event.batch_id))
    ).all()
    return {int(batch_id): int(count) for batch_id, count in rows if batch_id is not None}


def _milestones(session: Session, event_ids: list[str]) -> dict[str, ChainAction]:
    if not event_ids:
        return {}
    actions = session.exec(
        select(ChainAction)
        .where(
            col(ChainAction.event_id).in_(event_ids),
            col(ChainAction.kind) == ChainActionKind.LOT_EVENT,
        )
        .order_by(col(ChainAction.id))
    ).all()
    return {a.event_id: a for a in actions if a.event_id is not None}


def _recalls(session: Session, lot_keys: list[str]) -> dict[str, ChainAction]:
    actions = session.exec(
        select(ChainAction)
        .where(
            col(ChainAction.lot_key).in_(lot_keys),
            col(ChainAction.kind) == ChainActionKind.RECALL,
        )
        .order_by(col(ChainAction.id))
    ).all()
    return {a.lot_key.lower(): a for a in actions}
