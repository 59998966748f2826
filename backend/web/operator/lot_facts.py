"""The facts block of a lot's page: what the lot is, where it grew, how much, from which lots.

A rules-v2 lot's facts come from its checked documents (``proven``): product, producer, farm,
quantities, harvest time, parents and recall. A rules-v1 lot has no documents stating them, and
its page reads the rows as it always did. Either way the template shows one :class:`LotFacts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from backend.models import Farm, Lot, Product
from backend.services.ledger.queries import lot_parents, remaining_quantity
from backend.services.verification.proven_facts import ProvenFarm, ProvenLot
from backend.web.operator.views import product_name


@dataclass(frozen=True)
class FarmFacts:
    """The farm as the page shows it; ``name`` is None when a document keeps it private."""

    code: str
    name: str | None
    commune: str
    province: str
    growing_area_code: str | None


@dataclass(frozen=True)
class ParentFacts:
    """A lot this one was split or merged from, with the quantity that came from it."""

    code: str
    quantity: str | None


@dataclass(frozen=True)
class LotFacts:
    """What the page states of a lot; ``proven`` when read from its checked documents."""

    proven: bool
    product_label: str
    gtin: str | None
    quantity: str
    unit: str
    remaining: str
    harvested_at: datetime | None
    farm: FarmFacts | None
    producer: str | None
    parents: list[ParentFacts]
    recalled_at: datetime | None
    recall_reason: str | None


def facts_from_documents(proven: ProvenLot, lang: str) -> LotFacts:
    return LotFacts(
        proven=True,
        product_label=proven.product_label(lang),
        gtin=proven.gtin,
        quantity=proven.quantity,
        unit=proven.unit,
        remaining=proven.remaining,
        harvested_at=proven.harvested_at,
        farm=_farm(proven.farm),
        producer=proven.producer_name,
        parents=[ParentFacts(p.code, p.quantity) for p in proven.parents],
        recalled_at=proven.recalled_at,
        recall_reason=proven.recall_reason,
    )


def _farm(farm: Farm | ProvenFarm | None) -> FarmFacts | None:
    """The same members whether a row or a document states them."""
    if farm is None:
        return None
    return FarmFacts(farm.code, farm.name, farm.commune, farm.province, farm.growing_area_code)


def facts_from_rows(session: Session, lot: Lot, lang: str) -> LotFacts:
    """The lot as its rows say (rules v1, or a rules-v2 lot whose first document is unreadable,
    which its verdict then says)."""
    product = session.get(Product, lot.product_id)
    farm = session.get(Farm, lot.farm_id) if lot.farm_id is not None else None
    return LotFacts(
        proven=False,
        product_label=product_name(product, lang),
        gtin=product.gtin if product else None,
        quantity=lot.quantity,
        unit=lot.unit,
        remaining=remaining_quantity(session, lot),
        harvested_at=lot.harvested_at,
        farm=_farm(farm),
        producer=None,
        parents=[ParentFacts(link.lot.code, link.quantity) for link in lot_parents(session, lot)],
        recalled_at=lot.recalled_at,
        recall_reason=lot.recall_reason,
    )
