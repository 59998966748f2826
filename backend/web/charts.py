"""Small charts drawn on the server as inline SVG.

The dashboard needs one honest chart, and a shop-floor laptop may have no internet: an inline
SVG needs no script, no CDN and no image request, prints cleanly and scales on a phone. Labels
are user text (product names), so every string is escaped here, before it becomes markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

_BAR_HEIGHT = 26
_BAR_GAP = 12
_LABEL_WIDTH = 200
_VALUE_WIDTH = 56
_PADDING = 8


@dataclass(frozen=True)
class Bar:
    """One labelled value of a bar chart."""

    label: str
    value: int


def _nice_ceiling(value: int) -> int:
    """The smallest 1-2-5 × 10^n at or above ``value``, so the scale reads as round numbers."""
    if value <= 0:
        return 1
    magnitude = 1
    while magnitude * 10 <= value:
        magnitude *= 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def _shorten(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def horizontal_bar_chart(
    bars: Sequence[Bar], *, title: str, empty_text: str, width: int = 560
) -> Markup:
    """An accessible horizontal bar chart as one ``<svg>`` element (safe to embed as-is)."""
    plot_width = width - _LABEL_WIDTH - _VALUE_WIDTH - 2 * _PADDING
    if not bars:
        height = 3 * _BAR_HEIGHT
        return Markup(
            '<svg class="chart" role="img" viewBox="0 0 {w} {h}" width="100%" '
            'aria-label="{title}"><title>{title}</title>'
            '<text x="{x}" y="{y}" text-anchor="middle" class="chart-empty">{empty}</text></svg>'
        ).format(w=width, h=height, title=title, x=width // 2, y=height // 2, empty=empty_text)
    scale_max = _nice_ceiling(max(bar.value for bar in bars))
    height = len(bars) * (_BAR_HEIGHT + _BAR_GAP) + _BAR_GAP + 18
    x0 = _PADDING + _LABEL_WIDTH
    parts: list[Markup] = []
    for index in range(5):  # grid lines at 0, ¼, ½, ¾ and the full scale
        x = f"{x0 + plot_width * index / 4:.1f}"
        parts.append(
            Markup(
                '<line x1="{x}" y1="{top}" x2="{x}" y2="{bottom}" class="chart-grid"/>'
                '<text x="{x}" y="{axis}" text-anchor="middle" class="chart-axis">{tick}</text>'
            ).format(
                x=x,
                top=_BAR_GAP // 2,
                bottom=height - 18,
                axis=height - 4,
                tick=scale_max * index // 4,
            )
        )
    for index, bar in enumerate(bars):
        y = _BAR_GAP + index * (_BAR_HEIGHT + _BAR_GAP)
        bar_width = plot_width * max(bar.value, 0) / scale_max
        parts.append(
            Markup(
                '<g class="chart-row"><title>{label}: {value}</title>'
                '<text x="{label_x}" y="{middle}" text-anchor="end" class="chart-label">'
                "{short}</text>"
                '<rect x="{x0}" y="{y}" width="{bar_width}" height="{bar_height}" rx="4" '
                'class="chart-bar"/>'
                '<text x="{value_x}" y="{middle}" class="chart-value">{value}</text></g>'
            ).format(
                label=bar.label,
                value=bar.value,
                label_x=x0 - 8,
                middle=f"{y + _BAR_HEIGHT / 2 + 5:.1f}",
                short=_shorten(bar.label),
                x0=x0,
                y=y,
                bar_width=f"{bar_width:.1f}",
                bar_height=_BAR_HEIGHT,
                value_x=f"{x0 + bar_width + 6:.1f}",
            )
        )
    return Markup(
        '<svg class="chart" role="img" viewBox="0 0 {w} {h}" width="100%" '
        'aria-label="{title}"><title>{title}</title>{body}</svg>'
    ).format(w=width, h=height, title=title, body=Markup("").join(parts))
