"""The VietGAP season diary of a farm as a printable A4 PDF, the way an auditor reads it.

One season (a calendar year on Đồng Tháp's clock) of one farm: the farm and its certificates,
then every input applied (from the signed season diary, with registration and batch numbers),
every harvest lot, and every quality check on those lots, each line with its proof status: a
diary entry is signed and becomes proven with the harvest that repeats it; an event is
"anchored" once its batch is confirmed on chain, "pending" before. Operator names stay out:
they are commitments in the diary.
"""

from __future__ import annotations

from datetime import datetime, time

from fpdf import FPDF
from sqlmodel import Session, col, select

from backend.hashing import event_hash, to_hex
from backend.i18n import Translator
from backend.json_depth import loads_bounded
from backend.models import (
    Batch,
    BatchStatus,
    DiaryEntryType,
    Event,
    EventType,
    Farm,
    FarmDiaryEntry,
    Lot,
    LotLink,
    Organisation,
)
from backend.models_compliance import SEASON_ENTRY_TYPES
from backend.timeutil import VIETNAM_TZ, as_utc, in_vietnam, utcnow
from qr.fonts import font_path

_FONT = "BeVietnamPro"


def season_bounds(season: str) -> tuple[datetime, datetime]:
    year = int(season)
    start = datetime.combine(datetime(year, 1, 1).date(), time(0), tzinfo=VIETNAM_TZ)
    end = datetime.combine(datetime(year + 1, 1, 1).date(), time(0), tzinfo=VIETNAM_TZ)
    return as_utc(start), as_utc(end)


