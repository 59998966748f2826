"""Words printed on labels, Vietnamese first and English second, in one place."""

from __future__ import annotations

from datetime import date

#: (Vietnamese, English) captions of the label fields.
CAPTIONS: dict[str, tuple[str, str]] = {
    "lot": ("Lô", "Lot"),
    "harvest": ("Thu hoạch", "Harvest"),
    "serial": ("Số sê-ri", "Serial"),
}


#: (Vietnamese, English, simplified Chinese) captions of the export label.
CAPTIONS_ZH: dict[str, tuple[str, str, str]] = {
    "lot": ("Lô", "Lot", "批次"),
    "harvest": ("Thu hoạch", "Harvest", "采收日期"),
    "best_before": ("Hạn dùng", "Best before", "保质期至"),
    "origin": ("Xuất xứ", "Origin", "原产地"),
    "serial": ("Số sê-ri", "Serial", "序列号"),
}
#: Where export produce comes from, in the three languages.
ORIGIN_ZH = "越南同塔省"


def caption3(key: str) -> str:
    """``"Lô / Lot / 批次"``: Vietnamese, English, simplified Chinese."""
    return " / ".join(CAPTIONS_ZH[key])


def caption(key: str) -> str:
    """``"Lô / Lot"``: both languages, Vietnamese first."""
    vi, en = CAPTIONS[key]
    return f"{vi} / {en}"


def format_date(value: date) -> str:
    """Dates as Vietnamese readers write them: dd/mm/yyyy."""
    return value.strftime("%d/%m/%Y")
