"""Tables of writes and their authors: replayed answers, organisation keys, write drafts.

Kept beside ``backend/models.py`` (which re-exports them) so that each file stays short. An
organisation's key is a secp256k1 address registered on chain as a signer for the
organisation; the private key is never stored unless the organisation chose custodial signing,
and then only encrypted under a key derived from a secret that is not in the database.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, DateTime, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.timeutil import utcnow


class KeyCustody(StrEnum):
    """Who holds an organisation's keys (``Organisation.key_custody``, ``OrgKey.custody``)."""

    CLIENT = "client"  # the organisation's own system; the server never sees the key
    BROWSER = "browser"  # a user's browser, encrypted with a passphrase
    CUSTODIAL = "custodial"  # the server, encrypted at rest


#: The ``custody`` uint8 of the registry's signer records (spec section 1).
CUSTODY_CODES: dict[KeyCustody, int] = {
    KeyCustody.CLIENT: 1,
    KeyCustody.BROWSER: 2,
    KeyCustody.CUSTODIAL: 3,
}


class KeyStatus(StrEnum):
    """Where a key stands on chain: it signs for its organisation only once ``active``."""

    PENDING = "pending"  # registered here, its SET_SIGNER not confirmed yet
    ACTIVE = "active"  # the registry records it as a signer of the organisation
    REVOKED = "revoked"  # revoked (a revoked key never returns)


class OrgKey(SQLModel, table=True):
    """One signing key of an organisation: its address, custody and on-chain status."""

    __tablename__ = "org_key"

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    address: str = Field(unique=True, max_length=42)  # EIP-55 checksummed
    custody: str = Field(max_length=16)  # a KeyCustody value
    status: str = Field(default=KeyStatus.PENDING.value, max_length=16)  # a KeyStatus value
    # Custodial keys only: nonce ‖ AES-GCM ciphertext of the 32-byte private key.
    encrypted_key: bytes | None = Field(default=None, sa_type=LargeBinary)
    created_by_user_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    activated_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    revoked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class WriteDraft(SQLModel, table=True):
    """A write waiting for its signatures: the statements to sign and what makes them repeat.

    Applying the same request under the draft derives event ids, salts and "now" from ``seed``
    and ``pinned_now``, so the signed documents are the ones the server builds again.
    """

    __tablename__ = "write_draft"

    id: str = Field(primary_key=True, max_length=36)  # UUID
    org_id: int = Field(foreign_key="organisation.id", index=True)
    fingerprint: str = Field(max_length=64)  # sha256 hex of method, path and body
    seed: bytes = Field(sa_type=LargeBinary)  # 32 random bytes
    pinned_now: datetime = Field(sa_type=DateTime(timezone=True))
    statements: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    expires_at: datetime = Field(sa_type=DateTime(timezone=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


# --- idempotent writes ------------------------------------------------------------------------


class IdempotencyRecord(SQLModel, table=True):
    """The first answer to a write carrying an ``Idempotency-Key``, replayed on repeats."""

    __table_args__ = (UniqueConstraint("org_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id")
    key: str = Field(max_length=200)
    request_fingerprint: str = Field(max_length=64)  # method, path and body digest
    status_code: int
    response_body: dict[str, Any] | list[Any] | None = Field(default=None, sa_column=Column(JSON))
    media_type: str = Field(default="application/json", max_length=100)
    # Indexed for the sweep that forgets answers older than SENTRACE_IDEMPOTENCY_TTL_H.
    created_at: datetime = Field(
        default_factory=utcnow, sa_type=DateTime(timezone=True), index=True
    )


# Registered with the metadata wherever the models are (``backend.models`` imports this module).
from backend.models_field import FieldPhoto  # noqa: E402, F401
