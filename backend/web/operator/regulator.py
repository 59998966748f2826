"""The regulator's pages: find any lot, and recall one with a reason.

A recall is written through the recall service, which records the event, marks the lot and
queues the on-chain recall; every lot split or merged from it reads as recalled from then on.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlmodel import Session

from backend.deps import SessionDep, SettingsDep
from backend.errors import SenTraceError
from backend.i18n import translator
from backend.models import Lot, OrgRole
from backend.services.ledger.queries import get_lot_by_code
from backend.services.ledger.recall import REASON_MAX, recall_lot
from backend.services.transactions import commit
from backend.web.operator.access import viewable_lot
from backend.web.operator.context import OVERSEER_ROLES, OperatorDep, page, redirect, require_role
from backend.web.operator.forms import (
    FieldReader,
    FormState,
    apply_service_error,
    read_form,
    shows_on_form,
)
from backend.web.operator.lots import find_lots
from backend.web.operator.routing import OperatorRoute
from backend.web.operator.views import lot_rows

router = APIRouter(prefix="/app", tags=["operator"], route_class=OperatorRoute)


@router.get("/search", include_in_schema=False)
def search(request: Request, operator: OperatorDep, session: SessionDep) -> Response:
    """An exact lot code opens the lot; anything else lists what matches."""
    require_role(operator, *OVERSEER_ROLES)
    query = request.query_params.get("q", "").strip()[:64]
    if query and get_lot_by_code(session, query) is not None:
        return redirect(f"/app/lots/{query}")
    found = find_lots(session, operator=operator, query=query, held=False) if query else []
    return page(
        request,
        "app/search.html",
        query=query,
        results=lot_rows(session, found, lang=request.state.lang, my_org_id=operator.org_id),
    )


def _recall_page(
    request: Request, session: Session, lot: Lot, form: FormState, status: int = 200
) -> Response:
    return page(
        request, "app/recall.html", status_code=status, lot=lot, form=form, reason_max=REASON_MAX
    )


@router.get("/lots/{code}/recall", include_in_schema=False)
def recall_form(
    request: Request, code: str, operator: OperatorDep, session: SessionDep
) -> Response:
    require_role(operator, OrgRole.REGULATOR)
    lot = viewable_lot(session, org=operator.org, code=code)
    return _recall_page(request, session, lot, FormState())


@router.post("/lots/{code}/recall", include_in_schema=False)
async def recall(
    request: Request, code: str, operator: OperatorDep, session: SessionDep, settings: SettingsDep
) -> Response:
    require_role(operator, OrgRole.REGULATOR)
    lot = viewable_lot(session, org=operator.org, code=code)
    form = await read_form(request)
    lang: str = request.state.lang
    reason = FieldReader(form, translator(lang)).text("reason", max_length=REASON_MAX)
    if not form.ok or reason is None:
        return _recall_page(request, session, lot, form, status=422)
    try:
        recall_lot(session, lot_code=lot.code, org=operator.org, reason=reason, settings=settings)
        commit(session)
    except SenTraceError as exc:
        session.rollback()
        if not shows_on_form(exc):
            raise
        apply_service_error(form, exc, lang=lang, fallback_field="reason")
        return _recall_page(request, session, lot, form, status=422)
    return redirect(f"/app/lots/{lot.code}", ok="recalled")
