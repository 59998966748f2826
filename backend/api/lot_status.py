"""A lot's recall status and certificates, answered from its verification.

The GS1 resolver's ``gs1:recallStatus`` and ``gs1:certificationInfo`` links point here. Both
are public (a consumer's app or a buyer asks them with no key) and recompute the lot's
verification, so they are rate limited like the verification endpoint and never cached.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from sqlmodel import Session

from backend.api.deps import PublicRateLimit, RuntimeDep
from backend.deps import request_session
from backend.http.not_found import NO_STORE, unknown_lot_body
from backend.http.responses import fast_json, json_bytes
from backend.http.verdict_threads import run_verdict_work
from backend.runtime import Runtime
from backend.services.verification.chain_view import ChainView
from backend.services.verification.engine import verify_lot
from backend.services.verification.proven_status import certification_info, recall_status
from backend.services.verification.results import Verification

router = APIRouter(prefix="/api/v1/lots", tags=["verification"], dependencies=[PublicRateLimit])

#: Any origin may read these public answers (a GS1 resolver's targets are read cross-site).
HEADERS = {**NO_STORE, "Access-Control-Allow-Origin": "*"}


Shape = Callable[[Session, Verification, ChainView], dict[str, Any]]


def _answer(runtime: Runtime, code: str, shape: Shape) -> tuple[int, bytes]:
    view = runtime.chain_view()
    with request_session(runtime) as session:
        result = verify_lot(session, code=code, view=view)
        if result is None:
            return 404, json_bytes(unknown_lot_body(code))
        return 200, json_bytes(shape(session, result, view))


def _recall(_session: Session, verification: Verification, _view: ChainView) -> dict[str, Any]:
    return recall_status(verification)


@router.get("/{code}/recall-status")
async def lot_recall_status(code: str, runtime: RuntimeDep) -> Response:
    """Whether the lot or an ancestor is recalled, as its verified recall document or the
    chain's recall record says (``gs1:recallStatus``)."""
    status_code, body = await run_verdict_work(runtime, lambda: _answer(runtime, code, _recall))
    return fast_json(body, status_code=status_code, headers=HEADERS)


@router.get("/{code}/certifications")
async def lot_certifications(code: str, runtime: RuntimeDep) -> Response:
    """The growing area's certificates the lot's verified first document names, each with
    whether it was valid on the harvest day and whether a regulator's signed review confirms
    it (``gs1:certificationInfo``); none until proven."""
    status_code, body = await run_verdict_work(
        runtime, lambda: _answer(runtime, code, certification_info)
    )
    return fast_json(body, status_code=status_code, headers=HEADERS)
