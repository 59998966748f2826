"""Splitting a lot into smaller ones and merging lots of one product into one.

Quantities never appear out of nowhere: a split may hand out at most what is left of the parent,
a merge takes everything that is left of each source, and what is left of a lot is always its
quantity minus what its outgoing links took (``queries.remaining_quantity``). Both lots of every
edge get an event, so the story reads from either end and each side is hashed and anchored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from backend.config import Settings
from backend.errors import Conflict, InvalidInput
from backend.i18n.messages import message
from backend.models import Event, EventType, LinkKind, Lot, LotLink, Organisation, Product
from backend.services import validation
from backend.services.accounts import permissions
from backend.services.ledger import lot_codes, queries
from backend.services.ledger.custody import require_not_recalled
from backend.services.ledger.events import record_event
from backend.services.ledger.locking import lock_lot, lock_referenced_lot
from backend.services.ledger.lots import DUPLICATE_LOT
from backend.timeutil import as_utc, utcnow

MAX_PARTS = 100
OVER_SPLIT = message("ledger.split.over_split")
REPEATED = message("ledger.split.repeated")
MIXED_PRODUCTS = message("ledger.split.mixed_products")
MIXED_UNITS = message("ledger.split.mixed_units")
USED_UP = message("ledger.split.used_up")


@dataclass(frozen=True)
class SplitOutcome:
    """The parent, the children with their quantities, and the parent's split event."""

    parent: Lot
    children: list[tuple[Lot, str]]
    event: Event


def split_lot(
    session: Session,
    *,
    lot_code: str,
    org: Organisation,
    children: Sequence[Mapping[str, Any]],
    occurred_at: datetime | None = None,
    location: dict[str, Any] | None = None,
    settings: Settings,
) -> SplitOutcome:
    """Split a lot the caller holds into children of the same product, farm and unit."""
    parent = lock_lot(session, lot_code)
    permissions.require_custodian(org, parent)
    require_not_recalled(parent)
    _count(children, field="children", least=1)
    wanted = [_child_request(session, item, i, parent) for i, item in enumerate(children)]
    _refuse_repeats([code for code, _ in wanted], field="children", key="code")
    left = Decimal(queries.remaining_quantity(session, parent))
    total = sum((Decimal(q) for _, q in wanted), Decimal(0))
    if total > left:
        raise InvalidInput(f"{OVER_SPLIT} ({validation.plain_decimal(left)})", field="children")
    when = validation.event_time(occurred_at or utcnow())
    made: list[tuple[Lot, str]] = []
    for code, quantity in wanted:
        child = _insert_lot(session, parent, code, org=org, when=when, quantity=quantity)
        session.add(
            LotLink(
                parent_id=_id(parent), child_id=_id(child), kind=LinkKind.SPLIT, quantity=quantity
            )
        )
        made.append((child, quantity))
    session.flush()
    record = _recorder(session, org=org, when=when, location=location, settings=settings)
    parts = [{"code": child.code, "quantity": quantity} for child, quantity in made]
    remaining = validation.plain_decimal((left - total).normalize())
    event = record(parent, EventType.SPLIT, {"children": parts, "remaining": remaining})
    for child, quantity in made:
        record(child, EventType.SPLIT, {"parent": parent.code, "quantity": quantity})
    return SplitOutcome(parent=parent, children=made, event=event)


def merge_lots(
    session: Session,
    *,
    org: Organisation,
    lot_codes_in: Sequence[Any],
    code: str | None = None,
    occurred_at: datetime | None = None,
    location: dict[str, Any] | None = None,
    settings: Settings,
) -> tuple[Lot, Event]:
    """Merge every remaining quantity of lots the caller holds into one new lot."""
    _count(lot_codes_in, field="lots", least=2)
    codes = [validation.lot_code(c, field=f"lots[{i}]") for i, c in enumerate(lot_codes_in)]
    _refuse_repeats(codes, field="lots")
    new_code = None if code is None else _free_code(session, validation.lot_code(code), "code")
    order = sorted(range(len(codes)), key=lambda i: codes[i])  # one lock order, no deadlocks
    locked = {i: lock_referenced_lot(session, codes[i], field=f"lots[{i}]") for i in order}
    sources = [locked[i] for i in range(len(codes))]
    amounts: list[str] = []
    for i, lot in enumerate(sources):
        permissions.require_custodian(org, lot, field=f"lots[{i}]")
        require_not_recalled(lot)
        left = Decimal(queries.remaining_quantity(session, lot))
        if left <= 0:
            raise Conflict(USED_UP, field=f"lots[{i}]")
        amounts.append(validation.plain_decimal(left))
    if len({lot.product_id for lot in sources}) > 1:
        raise InvalidInput(MIXED_PRODUCTS, field="lots")
    if len({lot.unit for lot in sources}) > 1:
        raise InvalidInput(MIXED_UNITS, field="lots")
    when = validation.event_time(occurred_at or utcnow())
    total = validation.plain_decimal(sum((Decimal(a) for a in amounts), Decimal(0)).normalize())
    merged = _insert_merged(session, sources, new_code, org=org, when=when, quantity=total)
    for lot, amount in zip(sources, amounts, strict=True):
        session.add(
            LotLink(parent_id=_id(lot), child_id=_id(merged), kind=LinkKind.MERGE, quantity=amount)
        )
    session.flush()
    record = _recorder(session, org=org, when=when, location=location, settings=settings)
    pairs = list(zip(sources, amounts, strict=True))
    for lot, amount in pairs:
        record(lot, EventType.MERGE, {"into": merged.code, "quantity": amount})
    parts = [{"code": lot.code, "quantity": amount} for lot, amount in pairs]
    return merged, record(merged, EventType.MERGE, {"sources": parts})


