"""Tables of the field app: the photos its entries point to.

Kept beside ``backend/models.py`` (``models_writes.py`` imports it so the table is registered
with the metadata wherever the models are). A photo is stored once per content: its key is the
SHA-256 of the exact bytes served, the value an event document's ``data.photo_sha256`` states,
so the proven record covers the picture as well as the words.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, LargeBinary
from sqlmodel import Field, SQLModel

from backend.timeutil import utcnow


class FieldPhoto(SQLModel, table=True):
    """A photo taken in the field (JPEG, PNG or WebP, without EXIF), content-addressed."""

    __tablename__ = "field_photo"

    sha256: str = Field(primary_key=True, max_length=64)  # lowercase hex of ``content``
    media_type: str = Field(max_length=16)
    size: int
    width: int
    height: int
    content: bytes = Field(sa_type=LargeBinary)
    org_id: int = Field(foreign_key="organisation.id", index=True)  # who uploaded it first
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
