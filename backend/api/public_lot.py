"""A lot's public face in the API: what its consumer page shows, and nothing more.

``GET /api/v1/lots/{code}`` without a key (or with a key that may not read the lot) answers
this record. It is cut from the full record by an allow-list, so a member added to the full
record later stays private until someone decides to add it here. Left out on purpose, as the
consumer page leaves them out: who holds the lot now, how much of it is left, which lots were
made from it, event ids, hashes and raw event data (the page prints only a sentence or two of
it, in the reader's language), organisation slugs, and a farm's exact point.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from backend.api.schemas_v2 import LotPublicV2
from backend.hashing import org_ref_name
from backend.models import Organisation
from backend.schemas import LotPublic
from backend.services.catalog import gs1_prefixes
from backend.services.ledger.transit import open_transfer
from backend.services.verification import claims
from backend.services.verification.chain_view import ChainView


class PublicProduct(BaseModel):
    """The product as the page names it."""

    name_vi: str
    name_en: str | None
    gtin: str | None


class PublicCertification(BaseModel):
    """A stated certificate and whether a regulator's signed review confirms it."""

    scheme: str
    number: str | None
    issuer: str | None
    valid_until: str | None
    status: Literal["self_declared", "confirmed"]
    confirmed_by: str | None = Field(description="The confirming regulator, as it signed.")


class PublicFarm(BaseModel):
    """The farm as the page shows it: no code, no point; a private name stays null."""

    name: str | None
    commune: str
    province: str
    growing_area_code: str | None
    growing_area_status: Literal["self_declared", "confirmed"] | None = Field(
        description="confirmed: a registered growing area holds the code and lists the farm."
    )
    certifications: list[PublicCertification]


class PublicParent(BaseModel):
    code: str
    kind: str


class PublicEvent(BaseModel):
    """One step of the journey as the page lists it."""

    type: str
    occurred_at: datetime
    org_name: str | None
    anchored_at: datetime | None = None
    recorded_late: bool = False
    tx_hash: str | None = None
    block_number: int | None = None


class LotPublicView(BaseModel):
    """``GET /lots/{code}`` for the public: the consumer page's facts about the lot."""

    code: str
    rules: Literal[1, 2]
    verdict: str | None = Field(description="The verification's verdict (rules v2 lots).")
    product: PublicProduct
    brand_owner: str | None = Field(
        description="Who holds the GTIN's GS1 company prefix in the platform's register; on a "
        "rules-v2 lot named only as a checked document of its line names that organisation "
        "(null when none does)."
    )
    producer: str | None = Field(description="The organisation that harvested the lot.")
    farm: PublicFarm | None
    quantity: str = Field(description="The quantity the lot was recorded with.")
    unit: str
    harvested_at: datetime | None
    parents: list[PublicParent]
    recalled: bool
    recalled_at: datetime | None
    recall_reason: str | None
    in_transit_to: str | None = Field(
        description="While a shipment waits for its receiver: the receiver's name (the "
        "page's journey then reads in transit); null otherwise."
    )
    events: list[PublicEvent]


def public_view(session: Session, full: LotPublic, view: ChainView) -> LotPublicView:
    """The public face of a full lot record (rules v1 or v2); ``view`` judges the reviews of
    the farm's claims as the consumer page does."""
    v2 = full if isinstance(full, LotPublicV2) else None
    names = _org_names(session, {event.org for event in full.events})
    farm = full.farm
    owner = gs1_prefixes.brand_owner(session, full.product.gtin)
    owner_name = owner.name if owner else None
    if v2 is not None and owner is not None:  # named only as the checked documents name it
        owner_name = _stated_names(v2).get(owner.slug)
    return LotPublicView(
        code=full.code,
        rules=2 if v2 else 1,
        verdict=v2.verdict if v2 else None,
        product=PublicProduct(
            name_vi=full.product.name_vi, name_en=full.product.name_en, gtin=full.product.gtin
        ),
        brand_owner=owner_name,
        producer=(v2.producer.name if v2 and v2.producer else _harvester(full, names)),
        farm=None if farm is None else _farm(session, farm, view),
        quantity=full.quantity,
        unit=full.unit,
        harvested_at=full.harvested_at,
        parents=[PublicParent(code=p.code, kind=p.kind) for p in full.parents],
        recalled=full.recalled,
        recalled_at=full.recalled_at,
        recall_reason=full.recall_reason,
        in_transit_to=_in_transit_to(session, full),
        events=[_event(event, names) for event in full.events],
    )


def _stated_names(full: LotPublicV2) -> dict[str, str]:
    """Organisation names by slug as the lot's checked documents state them (each event's
    recorder, the lot's producer)."""
    names = {e.org: e.org_name for e in full.events if e.proven and e.org_name}
    if full.producer is not None:
        names.setdefault(full.producer.slug, full.producer.name)
    return names


def _in_transit_to(session: Session, full: LotPublic) -> str | None:
    """The receiver of the shipment the record shows open (the page's rule, from the same
    documents for a rules-v2 lot: ``services.ledger.transit``)."""
    waiting = open_transfer((event.type, event.data) for event in full.events)
    if waiting is None:
        return None
    receiver = waiting.get("to")
    if (stated := org_ref_name(receiver)) is not None:
        return stated
    slug = receiver if isinstance(receiver, str) else ""
    return _org_names(session, {slug}).get(slug, slug)


def _event(event: Any, names: dict[str, str]) -> PublicEvent:
    stated = getattr(event, "org_name", None)
    return PublicEvent(
        type=event.type,
        occurred_at=event.occurred_at,
        org_name=stated or names.get(event.org),
        anchored_at=getattr(event, "anchored_at", None),
        recorded_late=getattr(event, "recorded_late", False),
        tx_hash=getattr(event, "tx_hash", None),
        block_number=getattr(event, "block_number", None),
    )


def _farm(session: Session, farm: Any, view: ChainView) -> PublicFarm:
    stated = [c for c in farm.certifications if c.get("scheme")]
    standings = claims.certificate_standings(
        session, farm_code=farm.code, certificates=stated, view=view
    )
    return PublicFarm(
        name=farm.name,
        commune=farm.commune,
        province=farm.province,
        growing_area_code=farm.growing_area_code,
        growing_area_status=claims.area_standing(  # type: ignore[arg-type]
            session, farm_code=farm.code, area_code=farm.growing_area_code
        ),
        certifications=[_certification(c, s) for c, s in zip(stated, standings, strict=True)],
    )


def _certification(item: dict[str, Any], standing: claims.ClaimStanding) -> PublicCertification:
    return PublicCertification(
        scheme=str(item["scheme"]),
        number=_text(item.get("number")),
        issuer=_text(item.get("issuer")),
        valid_until=_text(item.get("valid_until")),
        status=standing.status,  # type: ignore[arg-type]
        confirmed_by=standing.confirmed_by,
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _harvester(full: LotPublic, names: dict[str, str]) -> str | None:
    harvest = next((e for e in full.events if e.type == "harvest"), None)
    return names.get(harvest.org) if harvest is not None else None


def _org_names(session: Session, slugs: set[str]) -> dict[str, str]:
    if not slugs:
        return {}
    rows = session.exec(
        select(Organisation.slug, Organisation.name).where(col(Organisation.slug).in_(slugs))
    )
    return dict(rows.all())
