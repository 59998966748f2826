"""Who is calling: API keys, the bootstrap admin token, and role gates.

``current_org`` asks each authenticator in :data:`AUTHENTICATORS` in turn. The bearer
authenticator is first: a request that carries ``Authorization: Bearer …`` is judged on that
header alone (a wrong key is a 401, never a fall-through to another method). Another way in,
such as the operator app's session cookie, plugs in by appending an authenticator that returns
the organisation or ``None`` when its credentials are absent.

The admin token from ``SENTRACE_ADMIN_TOKEN`` authenticates as the ``admin`` organisation,
which is created the first time the token is used. Secrets are compared in constant time.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request
from sqlmodel import Session

from backend.config import Settings
from backend.deps import SessionDep, SettingsDep
from backend.errors import NotAuthenticated
from backend.i18n.messages import message
from backend.models import Organisation
from backend.services.accounts.api_keys import org_for_api_key
from backend.services.accounts.credentials import secrets_equal
from backend.services.accounts.orgs import ensure_admin_org

MISSING = message("errors.auth.missing_key")
INVALID = message("errors.auth.invalid_key")
MAX_CREDENTIAL_LENGTH = 512

#: ``(request, session, settings) -> organisation`` or ``None`` when this method's credentials
#: are absent; raises :class:`NotAuthenticated` when they are present but wrong.
Authenticator = Callable[[Request, Session, Settings], Organisation | None]


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer`` header, ``None`` if there is no such header."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > MAX_CREDENTIAL_LENGTH:
        raise NotAuthenticated(INVALID)
    return token


def authenticate_bearer(
    request: Request, session: Session, settings: Settings
) -> Organisation | None:
    """The organisation behind the bearer token (API key or admin token)."""
    token = bearer_token(request)
    if token is None:
        return None
    admin_token = settings.admin_token.get_secret_value() if settings.admin_token else None
    if admin_token and secrets_equal(token, admin_token):
        return ensure_admin_org(session)
    org = org_for_api_key(session, token)
    if org is None:
        raise NotAuthenticated(INVALID)
    return org


AUTHENTICATORS: list[Authenticator] = [authenticate_bearer]


def current_org(request: Request, session: SessionDep, settings: SettingsDep) -> Organisation:
    """The calling organisation; 401 (with ``WWW-Authenticate: Bearer``) if there is none."""
    return authenticate(request, session, settings)


def authenticate(request: Request, session: Session, settings: Settings) -> Organisation:
    """What :func:`current_org` does, callable from a handler's own thread hop."""
    for method in AUTHENTICATORS:
        org = method(request, session, settings)
        if org is not None:
            request.state.org = org
            return org
    raise NotAuthenticated(MISSING)
