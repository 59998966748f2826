"""The field app's home-screen icons, drawn here with Pillow (no artwork is shipped).

A green rounded square (the Mekong delta's orchards) with a white leaf and the brand's
diamond; maskable icons keep everything inside the central safe zone (80% of the side), so a
launcher may crop them to a circle. Drawn once per size and kept in memory.
"""

from __future__ import annotations

import io
from functools import cache

from PIL import Image, ImageDraw

#: Sizes the manifest lists; Chrome on Android wants 192 and 512.
SIZES = (192, 512)
GREEN = (22, 101, 52, 255)
LEAF = (255, 255, 255, 255)
VEIN = (22, 101, 52, 255)
GOLD = (250, 204, 21, 255)


@cache
def icon_png(size: int, *, maskable: bool = False) -> bytes:
    """The icon of ``size`` pixels a side as PNG bytes."""
    scale = 4  # drawn large, then reduced: smooth edges without an anti-aliasing renderer
    side = size * scale
    image = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if maskable:
        draw.rectangle((0, 0, side, side), fill=GREEN)
    else:
        draw.rounded_rectangle((0, 0, side - 1, side - 1), radius=side // 5, fill=GREEN)
    inset = side * (0.2 if maskable else 0.14)
    box = (inset, inset, side - inset, side - inset)
    _leaf(draw, box)
    _diamond(draw, box)
    small = image.resize((size, size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    small.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _leaf(draw: ImageDraw.ImageDraw, box: tuple[float, float, float, float]) -> None:
    """Two arcs meeting at the tips, tilted along the diagonal, with a central vein."""
    left, top, right, bottom = box
    width = right - left
    # The leaf as a lens between two circles, drawn as a polygon of sampled points.
    points: list[tuple[float, float]] = []
    steps = 48
    for side_sign in (1, -1):
        ts = [i / steps for i in range(steps + 1)]
        for t in ts if side_sign == 1 else reversed(ts):
            x = left + width * 0.08 + width * 0.84 * t
            middle = bottom - width * 0.08 - width * 0.84 * t
            bulge = width * 0.21 * (1 - (2 * t - 1) ** 2)
            points.append((x, middle + side_sign * bulge))
    draw.polygon(points, fill=LEAF)
    draw.line(
        (left + width * 0.08, bottom - width * 0.08, right - width * 0.08, top + width * 0.08),
        fill=VEIN,
        width=max(2, int(width * 0.035)),
    )


def _diamond(draw: ImageDraw.ImageDraw, box: tuple[float, float, float, float]) -> None:
    left, top, right, _ = box
    width = right - left
    cx, cy, r = left + width * 0.22, top + width * 0.22, width * 0.12
    draw.polygon([(cx, cy - r), (cx + r, cy), (cx, cy + r), (cx - r, cy)], fill=GOLD)
