"""Lots: harvest lots created by cooperatives, a lot's record (public face or full), and the
caller's lots."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from backend.api import presenters, proven_presenters
from backend.api.auth import authenticate, bearer_token
from backend.api.deps import (
    CurrentOrg,
    PublicRateLimit,
    RuntimeDep,
    SessionDep,
    SettingsDep,
    WriteDep,
)
from backend.api.public_lot import LotPublicView, public_view
from backend.api.schemas_v2 import LotPublicV2
from backend.errors import NotFound
from backend.schemas import LotCreate, LotCreated, LotPage, LotPublic
from backend.schemas_compliance import LotCreatedWithWarnings
from backend.services.accounts import permissions
from backend.services.ledger import lots, queries, visibility
from backend.services.ledger.locking import UNKNOWN_LOT
from backend.services.verification.engine import verify_lot
from backend.services.verification.proven_facts import follows_rules_v2

router = APIRouter(prefix="/api/v1/lots", tags=["lots"])


@router.post("", status_code=201, response_model=LotCreated)
def create_lot(
    body: LotCreate, org: CurrentOrg, session: SessionDep, settings: SettingsDep, write: WriteDep
) -> JSONResponse:
    """Create a harvest lot on one of the caller's farms and record its harvest event
    (``warnings`` appear only when there are some: a growing area near its cap)."""

    def action() -> LotCreated:
        notices: list[str] = []
        lot, event = lots.create_harvest_lot(
            session,
            org=org,
            code=body.code,
            product_code=body.product,
            farm_code=body.farm,
            quantity=body.quantity,
            unit=body.unit,
            harvested_at=body.harvested_at,
            location=body.location,
            data=body.data,
            settings=settings,
            private_fields=body.private,
            notices=notices,
        )
        created = presenters.lot_created(session, lot, event)
        if notices:  # only then: an answer without warnings keeps its exact shape
            return LotCreatedWithWarnings(**created.model_dump(), warnings=notices)
        return created

    return write.run(action)


#: Far beyond any real listing; SQLite and PostgreSQL both hold it as a 64-bit integer.
MAX_OFFSET = 1_000_000_000


@router.get("", response_model=LotPage)
def list_lots(
    org: CurrentOrg,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    # Bounded so a huge offset is a 422, not an integer the database cannot hold (a 500).
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> LotPage:
    """Lots the caller holds, newest first (regulators and the admin see every lot)."""
    rows, total = queries.lots_for_org(
        session, org=org, every_lot=permissions.reads_everything(org), limit=limit, offset=offset
    )
    items = [presenters.lot_summary(session, lot) for lot in rows]
    return LotPage(items=items, total=total, limit=limit, offset=offset)


@router.get(
    "/{code}",
    response_model=LotPublicV2 | LotPublic | LotPublicView,
    dependencies=[PublicRateLimit],
)
def get_lot(
    code: str, request: Request, session: SessionDep, runtime: RuntimeDep, settings: SettingsDep
) -> LotPublic | LotPublicView:
    """A lot's record. Without a key, or with a key that may not read the lot: its public face,
    what the consumer page shows (``LotPublicView``). With a key of an organisation that holds
    the lot, acted on it or grew it, or a regulator's: the full record, custodian and children
    included. A rules-v2 record is read from the documents verification checked (``rules: 2``).
    """
    reader = authenticate(request, session, settings) if bearer_token(request) else None
    lot = queries.get_lot_by_code(session, code)
    if lot is None:
        raise NotFound(UNKNOWN_LOT)
    assert lot.id is not None
    events = queries.events_for_lot(session, lot.id)
    full: LotPublic
    view = runtime.chain_view()
    if follows_rules_v2(events):
        verification = verify_lot(session, code=lot.code, view=view)
        if verification is None:
            raise NotFound(UNKNOWN_LOT)
        full = proven_presenters.lot_public_v2(session, lot, events, verification)
    else:
        full = presenters.lot_public(session, lot, events)
    if reader is not None and visibility.can_read(session, org=reader, lot=lot):
        return full
    return public_view(session, full, view)
