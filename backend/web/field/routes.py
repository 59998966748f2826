"""The field app's pages and data behind the operator session: the shell, the member's
offline data, and photos.

Every route uses :class:`~backend.web.operator.routing.OperatorRoute` (signed session, CSRF
token on every POST, sign-in redirect). The app and uploads admit cooperatives only, as the
entries it records (harvests, inputs applied) are theirs to make; a photo is shown to whoever
may open a lot one of whose events names it (the operator lot page links it so). The shell
holds nothing personal, so the service worker may keep it for offline starts; who is signed
in, the CSRF token, the forms' rules and the lists to choose from come from ``data.json``,
which the page keeps in IndexedDB for the next offline start.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from sqlmodel import col, select
from starlette.datastructures import UploadFile

from backend.errors import InvalidInput
from backend.i18n import catalogue
from backend.i18n.messages import message
from backend.models import Event
from backend.services.accounts import permissions
from backend.services.field import photos
from backend.services.field.rules import field_rules
from backend.services.field.snapshot import field_snapshot
from backend.services.ledger.queries import get_lot_by_code
from backend.services.transactions import commit
from backend.timeutil import rfc3339_z, utcnow
from backend.web.field.session_auth import CSRF_HEADER
from backend.web.operator.access import can_view
from backend.web.operator.context import Operator
from backend.web.operator.deps import CooperativeDep, OperatorDep, SessionDep
from backend.web.operator.routing import OperatorRoute
from backend.web.operator.timeline import photo_of
from backend.web.sessions import WebSession
from backend.web.templating import render

router = APIRouter(prefix="/app/field", tags=["field"], route_class=OperatorRoute)

PHOTOS_PATH = "/app/field/photos"
#: Room for one photo and the form around it (the global body limit is smaller).
BODY_LIMITS: dict[str, int] = {PHOTOS_PATH: photos.MAX_BYTES + 64 * 1024}
_MESSAGES_PREFIX = "field.app."


@router.get("", include_in_schema=False)
def field_page(request: Request, operator: CooperativeDep) -> HTMLResponse:
    """The app's shell: the script draws everything from ``data.json`` (or its offline copy)."""
    lang: str = request.state.lang
    t = catalogue(lang)
    html = render(
        "app/field.html",
        lang=lang,
        title=t["field.app.title"],
        loading=t["field.app.loading"],
    )
    # The shell is the same for everyone in a language: the service worker may keep it.
    return HTMLResponse(html, headers={"Cache-Control": "no-cache"})


@router.get("/data.json", include_in_schema=False)
def field_data(request: Request, operator: CooperativeDep, session: SessionDep) -> JSONResponse:
    """Who is signed in, the CSRF token, the forms' rules and messages, farms, products, lots."""
    return JSONResponse(_data(request, operator, session))


def _data(request: Request, operator: Operator, session: SessionDep) -> dict[str, Any]:
    lang: str = request.state.lang
    visitor: WebSession = request.state.web_session
    messages = {
        key[len(_MESSAGES_PREFIX) :]: text
        for key, text in catalogue(lang).items()
        if key.startswith(_MESSAGES_PREFIX)
    }
    return {
        "owner": f"{operator.org.slug}/{operator.user.username}",
        "org": {"slug": operator.org.slug, "name": operator.org.name},
        "custody": operator.org.key_custody,
        "csrf": {"header": CSRF_HEADER, "token": visitor.csrf_token},
        "lang": lang,
        "keys_url": "/app/keys",
        "batch_url": "/api/v1/events/batch",
        "farm_inputs_url": "/api/v1/farms/{farm}/inputs",
        "photos_url": PHOTOS_PATH,
        "as_of": rfc3339_z(utcnow()),
        "messages": messages,
        "rules": field_rules(),
        **field_snapshot(session, org=operator.org),
    }


@router.post("/photos", include_in_schema=False)
async def upload_photo(
    request: Request, operator: CooperativeDep, session: SessionDep
) -> JSONResponse:
    """One photo (multipart field ``photo``), checked and stored; answers its SHA-256."""
    form = await request.form()
    upload = form.get("photo")
    if not isinstance(upload, UploadFile):
        raise InvalidInput(message("validation.required"), field=photos.FIELD)
    content = await upload.read(photos.MAX_BYTES + 1)
    stored = photos.store_photo(session, org=operator.org, content=content)
    commit(session)
    return JSONResponse(
        {
            "sha256": stored.sha256,
            "media_type": stored.media_type,
            "size": stored.size,
            "width": stored.width,
            "height": stored.height,
        },
        status_code=201,
    )


@router.get("/photos/{sha256}", include_in_schema=False)
def photo(
    sha256: str, operator: OperatorDep, session: SessionDep, lot: str | None = None
) -> Response:
    """A stored photo: to its uploader's organisation, to those who read every lot, and to
    anyone who may open ``lot`` when one of that lot's events names the photo."""
    found = photos.get_photo(session, sha256)
    if found is None or not _may_see(session, operator, found.org_id, sha256, lot):
        return Response(status_code=404)
    return Response(
        found.content,
        media_type=found.media_type,
        headers={
            "Cache-Control": "private, max-age=31536000, immutable",
            "Content-Security-Policy": "default-src 'none'",
            "X-Content-Type-Options": "nosniff",
        },
    )


def _may_see(
    session: SessionDep, operator: Operator, uploader: int, sha256: str, lot_code: str | None
) -> bool:
    if uploader == operator.org.id or permissions.reads_everything(operator.org):
        return True
    lot = get_lot_by_code(session, lot_code) if lot_code else None
    if lot is None or not can_view(session, org=operator.org, lot=lot):
        return False
    named = select(Event.data).where(col(Event.lot_id) == lot.id)
    return any(photo_of(data or {}) == sha256 for data in session.exec(named))
