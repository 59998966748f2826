"""Read-only questions about lots, shared by the API, the consumer page and verification.

Functions return ``None`` or empty lists for "not found" and never raise HTTP errors. The lot
graph is walked level by level (one query per generation), which stays cheap for the few
generations a split/merge chain has in practice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, true
from sqlmodel import Session, col, select

from backend.models import Batch, Event, EventType, Lot, LotLink, Organisation
from backend.services.validation import plain_decimal


@dataclass(frozen=True)
class LinkedLot:
    """A lot seen across one split or merge edge, with the quantity that moved."""

    lot: Lot
    kind: str
    quantity: str | None


def get_lot_by_code(session: Session, code: str) -> Lot | None:
    """The lot with this code, or ``None``."""
    return session.exec(select(Lot).where(Lot.code == code)).first()


def lot_parents(session: Session, lot: Lot) -> list[LinkedLot]:
    """The lots ``lot`` came directly from (one for a split, several for a merge), oldest first."""
    return _linked(session, lot, other_end=LotLink.parent_id, this_end=LotLink.child_id)


def lot_children(session: Session, lot: Lot) -> list[LinkedLot]:
    """The lots made directly from ``lot`` (split children, or the merged lot), oldest first."""
    return _linked(session, lot, other_end=LotLink.child_id, this_end=LotLink.parent_id)


def _linked(session: Session, lot: Lot, *, other_end: Any, this_end: Any) -> list[LinkedLot]:
    """The lots at ``other_end`` of the links whose ``this_end`` is ``lot``, oldest first."""
    query = (
        select(LotLink, Lot)
        .join(Lot, col(Lot.id) == col(other_end))
        .where(this_end == lot.id)
        .order_by(col(Lot.id))
    )
    return [LinkedLot(other, link.kind, link.quantity) for link, other in session.exec(query)]


def lot_ancestors(session: Session, lot: Lot) -> list[Lot]:
    """Every lot ``lot`` descends from, nearest generation first, each once.

    A recall of any ancestor reaches its descendants, so verification needs the whole line,
    not just the parents.
    """
    seen: set[int] = {_id(lot)}
    result: list[Lot] = []
    frontier = [_id(lot)]
    while frontier:
        query = (
            select(Lot)
            .join(LotLink, col(LotLink.parent_id) == col(Lot.id))
            .where(col(LotLink.child_id).in_(frontier))
            .order_by(col(Lot.id))
        )
        generation = [parent for parent in session.exec(query) if _id(parent) not in seen]
        generation = list({_id(p): p for p in generation}.values())
        seen.update(_id(p) for p in generation)
        result.extend(generation)
        frontier = [_id(p) for p in generation]
    return result


def events_for_lot(session: Session, lot_id: int) -> list[Event]:
    """The events of one lot in time order (ties keep the order they were recorded in)."""
    query = (
        select(Event).where(Event.lot_id == lot_id).order_by(col(Event.occurred_at), col(Event.seq))
    )
    return list(session.exec(query))


def batches_by_id(session: Session, batch_ids: Iterable[int | None]) -> dict[int, Batch]:
    """The batches named, keyed by id (for showing anchoring status next to events)."""
    ids = {i for i in batch_ids if i is not None}
    if not ids:
        return {}
    return {_id(b): b for b in session.exec(select(Batch).where(col(Batch.id).in_(ids)))}


def orgs_by_id(session: Session, org_ids: Iterable[int]) -> dict[int, Organisation]:
    """The organisations named, keyed by id."""
    ids = set(org_ids)
    if not ids:
        return {}
    query = select(Organisation).where(col(Organisation.id).in_(ids))
    return {_id(o): o for o in session.exec(query)}


def remaining_quantity(session: Session, lot: Lot) -> str:
    """What is left of a lot after splits and merges took quantities out of it, and after the
    losses its processing steps declared."""
    taken = session.exec(select(LotLink.quantity).where(LotLink.parent_id == lot.id)).all()
    left = Decimal(lot.quantity) - sum((Decimal(q) for q in taken if q is not None), Decimal(0))
    left -= processing_losses(session, lot)
    return plain_decimal(left.normalize())


def processing_losses(session: Session, lot: Lot) -> Decimal:
    """The losses a lot's processing events declared (``data.loss``, validated when recorded)."""
    rows = session.exec(
        select(Event.data).where(Event.lot_id == lot.id, Event.type == EventType.PROCESSING)
    ).all()
    return sum(
        (Decimal(d["loss"]) for d in rows if isinstance(d, dict) and "loss" in d), Decimal(0)
    )


def lots_for_org(
    session: Session, *, org: Organisation, every_lot: bool, limit: int, offset: int
) -> tuple[list[Lot], int]:
    """A page of lots (held by ``org``, or all of them when ``every_lot``) and the total."""
    condition = true() if every_lot else col(Lot.custodian_org_id) == org.id
    total = session.exec(select(func.count()).select_from(Lot).where(condition)).one()
    query = (
        select(Lot)
        .where(condition)
        .order_by(col(Lot.created_at).desc(), col(Lot.id).desc())
        .limit(limit)
        .offset(offset)
    )
    return list(session.exec(query)), int(total)


def _id(row: Lot | Batch | Organisation) -> int:
    assert row.id is not None
    return row.id
