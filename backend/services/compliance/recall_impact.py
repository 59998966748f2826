"""Recall impact: every lot a recall reaches downstream, who holds it, its labels and scans.

From a lot, the reach is the lot and every lot made from it through splits and merges, walked
breadth-first over the lot links one level at a time (one query per level, in chunks), so a tree
of thousands of lots costs a handful of queries. From an input product's batch number (a
manufacturer recalls a pesticide lot), the start is every harvest lot whose first event repeats
a diary entry naming that batch: the farm's first harvest at or after the application (proof
rules 13.3). Labels printed and scans are counted per lot in grouped queries.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from backend.errors import InvalidInput, NotFound
from backend.i18n.messages import message
from backend.models import (
    DiaryEntryType,
    FarmDiaryEntry,
    LabelSerial,
    Lot,
    LotLink,
    Organisation,
    Product,
    Scan,
)
from backend.services import validation

#: Ids per ``IN (...)`` list: well under SQLite's and PostgreSQL's parameter limits.
CHUNK = 900


@dataclass(frozen=True)
class AffectedLot:
    """One lot a recall reaches, as a regulator's list and the notices show it."""

    code: str
    product: str
    quantity: str
    unit: str
    depth: int  # 0 for a starting lot, 1 for its children, …
    custodian_slug: str
    custodian_name: str
    custodian_id: int
    recalled: bool
    labels_printed: int
    scans: int


@dataclass(frozen=True)
class Impact:
    """What a recall reaches: where it started and every affected lot, nearest first."""

    source_kind: str  # "lot" | "input_batch"
    source_ref: str
    lots: list[AffectedLot]

    @property
    def custodians(self) -> dict[int, list[AffectedLot]]:
        """Affected lots by the organisation holding them now."""
        held: dict[int, list[AffectedLot]] = {}
        for lot in self.lots:
            held.setdefault(lot.custodian_id, []).append(lot)
        return held


def impact_of_lot(session: Session, *, lot_code: str) -> Impact:
    """The lot named and everything made from it (404 for an unknown lot)."""
    start = session.exec(select(Lot.id).where(Lot.code == lot_code)).first()
    if start is None:
        raise NotFound(message("ledger.unknown_lot"))
    return Impact("lot", lot_code, _describe(session, _downstream(session, [start])))


def impact_of_input_batch(session: Session, *, batch_number: str) -> Impact:
    """Every harvest lot whose season diary names the batch, and everything made from them."""
    clean = validation.code(batch_number, field="input_batch")
    entries = session.exec(
        select(FarmDiaryEntry.farm_id, FarmDiaryEntry.occurred_at).where(
            FarmDiaryEntry.batch_number == clean,
            FarmDiaryEntry.type == DiaryEntryType.INPUT_APPLICATION.value,
        )
    ).all()
    if not entries:
        raise InvalidInput(message("compliance.recall.unknown_batch"), field="input_batch")
    starts: list[int] = []
    for farm_id, applied in entries:
        starts.extend(_first_harvest_after(session, farm_id=farm_id, applied=applied))
    return Impact("input_batch", clean, _describe(session, _downstream(session, starts)))


def _first_harvest_after(session: Session, *, farm_id: int, applied: datetime) -> list[int]:
    """The farm's lots harvested at its first harvest time at or after ``applied`` (those whose
    diary window holds the entry)."""
    first = session.exec(
        select(func.min(Lot.harvested_at)).where(
            Lot.farm_id == farm_id,
            col(Lot.harvested_at) >= applied,
            col(Lot.id).not_in(select(LotLink.child_id)),
        )
    ).one()
    if first is None:
        return []
    query = select(Lot.id).where(
        Lot.farm_id == farm_id,
        Lot.harvested_at == first,
        col(Lot.id).not_in(select(LotLink.child_id)),
    )
    return [lot_id for lot_id in session.exec(query) if lot_id is not None]


def _downstream(session: Session, starts: Sequence[int]) -> dict[int, int]:
    """Lot id → depth for ``starts`` and every lot made from them (breadth-first)."""
    depth = {lot_id: 0 for lot_id in starts}
    frontier = list(depth)
    level = 0
    while frontier:
        level += 1
        found: list[int] = []
        for chunk in _chunks(frontier):
            rows = session.exec(
                select(LotLink.child_id).where(col(LotLink.parent_id).in_(chunk))
            ).all()
            for child in rows:
                if child not in depth:
                    depth[child] = level
                    found.append(child)
        frontier = found
    return depth


def _describe(session: Session, depth: dict[int, int]) -> list[AffectedLot]:
    labels = _counts(session, LabelSerial.lot_id, depth)
    scans = _counts(session, Scan.lot_id, depth)
    out: list[AffectedLot] = []
    for chunk in _chunks(list(depth)):
        rows = session.exec(
            select(Lot, Product.code, Organisation)
            .join(Product, col(Product.id) == col(Lot.product_id))
            .join(Organisation, col(Organisation.id) == col(Lot.custodian_org_id))
            .where(col(Lot.id).in_(chunk))
        ).all()
        for lot, product_code, org in rows:
            assert lot.id is not None and org.id is not None
            out.append(
                AffectedLot(
                    code=lot.code,
                    product=product_code,
                    quantity=lot.quantity,
                    unit=lot.unit,
                    depth=depth[lot.id],
                    custodian_slug=org.slug,
                    custodian_name=org.name,
                    custodian_id=org.id,
                    recalled=lot.recalled_at is not None,
                    labels_printed=labels.get(lot.id, 0),
                    scans=scans.get(lot.id, 0),
                )
            )
    out.sort(key=lambda lot: (lot.depth, lot.code))
    return out


def _counts(session: Session, column: object, ids: Iterable[int]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for chunk in _chunks(list(ids)):
        rows = session.exec(
            select(column, func.count()).where(col(column).in_(chunk)).group_by(column)  # type: ignore[call-overload]
        ).all()
        counts.update({int(lot_id): int(n) for lot_id, n in rows})
    return counts


def _chunks(items: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]
