"""What the consumer page shows, shaped from the ledger rows and the verification result.

The template gets plain frozen dataclasses with text already chosen for the page's language
(product name, event details, verdict reasons), so it holds no logic beyond layout. Every
value that came from a user stays a plain ``str`` here: escaping is the template engine's job
(autoescape is always on), never this module's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy import select as sql_select
from sqlmodel import Session, col, select

from backend.config import Settings
from backend.i18n import Translator
from backend.models import Batch, EventType, Farm, LotLink, Product
from backend.services.labels.scans import ScanSummary
from backend.services.verification.engine import EventCheck, Verification
from backend.services.verification.lineage import Lineage
from backend.services.verification.verdicts import Verdict
from backend.timeutil import as_utc, in_vietnam, rfc3339_z, utcnow

#: Placeholders an explorer link template may use, e.g.
#: ``SENTRACE_EXPLORER_TX_URL=https://sepolia.etherscan.io/tx/{tx}``.
TX_PLACEHOLDER = "{tx}"
BLOCK_PLACEHOLDER = "{block}"
CHAIN_PLACEHOLDER = "{chain_id}"

_FREE_TEXT_KEYS = ("text", "note", "notes", "description")
_PLACE_KEYS = ("name", "address", "commune", "province")


@dataclass(frozen=True)
class CertificationView:
    scheme: str
    valid_until: str | None  # dd/mm/yyyy
    expired: bool = False  # past its end date (Vietnam's calendar): shown, but as lapsed


@dataclass(frozen=True)
class FarmView:
    name: str
    commune: str
    province: str
    growing_area_code: str | None
    certifications: tuple[CertificationView, ...]


@dataclass(frozen=True)
class AncestorView:
    """One lot up the split/merge line; ``kind`` says how the lot below came from it."""

    code: str
    kind: str  # "split" | "merge"
    is_harvest: bool


@dataclass(frozen=True)
class EventView:
    type: str
    lot_code: str
    occurred_at: datetime
    occurred_at_iso: str
    actor: str | None
    place: str | None
    details: tuple[str, ...]
    verdict: str
    reason: str | None  # plain-language, only when the event is not verified


@dataclass(frozen=True)
class AnchorView:
    block_number: int | None
    tx_hash: str | None
    tx_url: str | None
    block_url: str | None
    chain_id: int | None
    contract_address: str | None


@dataclass(frozen=True)
class RecallView:
    lot_code: str
    reason: str
    recalled_at: datetime | None


@dataclass(frozen=True)
class LotPageView:
    """Everything ``consumer/lot.html`` renders."""

    verdict: str
    verdict_details: tuple[str, ...]  # which events broke the record, for a tampered lot
    lot_code: str
    product_name: str
    gtin: str | None
    quantity: str
    unit: str
    harvested_at: datetime | None
    farm: FarmView | None
    ancestry: tuple[AncestorView, ...]
    events: tuple[EventView, ...]
    anchors: tuple[AnchorView, ...]
    recall: RecallView | None
    scan: ScanSummary | None
    proof_url: str


@dataclass(frozen=True)
class ProductAndFarm:
    """The product of a lot and the farm it was grown on, read in one query."""

    name_vi: str
    name_en: str | None
    gtin: str | None
    farm: FarmView | None

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
            col(Farm.id),
            col(Farm.name),
            col(Farm.commune),
            col(Farm.province),
            col(Farm.growing_area_code),
            col(Farm.certifications),
        )
        .select_from(Product)
        .outerjoin(Farm, col(Farm.id) == farm_id)
        .where(col(Product.id) == lot.product_id)
    )
    row = session.connection().execute(query).first()
    if row is None:
        return None
    name_vi, name_en, gtin, found_farm, name, commune, province, area_code, certs = row
    farm = None
    if found_farm is not None:
        farm = farm_view(
            name=name,
            commune=commune,
            province=province,
            growing_area_code=area_code,
            certifications=certs,
        )
    return ProductAndFarm(name_vi=name_vi, name_en=name_en, gtin=gtin, farm=farm)


def farm_view(
    *,
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


def place_text(location: Mapping[str, Any] | None) -> str | None:
    """A readable place: its name or address parts, else its coordinates, else nothing."""
    if not location:
        return None
    parts = [str(location[key]) for key in _PLACE_KEYS if isinstance(location.get(key), str)]
    parts = [part for part in parts if part.strip()]
    if parts:
        return ", ".join(dict.fromkeys(parts))
    lat, lon = location.get("lat"), location.get("lon")
    if lat is not None and lon is not None:
        return f"{lat}, {lon}"
    return None


def event_details(
    event_type: str,
    data: Mapping[str, Any],
    t: Translator,
    *,
    org_names: Mapping[str, str],
    unit: str = "",
) -> tuple[str, ...]:
    """A line or two saying what the event recorded, in the page's language."""
    lines: list[str] = []
    if event_type == EventType.INPUT_APPLICATION and "active_ingredient" in data:
        lines.append(
            t(
                "consumer.event_data.input",
                product=data.get("product", ""),
                ingredient=data.get("active_ingredient", ""),
                dose=data.get("dose", ""),
                unit=data.get("unit", ""),
                days=data.get("pre_harvest_interval_days", ""),
            )
        )
    elif event_type == EventType.QUALITY_CHECK and data.get("result") in ("pass", "fail"):
        lines.append(t(f"consumer.event_data.quality_{data['result']}"))
    elif event_type == EventType.TRANSFER and isinstance(data.get("to"), str):
        lines.append(
            t("consumer.event_data.transfer_to", org=org_names.get(data["to"], data["to"]))
        )
    elif event_type == EventType.RECALL and isinstance(data.get("reason"), str):
        lines.append(t("consumer.event_data.recall_reason", reason=data["reason"]))
    elif event_type in (EventType.SPLIT, EventType.MERGE):
        lines.extend(_lot_movement(event_type, data, t, unit))
    lines.extend(
        data[key] for key in _FREE_TEXT_KEYS if isinstance(data.get(key), str) and data[key]
    )
    return tuple(lines)


