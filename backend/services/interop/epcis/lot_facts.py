"""What the EPCIS mapping needs to know about a lot: its code, its product's GTIN, its unit.

Read from the lot's first document (``lot_facts``, proof rules v2 section 3.2): the facts a
consumer is shown are the proven ones. A lot recorded under rules v1 has no such document; its
product row is read instead (v1 proves no lot facts at all).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from backend.hashing import HashingError, read_document
from backend.models import Event, Lot, Product
from backend.services.interop.epcis.mapping import LotFacts


def facts_from_document(code: str, first: dict[str, Any] | None) -> LotFacts | None:
    """The facts a seq-1 document states, or None when it states none."""
    facts = (first or {}).get("lot_facts")
    if not isinstance(facts, dict):
        return None
    product = facts.get("product") or {}
    return LotFacts(code=code, gtin=product.get("gtin"), unit=str(facts.get("unit") or ""))


def facts_of_lot(session: Session, lot: Lot) -> LotFacts:
    """The lot's facts from its first stored document, else from its rows."""
    first = session.exec(select(Event).where(Event.lot_id == lot.id, Event.lot_seq == 1)).first()
    if first is not None and first.canonical is not None:
        try:
            found = facts_from_document(lot.code, read_document(bytes(first.canonical)))
        except HashingError:
            found = None
        if found is not None:
            return found
    product = session.get(Product, lot.product_id)
    return LotFacts(code=lot.code, gtin=product.gtin if product else None, unit=lot.unit)
