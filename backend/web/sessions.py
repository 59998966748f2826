"""The operator app's session cookie: a signed cookie carrying a CSRF token, the chosen
language and, once signed in, the random token of a server-side session.

The cookie is signed with ``SENTRACE_SESSION_SECRET`` (itsdangerous) so nobody can forge one,
but who is signed in is decided by the session table (``services/accounts/sessions``): signing
out or changing the password deletes the row and the old cookie is worth nothing at once. The
cookie is HttpOnly and SameSite=Lax, and Secure whenever the public base URL is https or the
request arrived over https (behind a reverse proxy, as uvicorn's trusted forwarded headers say).

A visitor without a cookie gets an anonymous session at once, because the sign-in form itself
is a POST that must carry a CSRF token.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from dataclasses import dataclass, field

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from backend.config import Settings
from backend.services.accounts.server_secret import resolve_secret

logger = logging.getLogger(__name__)

COOKIE_NAME = "sentrace_session"
CSRF_FIELD = "csrf_token"
_SALT = "sentrace.operator-session.v1"


@dataclass
class WebSession:
    """One visitor's session state; ``dirty`` says the cookie must be written again.

    ``token`` names a server-side session; it proves nothing until the table confirms it.
    """

    csrf_token: str
    token: str | None = None
    lang: str | None = None
    dirty: bool = field(default=False, compare=False)

    @classmethod
    def fresh(cls) -> WebSession:
        return cls(csrf_token=secrets.token_urlsafe(32), dirty=True)

    def sign_in(self, *, token: str) -> None:
        """Start a signed-in session; a new CSRF token guards against session fixation."""
        self.token = token
        self.csrf_token = secrets.token_urlsafe(32)
        self.dirty = True

    def sign_out(self) -> None:
        self.token = None
        self.csrf_token = secrets.token_urlsafe(32)
        self.dirty = True

    def set_lang(self, lang: str) -> None:
        if lang != self.lang:
            self.lang = lang
            self.dirty = True

    def csrf_ok(self, submitted: str | None) -> bool:
        """Constant-time comparison of a submitted form token with the session's."""
        if not submitted:
            return False
        return hmac.compare_digest(submitted.encode(), self.csrf_token.encode())

    def to_payload(self) -> dict[str, object]:
        return {"c": self.csrf_token, "s": self.token, "l": self.lang}


class SessionCodec:
    """Reads and writes the session cookie for one app (one secret, one cookie policy)."""

    def __init__(self, settings: Settings) -> None:
        self._serializer = URLSafeTimedSerializer(resolve_secret(settings), salt=_SALT)
        self.secure = settings.public_base_url.lower().startswith("https://")
        self.max_age_s = settings.session_lifetime_s

    def load(self, request: Request) -> WebSession:
        """The request's session, or a fresh anonymous one if the cookie is absent or bad."""
        raw = request.cookies.get(COOKIE_NAME)
        if not raw:
            return WebSession.fresh()
        try:
            payload = self._serializer.loads(raw, max_age=self.max_age_s)
        except BadSignature:
            return WebSession.fresh()
        if not isinstance(payload, dict) or not isinstance(payload.get("c"), str):
            return WebSession.fresh()
        token = payload.get("s")
        lang = payload.get("l")
        return WebSession(
            csrf_token=payload["c"],
            token=token if isinstance(token, str) else None,
            lang=lang if isinstance(lang, str) else None,
        )

    def dump(self, session: WebSession) -> str:
        return self._serializer.dumps(session.to_payload())

    def write(self, request: Request, response: Response, session: WebSession) -> None:
        """Set the cookie on ``response`` (HttpOnly, SameSite=Lax, Secure on https).

        ``request.url.scheme`` is https behind a TLS-terminating proxy only when the server
        trusts that proxy's forwarded headers (uvicorn ``--forwarded-allow-ips``), so a client
        cannot talk the server out of ``Secure``; it could only add it.
        """
        response.set_cookie(
            COOKIE_NAME,
            self.dump(session),
            max_age=self.max_age_s,
            path="/",
            httponly=True,
            samesite="lax",
            secure=self.secure or request.url.scheme == "https",
        )


def codec_for(request: Request) -> SessionCodec:
    """The app's codec, built once per app from its runtime settings."""
    state = request.app.state
    codec: SessionCodec | None = getattr(state, "operator_session_codec", None)
    if codec is None:
        codec = SessionCodec(state.runtime.settings)
        state.operator_session_codec = codec
    return codec
