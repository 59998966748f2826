"""Consumer scans of serialised labels, and the counterfeit signals they give.

A genuine label is printed once, stuck on one box and scanned by a handful of people. Two
patterns point at a copied label: the same serial scanned far more often than one box ever
is (``scan_warn_threshold``), and a serial that was never printed for that lot (no
``LabelSerial`` row) — a forger who invents serials cannot know which ones exist.

Privacy: a scan keeps its time, a coarse client kind (mobile / desktop / other) and, instead
of the IP address, a keyed digest (HMAC-SHA256 with a server secret) that can tell repeat
visits apart but cannot be reversed or recomputed by anyone without the secret. Writing a
scan is one INSERT; reading the summary is one aggregate query and one indexed lookup.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from backend.models import LabelSerial, Scan
from backend.timeutil import as_utc, utcnow

logger = logging.getLogger(__name__)

_DIGEST_LABEL = b"sentrace.scan-client.v1"

# Lower-cased User-Agent fragments, checked in this order. Tablets count as mobile: what
# matters is "someone holding the box", not the screen size.
_BOT_MARKERS = (
    "bot",
    "crawler",
    "spider",
    "preview",
    "facebookexternalhit",
    "curl/",
    "wget/",
    "python-",
    "httpx",
    "headless",
)
_MOBILE_MARKERS = ("mobile", "android", "iphone", "ipad", "ipod", "zalo", "opera mini")
_DESKTOP_MARKERS = ("windows nt", "macintosh", "x11", "cros", "linux x86_64")


class ClientKind(StrEnum):
    """The only thing kept about the device that scanned."""

    MOBILE = "mobile"
    DESKTOP = "desktop"
    OTHER = "other"


def is_automated(user_agent: str | None) -> bool:
    """Crawlers, link previews and scripts: their visits are not people scanning a box."""
    text = (user_agent or "").lower()
    return not text or any(marker in text for marker in _BOT_MARKERS)


def classify_user_agent(user_agent: str | None) -> ClientKind:
    """Mobile, desktop or other (bots, scripts, unknown) from a User-Agent header."""
    text = (user_agent or "").lower()
    if is_automated(text):
        return ClientKind.OTHER
    if any(marker in text for marker in _MOBILE_MARKERS):
        return ClientKind.MOBILE
    if any(marker in text for marker in _DESKTOP_MARKERS):
        return ClientKind.DESKTOP
    return ClientKind.OTHER


def digest_key(server_secret: str) -> bytes:
    """A key used only for client digests, derived so the secret itself is never reused raw."""
    return hmac.new(server_secret.encode("utf-8"), _DIGEST_LABEL, hashlib.sha256).digest()


def client_digest(address: str | None, *, key: bytes) -> str:
    """Keyed, irreversible stand-in for a client address (empty when there is none)."""
    if not address:
        return ""
    return hmac.new(key, address.encode("utf-8"), hashlib.sha256).hexdigest()


def record_scan(
    session: Session,
    *,
    lot_id: int,
    serial: str,
    client_kind: ClientKind,
    client_digest: str,
    at: datetime | None = None,
) -> None:
    """Add one scan of ``serial`` on ``lot_id``; flushed with the caller's transaction."""
    session.add(
        Scan(
            lot_id=lot_id,
            serial=serial,
            scanned_at=at or utcnow(),
            client_kind=client_kind.value,
            client_digest=client_digest,
        )
    )
    session.flush()


def save_scan(
    session: Session,
    *,
    lot_id: int,
    serial: str,
    client_kind: ClientKind,
    client_digest: str,
    at: datetime,
) -> bool:
    """Commit what ``session`` has read so far, then write one scan in a transaction of its
    own; ``False`` (logged) if that write failed.

    The page calls this last, after rendering, so that on SQLite the write lock is held for
    one INSERT and its commit rather than for the whole request. Ending the read transaction
    first matters twice over: SQLite refuses to turn a WAL read snapshot into a write once
    another connection has committed (it would fail at once instead of waiting), and the
    same connection is reused, so a busy pool cannot deadlock on a second one. A scan that
    cannot be counted (database busy) never keeps a consumer from seeing the verification.
    """
    session.commit()
    try:
        record_scan(
            session,
            lot_id=lot_id,
            serial=serial,
            client_kind=client_kind,
            client_digest=client_digest,
            at=at,
        )
        session.commit()
    except SQLAlchemyError:
        session.rollback()
        logger.warning("could not record a scan of lot %s serial %s", lot_id, serial, exc_info=True)
        return False
    return True


@dataclass(frozen=True)
class ScanSummary:
    """What the page says about one serial: how often and since when, and whether to warn."""

    serial: str
    count: int
    first_scanned_at: datetime | None
    printed: bool
    threshold: int

    @property
    def scanned_too_often(self) -> bool:
        return self.count > self.threshold

    @property
    def never_printed(self) -> bool:
        return not self.printed

    @property
    def may_be_copied(self) -> bool:
        return self.scanned_too_often or self.never_printed

    def including(self, at: datetime) -> ScanSummary:
        """The summary once a scan at ``at`` (not yet stored) is counted too."""
        first = at if self.first_scanned_at is None else min(self.first_scanned_at, at)
        return replace(self, count=self.count + 1, first_scanned_at=first)


def summarize_scans(session: Session, *, lot_id: int, serial: str, threshold: int) -> ScanSummary:
    """Count and first time of the scans of ``serial``, and whether it was ever printed.

    One round trip: the printed-label check rides along as a scalar subquery.
    """
    printed = (
        select(col(LabelSerial.id))
        .where(col(LabelSerial.lot_id) == lot_id, col(LabelSerial.serial) == serial)
        .exists()
    )
    query = select(
        func.count(col(Scan.id)), func.min(col(Scan.scanned_at)), printed.label("printed")
    ).where(col(Scan.lot_id) == lot_id, col(Scan.serial) == serial)
    count, first, was_printed = session.connection().execute(query).one()
    return ScanSummary(
        serial=serial,
        count=int(count or 0),
        first_scanned_at=as_utc(first) if first is not None else None,
        printed=bool(was_printed),
        threshold=threshold,
    )
