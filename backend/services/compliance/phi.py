"""The pre-harvest interval gate: no harvest while an input's interval is still running.

A harvest at time T is refused while any input applied to its farm at or before T has an
interval ending after T, unless a regulator's override (a signed diary entry of its own) waives
every such interval. A lot let through that way is held: it is not packed nor labelled until the
last waived interval has ended. The harvest lot's first event repeats the farm's diary since its
previous harvest, and the override that let it through, so a consumer sees both, proven.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from backend.errors import InvalidInput
from backend.i18n.messages import message
from backend.json_depth import loads_bounded
from backend.models import DiaryEntryType, Farm, FarmDiaryEntry, Lot, LotHold, LotLink
from backend.models_compliance import SEASON_ENTRY_TYPES
from backend.timeutil import as_utc, in_vietnam, utcnow


@dataclass(frozen=True)
class Clearance:
    """What the gate found for one harvest: the diary to repeat, the override used if any."""

    diary: list[FarmDiaryEntry] = field(default_factory=list)
    override: FarmDiaryEntry | None = None
    blocking: list[FarmDiaryEntry] = field(default_factory=list)

    def document_member(self) -> list[dict[str, Any]]:
        """``data.season_diary`` of the harvest event (proof rules 13.3), oldest entry first."""
        return [
            {"document": loads_bounded(entry.canonical), "signature": entry.signature}
            for entry in self.diary
        ]


def when(value: datetime) -> str:
    """A time as the refusals write it: Vietnam's wall clock, to the minute."""
    return in_vietnam(value).strftime("%Y-%m-%d %H:%M (UTC+7)")


def running_intervals(session: Session, *, farm: Farm, at: datetime) -> list[FarmDiaryEntry]:
    """Inputs applied to ``farm`` at or before ``at`` whose interval ends after ``at``, the
    one ending last first."""
    rows = session.exec(
        select(FarmDiaryEntry).where(
            FarmDiaryEntry.farm_id == farm.id,
            FarmDiaryEntry.type == DiaryEntryType.INPUT_APPLICATION.value,
            col(FarmDiaryEntry.occurred_at) <= at,
            col(FarmDiaryEntry.interval_ends_at) > at,
        )
    ).all()
    return sorted(rows, key=lambda row: (as_utc(_ends(row)), row.diary_seq), reverse=True)


def clear_harvest(session: Session, *, farm: Farm, harvested_at: datetime) -> Clearance:
    """The gate for a harvest on ``farm`` at ``harvested_at``; 422 naming the input when a
    running interval is not waived by an unused override."""
    blocking = running_intervals(session, farm=farm, at=harvested_at)
    override = _covering_override(session, farm=farm, blocking=blocking) if blocking else None
    if blocking and override is None:
        worst = blocking[0]
        raise InvalidInput(
            message(
                "compliance.phi.harvest_refused",
                product=worst.input_product or "",
                applied=when(worst.occurred_at),
                earliest=when(_ends(worst)),
            ),
            field="harvested_at",
        )
    diary = _since_previous_harvest(session, farm=farm, harvested_at=harvested_at)
    if override is not None and all(e.entry_id != override.entry_id for e in diary):
        diary.append(override)
    return Clearance(diary=diary, override=override, blocking=blocking)


def hold_lot(session: Session, *, lot: Lot, clearance: Clearance) -> None:
    """Spend the override on ``lot`` and hold the lot until the last waived interval ends."""
    if clearance.override is None:
        return
    assert lot.id is not None
    clearance.override.used_by_lot_id = lot.id
    worst = clearance.blocking[0]
    session.add(clearance.override)
    session.add(
        LotHold(
            lot_id=lot.id,
            clear_at=_ends(worst),
            override_entry_id=clearance.override.entry_id,
            input_product=worst.input_product or "",
            applied_at=worst.occurred_at,
        )
    )
    session.flush()


def require_released(session: Session, *, lot: Lot, action: str, field: str | None = None) -> None:
    """Refuse packing or labelling ``lot`` (422, as the harvest was) while its hold lasts, or
    the hold of any lot it was split or merged from (a split must not shed the hold)."""
    hold = _active_hold(session, lot)
    if hold is None:
        return
    raise InvalidInput(
        message(
            f"compliance.phi.{action}_refused",
            lot=lot.code,
            product=hold.input_product,
            applied=when(hold.applied_at),
            earliest=when(hold.clear_at),
        ),
        field=field,
    )


def _active_hold(session: Session, lot: Lot) -> LotHold | None:
    """The running hold of ``lot`` or of its nearest held ancestor (walked up the links)."""
    now = utcnow()
    seen: set[int] = set()
    frontier = [lot.id] if lot.id is not None else []
    while frontier:
        holds = session.exec(select(LotHold).where(col(LotHold.lot_id).in_(frontier))).all()
        running = [h for h in holds if as_utc(h.clear_at) > now]
        if running:
            return max(running, key=lambda h: as_utc(h.clear_at))
        seen.update(frontier)
        parents = session.exec(
            select(LotLink.parent_id).where(col(LotLink.child_id).in_(frontier))
        ).all()
        frontier = [p for p in parents if p not in seen]
    return None


def unused_overrides(session: Session, *, farm: Farm) -> list[FarmDiaryEntry]:
    """Overrides of ``farm`` no harvest has spent yet, newest first."""
    return list(
        session.exec(
            select(FarmDiaryEntry)
            .where(
                FarmDiaryEntry.farm_id == farm.id,
                FarmDiaryEntry.type == DiaryEntryType.PHI_OVERRIDE.value,
                col(FarmDiaryEntry.used_by_lot_id).is_(None),
            )
            .order_by(col(FarmDiaryEntry.diary_seq).desc())
        )
    )


def _covering_override(
    session: Session, *, farm: Farm, blocking: list[FarmDiaryEntry]
) -> FarmDiaryEntry | None:
    needed = {row.entry_id for row in blocking}
    for override in unused_overrides(session, farm=farm):
        waived = {item["entry"] for item in loads_bounded(override.canonical)["data"]["waives"]}
        if needed <= waived:
            return override
    return None


def _since_previous_harvest(
    session: Session, *, farm: Farm, harvested_at: datetime
) -> list[FarmDiaryEntry]:
    """The farm's diary after its previous harvest (one strictly earlier), up to this one."""
    previous = session.exec(
        select(func.max(Lot.harvested_at)).where(
            Lot.farm_id == farm.id, col(Lot.harvested_at) < harvested_at
        )
    ).one()
    query = select(FarmDiaryEntry).where(
        FarmDiaryEntry.farm_id == farm.id,
        col(FarmDiaryEntry.type).in_(SEASON_ENTRY_TYPES),
        col(FarmDiaryEntry.occurred_at) <= harvested_at,
    )
    if previous is not None:
        query = query.where(col(FarmDiaryEntry.occurred_at) > previous)
    return list(session.exec(query.order_by(col(FarmDiaryEntry.diary_seq))))


def _ends(row: FarmDiaryEntry) -> datetime:
    assert row.interval_ends_at is not None  # every input application has one
    return as_utc(row.interval_ends_at)
