"""A lot's events as the timeline on its page: who did what, when, and how far it is anchored.

Values inside ``data`` are shown as they were recorded (they are what was hashed); only the
labels are translated. Organisation slugs in a transfer become names, and an input
application shows the earliest safe harvest date its pre-harvest interval implies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from backend.i18n import Translator
from backend.models import Batch, BatchStatus, Event, EventType, Organisation
from backend.services.ledger.queries import batches_by_id, orgs_by_id
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


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(_show(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_show(v)}" for k, v in value.items())
    return str(value)


def _details(event: Event, t: Translator, names: Mapping[str, str]) -> list[tuple[str, str]]:
    rows = []
    for key, value in event.data.items():
        label = t(f"app.data.{key}")
        if label == f"app.data.{key}":
            label = key
        if key in ("from", "to") and isinstance(value, str):
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
        rows.append((label, _show(value)))
    return rows


def _safe_from(event: Event) -> datetime | None:
    days = event.data.get("pre_harvest_interval_days")
    if event.type != EventType.INPUT_APPLICATION or not isinstance(days, int):
        return None
    return as_utc(event.occurred_at) + timedelta(days=days)


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
                details=_details(event, t, names),
                anchoring=batch.status.value if batch else BatchStatus.PENDING.value,
                batch_root=batch.root if batch else None,
                tx_hash=batch.tx_hash if batch else None,
                block_number=batch.block_number if batch else None,
                event_hash=event.event_hash,
                verdict=found.verdict if found else None,
                reason=found.reason if found else None,
                safe_harvest_from=_safe_from(event),
            )
        )
    return entries
