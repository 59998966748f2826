"""One lot's page: facts, family (split/merge), timeline with verdicts, and what you may do next."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request, Response
from sqlmodel import Session

from backend.models import Farm, Lot, Organisation, OrgRole, Product
from backend.services.ledger.queries import (
    events_for_lot,
    lot_children,
    lot_parents,
    remaining_quantity,
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
from backend.web.operator.lot_report import lot_report
from backend.web.operator.routing import OperatorRoute
from backend.web.operator.timeline import build_timeline
from backend.web.operator.views import product_name

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
    holds = lot.custodian_org_id == operator.org_id and operator.role in HOLDER_ROLES
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


def _facts(session: Session, lot: Lot) -> tuple[Product | None, Farm | None, Organisation | None]:
    product = session.get(Product, lot.product_id)
    farm = session.get(Farm, lot.farm_id) if lot.farm_id is not None else None
    custodian = session.get(Organisation, lot.custodian_org_id)
    return product, farm, custodian


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
    assert lot.id is not None
    product, farm, custodian = _facts(session, lot)
    report = lot_report(session, runtime=runtime, lot=lot, lang=lang)
    timeline = build_timeline(session, events_for_lot(session, lot.id), t=t, verdicts=report.events)
    remaining = remaining_quantity(session, lot)
    return page(
        request,
        "app/lot_detail.html",
        lot=lot,
        product_label=product_name(product, lang),
        product=product,
        farm=farm,
        custodian=custodian,
        remaining=remaining,
        parents=lot_parents(session, lot),
        children=lot_children(session, lot),
        timeline=timeline,
        verdict=report.verdict,
        verdict_reason=report.reason,
        actions=lot_actions(operator, lot, remaining),
        consumer_url=consumer_path(lot),
    )
