"""A rules-v2 lot's verification → its public record (:class:`LotPublicV2`).

The record starts as the rows say (the rules-v1 record) and every fact the documents state is
then taken from them; only what no document states stays the rows': the custodian, the children
and when each event reached the server. A lot whose first document cannot be read keeps the
rows' facts, with ``verified_facts`` false and the verification's verdict beside them.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlmodel import Session

from backend.api import presenters
from backend.api.schemas_v2 import EventPublicV2, LotPublicV2, OrgRef, ProvenFarmPublic
from backend.models import Event, Lot
from backend.schemas import EventPublic, LinkedLotPublic, LotPublic, ProductPublic
from backend.services.verification.proven_facts import (
    ProvenFarm,
    ProvenLot,
    chain_anchor,
    in_stated_order,
    proven_lot,
)
from backend.services.verification.results import EventCheck, Verification
from backend.timeutil import as_utc


def lot_public_v2(
    session: Session, lot: Lot, events: list[Event], verification: Verification
) -> LotPublicV2:
    rows = presenters.lot_public(session, lot, events)
    by_id = {event.id: event for event in rows.events}
    proven = proven_lot(verification.lot)
    checks = in_stated_order(verification.lot.events)
    shown = [_event(check, by_id.get(check.event.id)) for check in checks]
    shown_events = [event for event in shown if event is not None]
    record: dict[str, Any] = {
        **rows.model_dump(exclude={"events", "farm"}),
        "rules": 2,
        "verdict": str(verification.verdict),
        "verified_facts": proven is not None and proven.complete,
        "producer": None,
        "farm": _row_farm(rows),
        "events": shown_events,
    }
    if proven is not None:
        record.update(_proven_members(proven, verification))
    return LotPublicV2.model_validate(record)


def _proven_members(proven: ProvenLot, verification: Verification) -> dict[str, Any]:
    """The members of the record that the lot's documents state."""
    on_chain_recall = verification.lot.recall is not None and verification.lot.recall.on_chain
    recalled_at = proven.recalled_at
    return {
        "product": ProductPublic(
            code=proven.product_code,
            name_vi=proven.product_name,
            name_en=proven.product_name_en,
            gtin=proven.gtin,
        ),
        "producer": OrgRef(slug=proven.producer_org, name=proven.producer_name),
        "farm": None if proven.farm is None else _farm(proven.farm),
        "quantity": proven.quantity,
        "remaining_quantity": proven.remaining,
        "unit": proven.unit,
        "harvested_at": proven.harvested_at,
        "parents": [
            LinkedLotPublic(code=p.code, kind=p.kind, quantity=p.quantity) for p in proven.parents
        ],
        "recalled": recalled_at is not None or bool(on_chain_recall),
        "recalled_at": recalled_at,
        "recall_reason": proven.recall_reason,
    }


def _farm(farm: ProvenFarm) -> ProvenFarmPublic:
    return ProvenFarmPublic.model_validate(asdict(farm))  # the same members, by design


def _row_farm(rows: LotPublic) -> ProvenFarmPublic | None:
    return None if rows.farm is None else ProvenFarmPublic(**rows.farm.model_dump(), private=[])


def _event(check: EventCheck, row: EventPublic | None) -> EventPublicV2 | None:
    """One event from its document, or from its row (``proven`` false) when none is readable;
    None for an unreadable one recorded since the rows were read."""
    anchor = chain_anchor(check)
    chain: dict[str, Any] = {
        "status": "anchored" if anchor is not None else "pending",
        "tx_hash": anchor.tx_hash if anchor else None,
        "block_number": anchor.block_number if anchor else None,
        "anchored_at": check.anchored_at if anchor else None,
        "recorded_late": check.recorded_late,
    }
    document, event = check.document, check.event
    if document is None:
        if row is None:
            return None
        stated = {**row.model_dump(), "seq": event.lot_seq, "org_name": None, "proven": False}
        return EventPublicV2.model_validate({**stated, **chain})
    return EventPublicV2(
        id=event.id,
        type=document["type"],
        occurred_at=document["occurred_at"],
        recorded_at=as_utc(event.recorded_at),
        org=document["org"],
        org_name=document["org_name"],
        location=document["location"],
        data=document["data"],
        event_hash=check.computed_hash or event.event_hash,
        batch_root=check.batch.root if check.batch else None,
        seq=document["seq"],
        proven=True,
        **chain,
    )
