"""A label's scans as the page shows them, and the scan this request adds.

The count is read before the page is rendered and the new scan is stored after, so the page
can say "scanned N times" including this scan without a second query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from backend.config import Settings
from backend.services.accounts.server_secret import resolve_secret
from backend.services.labels.scans import (
    ClientKind,
    ScanSummary,
    classify_user_agent,
    client_digest,
    digest_key,
    summarize_scans,
)
from backend.services.verification.lineage import Lineage
from backend.timeutil import utcnow
from backend.web.consumer.page_request import PageRequest
from qr.uri import DigitalLink


@dataclass(frozen=True)
class ScanToSave:
    """The arguments of ``save_scan`` for this request's scan."""

    lot_id: int
    serial: str
    client_kind: ClientKind
    client_digest: str
    at: datetime


def label_scans(
    page: PageRequest,
    session: Session,
    settings: Settings,
    lineage: Lineage,
    link: DigitalLink,
) -> tuple[ScanSummary | None, ScanToSave | None]:
    """The serial's scans so far, counting this one, and the scan to store (if it is one)."""
    if link.serial is None:
        return None, None
    lot_id = lineage.record.lot.id
    assert lot_id is not None
    summary = summarize_scans(
        session, lot_id=lot_id, serial=link.serial, threshold=settings.scan_warn_threshold
    )
    if not page.counts_as_scan():
        return summary, None
    client = page.request.client
    scan = ScanToSave(
        lot_id=lot_id,
        serial=link.serial,
        client_kind=classify_user_agent(page.request.headers.get("user-agent")),
        client_digest=client_digest(client.host if client else None, key=_digest_key(page)),
        at=utcnow(),
    )
    return summary.including(scan.at), scan


def _digest_key(page: PageRequest) -> bytes:
    """The key that hides client addresses, derived once per app from the server secret."""
    state = page.request.app.state
    key: bytes | None = getattr(state, "scan_digest_key", None)
    if key is None:
        key = digest_key(resolve_secret(state.runtime.settings))
        state.scan_digest_key = key
    return key
