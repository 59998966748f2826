"""Public verification of a lot: verdicts, and the proof bundle for outside checking.

No key needed: this is what the consumer page and any auditor call. Verdicts are recomputed on
every request (only chain facts and pure functions of their inputs are remembered, never a
verdict), so responses are marked ``no-store``.

The verification endpoint is the hottest read of the platform, so its handler is a coroutine
that makes exactly one hop to the thread pool: session, lineage, every hash, the chain view and
the JSON bytes all happen in that one call. Dependencies written as plain functions would each
cost a hop of their own, and on a busy server those hops, not the hashing, were the bill.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from sqlmodel import Session

from backend.api.deps import ChainViewDep, PublicRateLimit, RuntimeDep
from backend.http.not_found import NO_STORE, unknown_lot, unknown_lot_body
from backend.http.public_reads import public_read, verdict_trusted
from backend.http.responses import fast_json, json_bytes
from backend.http.verdict_threads import run_verdict_work
from backend.runtime import Runtime
from backend.services.verification.engine import verify_lineage, verify_lot
from backend.services.verification.lineage import load_lineage
from backend.services.verification.proof_bundle import bundle_for
from backend.services.verification.results import Verification

#: Public and costly (every hash is recomputed), so limited per client like the consumer page.
router = APIRouter(
    prefix="/api/v1/lots",
    tags=["verification"],
    dependencies=[PublicRateLimit],
)


def verification_json(runtime: Runtime, code: str) -> tuple[int, bytes]:
    """Status and JSON body of the verification of ``code`` (runs in a worker thread)."""
    view = runtime.chain_view()
    result = public_read(
        runtime, lambda session: verify_lot(session, code=code, view=view), trusted=verdict_trusted
    )
    if result is None:
        return 404, json_bytes(unknown_lot_body(code))
    return 200, json_bytes(result.as_json())


@router.get("/{code}/verification")
async def lot_verification(code: str, runtime: RuntimeDep) -> Response:
    """Verdict of the lot and of each of its events and ancestors, with reasons (vi and en)."""
    status_code, body = await run_verdict_work(runtime, lambda: verification_json(runtime, code))
    return fast_json(body, status_code=status_code, headers=NO_STORE)


@router.get("/{code}/proof")
def lot_proof(code: str, runtime: RuntimeDep, view: ChainViewDep) -> JSONResponse:
    """A self-contained proof bundle; check it with
    ``sentrace verify-proof FILE --rpc URL --contract ADDRESS``."""

    def read(session: Session) -> tuple[Verification | None, dict[str, Any] | None]:
        lineage = load_lineage(session, code)
        if lineage is None:
            return None, None
        # Read on a replica, a bundle is served only if it verifies there as it would on the
        # primary (checked only then: without replicas the primary's bundle needs no check).
        checked = verify_lineage(lineage, view) if runtime.replicas is not None else None
        return checked, bundle_for(lineage, view, session=session)

    _, bundle = public_read(runtime, read, trusted=lambda outcome: verdict_trusted(outcome[0]))
    if bundle is None:
        return unknown_lot(code)
    filename = f"sentrace-proof-{bundle['lot']}.json".encode("ascii", "replace").decode()
    headers = {**NO_STORE, "Content-Disposition": f'inline; filename="{filename}"'}
    return JSONResponse(bundle, headers=headers)
