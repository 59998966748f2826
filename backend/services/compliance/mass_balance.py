"""Claims of a growing-area code at harvest: membership, validity, crop, and the mass balance.

A harvest on a farm whose ``growing_area_code`` names a registered area is refused when the
farm is not inside that area (a "borrowed" code), when the code is not valid on the harvest
day, when the lot is not the area's crop, or when the season's harvests would pass the area's
cap (expected yield × hectares, plus the regulator's raises); past 90 % it goes through with a
warning. Every refusal is kept, in its own transaction, for the regulator's dashboard, since the
refused write itself is rolled back. A code that names no registered area is not judged (farms
registered before the registry keep working); the regulator's dashboard lists such codes.

Seasons are calendar years on Đồng Tháp's clock (``"2026"``). Quantities count in kilograms;
an area-coded harvest must be weighed in ``kg`` or ``t``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from backend.errors import InvalidInput
from backend.i18n.messages import message
from backend.models import Farm, Lot, LotLink, Organisation, Product
from backend.models_areas import AreaClaimRefusal, CapRaise, GrowingArea, GrowingAreaFarm
from backend.services.compliance.areas import crop_yield, get_area, is_member
from backend.timeutil import VIETNAM_TZ, as_utc, in_vietnam

logger = logging.getLogger(__name__)

WARN_SHARE = Decimal("0.9")
_KG_PER_UNIT = {"kg": Decimal(1), "t": Decimal(1000), "tấn": Decimal(1000)}


@dataclass(frozen=True)
class Balance:
    """An area's season: what its code allows and what was harvested under it."""

    season: str
    cap_kg: Decimal
    harvested_kg: Decimal

    @property
    def share(self) -> Decimal:
        return self.harvested_kg / self.cap_kg if self.cap_kg else Decimal(0)


def season_of(moment: datetime) -> str:
    return str(in_vietnam(moment).year)


def balance(session: Session, area: GrowingArea, season: str) -> Balance:
    """The cap and the harvests of ``area`` in ``season``."""
    expected = crop_yield(session, area.crop) * Decimal(area.area_ha) * 1000
    raises = session.exec(
        select(CapRaise.kg).where(CapRaise.area_id == area.id, CapRaise.season == season)
    ).all()
    cap = expected + sum((Decimal(kg) for kg in raises), Decimal(0))
    return Balance(season=season, cap_kg=cap, harvested_kg=_harvested(session, area, season))


def to_kg(quantity: str, unit: str) -> Decimal | None:
    factor = _KG_PER_UNIT.get(unit.strip().lower())
    return None if factor is None else Decimal(quantity) * factor


def check_claim(
    session: Session,
    *,
    org: Organisation,
    farm: Farm,
    product: Product,
    quantity: str,
    unit: str,
    harvested_at: datetime,
) -> list[str]:
    """Refuse (422) a harvest whose area claim fails; return warnings for one that passes."""
    area = get_area(session, farm.growing_area_code)
    if area is None:
        return []
    code = area.code

    def refuse(kind: str, text: str, field: str, kg: Decimal | None = None) -> InvalidInput:
        _record(session, area_code=code, org=org, farm=farm, kind=kind, kg=kg)
        return InvalidInput(text, field=field)

    if not is_member(session, area, farm):
        raise refuse(
            "not_member", message("compliance.area.not_member", farm=farm.code, code=code), "farm"
        )
    day = in_vietnam(harvested_at).date()
    if day < area.valid_from or (area.valid_until is not None and day > area.valid_until):
        raise refuse("expired", message("compliance.area.not_valid", code=code), "harvested_at")
    if product.code != area.crop:
        text = message("compliance.area.wrong_crop", code=code, crop=area.crop)
        raise refuse("wrong_crop", text, "product")
    kg = to_kg(quantity, unit)
    if kg is None:
        raise InvalidInput(message("compliance.area.unit"), field="unit")
    season = season_of(harvested_at)
    current = balance(session, area, season)
    after = current.harvested_kg + kg
    if after > current.cap_kg:
        text = message(
            "compliance.area.over_cap",
            code=code,
            season=season,
            done=_kg(current.harvested_kg),
            kg=_kg(kg),
            cap=_kg(current.cap_kg),
        )
        raise refuse("over_cap", text, "quantity", kg)
    if after > current.cap_kg * WARN_SHARE:
        share = (after / current.cap_kg * 100).quantize(Decimal(1))
        return [message("compliance.area.near_cap", code=code, season=season, share=share)]
    return []


def _harvested(session: Session, area: GrowingArea, season: str) -> Decimal:
    """Harvest lots (not split or merged ones) of the area's farms and crop in the season."""
    year = int(season) if season.isdigit() else 0
    if not 1 <= year <= 9998:
        return Decimal(0)
    start = datetime.combine(datetime(year, 1, 1).date(), time(0), tzinfo=VIETNAM_TZ)
    end = datetime.combine(datetime(year + 1, 1, 1).date(), time(0), tzinfo=VIETNAM_TZ)
    derived = select(LotLink.child_id)
    rows = session.exec(
        select(Lot.quantity, Lot.unit)
        .join(Farm, col(Farm.id) == col(Lot.farm_id))
        .join(GrowingAreaFarm, col(GrowingAreaFarm.farm_id) == col(Farm.id))
        .join(Product, col(Product.id) == col(Lot.product_id))
        .where(
            GrowingAreaFarm.area_id == area.id,
            Farm.growing_area_code == area.code,
            Product.code == area.crop,
            col(Lot.harvested_at) >= as_utc(start),
            col(Lot.harvested_at) < as_utc(end),
            col(Lot.id).not_in(derived),
        )
    ).all()
    return sum((to_kg(q, u) or Decimal(0) for q, u in rows), Decimal(0))


def _record(
    session: Session,
    *,
    area_code: str,
    org: Organisation,
    farm: Farm,
    kind: str,
    kg: Decimal | None,
) -> None:
    """Keep a refused claim in a transaction of its own: the refused write is rolled back."""
    assert org.id is not None
    row = AreaClaimRefusal(
        area_code=area_code,
        org_id=org.id,
        farm_code=farm.code,
        kind=kind,
        quantity_kg=None if kg is None else _kg(kg),
    )
    try:
        with Session(session.get_bind()) as side:
            if side.get_bind().dialect.name == "sqlite":
                # A batch may already hold SQLite's one write lock: fail fast, never stall.
                side.execute(text("PRAGMA busy_timeout=200"))
            try:
                side.add(row)
                side.commit()
            finally:
                if side.get_bind().dialect.name == "sqlite":
                    side.execute(text("PRAGMA busy_timeout=30000"))
    except SQLAlchemyError:  # the refusal stands; only its record for the dashboard is lost
        logger.warning("could not record a refused claim of area %s", area_code, exc_info=True)


def _kg(value: Decimal) -> str:
    """A quantity of kilograms as messages and records write it (no exponent, no trailing 0)."""
    return format(value.normalize(), "f")


def refusals(session: Session, *, area_code: str | None = None) -> list[AreaClaimRefusal]:
    """Refused claims, newest first (all areas, or one)."""
    query = select(AreaClaimRefusal)
    if area_code is not None:
        query = query.where(AreaClaimRefusal.area_code == area_code)
    return list(session.exec(query.order_by(col(AreaClaimRefusal.id).desc())))
