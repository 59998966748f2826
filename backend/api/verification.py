"""Public verification of a lot: verdicts, and the proof bundle for outside checking.

No key needed: this is what the consumer page and any auditor call. Verdicts are recomputed on
every request (only final chain facts are cached), so responses are marked ``no-store``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from backend.deps import RuntimeDep, SessionDep
from backend.services.chain_view import ChainView
from backend.services.locking import UNKNOWN_LOT
from backend.services.proof_bundle import build_bundle
from backend.services.rate_limit import enforce_public_rate_limit
from backend.services.verdicts import Verdict
from backend.services.verification import verify_lot

#: Public and costly (every hash is recomputed), so limited per client like the consumer page.
router = APIRouter(
    prefix="/api/v1/lots",
    tags=["verification"],
    dependencies=[Depends(enforce_public_rate_limit)],
)

NO_STORE = {"Cache-Control": "no-store"}


def chain_view(runtime: RuntimeDep) -> ChainView:
    """A per-request view of the chain, backed by the process-wide cache of final facts."""
    return ChainView(
        runtime.chain, runtime.chain_cache, confirmations=runtime.settings.confirmations
    )


ChainViewDep = Annotated[ChainView, Depends(chain_view)]


def unknown_lot(code: str) -> JSONResponse:
    """404 in the usual error shape, plus the ``unknown`` verdict pages and scripts expect."""
    body: dict[str, Any] = {
        "detail": UNKNOWN_LOT,
        "code": "not_found",
        "field": None,
        "lot": code,
        "verdict": str(Verdict.UNKNOWN),
    }
    return JSONResponse(body, status_code=404, headers=NO_STORE)


@router.get("/{code}/verification")
def lot_verification(code: str, session: SessionDep, view: ChainViewDep) -> JSONResponse:
    """Verdict of the lot and of each of its events and ancestors, with reasons (vi and en)."""
    result = verify_lot(session, code=code, view=view)
    if result is None:
        return unknown_lot(code)
    return JSONResponse(result.as_json(), headers=NO_STORE)


@router.get("/{code}/proof")
def lot_proof(code: str, session: SessionDep, view: ChainViewDep) -> JSONResponse:
    """A self-contained proof bundle; check it with ``sentrace verify-proof FILE --rpc URL``."""
    bundle = build_bundle(session, code=code, view=view)
    if bundle is None:
        return unknown_lot(code)
    filename = f"sentrace-proof-{bundle['lot']}.json".encode("ascii", "replace").decode()
    headers = {**NO_STORE, "Content-Disposition": f'inline; filename="{filename}"'}
    return JSONResponse(bundle, headers=headers)
