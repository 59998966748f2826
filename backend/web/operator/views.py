"""Shaping rows for pages: lots with their product, farm and custodian names, loaded in bulk."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from backend.models import Farm, Lot, Product
from backend.services.ledger.queries import orgs_by_id


@dataclass(frozen=True)
class LotRow:
    """What a table of lots shows for one lot."""

    code: str
    product: str
    quantity: str
    unit: str
    farm: str
    commune: str
    custodian: str
    held_by_me: bool
    harvested_at: datetime | None
    recalled: bool


def product_name(product: Product | None, lang: str) -> str:
    if product is None:
        return ""
    return product.name_en if lang == "en" and product.name_en else product.name_vi


def lot_rows(session: Session, lots: Sequence[Lot], *, lang: str, my_org_id: int) -> list[LotRow]:
    """Display rows for ``lots`` with three extra queries, whatever their number."""
    product_ids = {lot.product_id for lot in lots}
    farm_ids = {lot.farm_id for lot in lots if lot.farm_id is not None}
    products = {
        p.id: p for p in session.exec(select(Product).where(col(Product.id).in_(product_ids)))
    }
    farms = {f.id: f for f in session.exec(select(Farm).where(col(Farm.id).in_(farm_ids)))}
    orgs = orgs_by_id(session, {lot.custodian_org_id for lot in lots})
    rows = []
    for lot in lots:
        farm = farms.get(lot.farm_id) if lot.farm_id is not None else None
        custodian = orgs.get(lot.custodian_org_id)
        rows.append(
            LotRow(
                code=lot.code,
                product=product_name(products.get(lot.product_id), lang),
                quantity=lot.quantity,
                unit=lot.unit,
                farm=farm.name if farm else "",
                commune=farm.commune if farm else "",
                custodian=custodian.name if custodian else "",
                held_by_me=lot.custodian_org_id == my_org_id,
                harvested_at=lot.harvested_at,
                recalled=lot.recalled_at is not None,
            )
        )
    return rows
