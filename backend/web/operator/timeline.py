"""A lot's events as the timeline on its page: who did what, when, and how far it is anchored.

Values inside ``data`` are shown as they were recorded (they are what was hashed); only the
labels are translated. A transfer's organisations are shown by the names its rules-v2 document
states beside their slugs (a v1 record's bare slugs become names from their rows), and an input
application shows the earliest safe harvest date its pre-harvest interval implies.

A rules-v2 lot's events are shown from their checked documents, with block, transaction and
anchoring time from the chain's answer (:func:`build_proven_timeline`); a value a document
holds as a commitment is said to be private, never shown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from backend.hashing import is_commitment, org_ref_name
from backend.i18n import Translator
from backend.models import Batch, BatchStatus, Event, EventType, Organisation
from backend.services.ledger.queries import batches_by_id, orgs_by_id
from backend.services.verification.proven_facts import chain_anchor, stated_time
from backend.services.verification.results import EventCheck
from backend.timeutil import as_utc


@dataclass(frozen=True)
class EventVerdict:
    """The verification of one event, as the verification service reports it."""

    verdict: str
    reason: str | None = None


@dataclass
class TimelineEntry:
    """One event as the lot page shows it."""

    event_id: str
    event_type: str
    occurred_at: datetime
    org_name: str
    details: list[tuple[str, str]] = field(default_factory=list)
    anchoring: str = BatchStatus.PENDING.value
    batch_root: str | None = None
    tx_hash: str | None = None
    block_number: int | None = None
    event_hash: str = ""
    verdict: str | None = None
    reason: str | None = None
    safe_harvest_from: datetime | None = None
    #: When the chain says the event's batch was anchored (rules v2), and whether that was
    #: long after the event says it happened.
    anchored_at: datetime | None = None
    recorded_late: bool = False
    #: The server's own receipt time, shown only when it is more than
    #: :data:`RECEIPT_GAP` away from the time the event states (an entry logged offline).
    received_at: datetime | None = None
    #: The SHA-256 of a photo the event's data names (a field app quality check), if any.
    photo: str | None = None


_SHA256 = re.compile(r"[0-9a-f]{64}")
#: A stated time and the server's receipt time further apart than this are both shown.
RECEIPT_GAP = timedelta(hours=1)


def photo_of(data: Mapping[str, Any]) -> str | None:
    """``data.photo_sha256`` when it is a SHA-256 in lowercase hex (the photo's address)."""
    value = data.get("photo_sha256")
    if isinstance(value, str) and _SHA256.fullmatch(value):
        return value
    return None


def received_apart(occurred_at: datetime, recorded_at: datetime | None) -> datetime | None:
    """``recorded_at`` when it differs from ``occurred_at`` by more than :data:`RECEIPT_GAP`."""
    if recorded_at is None:
        return None
    gap = abs(as_utc(recorded_at) - as_utc(occurred_at))
    return as_utc(recorded_at) if gap > RECEIPT_GAP else None


def _show(value: Any, private: str | None = None) -> str:
    """A recorded value as text; a commitment is ``private`` when that text is given."""
    if private is not None and is_commitment(value):
        return private
    if isinstance(value, list):
        return "; ".join(_show(item, private) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_show(v, private)}" for k, v in value.items())
    return str(value)


def _details(
    data: Mapping[str, Any],
    t: Translator,
    names: Mapping[str, str],
    private: str | None = None,
) -> list[tuple[str, str]]:
    rows = []
    for key, value in data.items():
        label = t(f"app.data.{key}")
        if label == f"app.data.{key}":
            label = key
        if key in ("from", "to") and (stated := org_ref_name(value)) is not None:
            value = stated
        elif key in ("from", "to") and isinstance(value, str):
            value = names.get(value, value)
        elif key == "result" and value in ("pass", "fail"):
            value = t(f"app.choice.result.{value}")
        elif key == "condition" and value in ("good", "damaged"):
            value = t(f"app.choice.condition.{value}")
        elif key == "children" and isinstance(value, list):
            value = "; ".join(
                f"{child.get('code', '')} ({child.get('quantity', '')})"
                for child in value
                if isinstance(child, dict)
            )
        rows.append((label, _show(value, private)))
    return rows


def _safe_from(event_type: str, occurred_at: datetime, data: Mapping[str, Any]) -> datetime | None:
    days = data.get("pre_harvest_interval_days")
    if event_type != EventType.INPUT_APPLICATION or not isinstance(days, int):
        return None
    return as_utc(occurred_at) + timedelta(days=days)


def _slug_names(session: Session, events: Sequence[Event]) -> dict[str, str]:
    slugs = {
        value
        for event in events
        for key in ("from", "to")
        if isinstance(value := event.data.get(key), str)
    }
    if not slugs:
        return {}
    query = select(Organisation).where(col(Organisation.slug).in_(slugs))
    return {org.slug: org.name for org in session.exec(query)}


def build_timeline(
    session: Session,
    events: Sequence[Event],
    *,
    t: Translator,
    verdicts: Mapping[str, EventVerdict],
) -> list[TimelineEntry]:
    """Timeline entries for ``events`` (already in time order)."""
    orgs = orgs_by_id(session, {event.org_id for event in events})
    batches: dict[int, Batch] = batches_by_id(session, (event.batch_id for event in events))
    names = _slug_names(session, events)
    entries = []
    for event in events:
        batch = batches.get(event.batch_id) if event.batch_id is not None else None
        org = orgs.get(event.org_id)
        found = verdicts.get(event.id)
        entries.append(
            TimelineEntry(
                event_id=event.id,
                event_type=event.type.value if isinstance(event.type, EventType) else event.type,
                occurred_at=event.occurred_at,
                org_name=org.name if org else "",
                details=_details(event.data, t, names),
                anchoring=batch.status.value if batch else BatchStatus.PENDING.value,
                batch_root=batch.root if batch else None,
                tx_hash=batch.tx_hash if batch else None,
                block_number=batch.block_number if batch else None,
                event_hash=event.event_hash,
                verdict=found.verdict if found else None,
                reason=found.reason if found else None,
                safe_harvest_from=_safe_from(event.type, event.occurred_at, event.data),
                received_at=received_apart(event.occurred_at, event.recorded_at),
                photo=photo_of(event.data),
            )
        )
    return entries


def build_proven_timeline(
    session: Session,
    checks: Sequence[EventCheck],
    *,
    t: Translator,
    verdicts: Mapping[str, EventVerdict],
    names: Mapping[str, str],
) -> list[TimelineEntry]:
    """Timeline entries for a rules-v2 lot's ``checks`` (already in the order they say they
    happened): each from its document, organisation slugs named as the documents name them.
    An event whose document cannot be read is shown from its row beside its verdict."""
    unreadable = [check.event for check in checks if check.document is None]
    rows = {e.event_id: e for e in build_timeline(session, unreadable, t=t, verdicts=verdicts)}
    private = t("app.lot.kept_private")
    entries = []
    for check in checks:
        found = verdicts.get(check.event.id)
        row = rows.get(check.event.id)
        if check.document is not None:
            entry = _proven_entry(check, t, names, private)
        elif row is not None:
            entry = row
        else:
            continue
        entry.verdict = found.verdict if found else None
        entry.reason = found.reason if found else None
        entries.append(_with_chain_facts(entry, check))
    return entries


def _proven_entry(
    check: EventCheck, t: Translator, names: Mapping[str, str], private: str
) -> TimelineEntry:
    document = check.document
    assert document is not None
    when = stated_time(check)
    return TimelineEntry(
        event_id=check.event.id,
        event_type=document["type"],
        occurred_at=when,
        org_name=document["org_name"],
        details=_details(document["data"], t, names, private),
        batch_root=check.batch.root if check.batch else None,
        event_hash=check.computed_hash or check.event.event_hash,
        safe_harvest_from=_safe_from(document["type"], when, document["data"]),
        received_at=received_apart(when, check.event.recorded_at),
        photo=photo_of(document["data"]),
    )


def _with_chain_facts(entry: TimelineEntry, check: EventCheck) -> TimelineEntry:
    """Anchoring as the chain answers it: confirmed only when the chain holds the batch, with
    its block and transaction; otherwise the batch's own progress, never a confirmation."""
    anchor = chain_anchor(check)
    batch = check.batch
    if anchor is not None:
        entry.anchoring = BatchStatus.CONFIRMED.value
    elif batch is not None and batch.status is not BatchStatus.CONFIRMED:
        entry.anchoring = batch.status.value
    else:
        entry.anchoring = BatchStatus.PENDING.value
    entry.tx_hash = anchor.tx_hash if anchor else None
    entry.block_number = anchor.block_number if anchor else None
    entry.anchored_at = check.anchored_at if anchor else None
    entry.recorded_late = check.recorded_late
    return entry
