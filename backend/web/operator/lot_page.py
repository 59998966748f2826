"""One lot's page: facts, family (split/merge), timeline with verdicts, and what you may do next.

A rules-v2 lot's facts and timeline are read from the documents its verification checked, and
its anchors from the chain (``lot_facts``, ``timeline``); the custodian and the lots split from
it are the database's operational state, and the page says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request, Response
from sqlmodel import Session

from backend.config import Settings
from backend.i18n import Translator
from backend.models import Lot, Organisation, OrgRole
from backend.services.compliance import circular02
from backend.services.ledger.queries import events_for_lot, lot_children, remaining_quantity
from backend.services.ledger.shipments import open_shipment
from backend.services.verification.proven_facts import (
    follows_rules_v2,
    in_stated_order,
    proven_lot,
    proven_org_names,
)
from backend.web.operator.context import HOLDER_ROLES, Operator, page
from backend.web.operator.deps import (
    LangDep,
    OperatorDep,
    RuntimeDep,
    SessionDep,
    TranslatorDep,
    ViewableLotDep,
)
from backend.web.operator.event_forms import EVENT_FORMS
from backend.web.operator.lot_facts import LotFacts, facts_from_documents, facts_from_rows
from backend.web.operator.lot_report import LotReport, lot_report
from backend.web.operator.routing import OperatorRoute
from backend.web.operator.shipments import ShipmentView, shipment_view
from backend.web.operator.timeline import TimelineEntry, build_proven_timeline, build_timeline

router = APIRouter(prefix="/app/lots", tags=["operator"], route_class=OperatorRoute)


@dataclass(frozen=True)
class LotActions:
    """Which buttons the lot page offers this operator."""

    record: list[str]
    transfer: bool
    split: bool
    labels: bool
    recall: bool


def lot_actions(operator: Operator, lot: Lot, remaining: str) -> LotActions:
    """Nothing is done to a lot in transit: its shipment page is where it moves on."""
    holds = lot.custodian_org_id == operator.org_id and operator.role in HOLDER_ROLES
    holds = holds and lot.in_transit_to is None
    active = holds and lot.recalled_at is None
    record = [kind for kind in EVENT_FORMS if holds] if lot.recalled_at is None else []
    if operator.role is not OrgRole.COOPERATIVE:
        record = [kind for kind in record if kind != "input_application"]
    return LotActions(
        record=record,
        transfer=active,
        split=active and remaining not in ("0", ""),
        labels=holds,
        recall=operator.role is OrgRole.REGULATOR and lot.recalled_at is None,
    )


def consumer_path(lot: Lot) -> str:
    """The public page for a lot (the form printed for every lot, GTIN or not)."""
    return f"/l/{lot.code}"


def _facts_and_timeline(
    session: Session, lot: Lot, report: LotReport, *, lang: str, t: Translator
) -> tuple[LotFacts, list[TimelineEntry]]:
    """From the checked documents for a rules-v2 lot, from the rows for a rules-v1 lot."""
    assert lot.id is not None
    events = events_for_lot(session, lot.id)
    verification = report.verification
    if verification is None or not follows_rules_v2(events):
        rows = build_timeline(session, events, t=t, verdicts=report.events)
        return facts_from_rows(session, lot, lang), rows
    proven = proven_lot(verification.lot)
    if proven is None:  # its first document unreadable: the verdict says so
        facts = facts_from_rows(session, lot, lang)
        checks = in_stated_order(verification.lot.events)
    else:
        checks, facts = list(proven.events), facts_from_documents(proven, lang)
    names = proven_org_names(verification)
    timeline = build_proven_timeline(session, checks, t=t, verdicts=report.events, names=names)
    return facts, timeline


@router.get("/{code}", include_in_schema=False)
def lot_detail(
    request: Request,
    operator: OperatorDep,
    lot: ViewableLotDep,
    session: SessionDep,
    runtime: RuntimeDep,
    lang: LangDep,
    t: TranslatorDep,
) -> Response:
    report = lot_report(session, runtime=runtime, lot=lot, lang=lang)
    facts, timeline = _facts_and_timeline(session, lot, report, lang=lang, t=t)
    remaining = remaining_quantity(session, lot)  # what the actions work from
    return page(
        request,
        "app/lot_detail.html",
        lot=lot,
        facts=facts,
        custodian=session.get(Organisation, lot.custodian_org_id),
        children=lot_children(session, lot),
        timeline=timeline,
        verdict=report.verdict,
        verdict_reason=report.reason,
        actions=lot_actions(operator, lot, remaining),
        consumer_url=consumer_path(lot),
        circular02=circular02.completeness(session, lot=lot),
        shipment=_open_shipment(session, operator, lot, runtime.settings),
    )


def _open_shipment(
    session: Session, operator: Operator, lot: Lot, settings: Settings
) -> ShipmentView | None:
    """The lot's open shipment, shown to everyone who may open the page (the parties get a
    link to act on it)."""
    if lot.in_transit_to is None:
        return None
    shipment = open_shipment(session, lot)
    if shipment is None:
        return None
    return shipment_view(session, shipment, org_id=operator.org_id, settings=settings)
