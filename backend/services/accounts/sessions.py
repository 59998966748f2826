"""Server-side operator sessions: a random token in the cookie, its digest in a table.

A signed cookie alone cannot be taken back: it stays valid until it expires, whatever the
user does. Keeping one row per signed-in session lets sign-out and a password change end it
at once, and gives every session a hard lifetime (``session_lifetime_s`` from sign-in) and an
idle timeout (``session_idle_s`` since its last request). The table holds only the SHA-256 of
each token, so a copy of the database signs no one in.

``last_seen_at`` is written at most once per :data:`TOUCH_EVERY`, so browsing costs a write
per minute rather than one per page.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session

from backend.config import Settings
from backend.models import OperatorSession
from backend.timeutil import as_utc, utcnow

TOUCH_EVERY = timedelta(seconds=60)
_TOKEN_BYTES = 32


def token_digest(token: str) -> str:
    """SHA-256 hex of a session token (256 random bits: a fast hash is enough)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def open_session(
    session: Session, *, user_id: int, settings: Settings, now: datetime | None = None
) -> str:
    """A new session for ``user_id``; returns the token for the cookie (shown nowhere else)."""
    moment = now or utcnow()
    session.execute(
        delete(OperatorSession).where(
            OperatorSession.user_id == user_id,  # type: ignore[arg-type]
            OperatorSession.expires_at <= moment,  # type: ignore[arg-type]
        )
    )
    token = secrets.token_urlsafe(_TOKEN_BYTES)
    session.add(
        OperatorSession(
            token_hash=token_digest(token),
            user_id=user_id,
            created_at=moment,
            last_seen_at=moment,
            expires_at=moment + timedelta(seconds=settings.session_lifetime_s),
        )
    )
    session.flush()
    return token


def resume_session(
    session: Session, *, token: str, settings: Settings, now: datetime | None = None
) -> int | None:
    """The user id of a live session, or ``None`` (unknown, revoked, expired or idle too long).

    A session found expired or idle is deleted on the way.
    """
    moment = now or utcnow()
    row = session.get(OperatorSession, token_digest(token))
    if row is None:
        return None
    idle_limit = as_utc(row.last_seen_at) + timedelta(seconds=settings.session_idle_s)
    if as_utc(row.expires_at) <= moment or idle_limit <= moment:
        session.delete(row)
        session.flush()
        return None
    if moment - as_utc(row.last_seen_at) >= TOUCH_EVERY:
        row.last_seen_at = moment
        session.add(row)
        session.flush()
    return row.user_id


def close_session(session: Session, *, token: str) -> None:
    """End one session (sign-out); a token already gone is fine."""
    row = session.get(OperatorSession, token_digest(token))
    if row is not None:
        session.delete(row)
        session.flush()


def close_user_sessions(session: Session, *, user_id: int) -> int:
    """End every session of a user (password changed); how many there were."""
    result = session.execute(
        delete(OperatorSession).where(OperatorSession.user_id == user_id)  # type: ignore[arg-type]
    )
    session.flush()
    return int(result.rowcount or 0)
