"""ZIP of PNGs: what "PNG" means when a run needs more than one page."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence

from qr.encode import ErrorCorrection
from qr.layouts import Layout
from qr.model import LabelData
from qr.render.base import LabelRenderer
from qr.render.png import png_bytes
from qr.render.raster import label_images, page_images

#: Fixed member time, so the same labels always give the same bytes.
_MEMBER_TIME = (1980, 1, 1, 0, 0, 0)


class PngZipRenderer(LabelRenderer):
    """One PNG per page (per label on roll media, per sheet for A4), stored in a ZIP."""

    media_type = "application/zip"
    extension = "zip"

    def render(
        self,
        labels: Sequence[LabelData],
        layout: Layout,
        dpi: int,
        *,
        level: ErrorCorrection = ErrorCorrection.M,
    ) -> bytes:
        pages = page_images(label_images(labels, layout, dpi, level), layout, dpi)
        stem = "label" if layout.is_roll else "sheet"
        digits = max(3, len(str(len(pages))))
        buffer = io.BytesIO()
        # PNG data is already deflated; storing avoids compressing it a second time.
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
            for number, page in enumerate(pages, start=1):
                info = zipfile.ZipInfo(f"{stem}-{number:0{digits}d}.png", _MEMBER_TIME)
                archive.writestr(info, png_bytes(page, dpi))
        return buffer.getvalue()
