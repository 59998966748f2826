"""The one place where domain errors become HTTP responses.

Every error body is JSON: ``{"detail": <short stable message>, "code": <machine code>,
"field": <dotted field path or null>}``; request validation errors keep FastAPI's list form
under ``detail`` and add ``field`` naming the first offending field, spelled as the services
spell theirs: ``events[3].data`` (list positions in brackets), never ``events.3.data``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from backend.errors import (
    Conflict,
    DocumentRefused,
    DraftOutdated,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    RateLimited,
    SenTraceError,
    ServiceUnavailable,
    SignatureRequired,
)

logger = logging.getLogger(__name__)

STATUS_BY_ERROR: dict[type[SenTraceError], int] = {
    DocumentRefused: 400,
    InvalidInput: 422,
    NotAuthenticated: 401,
    PermissionDenied: 403,
    NotFound: 404,
    Conflict: 409,
    PayloadTooLarge: 413,
    RateLimited: 429,
    SignatureRequired: 428,
    ServiceUnavailable: 503,
}


def status_for(error: SenTraceError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 400


def error_body(error: SenTraceError) -> dict[str, object]:
    body: dict[str, object] = {"detail": error.message, "code": error.code, "field": error.field}
    if isinstance(error, SignatureRequired | DraftOutdated):
        body["draft"] = error.draft  # what to sign, and the id to send the request again with
    if isinstance(error, DocumentRefused):
        body["errors"] = error.errors  # every error, each named by its JSON path
    return body


async def _sentrace_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, SenTraceError)
    status = status_for(error)
    headers: dict[str, str] = {}
    if isinstance(error, NotAuthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(error, RateLimited | ServiceUnavailable):
        headers["Retry-After"] = str(error.retry_after)
    return JSONResponse(error_body(error), status_code=status, headers=headers)


async def _validation_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = error.errors()
    field = _field_path(errors[0].get("loc", ())) if errors else None
    detail = [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
        for e in errors
    ]
    return JSONResponse(
        {"detail": detail, "code": "invalid_input", "field": field}, status_code=422
    )


def _field_path(location: Sequence[object]) -> str | None:
    """A pydantic error location as a field path: ``("body", "events", 3, "lot")`` →
    ``events[3].lot``."""
    path = ""
    for part in location:
        if part == "body" and not path:
            continue
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or None


async def _http_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    return JSONResponse(
        {"detail": error.detail, "code": "http_error", "field": None},
        status_code=error.status_code,
        headers=getattr(error, "headers", None),
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(SenTraceError, _sentrace_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
