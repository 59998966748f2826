"""Request and answer bodies of the signing-key endpoints (``/api/v1/orgs/{slug}/signing-keys``).

Beside ``backend/schemas.py`` so that each file stays short; the same rules apply (inputs
refuse unknown fields, answers carry no secret: a custodial key's private half never leaves
the server).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class SigningKeyCreate(BaseModel):
    """Body of ``POST /orgs/{slug}/signing-keys``: a client- or browser-held key by address,
    or ``{"custody": "custodial"}`` for a key the server makes and keeps sealed."""

    model_config = ConfigDict(extra="forbid")

    custody: str = Field(max_length=16)
    address: str | None = Field(default=None, max_length=42)


class SigningKeyPublic(BaseModel):
    """One signing key: its address, who holds it, where it stands on chain."""

    address: str
    custody: str
    status: str  # pending (not on chain yet) | active | revoked
    created_at: datetime
    activated_at: datetime | None = None
    revoked_at: datetime | None = None
