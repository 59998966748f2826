"""PDF: every page at its exact physical size, labels drawn one pixel per printer dot.

Thermal layouts give one 50 x 30 mm (or 100 x 50 mm) page per label, which is what thermal
printer drivers expect; ``a4`` gives 210 x 297 mm pages with up to 24 labels each, every label
placed at its slot on the sheet.
"""

from __future__ import annotations

from collections.abc import Sequence

from PIL import Image

from qr.encode import ErrorCorrection
from qr.layouts import Layout
from qr.model import LabelData
from qr.render.base import LabelRenderer
from qr.render.pdfdoc import PdfWriter, PlacedImage
from qr.render.raster import chunks, image_size_mm, label_images


class PdfRenderer(LabelRenderer):
    media_type = "application/pdf"
    extension = "pdf"

    def render(
        self,
        labels: Sequence[LabelData],
        layout: Layout,
        dpi: int,
        *,
        level: ErrorCorrection = ErrorCorrection.M,
    ) -> bytes:
        return pdf_from_images(label_images(labels, layout, dpi, level), layout, dpi)


def pdf_from_images(images: Sequence[Image.Image], layout: Layout, dpi: int) -> bytes:
    """Lay already drawn label images out on pages and write the PDF."""
    writer = PdfWriter(title=f"SenTrace labels ({layout.name})")
    width_mm, height_mm = layout.page_size_mm
    for group in chunks(images, layout.labels_per_page):
        placed = []
        for image, (x_mm, y_mm) in zip(group, layout.slots_mm(), strict=False):
            # Drawn at its own size in dots, not stretched to the nominal label size: an A4
            # label of 33.9 mm is 406.8 dots, drawn as 407 dots = 33.917 mm.
            image_width_mm, image_height_mm = image_size_mm(image, dpi)
            placed.append(PlacedImage(image, x_mm, y_mm, image_width_mm, image_height_mm))
        writer.add_page(width_mm, height_mm, placed)
    return writer.finish()
