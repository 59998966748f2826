"""Fitting label text into a box: shrink, then wrap, then shorten with an ellipsis.

Order of resort, each tried from the largest size down:

1. every paragraph on one line, shrinking to three quarters of the largest size;
2. paragraphs wrapped at word boundaries (a word wider than the box is split), down to the
   smallest legible size;
3. at the smallest size, paragraphs that may be shortened lose their last line, which then
   ends with "…", in their ``shorten_order`` (the least important first), until the block
   fits. Paragraphs without an order (lot, date, serial) are never shortened.

Fitting measures advance widths (cheap: a run of labels differs only in its serial line);
the chosen lines are then checked against their real glyph ink, and if any ink would cross
the box edge the fit is redone in a box shrunk by that much. If nothing fits even at the
smallest size, :class:`~qr.errors.DataTooLong` is raised: text that spills over a label
edge is never produced.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from PIL import ImageFont

from qr.errors import DataTooLong
from qr.fonts import line_metrics, load_font

ELLIPSIS = "…"
#: Smallest size tried before wrapping, as a share of the largest.
_SHRINK_FLOOR = 0.75
#: Extra space between paragraphs, as a share of the body size.
_PARAGRAPH_GAP = 0.2
#: How many times a fit is redone after the ink check before giving up.
_INK_RETRIES = 3

Block = tuple["Paragraph", tuple[str, ...]]


@dataclass(frozen=True)
class Paragraph:
    """One field of a label; ``scale`` sizes it relative to the body text."""

    text: str
    weight: int = 400
    scale: float = 1.0
    #: When text must be cut, lower numbers lose lines first; ``None`` is never cut.
    shorten_order: int | None = None


@dataclass(frozen=True)
class PlacedLine:
    """A line to draw with anchor ``"la"`` (left, ascender) at (x, y) in box coordinates."""

    text: str
    size_px: int
    weight: int
    x: int
    y: int

    @property
    def font(self) -> ImageFont.FreeTypeFont:
        return load_font(self.size_px, self.weight)

    def ink_box(self) -> tuple[int, int, int, int]:
        """Where this line's glyphs put ink: (left, top, right, bottom) in box coordinates."""
        left, top, right, bottom = ink(self.text, self.size_px, self.weight)
        return (self.x + left, self.y + top, self.x + right, self.y + bottom)


def fit_text(
    paragraphs: Sequence[Paragraph], *, width: int, height: int, max_px: int, min_px: int
) -> tuple[PlacedLine, ...]:
    """Lay out ``paragraphs`` top to bottom inside a ``width`` x ``height`` box (dots)."""
    paras = tuple(
        replace(p, text=unicodedata.normalize("NFC", " ".join(p.text.split()))) for p in paragraphs
    )
    fit_width, fit_height = width, height
    for _ in range(_INK_RETRIES + 1):
        lines = _fit(paras, fit_width, fit_height, max_px, min_px)
        over_x, over_y = _ink_overflow(lines, width, height)
        if not over_x and not over_y:
            return lines
        fit_width, fit_height = fit_width - over_x, fit_height - 2 * over_y
    raise DataTooLong(f"the label text cannot be kept inside its {width}x{height}-dot area")


def advance(text: str, size_px: int, weight: int) -> int:
    """Advance width of ``text`` in whole dots (rounded up)."""
    return _advance(text, size_px, weight)


@lru_cache(maxsize=65536)
def _advance(text: str, size_px: int, weight: int) -> int:
    return math.ceil(load_font(size_px, weight).getlength(text))


@lru_cache(maxsize=16384)
def ink(text: str, size_px: int, weight: int) -> tuple[int, int, int, int]:
    """Glyph ink box of ``text`` relative to its ``"la"`` anchor (cached; it is slow)."""
    left, top, right, bottom = load_font(size_px, weight).getbbox(text, anchor="la")
    return (math.floor(left), math.floor(top), math.ceil(right), math.ceil(bottom))


