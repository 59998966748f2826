"""A log-log line chart drawn with Pillow (matplotlib is not a dependency of the project).

Only what the gas chart needs: decades on both axes with minor ticks, several series (solid or
dashed, with or without markers), a title, axis labels and a legend beside the plot.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT_FAMILY = "Be Vietnam Pro"
WIDTH, HEIGHT = 1100, 680
LEFT, RIGHT, TOP, BOTTOM = 110, 300, 70, 90
INK = (33, 37, 41)
GRID = (222, 226, 230)
MINOR = (241, 243, 245)
DASH_PX = 9


@dataclass(frozen=True)
class Series:
    """One line: ``points`` are (x, y) pairs, both positive."""

    name: str
    points: Sequence[tuple[float, float]]
    color: tuple[int, int, int]
    dashed: bool = False
    markers: bool = True


def _font(size: int, weight: int = 400) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        import fontpkg

        return ImageFont.truetype(str(fontpkg.path(FONT_FAMILY, weight)), size)
    except (ImportError, OSError, LookupError, ValueError):
        return ImageFont.load_default(size)


def _decades(values: Sequence[float]) -> tuple[int, int]:
    low = math.floor(math.log10(min(values)))
    high = math.ceil(math.log10(max(values)))
    return low, max(high, low + 1)


def _tick_label(exponent: int) -> str:
    value = 10.0**exponent
    return f"{value:,.0f}" if exponent >= 0 else f"{value:g}"


class _Axes:
    """Maps data to pixels on log scales."""

    def __init__(self, x_decades: tuple[int, int], y_decades: tuple[int, int]) -> None:
        self.x0, self.x1 = x_decades
        self.y0, self.y1 = y_decades
        self.left, self.right = LEFT, WIDTH - RIGHT
        self.top, self.bottom = TOP, HEIGHT - BOTTOM

    def px(self, x: float, y: float) -> tuple[float, float]:
        fx = (math.log10(x) - self.x0) / (self.x1 - self.x0)
        fy = (math.log10(y) - self.y0) / (self.y1 - self.y0)
        return (
            self.left + fx * (self.right - self.left),
            self.bottom - fy * (self.bottom - self.top),
        )


def _dashed_line(
    draw: ImageDraw.ImageDraw,
    start: tuple[float, float],
    end: tuple[float, float],
    color: tuple[int, int, int],
    width: int,
) -> None:
    length = math.dist(start, end)
    if length == 0:
        return
    steps = max(1, int(length // DASH_PX))
    for i in range(0, steps, 2):
        a, b = i / steps, min(1.0, (i + 1) / steps)
        draw.line(
            [
                (start[0] + (end[0] - start[0]) * a, start[1] + (end[1] - start[1]) * a),
                (start[0] + (end[0] - start[0]) * b, start[1] + (end[1] - start[1]) * b),
            ],
            fill=color,
            width=width,
        )


def _grid(draw: ImageDraw.ImageDraw, axes: _Axes) -> None:
    small = _font(15)
    for exponent in range(axes.x0, axes.x1 + 1):
        for minor in range(2, 10):
            if exponent < axes.x1:
                x, _ = axes.px(minor * 10.0**exponent, 10.0**axes.y0)
                draw.line([(x, axes.top), (x, axes.bottom)], fill=MINOR)
        x, _ = axes.px(10.0**exponent, 10.0**axes.y0)
        draw.line([(x, axes.top), (x, axes.bottom)], fill=GRID)
        draw.line([(x, axes.bottom), (x, axes.bottom + 6)], fill=INK, width=2)
        draw.text((x, axes.bottom + 10), _tick_label(exponent), fill=INK, font=small, anchor="mt")
    for exponent in range(axes.y0, axes.y1 + 1):
        for minor in range(2, 10):
            if exponent < axes.y1:
                _, y = axes.px(10.0**axes.x0, minor * 10.0**exponent)
                draw.line([(axes.left, y), (axes.right, y)], fill=MINOR)
        _, y = axes.px(10.0**axes.x0, 10.0**exponent)
        draw.line([(axes.left, y), (axes.right, y)], fill=GRID)
        draw.line([(axes.left - 6, y), (axes.left, y)], fill=INK, width=2)
        draw.text((axes.left - 10, y), _tick_label(exponent), fill=INK, font=small, anchor="rm")
    draw.rectangle([axes.left, axes.top, axes.right, axes.bottom], outline=INK, width=2)


def _series(draw: ImageDraw.ImageDraw, axes: _Axes, series: Series) -> None:
    points = [axes.px(x, y) for x, y in series.points]
    for start, end in itertools.pairwise(points):
        if series.dashed:
            _dashed_line(draw, start, end, series.color, 3)
        else:
            draw.line([start, end], fill=series.color, width=3)
    if series.markers:
        for x, y in points:
            draw.ellipse([x - 5, y - 5, x + 5, y + 5], fill=series.color, outline="white")


def _legend(draw: ImageDraw.ImageDraw, all_series: Sequence[Series]) -> None:
    font = _font(15)
    x, y = WIDTH - RIGHT + 24, TOP + 10
    for series in all_series:
        if series.dashed:
            _dashed_line(draw, (x, y + 9), (x + 34, y + 9), series.color, 3)
        else:
            draw.line([(x, y + 9), (x + 34, y + 9)], fill=series.color, width=3)
        if series.markers:
            draw.ellipse([x + 12, y + 4, x + 22, y + 14], fill=series.color, outline="white")
        lines = series.name.split("\n")
        for i, line in enumerate(lines):
            draw.text((x + 44, y + i * 20), line, fill=INK, font=font)
        y += 20 * len(lines) + 16


def log_log_chart(
    path: Path,
    series: Sequence[Series],
    *,
    title: str,
    x_label: str,
    y_label: str,
) -> Path:
    """Draw ``series`` on log-log axes and save a PNG at ``path``."""
    xs = [x for s in series for x, _ in s.points]
    ys = [y for s in series for _, y in s.points]
    if not xs or min(xs) <= 0 or min(ys) <= 0:
        raise ValueError("a log-log chart needs positive points")
    axes = _Axes(_decades(xs), _decades(ys))
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    _grid(draw, axes)
    for item in series:
        _series(draw, axes, item)
    _legend(draw, series)
    draw.text((LEFT, 24), title, fill=INK, font=_font(22, 600))
    middle = (axes.left + axes.right) / 2
    draw.text((middle, HEIGHT - 30), x_label, fill=INK, font=_font(17), anchor="mm")
    label = Image.new("RGBA", (axes.bottom - axes.top, 30), (255, 255, 255, 0))
    ImageDraw.Draw(label).text(
        (label.width / 2, 15), y_label, fill=INK, font=_font(17), anchor="mm"
    )
    rotated = label.rotate(90, expand=True)
    image.paste(rotated, (22, axes.top), rotated)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="PNG", optimize=True)
    return path
