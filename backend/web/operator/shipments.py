"""Two-step custody in the operator app: the shipments waiting on an organisation, and a lot's
shipment page where the receiver receives or refuses it and the sender cancels it once expired.

Every write goes through the service the REST API uses (``services.ledger.shipments``), which
checks that the operator's organisation is the receiver (or the sender); forms carry the CSRF
token and are signed like any other write (``submit``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Request, Response
from sqlmodel import Session

from backend.config import Settings
from backend.errors import Conflict, PermissionDenied
from backend.models import Lot, Organisation
from backend.models_custody import Shipment
from backend.services.ledger import shipments
from backend.timeutil import as_utc, utcnow
from backend.web.operator.context import FormPage, Operator, page, redirect
from backend.web.operator.deps import (
    OperatorDep,
    SessionDep,
    SettingsDep,
    SubmissionDep,
    ViewableLotDep,
)
from backend.web.operator.forms import FormState
from backend.web.operator.routing import OperatorRoute

router = APIRouter(prefix="/app", tags=["operator"], route_class=OperatorRoute)

REASON_MAX = 1000


@dataclass(frozen=True)
class ShipmentView:
    """One open shipment as the pages show it."""

    lot_code: str
    sender: str
    receiver: str
    sent_at: datetime
    cancellable_from: datetime
    is_receiver: bool
    is_sender: bool
    may_cancel: bool


def shipment_view(
    session: Session, shipment: Shipment, *, org_id: int | None, settings: Settings
) -> ShipmentView:
    lot = session.get(Lot, shipment.lot_id)
    sender = session.get(Organisation, shipment.from_org_id)
    receiver = session.get(Organisation, shipment.to_org_id)
    assert lot is not None and sender is not None and receiver is not None
    cancellable = shipments.voidable_from(shipment, settings)
    return ShipmentView(
        lot_code=lot.code,
        sender=sender.name,
        receiver=receiver.name,
        sent_at=as_utc(shipment.sent_at),
        cancellable_from=cancellable,
        is_receiver=shipment.to_org_id == org_id,
        is_sender=shipment.from_org_id == org_id,
        may_cancel=shipment.from_org_id == org_id and utcnow() >= cancellable,
    )


@router.get("/shipments", include_in_schema=False)
def shipment_list(
    request: Request, operator: OperatorDep, session: SessionDep, settings: SettingsDep
) -> Response:
    """The lots on their way to the operator's organisation, and those it sent."""

    def views(incoming: bool) -> list[ShipmentView]:
        found = shipments.shipments_of(session, operator.org, incoming=incoming)
        return [shipment_view(session, s, org_id=operator.org_id, settings=settings) for s in found]

    return page(request, "app/shipments.html", incoming=views(True), outgoing=views(False))


def _party_shipment(session: Session, operator: Operator, lot: Lot) -> Shipment:
    """The lot's open shipment, if the operator's organisation sent it or is to receive it."""
    shipment = shipments.open_shipment(session, lot)
    if shipment is None:
        raise Conflict(shipments.NO_SHIPMENT)
    if operator.org_id not in (shipment.from_org_id, shipment.to_org_id):
        raise PermissionDenied(shipments.NOT_RECEIVER)
    return shipment


def _shipment_page(
    request: Request, session: Session, operator: Operator, lot: Lot, settings: Settings
) -> FormPage:
    def context() -> dict[str, object]:
        shipment = _party_shipment(session, operator, lot)
        view = shipment_view(session, shipment, org_id=operator.org_id, settings=settings)
        return {"lot": lot, "shipment": view, "reason_max": REASON_MAX}

    return FormPage(request, "app/shipment.html", context)


@router.get("/lots/{code}/shipment", include_in_schema=False)
def shipment_page(
    request: Request,
    operator: OperatorDep,
    lot: ViewableLotDep,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    _party_shipment(session, operator, lot)  # 409 or 403 before any form is shown
    return _shipment_page(request, session, operator, lot, settings).show(FormState())


@router.post("/lots/{code}/receive", include_in_schema=False)
async def receive(
    request: Request,
    operator: OperatorDep,
    lot: ViewableLotDep,
    session: SessionDep,
    settings: SettingsDep,
    posted: SubmissionDep,
) -> Response:
    note = posted.fields.text("note", required=False, max_length=REASON_MAX)
    return posted.settle(
        lambda: shipments.receive_lot(
            session, lot_code=lot.code, org=operator.org, note=note, settings=settings
        ),
        then=lambda _: redirect(f"/app/lots/{lot.code}", ok="received"),
        again=_shipment_page(request, session, operator, lot, settings),
        fallback_field="note",
    )


@router.post("/lots/{code}/refuse", include_in_schema=False)
async def refuse(
    request: Request,
    operator: OperatorDep,
    lot: ViewableLotDep,
    session: SessionDep,
    settings: SettingsDep,
    posted: SubmissionDep,
) -> Response:
    reason = posted.fields.text("reason", max_length=REASON_MAX)
    return posted.settle(
        lambda: shipments.refuse_lot(
            session, lot_code=lot.code, org=operator.org, reason=reason or "", settings=settings
        ),
        then=lambda _: redirect(f"/app/lots/{lot.code}", ok="refused"),
        again=_shipment_page(request, session, operator, lot, settings),
        fallback_field="reason",
    )


@router.post("/lots/{code}/cancel-shipment", include_in_schema=False)
async def cancel_shipment(
    request: Request,
    operator: OperatorDep,
    lot: ViewableLotDep,
    session: SessionDep,
    settings: SettingsDep,
    posted: SubmissionDep,
) -> Response:
    return posted.settle(
        lambda: shipments.void_shipment(
            session, lot_code=lot.code, org=operator.org, settings=settings
        ),
        then=lambda _: redirect(f"/app/lots/{lot.code}", ok="shipment_cancelled"),
        again=_shipment_page(request, session, operator, lot, settings),
    )
