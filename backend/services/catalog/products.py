"""Products: kinds of produce, optionally with a GTIN (stored as GTIN-14)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from backend.errors import Conflict
from backend.i18n.messages import message
from backend.models import Organisation, Product
from backend.services import validation
from backend.services.accounts import permissions
from backend.services.catalog import gs1_prefixes
from backend.services.catalog.gtin import normalize_gtin

DUPLICATE_PRODUCT = message("catalog.product.duplicate")
DUPLICATE_GTIN = message("catalog.product.duplicate_gtin")


def get_product_by_code(session: Session, code: str) -> Product | None:
    """The product with this code, or ``None``."""
    return session.exec(select(Product).where(Product.code == code)).first()


def list_products(session: Session) -> list[Product]:
    """Every product, by code (products are shared reference data, not owned)."""
    return list(session.exec(select(Product).order_by(col(Product.code))))


def create_product(
    session: Session,
    *,
    org: Organisation,
    code: str,
    name_vi: str,
    name_en: str | None = None,
    gtin: str | None = None,
) -> Product:
    """Register a product; the GTIN, if any, must carry a correct GS1 check digit and a GS1
    company prefix registered to ``org`` (``gs1_prefixes``). A product without a GTIN is
    simply its creator's."""
    permissions.require_role(org, permissions.PRODUCT_REGISTRARS)
    product = Product(
        code=validation.code(code, field="code"),
        name_vi=validation.required_text(name_vi, field="name_vi", max_length=200),
        name_en=validation.text(name_en, field="name_en", max_length=200, required=False),
        gtin=None if gtin is None else normalize_gtin(gtin, field="gtin"),
        created_by_org_id=org.id,
    )
    if product.gtin:
        gs1_prefixes.require_gtin_owner(session, org=org, gtin14=product.gtin)
    if get_product_by_code(session, product.code) is not None:
        raise Conflict(DUPLICATE_PRODUCT, field="code")
    if product.gtin and session.exec(select(Product).where(Product.gtin == product.gtin)).first():
        raise Conflict(DUPLICATE_GTIN, field="gtin")
    session.add(product)
    session.flush()
    return product