def _fit(
    paras: tuple[Paragraph, ...], width: int, height: int, max_px: int, min_px: int
) -> tuple[PlacedLine, ...]:
    if width <= 0 or height <= 0:
        raise DataTooLong("no room is left for the label text")
    floor = max(min_px, round(max_px * _SHRINK_FLOOR))
    for wrap, lowest in ((False, floor), (True, min_px)):
        for size in range(max_px, lowest - 1, -1):
            blocks = _layout(paras, size, width, wrap=wrap)
            if blocks is not None and _block_height(blocks, size) <= height:
                return _place(blocks, size, height)
    blocks = _layout(paras, min_px, width, wrap=True)
    if blocks is None:
        raise DataTooLong(f"a single character is wider than the {width}-dot text area")
    while _block_height(blocks, min_px) > height:
        cuttable = [
            i
            for i, (p, lines) in enumerate(blocks)
            if p.shorten_order is not None and len(lines) > 1
        ]
        if not cuttable:
            raise DataTooLong(
                f"the label text needs more room than the {width}x{height}-dot text area "
                "even at the smallest size"
            )
        index = min(cuttable, key=lambda i: blocks[i][0].shorten_order or 0)
        para, lines = blocks[index]
        last = _ellipsize(lines[-2], _size(para, min_px), para.weight, width)
        blocks[index] = (para, (*lines[:-2], last))
    return _place(blocks, min_px, height)


def _size(para: Paragraph, body_px: int) -> int:
    return max(1, round(body_px * para.scale))


def _layout(
    paras: Sequence[Paragraph], body_px: int, width: int, *, wrap: bool
) -> list[Block] | None:
    blocks: list[Block] = []
    for para in paras:
        size = _size(para, body_px)
        if wrap:
            lines = _wrap(para.text, size, para.weight, width)
            if lines is None:
                return None
        elif advance(para.text, size, para.weight) <= width:
            lines = (para.text,)
        else:
            return None
        blocks.append((para, lines))
    return blocks


def _block_height(blocks: Sequence[Block], body_px: int) -> int:
    lines = sum(
        line_metrics(_size(p, body_px), p.weight).height * len(lines) for p, lines in blocks
    )
    return lines + _gap(body_px) * max(0, len(blocks) - 1)


def _gap(body_px: int) -> int:
    return round(body_px * _PARAGRAPH_GAP)


def _place(blocks: Sequence[Block], body_px: int, height: int) -> tuple[PlacedLine, ...]:
    """Stack the lines, centring the block vertically in the box."""
    y = (height - _block_height(blocks, body_px)) // 2
    placed: list[PlacedLine] = []
    for para, lines in blocks:
        size = _size(para, body_px)
        metrics = line_metrics(size, para.weight)
        for line in lines:
            # A glyph with a negative left bearing would start left of the box; nudge it in.
            x = -min(0, ink(line, size, para.weight)[0])
            placed.append(PlacedLine(line, size, para.weight, x, y + metrics.top))
            y += metrics.height
        y += _gap(body_px)
    return tuple(placed)


def _ink_overflow(lines: Sequence[PlacedLine], width: int, height: int) -> tuple[int, int]:
    boxes = [line.ink_box() for line in lines if line.text.strip()]
    if not boxes:
        return (0, 0)
    over_x = max(0, max(b[2] for b in boxes) - width, -min(b[0] for b in boxes))
    over_y = max(0, max(b[3] for b in boxes) - height, -min(b[1] for b in boxes))
    return (over_x, over_y)


@lru_cache(maxsize=16384)
def _wrap(text: str, size: int, weight: int, width: int) -> tuple[str, ...] | None:
    """Greedy word wrap; words wider than the box are split between characters.

    ``None`` if even one character is wider than the box.
    """
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if advance(candidate, size, weight) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        pieces = _split_word(word, size, weight, width)
        if pieces is None:
            return None
        lines.extend(pieces[:-1])
        current = pieces[-1]
    lines.append(current)
    return tuple(lines)


def _split_word(word: str, size: int, weight: int, width: int) -> list[str] | None:
    pieces: list[str] = []
    while advance(word, size, weight) > width:
        cut = len(word) - 1
        while cut > 0 and advance(word[:cut], size, weight) > width:
            cut -= 1
        if cut == 0:
            return None
        pieces.append(word[:cut])
        word = word[cut:]
    pieces.append(word)
    return pieces


def _ellipsize(line: str, size: int, weight: int, width: int) -> str:
    text = line.rstrip()
    while text and advance(text + ELLIPSIS, size, weight) > width:
        text = text[:-1].rstrip()
    return text + ELLIPSIS
