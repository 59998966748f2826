"""The regulator's pages: find any lot, and recall one with a reason.

A recall is written through the recall service, which records the event, marks the lot and
queues the on-chain recall; every lot split or merged from it reads as recalled from then on.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from backend.models import Lot
from backend.services.ledger.queries import get_lot_by_code
from backend.services.ledger.recall import REASON_MAX, recall_lot
from backend.web.operator.context import FormPage, page, redirect
from backend.web.operator.deps import (
    LangDep,
    OverseerDep,
    RegulatorDep,
    SessionDep,
    SettingsDep,
    SubmissionDep,
    ViewableLotDep,
)
from backend.web.operator.forms import FormState
from backend.web.operator.lots import find_lots
from backend.web.operator.routing import OperatorRoute
from backend.web.operator.views import lot_rows

router = APIRouter(prefix="/app", tags=["operator"], route_class=OperatorRoute)


@router.get("/search", include_in_schema=False)
def search(request: Request, operator: OverseerDep, session: SessionDep, lang: LangDep) -> Response:
    """An exact lot code opens the lot; anything else lists what matches."""
    query = request.query_params.get("q", "").strip()[:64]
    if query and get_lot_by_code(session, query) is not None:
        return redirect(f"/app/lots/{query}")
    found = find_lots(session, operator=operator, query=query, held=False) if query else []
    return page(
        request,
        "app/search.html",
        query=query,
        results=lot_rows(session, found, lang=lang, my_org_id=operator.org_id),
    )


def _recall_page(request: Request, lot: Lot) -> FormPage:
    return FormPage(request, "app/recall.html", lambda: {"lot": lot, "reason_max": REASON_MAX})


@router.get("/lots/{code}/recall", include_in_schema=False)
def recall_form(request: Request, _regulator: RegulatorDep, lot: ViewableLotDep) -> Response:
    return _recall_page(request, lot).show(FormState())


@router.post("/lots/{code}/recall", include_in_schema=False)
async def recall(
    request: Request,
    operator: RegulatorDep,
    lot: ViewableLotDep,
    session: SessionDep,
    settings: SettingsDep,
    posted: SubmissionDep,
) -> Response:
    reason = posted.fields.text("reason", max_length=REASON_MAX)
    return posted.settle(
        lambda: recall_lot(
            session, lot_code=lot.code, org=operator.org, reason=reason or "", settings=settings
        ),
        then=lambda _: redirect(f"/app/lots/{lot.code}", ok="recalled"),
        again=_recall_page(request, lot),
        fallback_field="reason",
    )
