"""Lot movements: transfer (and its shipment's receipt, refusal or cancellation), split, merge,
and a regulator's recall."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from backend.api import presenters
from backend.api.deps import CurrentOrg, SessionDep, SettingsDep, WriteDep
from backend.api.schemas_custody import (
    CancelShipmentRequest,
    ReceiveRequest,
    RefuseRequest,
    ShipmentChanged,
)
from backend.schemas import (
    LotChanged,
    LotCreated,
    MergeRequest,
    RecallRequest,
    SplitPart,
    SplitRequest,
    SplitResult,
    TransferRequest,
)
from backend.services.ledger import custody, recall, shipments, split_merge

router = APIRouter(prefix="/api/v1/lots", tags=["custody"])


@router.post("/merge", status_code=201, response_model=LotCreated)
def merge(
    body: MergeRequest, org: CurrentOrg, session: SessionDep, settings: SettingsDep, write: WriteDep
) -> JSONResponse:
    """Merge what is left of lots of one product, all held by the caller, into a new lot."""

    def action() -> LotCreated:
        lot, event = split_merge.merge_lots(
            session,
            org=org,
            lot_codes_in=body.lots,
            code=body.code,
            occurred_at=body.occurred_at,
            location=body.location,
            settings=settings,
        )
        return presenters.lot_created(session, lot, event)

    return write.run(action)


@router.post("/{code}/transfer", status_code=200, response_model=ShipmentChanged)
def transfer(
    code: str,
    body: TransferRequest,
    org: CurrentOrg,
    session: SessionDep,
    settings: SettingsDep,
    write: WriteDep,
) -> JSONResponse:
    """Send the lot to another organisation: a shipment opens and the lot is in transit; the
    caller keeps it until the receiver receives it (``/receive``) or refuses it (``/refuse``)."""

    def action() -> ShipmentChanged:
        lot, event = custody.transfer_lot(
            session,
            lot_code=code,
            org=org,
            to_slug=body.to,
            occurred_at=body.occurred_at,
            location=body.location,
            note=body.note,
            settings=settings,
        )
        shipment = shipments.open_shipment(session, lot)
        assert shipment is not None
        return presenters.shipment_changed(session, lot, event, shipment, settings)

    return write.run(action, status_code=200)


@router.post("/{code}/receive", status_code=200, response_model=ShipmentChanged)
def receive(
    code: str,
    body: ReceiveRequest,
    org: CurrentOrg,
    session: SessionDep,
    settings: SettingsDep,
    write: WriteDep,
) -> JSONResponse:
    """Receive a lot sent to the caller: from now on the caller holds it."""

    def action() -> ShipmentChanged:
        step = shipments.receive_lot(
            session,
            lot_code=code,
            org=org,
            occurred_at=body.occurred_at,
            location=body.location,
            note=body.note,
            settings=settings,
        )
        return presenters.shipment_changed(session, step.lot, step.event, step.shipment, settings)

    return write.run(action, status_code=200)


@router.post("/{code}/refuse", status_code=200, response_model=ShipmentChanged)
def refuse(
    code: str,
    body: RefuseRequest,
    org: CurrentOrg,
    session: SessionDep,
    settings: SettingsDep,
    write: WriteDep,
) -> JSONResponse:
    """Refuse a lot sent to the caller, saying why: the sender keeps it."""

    def action() -> ShipmentChanged:
        step = shipments.refuse_lot(
            session,
            lot_code=code,
            org=org,
            reason=body.reason,
            occurred_at=body.occurred_at,
            settings=settings,
        )
        return presenters.shipment_changed(session, step.lot, step.event, step.shipment, settings)

    return write.run(action, status_code=200)


@router.post("/{code}/cancel-shipment", status_code=200, response_model=ShipmentChanged)
def cancel_shipment(
    code: str,
    body: CancelShipmentRequest,
    org: CurrentOrg,
    session: SessionDep,
    settings: SettingsDep,
    write: WriteDep,
) -> JSONResponse:
    """Cancel the caller's shipment that its receiver left unanswered past
    ``SENTRACE_SHIPMENT_EXPIRY_H`` hours (409 before then, naming when)."""

    def action() -> ShipmentChanged:
        step = shipments.void_shipment(
            session,
            lot_code=code,
            org=org,
            occurred_at=body.occurred_at,
            note=body.note,
            settings=settings,
        )
        return presenters.shipment_changed(session, step.lot, step.event, step.shipment, settings)

    return write.run(action, status_code=200)


@router.post("/{code}/split", status_code=201, response_model=SplitResult)
def split(
    code: str,
    body: SplitRequest,
    org: CurrentOrg,
    session: SessionDep,
    settings: SettingsDep,
    write: WriteDep,
) -> JSONResponse:
    """Split the lot into children (same product, farm and unit) held by the caller."""

    def action() -> SplitResult:
        outcome = split_merge.split_lot(
            session,
            lot_code=code,
            org=org,
            children=[child.model_dump(exclude_none=True) for child in body.children],
            occurred_at=body.occurred_at,
            location=body.location,
            settings=settings,
        )
        parts = [SplitPart(code=lot.code, quantity=q) for lot, q in outcome.children]
        return SplitResult(children=parts)

    return write.run(action)


@router.post("/{code}/recall", status_code=200, response_model=LotChanged)
def recall_lot(
    code: str,
    body: RecallRequest,
    org: CurrentOrg,
    session: SessionDep,
    settings: SettingsDep,
    write: WriteDep,
) -> JSONResponse:
    """Recall a lot (regulators only); the recall is also written on chain."""

    def action() -> LotChanged:
        lot, event = recall.recall_lot(
            session,
            lot_code=code,
            org=org,
            reason=body.reason,
            occurred_at=body.occurred_at,
            settings=settings,
        )
        return presenters.lot_changed(session, lot, event)

    return write.run(action, status_code=200)