def _lot_movement(event_type: str, data: Mapping[str, Any], t: Translator, unit: str) -> list[str]:
    """Split and merge events name the lots on the other side and the quantities moved."""
    many_key, many_text = (
        ("children", "split_into") if event_type == EventType.SPLIT else ("sources", "merged_from")
    )
    one_key, one_text = (
        ("parent", "split_from") if event_type == EventType.SPLIT else ("into", "merged_into")
    )
    parts = data.get(many_key)
    if isinstance(parts, list):
        named = [
            t("consumer.event_data.part", lot=p.get("code"), quantity=p.get("quantity"), unit=unit)
            for p in parts
            if isinstance(p, Mapping) and isinstance(p.get("code"), str)
        ]
        return [t(f"consumer.event_data.{many_text}", lots=", ".join(named))] if named else []
    if isinstance(data.get(one_key), str):
        quantity = data.get("quantity", "")
        return [
            t(f"consumer.event_data.{one_text}", lot=data[one_key], quantity=quantity, unit=unit)
        ]
    return []


def explorer_link(
    template: str, *, tx: str | None = None, block: int | None = None, chain_id: int | None = None
) -> str | None:
    """Fill an explorer URL template from settings; ``None`` if unset or not http(s).

    Plain replacement rather than ``str.format`` so that a template with other braces in it
    cannot raise or pull attributes out of the values.
    """
    if not template or not template.lower().startswith(("https://", "http://")):
        return None
    if TX_PLACEHOLDER in template and tx is None:
        return None
    if BLOCK_PLACEHOLDER in template and block is None:
        return None
    link = template.replace(TX_PLACEHOLDER, tx or "").replace(BLOCK_PLACEHOLDER, str(block))
    return link.replace(CHAIN_PLACEHOLDER, "" if chain_id is None else str(chain_id))


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


# ------------------------------------------------------------------------------ the page


def build_lot_page(
    session: Session,
    *,
    lineage: Lineage,
    verification: Verification,
    product: ProductAndFarm | None,
    settings: Settings,
    lang: str,
    t: Translator,
    scan: ScanSummary | None,
) -> LotPageView:
    """Shape one verification into the page (one more query, for split or merged lots)."""
    lot = lineage.record.lot
    lots = [record.lot for record in lineage.records]
    harvested = next((item.harvested_at for item in lots if item.harvested_at), None)
    checks = [
        check
        for lot_check in (verification.lot, *verification.ancestors)
        for check in lot_check.events
    ]
    checks.sort(key=lambda check: (as_utc(check.event.occurred_at), check.event.seq or 0))
    org_names = {org.slug: org.name for org in lineage.orgs.values()}
    events = tuple(_event_view(check, lineage, lang, t, org_names, lot.unit) for check in checks)
    return LotPageView(
        verdict=str(verification.verdict),
        verdict_details=_verdict_details(verification, events, lang, t),
        lot_code=lot.code,
        product_name=product.name(lang) if product else lot.code,
        gtin=product.gtin if product else None,
        quantity=lot.quantity,
        unit=lot.unit,
        harvested_at=as_utc(harvested) if harvested else None,
        farm=product.farm if product else None,
        ancestry=_ancestry(session, lineage),
        events=events,
        anchors=_anchors(lineage, verification, settings),
        recall=_recall(verification),
        scan=scan,
        proof_url=f"/api/v1/lots/{quote(lot.code, safe='')}/proof",
    )


