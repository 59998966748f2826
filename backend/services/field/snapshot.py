"""What a member's phone keeps for offline use: their organisation's farms, the products, and
the lots it holds now, each with only what a form needs to offer it as a choice.

The phone names a new harvest lot itself, so later entries and the crate's label can use the
code before any upload. It builds it as the server builds a generated one,
``DT-<TAG>-<YYMM>-<6 random>``, from what is published here: each product's tag, the region,
and the random part's alphabet and length (30 bits, so lots cannot be walked by guessing; a
clash with an existing code is refused like any duplicate, and shown).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from backend.models import Farm, Lot, Organisation, Product
from backend.services.catalog.farms import list_farms
from backend.services.catalog.products import list_products
from backend.services.ledger.lot_codes import ALPHABET, RANDOM_CHARS, REGION, code_tag
from backend.services.validation import LOT_CODE_MAX
from backend.timeutil import rfc3339_z

#: Most held lots sent to a phone (newest first): a season's work, not the whole archive.
MAX_LOTS = 500


def field_snapshot(session: Session, *, org: Organisation) -> dict[str, Any]:
    """The member's farms, every product, and the lots ``org`` holds (not recalled, not in
    transit: nothing may be recorded on a lot while its shipment waits, docs/custody.md)."""
    products = list_products(session)
    names = {p.id: p for p in products}
    farms = list_farms(session, org=org)
    farm_codes = {f.id: f.code for f in farms}
    lots = session.exec(
        select(Lot)
        .where(col(Lot.custodian_org_id) == org.id, col(Lot.recalled_at).is_(None))
        .where(col(Lot.in_transit_to).is_(None))
        .order_by(col(Lot.created_at).desc(), col(Lot.id).desc())
        .limit(MAX_LOTS)
    ).all()
    return {
        "farms": [_farm(farm) for farm in farms],
        "products": [_product(product) for product in products],
        "lots": [_lot(lot, names.get(lot.product_id), farm_codes) for lot in lots],
        "lot_code": {
            "region": REGION,
            "alphabet": ALPHABET,
            "random_chars": RANDOM_CHARS,
            "max_length": LOT_CODE_MAX,
        },
    }


def _farm(farm: Farm) -> dict[str, Any]:
    return {"code": farm.code, "name": farm.name, "commune": farm.commune}


def _product(product: Product) -> dict[str, Any]:
    return {
        "code": product.code,
        "name_vi": product.name_vi,
        "name_en": product.name_en,
        "tag": code_tag(product),
    }


def _lot(lot: Lot, product: Product | None, farm_codes: dict[int | None, str]) -> dict[str, Any]:
    return {
        "code": lot.code,
        "product": product.code if product else None,
        "product_name": product.name_vi if product else None,
        "farm": farm_codes.get(lot.farm_id),
        "quantity": lot.quantity,
        "unit": lot.unit,
        "harvested_at": rfc3339_z(lot.harvested_at) if lot.harvested_at else None,
    }
