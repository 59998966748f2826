"""Lot movements: transfer, split, merge, and a regulator's recall."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from backend.api import presenters
from backend.api.deps import CurrentOrg, SessionDep, SettingsDep, WriteDep
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
from backend.services.ledger import custody, recall, split_merge

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


@router.post("/{code}/transfer", status_code=200, response_model=LotChanged)
def transfer(
    code: str,
    body: TransferRequest,
    org: CurrentOrg,
    session: SessionDep,
    settings: SettingsDep,
    write: WriteDep,
) -> JSONResponse:
    """Hand the lot to another organisation; from then on only it may write about the lot."""

    def action() -> LotChanged:
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
        return presenters.lot_changed(session, lot, event)

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
