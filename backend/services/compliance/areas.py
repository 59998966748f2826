"""The growing-area registry: who holds a code, for which crop and hectares, with which farms.

A regulator registers an area for any cooperative; a cooperative may register its own. Only the
farms listed inside an area may claim its code (``mass_balance`` enforces it at harvest). The
regulator sets each crop's expected yield (t/ha per season; the demo's crops have defaults) and
may raise one area's cap for one season, with a reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from backend.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from backend.i18n.messages import message
from backend.models import Farm, Organisation, OrgRole
from backend.models_areas import CapRaise, CropYield, GrowingArea, GrowingAreaFarm
from backend.services import validation
from backend.services.accounts import permissions
from backend.services.accounts.orgs import get_org_by_slug

#: Expected yield, tonnes per hectare per season, of the demo's crops (product codes) until a
#: regulator sets one: Đồng Tháp orchards' usual order of magnitude.
DEFAULT_YIELDS: dict[str, str] = {
    "xoai": "12",
    "xoai-cat-chu": "12",
    "nhan": "10",
    "buoi": "15",
    "quyt": "18",
    "quyt-hong-lai-vung": "18",
    "hat-sen-thap-muoi": "1.2",
    "gao-thom-phu-cuong": "6.5",
}
#: Used for a crop with neither a regulator's figure nor a default.
FALLBACK_YIELD = "10"
MAX_MARKETS = 30
MAX_FARMS = 2000

UNKNOWN_AREA = message("compliance.area.unknown")
AREA_REGISTRARS = frozenset({OrgRole.REGULATOR, OrgRole.COOPERATIVE})


def get_area(session: Session, code: Any) -> GrowingArea | None:
    """The area with this code, or ``None``."""
    if not isinstance(code, str):
        return None
    return session.exec(select(GrowingArea).where(GrowingArea.code == code)).first()


def require_area(session: Session, code: Any) -> GrowingArea:
    """The area named in the URL (404 if none)."""
    area = get_area(session, code)
    if area is None:
        raise NotFound(UNKNOWN_AREA)
    return area


def register_area(
    session: Session,
    *,
    org: Organisation,
    code: Any,
    holder: Any,
    area_ha: Any,
    crop: Any,
    markets: Sequence[Any],
    farms: Sequence[Any],
    valid_from: Any,
    valid_until: Any = None,
) -> GrowingArea:
    """A new area; a cooperative registers only areas it holds itself."""
    permissions.require_role(org, AREA_REGISTRARS)
    clean_code = validation.code(code, field="code")
    holder_org = get_org_by_slug(session, holder) if isinstance(holder, str) else None
    if holder_org is None or holder_org.role != OrgRole.COOPERATIVE:
        raise InvalidInput(message("compliance.area.holder"), field="holder")
    if org.role == OrgRole.COOPERATIVE and holder_org.id != org.id:
        raise PermissionDenied(message("compliance.area.own_only"), field="holder")
    starts = _date(valid_from, "valid_from")
    if starts is None:
        raise InvalidInput(message("validation.required"), field="valid_from")
    ends = _date(valid_until, "valid_until")
    if ends is not None and ends < starts:
        raise InvalidInput(message("compliance.area.dates"), field="valid_until")
    if get_area(session, clean_code) is not None:
        raise Conflict(message("compliance.area.duplicate"), field="code")
    assert holder_org.id is not None and org.id is not None
    area = GrowingArea(
        code=clean_code,
        holder_org_id=holder_org.id,
        area_ha=validation.decimal_string(area_ha, field="area_ha"),
        crop=validation.code(crop, field="crop"),
        markets=_markets(markets),
        valid_from=starts,
        valid_until=ends,
        registered_by_org_id=org.id,
    )
    members = _member_farms(session, farms, holder=holder_org)
    session.add(area)
    session.flush()
    assert area.id is not None
    session.add_all(GrowingAreaFarm(area_id=area.id, farm_id=f.id) for f in members if f.id)
    session.flush()
    return area


def member_farms(session: Session, area: GrowingArea) -> list[Farm]:
    """The farms inside ``area``, by code."""
    query = (
        select(Farm)
        .join(GrowingAreaFarm, col(GrowingAreaFarm.farm_id) == col(Farm.id))
        .where(GrowingAreaFarm.area_id == area.id)
        .order_by(col(Farm.code))
    )
    return list(session.exec(query))


def is_member(session: Session, area: GrowingArea, farm: Farm) -> bool:
    return session.get(GrowingAreaFarm, (area.id, farm.id)) is not None


def crop_yield(session: Session, crop: str) -> Decimal:
    """Tonnes per hectare per season: the regulator's figure, else the default."""
    row = session.get(CropYield, crop)
    if row is not None:
        return Decimal(row.tonnes_per_ha)
    return Decimal(DEFAULT_YIELDS.get(crop, FALLBACK_YIELD))


def set_crop_yield(
    session: Session, *, org: Organisation, crop: Any, tonnes_per_ha: Any
) -> CropYield:
    """A regulator sets a crop's expected yield (it applies to every area of that crop)."""
    permissions.require_role(org, permissions.RECALLERS)
    clean_crop = validation.code(crop, field="crop")
    value = validation.decimal_string(tonnes_per_ha, field="tonnes_per_ha")
    assert org.id is not None
    row = session.get(CropYield, clean_crop) or CropYield(
        crop=clean_crop, tonnes_per_ha=value, set_by_org_id=org.id
    )
    row.tonnes_per_ha, row.set_by_org_id = value, org.id
    session.add(row)
    session.flush()
    return row


def raise_cap(
    session: Session, *, org: Organisation, code: Any, season: Any, kg: Any, reason: Any
) -> CapRaise:
    """A regulator raises an area's cap for one season by ``kg``, saying why."""
    permissions.require_role(org, permissions.RECALLERS)
    area = require_area(session, code)
    clean_season = validation.code(season, field="season", max_length=16)
    amount = validation.decimal_string(kg, field="kg")
    text = validation.required_text(reason, field="reason", max_length=1000, multiline=True)
    assert area.id is not None and org.id is not None
    raised = CapRaise(area_id=area.id, season=clean_season, kg=amount, reason=text, org_id=org.id)
    session.add(raised)
    session.flush()
    return raised


def _markets(values: Sequence[Any]) -> list[str]:
    if len(values) > MAX_MARKETS:
        raise InvalidInput(message("compliance.area.too_many", most=MAX_MARKETS), field="markets")
    return [validation.code(v, field=f"markets[{i}]", max_length=16) for i, v in enumerate(values)]


def _member_farms(session: Session, codes: Sequence[Any], *, holder: Organisation) -> list[Farm]:
    if len(codes) > MAX_FARMS:
        raise InvalidInput(message("compliance.area.too_many", most=MAX_FARMS), field="farms")
    found: list[Farm] = []
    for index, code in enumerate(codes):
        field = f"farms[{index}]"
        farm = session.exec(select(Farm).where(Farm.code == code)).first()
        if farm is None:
            raise InvalidInput(message("ledger.unknown_farm"), field=field)
        if farm.org_id != holder.id:
            raise InvalidInput(message("compliance.area.farm_not_holders"), field=field)
        if any(f.id == farm.id for f in found):
            raise InvalidInput(message("ledger.split.repeated"), field=field)
        if session.exec(select(GrowingAreaFarm).where(GrowingAreaFarm.farm_id == farm.id)).first():
            raise InvalidInput(message("compliance.area.farm_taken"), field=field)
        found.append(farm)
    return found


def _date(value: Any, field: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(message("catalog.farm.date"), field=field) from None
