"""Tables of access and ownership: operator sign-in sessions, the sign-in throttle, the shared
public request counts, and the GS1 company prefixes that say which organisation owns which GTINs.

Kept beside ``backend/models.py`` (which re-exports them) so that each file stays short.
Neither table holds a secret in clear: a session row is found by the SHA-256 of the random
session token the cookie carries, and a throttle row by the SHA-256 of what it counts (an
address or a username), so a leaked database neither signs anyone in nor lists addresses.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime
from sqlmodel import Field, SQLModel

from backend.timeutil import utcnow


class OperatorSession(SQLModel, table=True):
    """A signed-in operator app session; deleting the row signs the cookie out at once."""

    token_hash: str = Field(primary_key=True, max_length=64)  # sha256 hex of the cookie's token
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    expires_at: datetime = Field(sa_type=DateTime(timezone=True))


class LoginThrottle(SQLModel, table=True):
    """Recent wrong passwords of one subject (an address, an account, or the pair of both)."""

    key_hash: str = Field(primary_key=True, max_length=64)  # sha256 hex of "scope:subject"
    failures: int = 0
    last_failure_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    blocked_until: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class RateLimitCount(SQLModel, table=True):
    """Public requests of one client in one minute, summed over every server process and host.

    Only used on PostgreSQL (see ``backend/http/shared_rate_limit.py``); the client is a keyed
    digest of its address, never the address, and rows older than two minutes are deleted.
    """

    client_digest: str = Field(primary_key=True, max_length=64)
    minute: int = Field(primary_key=True, sa_type=BigInteger)  # Unix time // 60
    hits: int = 0


class Gs1Prefix(SQLModel, table=True):
    """A GS1 company prefix licensed to an organisation, registered by the platform admin.

    A product with a GTIN may be registered only by the organisation whose prefix the GTIN
    carries; the consumer page names that organisation as the brand owner.
    """

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    prefix: str = Field(index=True, unique=True, max_length=12)  # digits, GS1 company prefix
    licence: str = Field(max_length=200)  # the GS1 member organisation's licence reference
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
