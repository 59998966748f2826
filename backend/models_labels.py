"""Tables of printed labels and the consumer scans of them.

Kept beside ``backend/models.py`` (which re-exports them) so that each file stays short. Every
page opened from a label counts the scans of its serial and finds the first one
(``services.labels.scans.summarize_scans``): ``ix_scan_lot_serial_time`` answers both from its
own entries for that serial. With only the one-column indexes, SQLite chose the lot's and read
every scan of the lot on every such page, whatever the serial (migration 0019).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.timeutil import utcnow


class LabelSerial(SQLModel, table=True):
    """A serial number printed on one label, so a scan can be tied to that label."""

    __table_args__ = (UniqueConstraint("lot_id", "serial"),)

    id: int | None = Field(default=None, primary_key=True)
    lot_id: int = Field(foreign_key="lot.id", index=True)
    serial: str = Field(max_length=20)
    printed_by_org_id: int | None = Field(default=None, foreign_key="organisation.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class Scan(SQLModel, table=True):
    """One consumer scan. No IP is kept: only a salted digest to count distinct clients."""

    __table_args__ = (Index("ix_scan_lot_serial_time", "lot_id", "serial", "scanned_at"),)

    id: int | None = Field(default=None, primary_key=True)
    lot_id: int = Field(foreign_key="lot.id", index=True)
    serial: str | None = Field(default=None, max_length=20, index=True)
    scanned_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    client_digest: str = Field(default="", max_length=64)
    client_kind: str = Field(default="", max_length=16)  # "mobile" / "desktop" / "other"
