"""Label layouts: physical sizes, printer resolutions and where labels sit on a page.

Printer resolutions are named by their nominal dpi but drawn in dots per millimetre, which is
what the print heads really have: a "203 dpi" head is 8 dots/mm (203.2 dpi), a "300 dpi" head
12 dots/mm (304.8 dpi), and laser output is rasterised on the same grid. Working in whole dots
per mm makes a 50 mm label exactly 400 dots, the PNG ``pHYs`` chunk exact (8000 dots/m), and
lets the PDF page be the exact physical size with the image drawn at exactly one dot per dot.

Layouts:

* ``thermal-50x30`` and ``thermal-100x50``: roll labels for thermal printers, one label per
  page, 1-bit output (a thermal head prints dots on or off; grey would be dithered into ragged
  text by the driver).
* ``export-100x70``: a roll label for export cartons, captions in Vietnamese, English and
  simplified Chinese in one font that has all three (WenQuanYi Micro Hei).
* ``a4``: a laser sheet of 3 x 8 labels of 63.5 x 33.9 mm with the margins of the common
  24-up sheets (7.25 mm sides, 12.9 mm top and bottom, 2.5 mm between columns), grey output.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from qr.errors import UnknownLayout, UnsupportedDpi

#: Nominal dpi → dots per millimetre of the print head.
DOTS_PER_MM: dict[int, int] = {203: 8, 300: 12, 600: 24}
MM_PER_INCH = 25.4

ColorMode = Literal["1", "L"]


@dataclass(frozen=True)
class Sheet:
    """A page that carries a grid of labels (positions of label top-left corners, in mm)."""

    width_mm: float
    height_mm: float
    columns: int
    rows: int
    left_mm: float
    top_mm: float
    column_pitch_mm: float
    row_pitch_mm: float

    def slots_mm(self) -> tuple[tuple[float, float], ...]:
        """Label positions in reading order: left to right, then top to bottom."""
        return tuple(
            (self.left_mm + col * self.column_pitch_mm, self.top_mm + row * self.row_pitch_mm)
            for row in range(self.rows)
            for col in range(self.columns)
        )


@dataclass(frozen=True)
class Layout:
    """How one kind of label is drawn: size, margins, text sizes, QR limits, page layout."""

    name: str
    label_width_mm: float
    label_height_mm: float
    dpis: tuple[int, ...]
    default_dpi: int
    #: Blank border inside the label: print registration / die-cut tolerance.
    margin_mm: float
    #: Largest and smallest em size of the body text; the product name is drawn larger.
    text_max_mm: float
    text_min_mm: float
    body_weight: int
    color_mode: ColorMode
    sheet: Sheet | None = None
    #: The printed QR symbol (without quiet zone) is at least this wide ...
    min_qr_width_mm: float = 18.0
    #: ... and aims at this width (it grows past the minimum only as far as this).
    qr_target_mm: float = 20.0
    #: Cap on dots per module; ZPL's ^BQ magnification stops at 10, and every format of a
    #: layout must print the same geometry.
    max_module_dots: int | None = None
    #: Captions in Vietnamese, English and simplified Chinese, in the trilingual font.
    trilingual: bool = False

    @property
    def is_roll(self) -> bool:
        """Roll media: one label per page, as thermal printers feed them."""
        return self.sheet is None

    @property
    def labels_per_page(self) -> int:
        return 1 if self.sheet is None else self.sheet.columns * self.sheet.rows

    @property
    def page_size_mm(self) -> tuple[float, float]:
        if self.sheet is None:
            return (self.label_width_mm, self.label_height_mm)
        return (self.sheet.width_mm, self.sheet.height_mm)

    def slots_mm(self) -> tuple[tuple[float, float], ...]:
        """Top-left corner of each label on a page, in mm from the page's top-left."""
        return ((0.0, 0.0),) if self.sheet is None else self.sheet.slots_mm()

    def resolve_dpi(self, dpi: int | None) -> int:
        """The dpi to draw at: the layout default, or ``dpi`` if the layout offers it."""
        if dpi is None:
            return self.default_dpi
        if dpi not in self.dpis:
            offered = ", ".join(str(d) for d in self.dpis)
            raise UnsupportedDpi(f"layout {self.name} is drawn at {offered} dpi, not {dpi}")
        return dpi


def dots_per_mm(dpi: int) -> int:
    """Dots per millimetre of a printer sold as ``dpi``."""
    try:
        return DOTS_PER_MM[dpi]
    except KeyError:
        raise UnsupportedDpi(f"no printer grid is defined for {dpi} dpi") from None


def mm_to_dots(mm: float, dpi: int) -> int:
    return round(mm * dots_per_mm(dpi))


def exact_dpi(dpi: int) -> float:
    """The true resolution of a ``dpi`` printer (203 → 203.2), for file metadata."""
    return dots_per_mm(dpi) * MM_PER_INCH


A4_SHEET_24 = Sheet(
    width_mm=210.0,
    height_mm=297.0,
    columns=3,
    rows=8,
    left_mm=7.25,
    top_mm=12.9,
    column_pitch_mm=66.0,
    row_pitch_mm=33.9,
)

LAYOUTS: dict[str, Layout] = {
    layout.name: layout
    for layout in (
        Layout(
            name="thermal-50x30",
            label_width_mm=50.0,
            label_height_mm=30.0,
            dpis=(203, 300),
            default_dpi=203,
            margin_mm=1.5,
            text_max_mm=2.8,
            text_min_mm=1.6,
            body_weight=500,
            color_mode="1",
            qr_target_mm=20.0,
            max_module_dots=10,
        ),
        Layout(
            name="thermal-100x50",
            label_width_mm=100.0,
            label_height_mm=50.0,
            dpis=(203, 300),
            default_dpi=203,
            margin_mm=2.0,
            text_max_mm=4.5,
            text_min_mm=2.0,
            body_weight=500,
            color_mode="1",
            qr_target_mm=32.0,
            max_module_dots=10,
        ),
        Layout(
            name="export-100x70",
            label_width_mm=100.0,
            label_height_mm=70.0,
            dpis=(203, 300),
            default_dpi=203,
            margin_mm=2.5,
            text_max_mm=4.0,
            text_min_mm=2.0,
            body_weight=400,
            color_mode="1",
            qr_target_mm=34.0,
            max_module_dots=10,
            trilingual=True,
        ),
        Layout(
            name="a4",
            label_width_mm=63.5,
            label_height_mm=33.9,
            dpis=(300, 600),
            default_dpi=300,
            margin_mm=2.0,
            text_max_mm=3.2,
            text_min_mm=1.8,
            body_weight=400,
            color_mode="L",
            sheet=A4_SHEET_24,
            qr_target_mm=24.0,
        ),
    )
}


def get_layout(name: str) -> Layout:
    """The layout called ``name``; :class:`UnknownLayout` lists the ones that exist."""
    try:
        return LAYOUTS[name]
    except (KeyError, TypeError):
        known = ", ".join(sorted(LAYOUTS))
        raise UnknownLayout(f"unknown label layout {name!r}; choose one of {known}") from None
