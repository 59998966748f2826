"""Words printed on labels, Vietnamese first and English second, in one place."""

from __future__ import annotations

from datetime import date

#: (Vietnamese, English) captions of the label fields.
CAPTIONS: dict[str, tuple[str, str]] = {
    "lot": ("Lô", "Lot"),
    "harvest": ("Thu hoạch", "Harvest"),
    "serial": ("Số sê-ri", "Serial"),
}


def caption(key: str) -> str:
    """``"Lô / Lot"``: both languages, Vietnamese first."""
    vi, en = CAPTIONS[key]
    return f"{vi} / {en}"


def format_date(value: date) -> str:
    """Dates as Vietnamese readers write them: dd/mm/yyyy."""
    return value.strftime("%d/%m/%Y")
