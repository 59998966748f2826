"""Harvest lots: a cooperative creates a lot on its own farm, and its harvest event with it.

The harvest event's data repeats what the lot row says (product, farm, quantity, unit), because
the row can be edited behind the application's back and the event's hash cannot.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session

from backend.config import Settings
from backend.errors import Conflict, InvalidInput
from backend.i18n.messages import message
from backend.models import Event, EventType, Farm, Lot, Organisation, Product
from backend.services import validation
from backend.services.accounts import permissions
from backend.services.catalog.farms import get_farm_by_code
from backend.services.catalog.products import get_product_by_code
from backend.services.compliance import mass_balance, phi
from backend.services.ledger import lot_codes, queries
from backend.services.ledger.event_data import HARVEST_FACTS
from backend.services.ledger.events import record_event

UNKNOWN_PRODUCT = message("ledger.unknown_product")
UNKNOWN_FARM = message("ledger.unknown_farm")
DUPLICATE_LOT = message("ledger.duplicate_lot")
#: The member of a harvest's ``data`` repeating the farm's diary (proof rules 13.3).
SEASON_DIARY = "season_diary"


def create_harvest_lot(
    session: Session,
    *,
    org: Organisation,
    product_code: str,
    farm_code: str,
    quantity: Any,
    unit: str,
    harvested_at: datetime,
    code: str | None = None,
    location: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
    settings: Settings,
    private_fields: Sequence[str] = (),
    notices: list[str] | None = None,
) -> tuple[Lot, Event]:
    """A new lot held by ``org`` and its recorded harvest event; ``private_fields`` name
    members of ``data`` recorded as commitments (see :func:`record_event`). Warnings for the
    caller (a growing area near its cap) are appended to ``notices``."""
    permissions.require_role(org, permissions.HARVESTERS)
    clean_quantity = validation.decimal_string(quantity, field="quantity")
    clean_unit = validation.required_text(unit, field="unit", max_length=16)
    harvested = validation.event_time(harvested_at, field="harvested_at")
    given_code = None if code is None else validation.lot_code(code)
    product = _product(session, product_code)
    farm = _farm(session, farm_code)
    permissions.require_farm_owner(org, farm)
    extra = validation.json_object(data or {}, field="data")
    for key in (*HARVEST_FACTS, SEASON_DIARY):
        if key in extra:
            raise InvalidInput(message("ledger.system_field"), field=f"data.{key}")

    def make_lot(lot_code: str) -> Lot:
        assert product.id is not None and org.id is not None
        return Lot(
            code=lot_code,
            product_id=product.id,
            farm_id=farm.id,
            quantity=clean_quantity,
            unit=clean_unit,
            harvested_at=harvested,
            custodian_org_id=org.id,
        )

    # The gates run before the lot exists: a refused harvest leaves no lot behind.
    warnings = mass_balance.check_claim(
        session,
        org=org,
        farm=farm,
        product=product,
        quantity=clean_quantity,
        unit=clean_unit,
        harvested_at=harvested,
    )
    if notices is not None:
        notices.extend(warnings)
    clearance = phi.clear_harvest(session, farm=farm, harvested_at=harvested)
    if given_code is not None:
        if queries.get_lot_by_code(session, given_code) is not None:
            raise Conflict(DUPLICATE_LOT, field="code")
        lot = make_lot(given_code)
        session.add(lot)
        session.flush()
    else:
        stem = lot_codes.code_stem(product, harvested)
        lot = lot_codes.insert_with_generated_code(session, make_lot, stem=stem)
    harvest_data = {
        "product": product.code,
        "farm": farm.code,
        "quantity": clean_quantity,
        "unit": clean_unit,
        **extra,
    }
    event = record_event(
        session,
        lot=lot,
        org=org,
        event_type=EventType.HARVEST,
        occurred_at=harvested,
        location=location if location is not None else farm_point(farm),
        data=harvest_data,
        settings=settings,
        private_fields=private_fields,
        system_data={SEASON_DIARY: clearance.document_member()} if clearance.diary else None,
    )
    phi.hold_lot(session, lot=lot, clearance=clearance)
    return lot, event


def farm_point(farm: Farm) -> dict[str, Any] | None:
    """The farm's GPS point as an event location, when the farm has one."""
    if farm.lat is None or farm.lon is None:
        return None
    return {"lat": farm.lat, "lon": farm.lon}


def _product(session: Session, code: Any) -> Product:
    product = get_product_by_code(session, code) if isinstance(code, str) else None
    if product is None:
        raise InvalidInput(UNKNOWN_PRODUCT, field="product")
    return product


def _farm(session: Session, code: Any) -> Farm:
    farm = get_farm_by_code(session, code) if isinstance(code, str) else None
    if farm is None:
        raise InvalidInput(UNKNOWN_FARM, field="farm")
    return farm
