"""The product and farm block of the page: what was grown, where, and under which
certificates."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import select as sql_select
from sqlmodel import Session, col

from backend.models import Farm, Product
from backend.services.verification import claims
from backend.services.verification.chain_view import ChainView
from backend.services.verification.lineage import Lineage
from backend.timeutil import in_vietnam, utcnow
from backend.web.consumer.views import CertificationView, FarmView

#: The farm's columns, in the order :func:`farm_view` takes them.
_FARM_COLUMNS = (
    col(Farm.name),
    col(Farm.commune),
    col(Farm.province),
    col(Farm.growing_area_code),
    col(Farm.certifications),
)


@dataclass(frozen=True)
class ProductAndFarm:
    """The product of a lot and the farm it was grown on, read in one query."""

    name_vi: str
    name_en: str | None
    gtin: str | None
    farm: FarmView | None
    #: The farm's code, to look up the reviews of its claims (never shown on the page).
    farm_code: str | None = None

    def name(self, lang: str) -> str:
        """The English name on the English page when there is one, else the Vietnamese."""
        if lang == "en" and self.name_en:
            return self.name_en
        return self.name_vi


def load_product_and_farm(session: Session, lineage: Lineage) -> ProductAndFarm | None:
    """The lot's product, and the farm of the nearest lot in its line that has one.

    Split and merged lots often carry no farm of their own; their farm is the harvest lot's.
    Plain columns rather than ORM objects: this runs on every scan, and building two mapped
    objects costs as much as checking a handful of Merkle proofs.
    """
    lot = lineage.record.lot
    farm_id = next((r.lot.farm_id for r in lineage.records if r.lot.farm_id is not None), None)
    query = (
        sql_select(
            col(Product.name_vi),
            col(Product.name_en),
            col(Product.gtin),
            col(Farm.code),
            *_FARM_COLUMNS,
        )
        .select_from(Product)
        .outerjoin(Farm, col(Farm.id) == farm_id)
        .where(col(Product.id) == lot.product_id)
    )
    row = session.connection().execute(query).first()
    if row is None:
        return None
    name_vi, name_en, gtin, farm_code, *farm_row = row
    farm = farm_view(*farm_row) if farm_code is not None else None
    return ProductAndFarm(
        name_vi=name_vi, name_en=name_en, gtin=gtin, farm=farm, farm_code=farm_code
    )


def farm_view(
    name: str,
    commune: str,
    province: str,
    growing_area_code: str | None,
    certifications: Any,
) -> FarmView:
    """A farm as the page shows it; certificates without a scheme are left out."""
    today = in_vietnam(utcnow()).date()
    shown = tuple(
        CertificationView(
            scheme=str(item.get("scheme", "")),
            valid_until=_day(item.get("valid_until")),
            expired=_is_past(item.get("valid_until"), today),
            number=_text(item.get("number")),
            issuer=_text(item.get("issuer")),
        )
        for item in certifications or ()
        if isinstance(item, Mapping) and item.get("scheme")
    )
    return FarmView(
        name=name,
        commune=commune,
        province=province,
        growing_area_code=growing_area_code,
        certifications=shown,
    )


def with_claims(session: Session, product: ProductAndFarm, view: ChainView) -> FarmView | None:
    """The product's farm with each certificate's reviewer and the area code's registry
    standing, as ``verification.claims`` judges them from signed reviews and the registry."""
    farm, code = product.farm, product.farm_code
    if farm is None or code is None:
        return farm
    stated = [
        {"scheme": c.scheme, "number": c.number, "issuer": c.issuer} for c in farm.certifications
    ]
    standings = claims.certificate_standings(
        session, farm_code=code, certificates=stated, view=view
    )
    area = claims.area_standing(session, farm_code=code, area_code=farm.growing_area_code)
    return replace(
        farm,
        certifications=tuple(
            replace(cert, confirmed_by=standing.confirmed_by)
            for cert, standing in zip(farm.certifications, standings, strict=True)
        ),
        growing_area_confirmed=area == claims.CONFIRMED,
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _is_past(value: Any, today: date) -> bool:
    """Whether an ISO end date lies before ``today`` (unreadable dates are not "past")."""
    if not isinstance(value, str) or not value:
        return False
    try:
        return date.fromisoformat(value[:10]) < today
    except ValueError:
        return False


def _day(value: Any) -> str | None:
    """A certificate date shown as dd/mm/yyyy (stored as an ISO date string)."""
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, str) and value:
        try:
            return date.fromisoformat(value[:10]).strftime("%d/%m/%Y")
        except ValueError:
            return value
    return None


def product_from_facts(facts: Mapping[str, Any]) -> ProductAndFarm:
    """The product and farm block from proven facts; a name kept private stays unshown."""
    product = facts["product"]
    farm = facts["farm"]
    view = None
    if farm is not None:
        name = farm["name"] if isinstance(farm["name"], str) else ""
        view = farm_view(
            name,
            farm["commune"],
            farm["province"],
            farm["growing_area_code"],
            farm["certifications"],
        )
    return ProductAndFarm(
        name_vi=product["name"],
        name_en=product["name_en"],
        gtin=product["gtin"],
        farm=view,
        farm_code=None if farm is None else farm["code"],
    )