def diary_pdf(session: Session, *, farm: Farm, season: str, t: Translator) -> bytes:
    """The farm's season as an A4 PDF (see the module docstring)."""
    start, end = season_bounds(season)
    owner = session.get(Organisation, farm.org_id)
    entries = session.exec(
        select(FarmDiaryEntry)
        .where(
            FarmDiaryEntry.farm_id == farm.id,
            col(FarmDiaryEntry.type).in_(SEASON_ENTRY_TYPES),
            col(FarmDiaryEntry.occurred_at) >= start,
            col(FarmDiaryEntry.occurred_at) < end,
        )
        .order_by(col(FarmDiaryEntry.diary_seq))
    ).all()
    lots = session.exec(
        select(Lot)
        .where(
            Lot.farm_id == farm.id,
            col(Lot.harvested_at) >= start,
            col(Lot.harvested_at) < end,
            col(Lot.id).not_in(select(LotLink.child_id)),
        )
        .order_by(col(Lot.harvested_at))
    ).all()
    checks = session.exec(
        select(Event, Lot.code)
        .join(Lot, col(Lot.id) == col(Event.lot_id))
        .where(
            col(Event.lot_id).in_([lot.id for lot in lots]),
            Event.type == EventType.QUALITY_CHECK,
        )
        .order_by(col(Event.occurred_at))
    ).all()
    pdf = _document()
    pdf.set_font(_FONT, "B", 15)
    pdf.cell(0, 9, t("compliance.vietgap.title", season=season), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(_FONT, "", 10)
    for line in _farm_lines(farm, owner, t):
        pdf.multi_cell(0, 5.5, line, new_x="LMARGIN", new_y="NEXT")
    _section(pdf, t("compliance.vietgap.inputs"))
    _table(
        pdf,
        [
            t(f"compliance.vietgap.col_{k}")
            for k in ("date", "input", "dose", "phi", "numbers", "proof")
        ],
        (22, 52, 26, 18, 40, 32),
        [_input_row(session, e, t) for e in entries],
        t,
    )
    _section(pdf, t("compliance.vietgap.harvests"))
    _table(
        pdf,
        [t(f"compliance.vietgap.col_{k}") for k in ("date", "lot", "quantity", "proof")],
        (22, 60, 40, 68),
        [
            [
                _day(lot.harvested_at),
                lot.code,
                f"{lot.quantity} {lot.unit}",
                _lot_proof(session, lot, t),
            ]
            for lot in lots
        ],
        t,
    )
    _section(pdf, t("compliance.vietgap.checks"))
    _table(
        pdf,
        [t(f"compliance.vietgap.col_{k}") for k in ("date", "lot", "result", "proof")],
        (22, 50, 70, 48),
        [
            [_day(event.occurred_at), code, _check_text(event, t), _event_proof(session, event, t)]
            for event, code in checks
        ],
        t,
    )
    pdf.ln(4)
    pdf.set_font(_FONT, "", 8)
    made = in_vietnam(utcnow()).strftime("%d/%m/%Y %H:%M")
    pdf.multi_cell(0, 4, t("compliance.vietgap.footer", at=made), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _document() -> FPDF:
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=14)
    pdf.add_font(_FONT, "", font_path(400))
    pdf.add_font(_FONT, "B", font_path(700))
    pdf.add_page()
    return pdf


def _farm_lines(farm: Farm, owner: Organisation | None, t: Translator) -> list[str]:
    lines = [
        t("compliance.vietgap.farm", name=farm.name, code=farm.code),
        t("compliance.vietgap.place", commune=farm.commune, province=farm.province),
        t("compliance.vietgap.holder", org=owner.name if owner else ""),
    ]
    if farm.growing_area_code:
        lines.append(t("compliance.vietgap.area_code", code=farm.growing_area_code))
    for cert in farm.certifications or []:
        lines.append(
            t(
                "compliance.vietgap.certificate",
                scheme=cert.get("scheme", ""),
                number=cert.get("number", ""),
                until=cert.get("valid_until") or "",
            )
        )
    return lines


def _section(pdf: FPDF, title: str) -> None:
    pdf.ln(3)
    pdf.set_font(_FONT, "B", 12)
    pdf.cell(0, 7, title, new_x="LMARGIN", new_y="NEXT")


def _table(
    pdf: FPDF, headers: list[str], widths: tuple[int, ...], rows: list[list[str]], t: Translator
) -> None:
    if not rows:
        pdf.set_font(_FONT, "", 9)
        pdf.cell(0, 6, t("compliance.vietgap.none"), new_x="LMARGIN", new_y="NEXT")
        return
    pdf.set_font(_FONT, "", 8.5)
    with pdf.table(col_widths=widths, text_align="LEFT", line_height=4.5) as table:
        header = table.row()
        for text in headers:
            header.cell(text)
        for values in rows:
            row = table.row()
            for text in values:
                row.cell(text)


def _input_row(session: Session, entry: FarmDiaryEntry, t: Translator) -> list[str]:
    document = loads_bounded(entry.canonical)
    data = document["data"]
    if entry.type == DiaryEntryType.PHI_OVERRIDE.value:
        return [
            _day(entry.occurred_at),
            t("compliance.vietgap.override", org=document["org_name"]),
            "",
            "",
            data.get("reason", ""),
            _entry_proof(session, entry, t),
        ]
    numbers = " / ".join(
        str(data[key]) for key in ("registration_number", "batch_number") if key in data
    )
    return [
        _day(entry.occurred_at),
        f"{data['product']} ({data['active_ingredient']})",
        f"{data['dose']} {data['unit']}",
        t("compliance.vietgap.days", days=data["pre_harvest_interval_days"]),
        numbers,
        _entry_proof(session, entry, t),
    ]


def _entry_proof(session: Session, entry: FarmDiaryEntry, t: Translator) -> str:
    """Signed, and proven in which harvest lot (its first event repeats the entry)."""
    if entry.signature is None:
        return t("compliance.vietgap.unsigned")
    harvests = session.exec(
        select(Lot.code, Event.canonical)
        .join(Event, col(Event.lot_id) == col(Lot.id))
        .where(
            Lot.farm_id == entry.farm_id,
            col(Lot.harvested_at) >= entry.occurred_at,
            Event.type == EventType.HARVEST,
        )
    ).all()
    for code, raw in harvests:
        if raw is not None and entry.entry_hash in _diary_hashes(raw):
            return t("compliance.vietgap.signed_in_lot", lot=code)
    return t("compliance.vietgap.signed")


def _diary_hashes(raw: bytes) -> set[str]:
    data = loads_bounded(raw).get("data", {})
    return {to_hex(event_hash(item["document"])) for item in data.get("season_diary", [])}


def _lot_proof(session: Session, lot: Lot, t: Translator) -> str:
    events = session.exec(select(Event).where(Event.lot_id == lot.id)).all()
    anchored = sum(1 for event in events if _anchored(session, event))
    return t("compliance.vietgap.events_anchored", anchored=anchored, total=len(events))


def _event_proof(session: Session, event: Event, t: Translator) -> str:
    return t(
        "compliance.vietgap.anchored" if _anchored(session, event) else "compliance.vietgap.pending"
    )


def _anchored(session: Session, event: Event) -> bool:
    if event.batch_id is None:
        return False
    batch = session.get(Batch, event.batch_id)
    return batch is not None and batch.status == BatchStatus.CONFIRMED


def _check_text(event: Event, t: Translator) -> str:
    data = event.data or {}
    result = t(f"compliance.vietgap.result_{data.get('result', 'unknown')}")
    method = data.get("method")
    return f"{result} — {method}" if isinstance(method, str) else result


def _day(value: datetime | None) -> str:
    return in_vietnam(value).strftime("%d/%m/%Y") if value else ""
