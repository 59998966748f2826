"""Circular 02/2024/TT-BKHCN: which of the data items a traced product should carry a lot has.

The circular (on traceability of products and goods) expects, for each traced unit: the
product's name and image, the producer and its address, the production time, a product trace
code and a location trace code, a brand or serial, the shelf life or expiry, and the steps one
back and one forward in the chain. This module says, per lot, which are present; printing labels
for export requires every one (``require_complete``).

Where each item comes from: product name and brand (GTIN) from the product; producer, address,
production time and location code (the growing-area code, "mã số vùng trồng") from the farm of
the lot or of its nearest ancestor that has one; image and shelf life from the data the lot's
events recorded (``photo``/``photos``/``image`` and ``best_before``/``expiry_date``/
``shelf_life_days``); the step back is the farm or a parent lot, the step forward a transfer,
a shipment or a lot made from this one; serials count as a brand-or-serial.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import partial

from sqlmodel import Session, col, select

from backend.errors import InvalidInput
from backend.i18n import catalogue
from backend.i18n.messages import message_in_each
from backend.models import Event, EventType, Farm, LabelSerial, Lot, LotLink, Product

ITEMS = (
    "product_name",
    "image",
    "producer",
    "address",
    "production_time",
    "product_trace_code",
    "location_trace_code",
    "brand_or_serial",
    "shelf_life",
    "one_step_back",
    "one_step_forward",
)
IMAGE_KEYS = ("photo", "photos", "image", "images")
SHELF_LIFE_KEYS = ("best_before", "expiry_date", "shelf_life_days")
_FORWARD_TYPES = (EventType.TRANSFER, EventType.SHIPPING)


@dataclass(frozen=True)
class Completeness:
    """Each item of the circular, present or not, for one lot."""

    lot: str
    items: dict[str, bool]

    @property
    def missing(self) -> list[str]:
        return [name for name in ITEMS if not self.items[name]]

    @property
    def complete(self) -> bool:
        return not self.missing


def completeness(session: Session, *, lot: Lot) -> Completeness:
    """Which items ``lot`` has (see the module docstring for where each comes from)."""
    product = session.get(Product, lot.product_id)
    assert product is not None  # foreign key
    origin = _origin(session, lot)
    farm = session.get(Farm, origin.farm_id) if origin.farm_id is not None else None
    datas = [
        data or {} for data in session.exec(select(Event.data).where(Event.lot_id == lot.id)).all()
    ]
    has_parents = _first(session, select(LotLink.parent_id).where(LotLink.child_id == lot.id))
    has_children = _first(session, select(LotLink.child_id).where(LotLink.parent_id == lot.id))
    moved_on = _first(
        session,
        select(Event.seq).where(Event.lot_id == lot.id, col(Event.type).in_(_FORWARD_TYPES)),
    )
    serials = _first(session, select(LabelSerial.id).where(LabelSerial.lot_id == lot.id))
    items = {
        "product_name": bool(product.name_vi),
        "image": any(_given(data, IMAGE_KEYS) for data in datas),
        "producer": farm is not None,
        "address": farm is not None and bool(farm.commune and farm.province),
        "production_time": origin.harvested_at is not None,
        "product_trace_code": bool(lot.code),
        "location_trace_code": farm is not None and bool(farm.growing_area_code),
        "brand_or_serial": bool(product.gtin) or serials,
        "shelf_life": any(_given(data, SHELF_LIFE_KEYS) for data in datas),
        "one_step_back": farm is not None or has_parents,
        "one_step_forward": moved_on or has_children,
    }
    return Completeness(lot=lot.code, items=items)


def require_complete(session: Session, *, lot: Lot, field: str = "export") -> None:
    """Refuse (422, naming the missing items) what export needs every item for."""
    found = completeness(session, lot=lot)
    if found.complete:
        return
    missing = found.missing
    text = message_in_each("compliance.circular02.incomplete", missing=partial(_labels, missing))
    raise InvalidInput(text, field=field)


def _labels(items: list[str], lang: str) -> str:
    """The items as a reader of ``lang`` names them (the operator app's labels), in a list."""
    words = (catalogue(lang)[f"compliance.circular02.item.{name}"] for name in items)
    return ", ".join(word[:1].lower() + word[1:] for word in words)


def _origin(session: Session, lot: Lot) -> Lot:
    """The lot itself when it names its farm, else its nearest ancestor that does."""
    seen = {lot.id}
    frontier = [lot]
    while frontier:
        for current in frontier:
            if current.farm_id is not None:
                return current
        parents = session.exec(
            select(Lot)
            .join(LotLink, col(LotLink.parent_id) == col(Lot.id))
            .where(col(LotLink.child_id).in_([c.id for c in frontier]))
        ).all()
        frontier = [p for p in parents if p.id not in seen]
        seen.update(p.id for p in frontier)
    return lot


def _given(data: dict[str, object], keys: tuple[str, ...]) -> bool:
    return any(data.get(key) not in (None, "", [], {}) for key in keys)


def _first(session: Session, query: object) -> bool:
    return session.exec(query.limit(1)).first() is not None  # type: ignore[attr-defined]


def best_before(session: Session, *, lot: Lot) -> date | None:
    """The lot's best-before date as its newest event stating one (``best_before`` or
    ``expiry_date``, ISO ``YYYY-MM-DD``) says; None when none does."""
    rows = session.exec(
        select(Event.data).where(Event.lot_id == lot.id).order_by(col(Event.seq).desc())
    ).all()
    for data in rows:
        for key in ("best_before", "expiry_date"):
            value = (data or {}).get(key)
            if isinstance(value, str):
                try:
                    return date.fromisoformat(value)
                except ValueError:
                    continue
    return None
