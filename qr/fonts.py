"""The label typeface: Be Vietnam Pro, loaded from its PyPI package and cached.

Be Vietnam Pro was drawn for Vietnamese: every precomposed letter with stacked marks (ẩ, ỗ,
ự …) has its own glyph. The file comes from ``fontpkg-be-vietnam-pro`` through ``fontpkg``'s
lookup, so the same font is used on every machine and no system font path is ever involved.

Loaded fonts are cached and shared between threads. That is safe on a GIL build of CPython,
where Pillow holds the interpreter lock through each FreeType call; FreeType faces themselves
are not thread-safe, which matters only for free-threaded builds (Pillow 12.2 locks there).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import fontpkg
from PIL import ImageFont

from qr.errors import FontMissing

FAMILY = "Be Vietnam Pro"
#: Letters that reach highest (hook above + circumflex) and lowest (dot below) in Vietnamese;
#: a line box that holds these holds every Vietnamese word.
_TALLEST = "ẨẪẴẲỖỔỮỬ"
_DEEPEST = "ẶỆỘỰặệộựgjpqyỵ"


@dataclass(frozen=True)
class LineMetrics:
    """Vertical room a line of this font needs, in dots, from the top of its box."""

    #: Distance from the box top to the ascender line (the drawing anchor).
    top: int
    #: Full height of the line box.
    height: int


#: Added to a weight, selects the trilingual font instead of Be Vietnam Pro. Weights travel
#: through the text fitting and drawing caches as part of their keys, so carrying the font
#: choice in them keeps every cached measurement tied to the font it was made with.
TRILINGUAL = 10_000
#: WenQuanYi Micro Hei (Debian ``fonts-wqy-microhei``): one face with Vietnamese (every
#: precomposed letter), English and simplified Chinese, so a trilingual label is one font.
TRILINGUAL_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


@lru_cache(maxsize=32)
def font_path(weight: int = 400) -> str:
    if weight >= TRILINGUAL:
        if not TRILINGUAL_FONT.is_file():
            raise FontMissing(
                f"{TRILINGUAL_FONT} is missing: install Debian's fonts-wqy-microhei "
                "(scripts/install_system_deps.sh)"
            )
        return str(TRILINGUAL_FONT)
    return str(fontpkg.path(FAMILY, weight))


@lru_cache(maxsize=512)
def load_font(size_px: int, weight: int = 400) -> ImageFont.FreeTypeFont:
    """Be Vietnam Pro at ``size_px`` (em size in dots) and ``weight`` (100-900); the
    trilingual font for ``weight`` + :data:`TRILINGUAL` (it has one weight)."""
    return ImageFont.truetype(font_path(weight), size_px)


@lru_cache(maxsize=512)
def line_metrics(size_px: int, weight: int = 400) -> LineMetrics:
    """The line box of :func:`load_font` at this size, measured on the extreme glyphs."""
    font = load_font(size_px, weight)
    ascent, descent = font.getmetrics()
    top = max(0, -math.floor(font.getbbox(_TALLEST, anchor="la")[1]))
    bottom = max(ascent + descent, math.ceil(font.getbbox(_DEEPEST, anchor="la")[3]))
    return LineMetrics(top=top, height=top + bottom)
