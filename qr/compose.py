"""One label's geometry (a plan) and its drawing.

A :class:`LabelPlan` fixes where everything goes, in printer dots: the QR symbol (left,
vertically centred, its quiet zone inside the label margin) and the text block to its right.
Raster formats draw the whole plan; ZPL sends the symbol as a ``^BQ`` field and only the text
block as a graphic, so both paths share this one plan and cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageDraw

from qr.content import label_paragraphs, trilingual_paragraphs
from qr.encode import QUIET_ZONE_MODULES, ErrorCorrection, QrSymbol, choose_module_dots, encode_qr
from qr.fonts import load_font
from qr.layouts import ColorMode, Layout, dots_per_mm, mm_to_dots
from qr.model import LabelData
from qr.text import PlacedLine, fit_text, ink

WHITE = 255
BLACK = 0


@dataclass(frozen=True)
class Box:
    """A rectangle in dots: left, top, width, height."""

    x: int
    y: int
    width: int
    height: int

    @property
    def right(self) -> int:
        return self.x + self.width

    @property
    def bottom(self) -> int:
        return self.y + self.height


@dataclass(frozen=True)
class LabelPlan:
    """Everything needed to draw one label at one resolution."""

    width: int
    height: int
    symbol: QrSymbol
    module_dots: int
    #: Top-left of the symbol's first module (the quiet zone lies around it).
    qr_origin: tuple[int, int]
    #: Text block; its width is a multiple of 8 so a ZPL graphic row is whole bytes.
    text_box: Box
    lines: tuple[PlacedLine, ...]

    @property
    def qr_box(self) -> Box:
        """The symbol plus its quiet zone."""
        quiet = QUIET_ZONE_MODULES * self.module_dots
        side = self.symbol.size_with_quiet_zone * self.module_dots
        return Box(self.qr_origin[0] - quiet, self.qr_origin[1] - quiet, side, side)

    @property
    def qr_symbol_box(self) -> Box:
        side = self.symbol.size * self.module_dots
        return Box(self.qr_origin[0], self.qr_origin[1], side, side)


def plan_label(
    label: LabelData,
    layout: Layout,
    dpi: int,
    level: ErrorCorrection = ErrorCorrection.M,
    *,
    symbol: QrSymbol | None = None,
) -> LabelPlan:
    """Place the QR code and fit the text of ``label`` on ``layout`` at ``dpi``.

    ``symbol`` may be passed when the caller has already encoded ``label.uri`` (it must be
    that URI at that level); otherwise it is encoded here.
    """
    width = mm_to_dots(layout.label_width_mm, dpi)
    height = mm_to_dots(layout.label_height_mm, dpi)
    margin = mm_to_dots(layout.margin_mm, dpi)
    if symbol is None:
        symbol = encode_qr(label.uri, level)
    elif (symbol.data, symbol.error_correction) != (label.uri, level):
        raise ValueError("the symbol passed to plan_label does not encode this label's URI")
    slot = height - 2 * margin
    module_dots = choose_module_dots(
        symbol,
        slot_dots=slot,
        min_width_dots=_min_width_dots(layout.min_qr_width_mm, dpi),
        target_width_dots=mm_to_dots(layout.qr_target_mm, dpi),
        max_module_dots=layout.max_module_dots,
    )
    qr_side = symbol.size_with_quiet_zone * module_dots
    qr_left, qr_top = margin, (height - qr_side) // 2
    quiet = QUIET_ZONE_MODULES * module_dots
    text_left = qr_left + qr_side
    text_width = (width - margin - text_left) // 8 * 8
    text_box = Box(text_left, margin, text_width, height - 2 * margin)
    paragraphs = trilingual_paragraphs if layout.trilingual else label_paragraphs
    lines = fit_text(
        paragraphs(label, body_weight=layout.body_weight),
        width=text_box.width,
        height=text_box.height,
        max_px=mm_to_dots(layout.text_max_mm, dpi),
        min_px=mm_to_dots(layout.text_min_mm, dpi),
    )
    return LabelPlan(
        width=width,
        height=height,
        symbol=symbol,
        module_dots=module_dots,
        qr_origin=(qr_left + quiet, qr_top + quiet),
        text_box=text_box,
        lines=lines,
    )


def draw_label(plan: LabelPlan, mode: ColorMode) -> Image.Image:
    """The whole label as an image of ``plan.width`` x ``plan.height`` dots."""
    image = Image.new(mode, (plan.width, plan.height), WHITE)
    image.paste(plan.symbol.image(plan.module_dots), plan.qr_origin)
    _draw_lines(image, plan.lines, origin=(plan.text_box.x, plan.text_box.y))
    return image


def draw_text_block(plan: LabelPlan) -> Image.Image:
    """Only the text block, 1-bit, sized to ``plan.text_box`` (for printers that get a graphic)."""
    image = Image.new("1", (plan.text_box.width, plan.text_box.height), WHITE)
    _draw_lines(image, plan.lines, origin=(0, 0))
    return image


def _draw_lines(
    image: Image.Image, lines: tuple[PlacedLine, ...], *, origin: tuple[int, int]
) -> None:
    for line in lines:
        if not line.text.strip():
            continue
        mask, (dx, dy) = _line_mask(line.text, line.size_px, line.weight, image.mode)
        image.paste(BLACK, (origin[0] + line.x + dx, origin[1] + line.y + dy), mask)


@lru_cache(maxsize=4096)
def _line_mask(
    text: str, size_px: int, weight: int, mode: str
) -> tuple[Image.Image, tuple[int, int]]:
    """The ink of one line as a paste mask, and its offset from the line's anchor.

    Cached because a run of labels repeats every line but the serial; a 1-bit target gets a
    1-bit (unsmoothed) rendering, as the printer would produce.
    """
    left, top, right, bottom = ink(text, size_px, weight)
    mask = Image.new("1" if mode == "1" else "L", (max(1, right - left), max(1, bottom - top)), 0)
    draw = ImageDraw.Draw(mask)
    draw.text((-left, -top), text, font=load_font(size_px, weight), fill=255, anchor="la")
    return mask, (left, top)


def _min_width_dots(mm: float, dpi: int) -> int:
    # Round up: "at least 18 mm" must hold for the dots actually printed.
    dots = mm * dots_per_mm(dpi)
    return int(dots) if dots == int(dots) else int(dots) + 1
