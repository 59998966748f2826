"""PNG: one page (a thermal label or an A4 sheet) as an image with its true resolution."""

from __future__ import annotations

import io
from collections.abc import Sequence

from PIL import Image

from qr.encode import ErrorCorrection
from qr.errors import TooManyLabels
from qr.layouts import Layout, exact_dpi
from qr.model import LabelData
from qr.render.base import LabelRenderer
from qr.render.raster import label_images, page_images


class PngRenderer(LabelRenderer):
    """A single PNG; for more than one page use :class:`qr.render.pngzip.PngZipRenderer`."""

    media_type = "image/png"
    extension = "png"

    def render(
        self,
        labels: Sequence[LabelData],
        layout: Layout,
        dpi: int,
        *,
        level: ErrorCorrection = ErrorCorrection.M,
    ) -> bytes:
        if len(labels) > layout.labels_per_page:
            raise TooManyLabels(
                f"one PNG holds one page ({layout.labels_per_page} label(s) on {layout.name}); "
                f"got {len(labels)}"
            )
        (page,) = page_images(label_images(labels, layout, dpi, level), layout, dpi)
        return png_bytes(page, dpi)


def png_bytes(image: Image.Image, dpi: int) -> bytes:
    """Encode ``image`` as PNG with a ``pHYs`` chunk giving the printer's exact resolution."""
    buffer = io.BytesIO()
    resolution = exact_dpi(dpi)
    image.save(buffer, format="PNG", dpi=(resolution, resolution))
    return buffer.getvalue()