def _event_view(
    check: EventCheck,
    lineage: Lineage,
    lang: str,
    t: Translator,
    org_names: Mapping[str, str],
    unit: str,
) -> EventView:
    event = check.event
    org = lineage.orgs.get(event.org_id)
    verdict = str(check.verdict)
    return EventView(
        type=str(event.type),
        lot_code=check.lot_code,
        occurred_at=as_utc(event.occurred_at),
        occurred_at_iso=rfc3339_z(event.occurred_at),
        actor=org.name if org else None,
        place=place_text(event.location),
        details=event_details(str(event.type), event.data or {}, t, org_names=org_names, unit=unit),
        verdict=verdict,
        reason=None if check.verdict is Verdict.VERIFIED else check.finding.text(lang),
    )


def _verdict_details(
    verification: Verification, events: tuple[EventView, ...], lang: str, t: Translator
) -> tuple[str, ...]:
    """For a tampered lot, name the events that no longer match (or the batch problem)."""
    if verification.verdict is not Verdict.TAMPERED:
        return ()
    broken = [
        t(
            "consumer.tampered_event",
            type=t(f"consumer.event_type.{event.type}"),
            date=in_vietnam(event.occurred_at).strftime("%d/%m/%Y %H:%M"),
            lot=event.lot_code,
        )
        for event in events
        if event.verdict == Verdict.TAMPERED
    ]
    return tuple(broken) or (verification.finding.text(lang),)


def _ancestry(session: Session, lineage: Lineage) -> tuple[AncestorView, ...]:
    """The lots above this one, nearest first, each with how its child came from it."""
    if not lineage.ancestors:
        return ()
    ids = [record.lot.id for record in lineage.records]
    links = session.exec(select(LotLink).where(col(LotLink.child_id).in_(ids))).all()
    kind_of_parent: dict[int | None, str] = {link.parent_id: str(link.kind) for link in links}
    has_parents: set[int | None] = {link.child_id for link in links}
    return tuple(
        AncestorView(
            code=record.lot.code,
            kind=kind_of_parent.get(record.lot.id, "split"),
            is_harvest=record.lot.id not in has_parents,
        )
        for record in lineage.ancestors
    )


def _anchors(
    lineage: Lineage, verification: Verification, settings: Settings
) -> tuple[AnchorView, ...]:
    """One entry per anchored batch of the lineage, oldest block first."""
    seen: dict[int, Batch] = {}
    for record in lineage.records:
        for event in record.events:
            batch = lineage.batches.get(event.batch_id) if event.batch_id is not None else None
            if batch is not None and batch.id is not None and batch.tx_hash:
                seen.setdefault(batch.id, batch)
    chain_id = verification.chain.chain_id
    contract = verification.chain.contract_address
    views = []
    for batch in sorted(seen.values(), key=lambda b: (b.block_number or 0, b.id or 0)):
        batch_chain = batch.chain_id if batch.chain_id is not None else chain_id
        views.append(
            AnchorView(
                block_number=batch.block_number,
                tx_hash=batch.tx_hash,
                tx_url=explorer_link(
                    settings.explorer_tx_url, tx=batch.tx_hash, chain_id=batch_chain
                ),
                block_url=explorer_link(
                    settings.explorer_block_url, block=batch.block_number, chain_id=batch_chain
                ),
                chain_id=batch_chain,
                contract_address=batch.contract_address or contract,
            )
        )
    return tuple(views)


def _recall(verification: Verification) -> RecallView | None:
    info = verification.recall
    if info is None:
        return None
    recalled_at = None
    if info.recalled_at:
        recalled_at = as_utc(datetime.fromisoformat(info.recalled_at.replace("Z", "+00:00")))
    return RecallView(lot_code=info.lot_code, reason=info.reason or "", recalled_at=recalled_at)
