"""The ``unknown`` answer shared by the verification API and the consumer resolver."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from backend.services.ledger.locking import UNKNOWN_LOT
from backend.services.verification.verdicts import Verdict

NO_STORE = {"Cache-Control": "no-store"}


def unknown_lot_body(code: str) -> dict[str, Any]:
    """404 in the usual error shape, plus the ``unknown`` verdict pages and scripts expect."""
    return {
        "detail": UNKNOWN_LOT,
        "code": "not_found",
        "field": None,
        "lot": code,
        "verdict": str(Verdict.UNKNOWN),
    }


def unknown_lot(code: str) -> JSONResponse:
    return JSONResponse(unknown_lot_body(code), status_code=404, headers=NO_STORE)
