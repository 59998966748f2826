"""Disclosures: a lot's private values, for those with a claim on them, checked on every read.

Exact positions and values marked private are only commitments in the public documents; this
is where the recording organisation, the lot's producer and regulators read them back (see
``services.ledger.disclosures`` for who may and how each value is checked). Private data, so
never stored by a cache on the way.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from backend.api import presenters
from backend.api.deps import CurrentOrg, SessionDep
from backend.http.not_found import NO_STORE
from backend.schemas import LotDisclosure
from backend.services.ledger.disclosures import lot_disclosures

router = APIRouter(prefix="/api/v1/lots", tags=["disclosures"])


@router.get("/{code}/disclosure", response_model=LotDisclosure)
def lot_disclosure(
    code: str, org: CurrentOrg, session: SessionDep, response: Response
) -> LotDisclosure:
    """Each event of the lot with private values the caller may read, each value with its salt,
    the commitment it should open and whether it does (``checked``), recomputed now."""
    entries = lot_disclosures(session, lot_code=code, org=org)
    response.headers.update(NO_STORE)
    return presenters.lot_disclosure(code, entries)
