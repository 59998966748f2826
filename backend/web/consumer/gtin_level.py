"""The GTIN level of the resolver: whether a GTIN is known, and its product as proven.

A GTIN is known when a product carries it. What its product page and linkset state of it (the
name) comes from the newest lot of that GTIN whose documents are proven (``verified``, or
``recalled``), as that lot's first document states it; a GTIN none of whose recent lots is
proven is shown by its number alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from backend.models import Lot, Product
from backend.services.verification.chain_view import ChainView
from backend.services.verification.engine import verify_lineage
from backend.services.verification.lineage import load_lineage
from backend.services.verification.proven_facts import proven_lot_facts
from backend.services.verification.proven_status import is_proven

#: How many of the GTIN's newest lots are tried for a verified one (each costs a verification).
LOTS_TRIED = 5


@dataclass(frozen=True)
class KnownGtin:
    """A GTIN some product carries, with its names when a verified lot states them."""

    gtin: str
    name_vi: str | None
    name_en: str | None
    #: The lot whose verified document the names come from.
    proven_by: str | None

    def name(self, lang: str) -> str | None:
        return self.name_en if lang == "en" and self.name_en else self.name_vi


def gtin_carried(session: Session, gtin: str) -> bool:
    """Whether a product carries ``gtin`` (one indexed query, no verification)."""
    found = session.exec(select(Product.id).where(Product.gtin == gtin).limit(1)).first()
    return found is not None


def known_gtin(session: Session, view: ChainView, gtin: str) -> KnownGtin | None:
    """The GTIN with its proven names, or None when no product carries it."""
    products = session.exec(select(Product.id).where(Product.gtin == gtin)).all()
    if not products:
        return None
    codes = session.exec(
        select(Lot.code)
        .where(col(Lot.product_id).in_(products))
        .order_by(col(Lot.id).desc())
        .limit(LOTS_TRIED)
    ).all()
    for code in codes:
        lineage = load_lineage(session, code)
        if lineage is None:
            continue
        verification = verify_lineage(lineage, view)
        facts = proven_lot_facts(verification)
        if not is_proven(verification) or facts is None:
            continue
        product = facts["product"]
        if product["gtin"] == gtin:
            return KnownGtin(gtin, product["name"], product["name_en"], proven_by=code)
    return KnownGtin(gtin, None, None, proven_by=None)
