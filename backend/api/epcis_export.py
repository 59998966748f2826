"""EPCIS 2.0 export of a lot's proven events: ``GET /api/v1/lots/{code}/epcis``.

Public like the proof bundle it is built from (private values are commitments in the documents
and are never mapped). Events captured from EPCIS documents come as they were captured only to
a key with read rights on their lot; anyone else gets them mapped from their proven documents.
``?ancestry=true`` adds the lots it was split or merged from. The answer
is JSON-LD (``application/ld+json``) with the EPCIS and CBV version headers; the GS1 Digital
Link resolver links to this URL as ``gs1:traceability`` and ``gs1:epcis``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from backend.api.auth import authenticate, bearer_token
from backend.api.deps import ChainViewDep, PublicRateLimit, SessionDep, SettingsDep
from backend.http.not_found import NO_STORE, unknown_lot
from backend.http.responses import json_bytes
from backend.services.interop.epcis.export import export_lot
from backend.services.interop.epcis.http_headers import JSON_LD, VERSION_HEADERS
from backend.services.interop.epcis.vocabulary import Vocabulary

router = APIRouter(prefix="/api/v1/lots", tags=["epcis"], dependencies=[PublicRateLimit])


@router.get("/{code}/epcis", response_class=Response)
def lot_epcis(
    code: str,
    request: Request,
    session: SessionDep,
    view: ChainViewDep,
    settings: SettingsDep,
    ancestry: Annotated[bool, Query()] = False,
) -> Response:
    """The lot's proven events as an EPCIS 2.0 document (JSON-LD), each with its CBV 2.0
    eventID and a ``sentrace:proof`` that proves it against the chain."""
    document = export_lot(
        session,
        code=code,
        view=view,
        vocabulary=Vocabulary(settings.public_base_url),
        ancestry=ancestry,
        reader=authenticate(request, session, settings) if bearer_token(request) else None,
    )
    if document is None:
        return unknown_lot(code)
    return Response(
        json_bytes(document), media_type=JSON_LD, headers={**NO_STORE, **VERSION_HEADERS}
    )
