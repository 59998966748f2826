"""Rows → API models. The only place that decides what a response shows of a table row.

Stored datetimes go through ``as_utc`` because SQLite hands them back without a zone.
"""

from __future__ import annotations

from dataclasses import asdict

from sqlmodel import Session

from backend.api.schemas_custody import ShipmentChanged, ShipmentPublic
from backend.config import Settings
from backend.models import (
    ApiKey,
    Batch,
    BatchStatus,
    Event,
    Farm,
    Lot,
    Organisation,
    Product,
)
from backend.models_custody import Shipment, ShipmentStatus
from backend.schemas import (
    AnchorStatus,
    ApiKeyPublic,
    EventAccepted,
    EventDisclosure,
    EventPublic,
    FarmPublic,
    FarmSummary,
    LinkedLotPublic,
    LotChanged,
    LotCreated,
    LotDisclosure,
    LotPublic,
    LotSummary,
    OrgPublic,
    ProductPublic,
)
from backend.services.ledger import queries, shipments
from backend.services.ledger.disclosures import EventDisclosures
from backend.timeutil import as_utc


def org_public(org: Organisation) -> OrgPublic:
    return OrgPublic(slug=org.slug, name=org.name, role=org.role)


def api_key_public(row: ApiKey) -> ApiKeyPublic:
    return ApiKeyPublic(
        id=_id(row),
        prefix=row.prefix,
        label=row.label,
        created_at=as_utc(row.created_at),
        revoked_at=as_utc(row.revoked_at) if row.revoked_at else None,
    )


def product_public(product: Product) -> ProductPublic:
    return ProductPublic(
        code=product.code, name_vi=product.name_vi, name_en=product.name_en, gtin=product.gtin
    )


def farm_summary(farm: Farm) -> FarmSummary:
    return FarmSummary(
        code=farm.code,
        name=farm.name,
        commune=farm.commune,
        province=farm.province,
        growing_area_code=farm.growing_area_code,
        certifications=list(farm.certifications or []),
    )


def farm_public(farm: Farm, owner: Organisation) -> FarmPublic:
    return FarmPublic(
        **farm_summary(farm).model_dump(),
        owner=owner.slug,
        lat=farm.lat,
        lon=farm.lon,
        area_ha=farm.area_ha,
        created_at=as_utc(farm.created_at),
    )


def event_accepted(event: Event, batch: Batch | None = None) -> EventAccepted:
    return EventAccepted(id=event.id, event_hash=event.event_hash, status=_status(batch))


def event_public(event: Event, org: Organisation, batch: Batch | None) -> EventPublic:
    return EventPublic(
        id=event.id,
        type=event.type.value,
        occurred_at=as_utc(event.occurred_at),
        recorded_at=as_utc(event.recorded_at),
        org=org.slug,
        location=event.location,
        data=event.data,
        event_hash=event.event_hash,
        status=_status(batch),
        batch_root=batch.root if batch else None,
    )


def _status(batch: Batch | None) -> AnchorStatus:
    """``anchored`` once the event's batch is confirmed on chain, ``pending`` until then."""
    return "anchored" if batch is not None and batch.status is BatchStatus.CONFIRMED else "pending"


def lot_summary(session: Session, lot: Lot) -> LotSummary:
    product = session.get(Product, lot.product_id)
    custodian = session.get(Organisation, lot.custodian_org_id)
    assert product is not None and custodian is not None
    return LotSummary(
        code=lot.code,
        product=product_public(product),
        quantity=lot.quantity,
        remaining_quantity=queries.remaining_quantity(session, lot),
        unit=lot.unit,
        harvested_at=as_utc(lot.harvested_at) if lot.harvested_at else None,
        custodian=org_public(custodian),
        recalled=lot.recalled_at is not None,
    )


def _farm_of(session: Session, lot: Lot) -> FarmSummary | None:
    farm = session.get(Farm, lot.farm_id) if lot.farm_id is not None else None
    return farm_summary(farm) if farm else None


def lot_created(session: Session, lot: Lot, event: Event) -> LotCreated:
    return LotCreated(
        **lot_summary(session, lot).model_dump(),
        farm=_farm_of(session, lot),
        event=event_accepted(event),
    )


def lot_changed(session: Session, lot: Lot, event: Event) -> LotChanged:
    custodian = session.get(Organisation, lot.custodian_org_id)
    assert custodian is not None
    return LotChanged(
        code=lot.code,
        custodian=org_public(custodian),
        recalled=lot.recalled_at is not None,
        recalled_at=as_utc(lot.recalled_at) if lot.recalled_at else None,
        recall_reason=lot.recall_reason,
        event=event_accepted(event),
    )


def lot_public(session: Session, lot: Lot, events: list[Event] | None = None) -> LotPublic:
    """The lot's record as its rows say; ``events`` are its events when the caller has them."""
    if events is None:
        events = queries.events_for_lot(session, _id(lot))
    orgs = queries.orgs_by_id(session, (e.org_id for e in events))
    batches = queries.batches_by_id(session, (e.batch_id for e in events))
    return LotPublic(
        **lot_summary(session, lot).model_dump(),
        farm=_farm_of(session, lot),
        parents=[_linked(p) for p in queries.lot_parents(session, lot)],
        children=[_linked(c) for c in queries.lot_children(session, lot)],
        recalled_at=as_utc(lot.recalled_at) if lot.recalled_at else None,
        recall_reason=lot.recall_reason,
        events=[
            event_public(e, orgs[e.org_id], batches.get(e.batch_id) if e.batch_id else None)
            for e in events
        ],
    )


def lot_disclosure(code: str, entries: list[EventDisclosures]) -> LotDisclosure:
    # The service's dataclasses have exactly the response's fields.
    return LotDisclosure(
        lot=code, events=[EventDisclosure.model_validate(asdict(entry)) for entry in entries]
    )


def _linked(link: queries.LinkedLot) -> LinkedLotPublic:
    return LinkedLotPublic(code=link.lot.code, kind=str(link.kind), quantity=link.quantity)


def _id(row: ApiKey | Lot) -> int:
    assert row.id is not None
    return row.id


def shipment_changed(
    session: Session, lot: Lot, event: Event, shipment: Shipment, settings: Settings
) -> ShipmentChanged:
    """A custody step's answer: the lot's holder now, and the shipment the step opened or
    closed."""
    orgs = queries.orgs_by_id(
        session, (lot.custodian_org_id, shipment.from_org_id, shipment.to_org_id)
    )
    return ShipmentChanged(
        code=lot.code,
        custodian=org_public(orgs[lot.custodian_org_id]),
        in_transit=lot.in_transit_to is not None,
        shipment=ShipmentPublic(
            id=shipment.id,
            status=ShipmentStatus(shipment.status).value,
            sender=org_public(orgs[shipment.from_org_id]),
            receiver=org_public(orgs[shipment.to_org_id]),
            sent_at=as_utc(shipment.sent_at),
            cancellable_from=shipments.voidable_from(shipment, settings),
            reason=shipment.reason,
        ),
        event=event_accepted(event),
    )
