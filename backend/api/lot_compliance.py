"""A lot's compliance checklist: the data items of Circular 02/2024/TT-BKHCN it carries."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from backend.api.deps import CurrentOrg, SessionDep
from backend.errors import NotFound
from backend.services.accounts import permissions
from backend.services.compliance import circular02
from backend.services.ledger import queries
from backend.services.ledger.locking import UNKNOWN_LOT

router = APIRouter(prefix="/api/v1/lots", tags=["compliance"])


class CompletenessPublic(BaseModel):
    lot: str
    complete: bool
    items: dict[str, bool]
    missing: list[str]


@router.get("/{code}/completeness", response_model=CompletenessPublic)
def lot_completeness(code: str, org: CurrentOrg, session: SessionDep) -> CompletenessPublic:
    """Which Circular 02 items the lot has (its holder and regulators)."""
    lot = queries.get_lot_by_code(session, code)
    if lot is None:
        raise NotFound(UNKNOWN_LOT)
    if not permissions.reads_everything(org):
        permissions.require_holder(org, lot)
    found = circular02.completeness(session, lot=lot)
    return CompletenessPublic(
        lot=found.lot, complete=found.complete, items=found.items, missing=found.missing
    )
