"""Farms and plots: registered by a cooperative, which then owns them.

Vietnam's local government has two levels since 2025 (province and commune), so a farm names
its commune and province and nothing in between. Coordinates and area are decimal strings, as
everything that may end up in a hash is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from backend.errors import Conflict, InvalidInput
from backend.i18n.messages import message
from backend.models import Farm, Organisation
from backend.services import validation
from backend.services.accounts import permissions

CERTIFICATION_SCHEMES = ("VietGAP", "GlobalGAP", "organic", "other")
MAX_CERTIFICATIONS = 20
DEFAULT_PROVINCE = "Đồng Tháp"
DUPLICATE_FARM = message("catalog.farm.duplicate")


def get_farm_by_code(session: Session, code: str) -> Farm | None:
    """The farm with this code, or ``None``."""
    return session.exec(select(Farm).where(Farm.code == code)).first()


def list_farms(session: Session, *, org: Organisation) -> list[Farm]:
    """The farms ``org`` owns, by code."""
    return list(session.exec(select(Farm).where(Farm.org_id == org.id).order_by(col(Farm.code))))


def create_farm(
    session: Session,
    *,
    org: Organisation,
    code: str,
    name: str,
    commune: str,
    province: str | None = None,
    lat: Any = None,
    lon: Any = None,
    area_ha: Any = None,
    growing_area_code: str | None = None,
    certifications: Sequence[Mapping[str, Any]] = (),
) -> Farm:
    """Register a farm owned by ``org`` (a cooperative)."""
    permissions.require_role(org, permissions.FARM_OWNERS)
    farm_code = validation.code(code, field="code")
    if (lat is None) != (lon is None):
        raise InvalidInput(message("catalog.farm.lat_lon"), field="lat")
    farm = Farm(
        code=farm_code,
        org_id=_id(org),
        name=validation.required_text(name, field="name", max_length=200),
        commune=validation.required_text(commune, field="commune", max_length=120),
        province=validation.text(province, field="province", max_length=120, required=False)
        or DEFAULT_PROVINCE,
        lat=None if lat is None else validation.coordinate(lat, field="lat", limit=90),
        lon=None if lon is None else validation.coordinate(lon, field="lon", limit=180),
        area_ha=None
        if area_ha is None
        else validation.decimal_string(
            area_ha, field="area_ha", max_places=4, max_integer_digits=6
        ),
        growing_area_code=validation.text(
            growing_area_code, field="growing_area_code", max_length=64, required=False
        ),
        certifications=_certifications(certifications),
    )
    if get_farm_by_code(session, farm_code) is not None:
        raise Conflict(DUPLICATE_FARM, field="code")
    session.add(farm)
    session.flush()
    return farm


def _id(org: Organisation) -> int:
    assert org.id is not None
    return org.id


def _certifications(items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    if len(items) > MAX_CERTIFICATIONS:
        raise InvalidInput(
            message("catalog.farm.too_many_certifications", most=MAX_CERTIFICATIONS),
            field="certifications",
        )
    return [_certification(item, f"certifications[{i}]") for i, item in enumerate(items)]


def _certification(item: Mapping[str, Any], field: str) -> dict[str, Any]:
    scheme = item.get("scheme")
    if scheme not in CERTIFICATION_SCHEMES:
        raise InvalidInput(
            message("catalog.farm.scheme", tail=", ".join(CERTIFICATION_SCHEMES)),
            field=f"{field}.scheme",
        )
    valid_from = _date(item.get("valid_from"), f"{field}.valid_from")
    valid_until = _date(item.get("valid_until"), f"{field}.valid_until")
    if valid_from and valid_until and valid_until < valid_from:
        raise InvalidInput(message("catalog.farm.valid_until"), field=f"{field}.valid_until")
    stated: dict[str, Any] = {
        "scheme": scheme,
        "number": validation.required_text(
            item.get("number"), field=f"{field}.number", max_length=64
        ),
        "valid_from": valid_from.isoformat() if valid_from else None,
        "valid_until": valid_until.isoformat() if valid_until else None,
    }
    issuer = validation.text(
        item.get("issuer"), field=f"{field}.issuer", max_length=200, required=False
    )
    if issuer:  # only when given, so farms recorded before issuers hash as they did
        stated["issuer"] = issuer
    return stated


def _date(value: Any, field: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(message("catalog.farm.date"), field=field) from None
