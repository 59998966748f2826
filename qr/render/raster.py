"""Drawing labels and pages as images, shared by the PNG, ZIP and PDF renderers."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from PIL import Image

from qr.compose import WHITE, draw_label, plan_label
from qr.encode import ErrorCorrection
from qr.layouts import Layout, dots_per_mm, mm_to_dots
from qr.model import LabelData


def label_images(
    labels: Sequence[LabelData], layout: Layout, dpi: int, level: ErrorCorrection
) -> list[Image.Image]:
    """One image per label; identical labels (a run without serials) are drawn once."""
    drawn: dict[LabelData, Image.Image] = {}
    images = []
    for label in labels:
        image = drawn.get(label)
        if image is None:
            image = draw_label(plan_label(label, layout, dpi, level), layout.color_mode)
            drawn[label] = image
        images.append(image)
    return images


def chunks(items: Sequence[Image.Image], size: int) -> Iterator[Sequence[Image.Image]]:
    """Consecutive groups of ``size`` (the labels that share a page)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def page_images(images: Sequence[Image.Image], layout: Layout, dpi: int) -> list[Image.Image]:
    """Whole pages: the label itself on roll media, labels pasted into sheets otherwise."""
    if layout.is_roll:
        return list(images)
    return [sheet_image(group, layout, dpi) for group in chunks(images, layout.labels_per_page)]


def sheet_image(images: Sequence[Image.Image], layout: Layout, dpi: int) -> Image.Image:
    """One sheet with ``images`` in its first slots, reading order."""
    width_mm, height_mm = layout.page_size_mm
    sheet = Image.new(
        layout.color_mode, (mm_to_dots(width_mm, dpi), mm_to_dots(height_mm, dpi)), WHITE
    )
    for image, (x_mm, y_mm) in zip(images, layout.slots_mm(), strict=False):
        sheet.paste(image, (mm_to_dots(x_mm, dpi), mm_to_dots(y_mm, dpi)))
    return sheet


def image_size_mm(image: Image.Image, dpi: int) -> tuple[float, float]:
    """Physical size of ``image`` printed one pixel per printer dot."""
    per_mm = dots_per_mm(dpi)
    return (image.width / per_mm, image.height / per_mm)
