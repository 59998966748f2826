"""Rendering labels to files: the single entry point is :func:`render_labels`.

Formats: ``png`` (one page as an image; a run longer than a page becomes a ZIP of page
images), ``pdf`` (multi-page, exact physical page size) and ``zpl`` (Zebra thermal printers;
roll layouts only). See :mod:`qr.layouts` for the layouts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from qr.encode import ErrorCorrection, error_correction
from qr.errors import NoLabels, TooManyLabels, UnknownFormat, UnsupportedFormat
from qr.layouts import Layout, get_layout
from qr.model import LabelData
from qr.render.base import LabelRenderer
from qr.render.pdf import PdfRenderer
from qr.render.png import PngRenderer
from qr.render.pngzip import PngZipRenderer
from qr.render.zpl import ZplRenderer

#: Upper bound on labels in one file, to keep one request's memory and time bounded.
MAX_LABELS_PER_FILE = 5000

#: Format names callers may ask for.
FORMATS: tuple[str, ...] = ("png", "pdf", "zpl")


@dataclass(frozen=True)
class RenderedFile:
    """A finished file: its bytes, MIME type and a suggested download name."""

    content: bytes
    media_type: str
    filename: str


def render_labels(
    labels: Sequence[LabelData],
    *,
    layout: str,
    fmt: str,
    dpi: int | None = None,
    error_correction_level: str | ErrorCorrection = ErrorCorrection.M,
) -> RenderedFile:
    """Render ``labels`` on ``layout`` as ``fmt``; ``dpi`` defaults to the layout's own.

    Raises a :class:`~qr.errors.LabelError` subclass for anything the caller can fix:
    unknown layout or format, a format the layout cannot use, a dpi it does not offer, zero or
    too many labels, data that does not fit.
    """
    chosen = get_layout(layout)
    level = error_correction(error_correction_level)
    if not labels:
        raise NoLabels("at least one label is needed")
    if len(labels) > MAX_LABELS_PER_FILE:
        raise TooManyLabels(
            f"{len(labels)} labels is more than the {MAX_LABELS_PER_FILE} one file may hold"
        )
    resolved_dpi = chosen.resolve_dpi(dpi)
    renderer = renderer_for(fmt, chosen, label_count=len(labels))
    content = renderer.render(labels, chosen, resolved_dpi, level=level)
    name = f"sentrace-{_file_stem(labels)}-{chosen.name}-{resolved_dpi}dpi.{renderer.extension}"
    return RenderedFile(content=content, media_type=renderer.media_type, filename=name)


def renderer_for(fmt: str, layout: Layout, *, label_count: int) -> LabelRenderer:
    """The renderer for ``fmt``: PNG turns into a ZIP of PNGs past one page."""
    if fmt == "png":
        renderer: LabelRenderer = (
            PngRenderer() if label_count <= layout.labels_per_page else PngZipRenderer()
        )
    elif fmt == "pdf":
        renderer = PdfRenderer()
    elif fmt == "zpl":
        renderer = ZplRenderer()
    else:
        raise UnknownFormat(f"unknown label format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if not renderer.supports(layout):
        raise UnsupportedFormat(
            f"format {fmt} is for thermal roll labels; layout {layout.name} cannot use it"
        )
    return renderer


def _file_stem(labels: Sequence[LabelData]) -> str:
    """The lot code, made safe for a file name, when every label is of the same lot."""
    lots = {label.lot_code for label in labels}
    if len(lots) != 1:
        return "labels"
    return re.sub(r"[^A-Za-z0-9._-]+", "_", lots.pop()).strip("._") or "labels"