Recorder = Callable[[Lot, EventType, dict[str, Any]], Event]


def _recorder(
    session: Session,
    *,
    org: Organisation,
    when: datetime,
    location: dict[str, Any] | None,
    settings: Settings,
) -> Recorder:
    """``record(lot, type, data)`` with the parts every event of one split or merge shares."""

    def record(lot: Lot, event_type: EventType, data: dict[str, Any]) -> Event:
        return record_event(
            session,
            lot=lot,
            org=org,
            event_type=event_type,
            occurred_at=when,
            location=location,
            data=data,
            settings=settings,
        )

    return record


def _count(items: Sequence[Any], *, field: str, least: int) -> None:
    if not isinstance(items, Sequence) or isinstance(items, str):
        raise InvalidInput(message("ledger.split.not_list"), field=field)
    if not least <= len(items) <= MAX_PARTS:
        raise InvalidInput(message("ledger.split.count", least=least, most=MAX_PARTS), field=field)


def _child_request(
    session: Session, item: Mapping[str, Any], index: int, parent: Lot
) -> tuple[str | None, str]:
    field = f"children[{index}]"
    if not isinstance(item, Mapping):
        raise InvalidInput(message("ledger.split.not_object"), field=field)
    quantity = validation.decimal_string(item.get("quantity"), field=f"{field}.quantity")
    code = item.get("code")
    if code is None:
        return None, quantity
    return _free_code(
        session, validation.lot_code(code, field=f"{field}.code"), f"{field}.code"
    ), quantity


def _free_code(session: Session, code: str, field: str) -> str:
    if queries.get_lot_by_code(session, code) is not None:
        raise Conflict(DUPLICATE_LOT, field=field)
    return code


def _refuse_repeats(codes: Sequence[str | None], *, field: str, key: str | None = None) -> None:
    seen: set[str] = set()
    for i, code in enumerate(codes):
        if code is None:
            continue
        if code in seen:
            raise InvalidInput(REPEATED, field=f"{field}[{i}]" + (f".{key}" if key else ""))
        seen.add(code)


def _insert_lot(
    session: Session,
    parent: Lot,
    code: str | None,
    *,
    org: Organisation,
    when: datetime,
    quantity: str,
) -> Lot:
    def make(lot_code: str) -> Lot:
        return Lot(
            code=lot_code,
            product_id=parent.product_id,
            farm_id=parent.farm_id,
            quantity=quantity,
            unit=parent.unit,
            harvested_at=as_utc(parent.harvested_at) if parent.harvested_at else None,
            custodian_org_id=_id(org),
        )

    return _insert(session, make, code, parent.product_id, when)


def _insert_merged(
    session: Session,
    sources: Sequence[Lot],
    code: str | None,
    *,
    org: Organisation,
    when: datetime,
    quantity: str,
) -> Lot:
    farms = {lot.farm_id for lot in sources}
    farm_id = next(iter(farms)) if len(farms) == 1 else None  # mixed farms: none in particular
    harvest_times = [as_utc(lot.harvested_at) for lot in sources if lot.harvested_at]
    harvested_at = min(harvest_times) if harvest_times else None

    def make(lot_code: str) -> Lot:
        return Lot(
            code=lot_code,
            product_id=sources[0].product_id,
            farm_id=farm_id,
            quantity=quantity,
            unit=sources[0].unit,
            harvested_at=harvested_at,
            custodian_org_id=_id(org),
        )

    return _insert(session, make, code, sources[0].product_id, when)


def _insert(
    session: Session, make: Callable[[str], Lot], code: str | None, product_id: int, when: datetime
) -> Lot:
    if code is not None:
        lot = make(code)
        session.add(lot)
        session.flush()
        return lot
    product = session.get(Product, product_id)
    assert product is not None
    return lot_codes.insert_with_generated_code(
        session, make, stem=lot_codes.code_stem(product, when)
    )


def _id(row: Lot | Organisation) -> int:
    assert row.id is not None
    return row.id
