"""The operator app's session: a signed cookie carrying who is signed in and a CSRF token.

Nothing but a user id, a CSRF token, the chosen language and a short fingerprint of the
password hash lives in the cookie, signed with ``SENTRACE_SESSION_SECRET`` (itsdangerous), so
no session table is needed and any number of app processes can share sign-ins. The cookie is
HttpOnly and SameSite=Lax, and Secure whenever the public base URL is https. The password
fingerprint makes every old cookie of a user invalid the moment their password changes.

A visitor without a cookie gets an anonymous session at once, because the sign-in form itself
is a POST that must carry a CSRF token.
"""

from __future__ import annotations

import hashlib
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
SESSION_MAX_AGE_S = 12 * 3600
_SALT = "sentrace.operator-session.v1"


@dataclass
class WebSession:
    """One visitor's session state; ``dirty`` says the cookie must be written again."""

    csrf_token: str
    user_id: int | None = None
    password_tag: str | None = None
    lang: str | None = None
    dirty: bool = field(default=False, compare=False)

    @classmethod
    def fresh(cls) -> WebSession:
        return cls(csrf_token=secrets.token_urlsafe(32), dirty=True)

    def sign_in(self, *, user_id: int, password_hash: str) -> None:
        """Start a signed-in session; a new CSRF token guards against session fixation."""
        self.user_id = user_id
        self.password_tag = password_tag(password_hash)
        self.csrf_token = secrets.token_urlsafe(32)
        self.dirty = True

    def sign_out(self) -> None:
        self.user_id = None
        self.password_tag = None
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
        return {"c": self.csrf_token, "u": self.user_id, "p": self.password_tag, "l": self.lang}


def password_tag(password_hash: str) -> str:
    """A short digest of the stored hash: changes whenever the password does."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


class SessionCodec:
    """Reads and writes the session cookie for one app (one secret, one cookie policy)."""

    def __init__(self, settings: Settings) -> None:
        self._serializer = URLSafeTimedSerializer(resolve_secret(settings), salt=_SALT)
        self.secure = settings.public_base_url.lower().startswith("https://")

    def load(self, request: Request) -> WebSession:
        """The request's session, or a fresh anonymous one if the cookie is absent or bad."""
        raw = request.cookies.get(COOKIE_NAME)
        if not raw:
            return WebSession.fresh()
        try:
            payload = self._serializer.loads(raw, max_age=SESSION_MAX_AGE_S)
        except BadSignature:
            return WebSession.fresh()
        if not isinstance(payload, dict) or not isinstance(payload.get("c"), str):
            return WebSession.fresh()
        user_id = payload.get("u")
        tag = payload.get("p")
        lang = payload.get("l")
        return WebSession(
            csrf_token=payload["c"],
            user_id=user_id if isinstance(user_id, int) else None,
            password_tag=tag if isinstance(tag, str) else None,
            lang=lang if isinstance(lang, str) else None,
        )

    def dump(self, session: WebSession) -> str:
        return self._serializer.dumps(session.to_payload())

    def write(self, response: Response, session: WebSession) -> None:
        """Set the cookie on ``response`` (HttpOnly, SameSite=Lax, Secure on https)."""
        response.set_cookie(
            COOKIE_NAME,
            self.dump(session),
            max_age=SESSION_MAX_AGE_S,
            path="/",
            httponly=True,
            samesite="lax",
            secure=self.secure,
        )


def codec_for(request: Request) -> SessionCodec:
    """The app's codec, built once per app from its runtime settings."""
    state = request.app.state
    codec: SessionCodec | None = getattr(state, "operator_session_codec", None)
    if codec is None:
        codec = SessionCodec(state.runtime.settings)
        state.operator_session_codec = codec
    return codec
