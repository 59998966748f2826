"""Time handling in one place.

Timestamps are stored in UTC. SQLite hands back naive datetimes even for timezone-aware
columns, so every read goes through :func:`as_utc`; hashed timestamps are whole seconds
(ARCHITECTURE.md rule 1), so accepted times are truncated once, before they are stored.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from backend import entropy

VIETNAM_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def utcnow() -> datetime:
    """Now, in UTC, to the microsecond (for bookkeeping columns, never hashed); inside a write
    draft, the draft's pinned time, so applying the draft writes what it showed."""
    return entropy.now()


def as_utc(value: datetime) -> datetime:
    """Read a stored or received datetime as aware UTC (naive values are taken as UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def whole_seconds_utc(value: datetime) -> datetime:
    """The form an event time is stored and hashed in: aware UTC without microseconds."""
    return as_utc(value).replace(microsecond=0)


def rfc3339_z(value: datetime) -> str:
    """RFC 3339 in UTC with a ``Z`` and whole seconds, as the canonical document wants."""
    return whole_seconds_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def in_vietnam(value: datetime) -> datetime:
    """The same instant on the wall clock of Đồng Tháp, for pages people read."""
    return as_utc(value).astimezone(VIETNAM_TZ)


def vietnam_text(value: datetime, fmt: str = "%d/%m/%Y %H:%M") -> str:
    """``value`` as people in Đồng Tháp read it (day first, their wall clock)."""
    return in_vietnam(value).strftime(fmt)
