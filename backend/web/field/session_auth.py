"""The field app's way into the API: the operator session, with its CSRF token in a header.

The field app sends its queue through ``POST /api/v1/events/batch``, and inputs applied to a
farm through ``POST /api/v1/farms/{code}/inputs`` (the 428 signing protocol
and ``Idempotency-Key`` replays are the API's). A phone has no API key, and must not: its
member signs in like any operator. The app factory appends :func:`authenticate_field_session`
to the API's authenticators, after the bearer one (a request with ``Authorization`` is judged
on that alone). It answers only for the paths in :data:`FIELD_API_PATHS` and only when the
operator session cookie is there; then the request must carry the session's CSRF token in
``X-CSRF-Token`` (a header another site's page cannot set), the cookie's server-side session must
still be live (sign-out and a password change end it), and their organisation must be a
cooperative, the one role the field app serves (as ``/app/field`` itself requires).
"""

from __future__ import annotations

import re

from fastapi import Request
from sqlmodel import Session

from backend.config import Settings
from backend.errors import NotAuthenticated, PermissionDenied
from backend.i18n.messages import message
from backend.models import Organisation, OrgRole, User
from backend.services.accounts.sessions import resume_session
from backend.web.sessions import COOKIE_NAME, codec_for

CSRF_HEADER = "X-CSRF-Token"
#: The API paths the field app calls with its session: the batch of lot events, and a farm's
#: season diary (``/api/v1/farms/{code}/inputs``; a farm code never holds ``/``).
FIELD_API_PATHS = frozenset({"/api/v1/events/batch"})
FARM_DIARY_PATH = re.compile(r"/api/v1/farms/[^/]+/inputs")


def is_field_api_path(path: str) -> bool:
    return path in FIELD_API_PATHS or FARM_DIARY_PATH.fullmatch(path) is not None


def authenticate_field_session(
    request: Request, session: Session, settings: Settings
) -> Organisation | None:
    """The signed-in cooperative member's organisation, or None when this does not apply."""
    if not is_field_api_path(request.url.path) or COOKIE_NAME not in request.cookies:
        return None
    visitor = codec_for(request).load(request)
    if visitor.token is None:
        return None
    if not visitor.csrf_ok(request.headers.get(CSRF_HEADER)):
        raise PermissionDenied(message("field.api.csrf"), field=CSRF_HEADER)
    user_id = resume_session(session, token=visitor.token, settings=settings)
    user = session.get(User, user_id) if user_id is not None else None
    if user is None:  # signed out, password changed, expired or idle too long
        raise NotAuthenticated(message("field.api.signed_out"))
    org = session.get(Organisation, user.org_id)
    if org is None:
        raise NotAuthenticated(message("field.api.signed_out"))
    if org.role != OrgRole.COOPERATIVE:
        raise PermissionDenied(message("app.refused.role"))
    return org
