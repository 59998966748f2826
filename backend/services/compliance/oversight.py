"""What the regulator's compliance dashboard lists: areas against their caps, codes claimed
by organisations that do not hold them, and interval overrides with their reasons."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session, col, select

from backend.json_depth import loads_bounded
from backend.models import DiaryEntryType, Farm, FarmDiaryEntry, Lot, Organisation
from backend.models_areas import AreaClaimRefusal, GrowingArea
from backend.services.compliance import mass_balance


@dataclass(frozen=True)
class AreaRow:
    code: str
    holder: str
    crop: str
    area_ha: str
    season: str
    harvested_kg: str
    cap_kg: str
    share_percent: str
    status: str  # ok | warn | full


@dataclass(frozen=True)
class ClaimRow:
    area_code: str
    org: str
    farm: str
    kind: str
    quantity_kg: str
    at: datetime


@dataclass(frozen=True)
class OverrideRow:
    farm: str
    regulator: str
    reason: str
    at: datetime
    lot: str | None  # the harvest it let through, once spent


def area_rows(session: Session, *, season: str) -> list[AreaRow]:
    rows = session.exec(
        select(GrowingArea, Organisation)
        .join(Organisation, col(Organisation.id) == col(GrowingArea.holder_org_id))
        .order_by(col(GrowingArea.code))
    ).all()
    out: list[AreaRow] = []
    for area, holder in rows:
        found = mass_balance.balance(session, area, season)
        status = (
            "full"
            if found.share >= 1
            else "warn"
            if found.share > mass_balance.WARN_SHARE
            else "ok"
        )
        out.append(
            AreaRow(
                code=area.code,
                holder=holder.name,
                crop=area.crop,
                area_ha=area.area_ha,
                season=season,
                harvested_kg=_plain(found.harvested_kg),
                cap_kg=_plain(found.cap_kg),
                share_percent=_plain((found.share * 100).quantize(1)),
                status=status,
            )
        )
    return out


def claim_rows(session: Session) -> list[ClaimRow]:
    rows = session.exec(
        select(AreaClaimRefusal, Organisation)
        .join(Organisation, col(Organisation.id) == col(AreaClaimRefusal.org_id))
        .order_by(col(AreaClaimRefusal.id).desc())
    ).all()
    return [
        ClaimRow(r.area_code, o.name, r.farm_code, r.kind, r.quantity_kg or "", r.created_at)
        for r, o in rows
    ]


def override_rows(session: Session) -> list[OverrideRow]:
    rows = session.exec(
        select(FarmDiaryEntry, Farm, Organisation)
        .join(Farm, col(Farm.id) == col(FarmDiaryEntry.farm_id))
        .join(Organisation, col(Organisation.id) == col(FarmDiaryEntry.org_id))
        .where(FarmDiaryEntry.type == DiaryEntryType.PHI_OVERRIDE.value)
        .order_by(col(FarmDiaryEntry.id).desc())
    ).all()
    out: list[OverrideRow] = []
    for entry, farm, org in rows:
        lot = session.get(Lot, entry.used_by_lot_id) if entry.used_by_lot_id else None
        reason = loads_bounded(entry.canonical)["data"]["reason"]
        out.append(
            OverrideRow(farm.code, org.name, reason, entry.occurred_at, lot.code if lot else None)
        )
    return out


def dashboard_csv(session: Session, *, season: str) -> bytes:
    """The three lists in one CSV, one section after the other (UTF-8 with BOM)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["section", "area", "holder", "crop", "area_ha", "season", "harvested_kg",
                     "cap_kg", "share_percent", "status"])  # fmt: skip
    for a in area_rows(session, season=season):
        writer.writerow(["area", a.code, a.holder, a.crop, a.area_ha, a.season, a.harvested_kg,
                         a.cap_kg, a.share_percent, a.status])  # fmt: skip
    writer.writerow(["section", "area", "organisation", "farm", "refusal", "quantity_kg", "at"])
    for c in claim_rows(session):
        writer.writerow(["refused_claim", c.area_code, c.org, c.farm, c.kind, c.quantity_kg,
                         c.at.isoformat()])  # fmt: skip
    writer.writerow(["section", "farm", "regulator", "reason", "at", "lot"])
    for o in override_rows(session):
        writer.writerow(["override", o.farm, o.regulator, o.reason, o.at.isoformat(), o.lot or ""])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _plain(value: object) -> str:
    return format(Decimal(str(value)).normalize(), "f")
