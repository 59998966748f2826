"""The rules-v2 document of a new event: its place in the lot, the lot's facts, commitments.

Rules v2 (docs/proof-rules.md) chain a lot's events (``seq``, ``prev``), put every fact a page
shows about the lot into its first event (product, producer, farm, quantity, harvest time) and
name a derived lot's parent events there, and give every organisation ``data`` names its name
beside its slug (a transfer's sender and receiver), so nothing a consumer reads comes from an
unhashed row. Exact positions and values marked private enter the document only as salted
commitments; the value and salt are kept as :class:`~backend.models.Disclosure` rows for
authorised readers.

The caller holds the lot's lock: ``seq`` and ``prev`` come from the lot row's newest event and
are advanced here, so two writers of one lot can never take the same ``seq`` (and the unique
``(lot_id, lot_seq)`` constraint would refuse it if they did).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from backend.hashing import (
    canonical_bytes,
    canonical_document_v2,
    commit,
    farm_facts,
    keccak,
    lot_facts,
    new_salt,
    org_ref,
    to_hex,
)
from backend.models import Disclosure, Event, EventType, Farm, Lot, LotLink, Organisation, Product
from backend.new_rows import fill_new_row, new_row
from backend.services.accounts.orgs import get_org_by_slug

SCHEMA_VERSION = 2
#: Members of ``data`` that name an organisation by its slug, by event type. Under rules v2 each
#: becomes ``{"org": slug, "name": name}`` (docs/proof-rules.md 3.4): a page shows that name,
#: so it must be under the hash, not read from an ``organisation`` row anyone can edit.
ORG_MEMBERS: dict[EventType, tuple[str, ...]] = {EventType.TRANSFER: ("from", "to")}


@dataclass
class PrivateValues:
    """Values replaced by commitments in one document, to be stored as disclosures."""

    opened: list[tuple[str, Any, bytes]] = field(default_factory=list)  # (path, value, salt)

    def commit(self, path: str, value: Any) -> dict[str, str]:
        salt = new_salt()
        self.opened.append((path, value, salt))
        return commit(value, salt)

    def disclosures(self, event_id: str) -> list[Disclosure]:
        return [
            new_row(Disclosure, event_id=event_id, path=path, value=value, salt=to_hex(salt))
            for path, value, salt in self.opened
        ]


def seal_v2(
    session: Session,
    *,
    event: Event,
    lot: Lot,
    org: Organisation,
    private_fields: Sequence[str] = (),
) -> list[Disclosure]:
    """Give ``event`` its v2 document: commitments, ``lot_seq``/``prev_hash``, canonical bytes
    and hash; advance the lot's newest event. Returns the disclosures to store with it."""
    private = PrivateValues()
    location = _public_location(event.location, private)
    named = _named_orgs(session, EventType(event.type), event.data, org)
    data = _public_data(named, private_fields, private)
    seq = lot.last_seq + 1
    first = seq == 1
    document = canonical_document_v2(
        event_id=event.id,
        lot_code=lot.code,
        seq=seq,
        prev=None if first else lot.last_event_hash,
        event_type=str(event.type),
        occurred_at=event.occurred_at,
        org_slug=org.slug,
        org_name=org.name,
        location=location,
        data=data,
        lot_facts=_lot_facts(session, lot, private) if first else None,
        parents=_parents(session, lot) if first else None,
    )
    raw = canonical_bytes(document)
    fill_new_row(  # the event is new: set its columns without the ORM's change history
        event,
        location=location,
        data=data,
        schema_version=SCHEMA_VERSION,
        lot_seq=seq,
        prev_hash=document["prev"],
        canonical=raw,
        event_hash=to_hex(keccak(raw)),  # rule 3: the hash of exactly the bytes stored
    )
    lot.last_seq = seq
    lot.last_event_hash = event.event_hash
    return private.disclosures(event.id)


def _named_orgs(
    session: Session, event_type: EventType, data: dict[str, Any], org: Organisation
) -> dict[str, Any]:
    """Each organisation ``data`` names by slug (:data:`ORG_MEMBERS`) with its name beside it."""
    members = [key for key in ORG_MEMBERS.get(event_type, ()) if isinstance(data.get(key), str)]
    if not members:
        return data
    named = dict(data)
    for key in members:
        slug = named[key]
        found = org if slug == org.slug else get_org_by_slug(session, slug)
        assert found is not None, f"data.{key} names no organisation"  # the service checked it
        named[key] = org_ref(found.slug, found.name)
    return named


def _public_location(location: dict[str, Any] | None, private: PrivateValues) -> Any:
    """An exact point (``lat``/``lon``) becomes a commitment; the rest stays readable."""
    if location is None or not ({"lat", "lon"} & location.keys()):
        return location
    point = {k: location[k] for k in ("lat", "lon") if k in location}
    public = {k: v for k, v in location.items() if k not in point}
    public["point"] = private.commit("location.point", point)
    return public


def _public_data(
    data: dict[str, Any], private_fields: Sequence[str], private: PrivateValues
) -> dict[str, Any]:
    """Members the recorder marked private become commitments."""
    if not private_fields:
        return data
    public = dict(data)
    for name in private_fields:
        if name in public:
            public[name] = private.commit(f"data.{name}", public[name])
    return public


def _lot_facts(session: Session, lot: Lot, private: PrivateValues) -> dict[str, Any]:
    product = session.get(Product, lot.product_id)
    farm = session.get(Farm, lot.farm_id) if lot.farm_id is not None else None
    producer_id = farm.org_id if farm is not None else lot.custodian_org_id
    producer = session.get(Organisation, producer_id)
    assert product is not None and producer is not None
    return lot_facts(
        product_code=product.code,
        product_name=product.name_vi,
        product_name_en=product.name_en,
        gtin=product.gtin,
        producer_slug=producer.slug,
        producer_name=producer.name,
        farm=None if farm is None else _farm(farm, private),
        quantity=lot.quantity,
        unit=lot.unit,
        harvested_at=lot.harvested_at,
    )


def _farm(farm: Farm, private: PrivateValues) -> dict[str, Any]:
    point = None
    if farm.lat is not None and farm.lon is not None:
        point = private.commit("lot_facts.farm.point", {"lat": farm.lat, "lon": farm.lon})
    return farm_facts(
        code=farm.code,
        name=farm.name,
        commune=farm.commune,
        province=farm.province,
        growing_area_code=farm.growing_area_code,
        certifications=farm.certifications,
        point=point,
    )


def _parents(session: Session, lot: Lot) -> list[tuple[str, str]] | None:
    """Each parent lot with its newest event, the split or merge that made ``lot``."""
    rows = session.exec(
        select(Lot)
        .join(LotLink, col(LotLink.parent_id) == col(Lot.id))
        .where(LotLink.child_id == lot.id)
    ).all()
    if not rows:
        return None
    return [
        (parent.code, parent.last_event_hash or _newest_v1_hash(session, parent)) for parent in rows
    ]


def _newest_v1_hash(session: Session, parent: Lot) -> str:
    """The newest event of a lot recorded under rules v1 (which keeps no ``last_event_hash``):
    the split or merge that made the child, recorded just before it."""
    newest = session.exec(
        select(Event.event_hash).where(Event.lot_id == parent.id).order_by(col(Event.seq).desc())
    ).first()
    return newest or ""
