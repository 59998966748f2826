from __future__ import annotations

import io

import pytest
from PIL import Image

from qr.layouts import LAYOUTS, dots_per_mm, get_layout
from qr.render import render_labels
from tests.qr.helpers import decode_qr_codes, sample_labels, zip_members

LAYOUT_DPIS = [(name, dpi) for name, layout in LAYOUTS.items() for dpi in layout.dpis]


@pytest.mark.parametrize(("layout_name", "dpi"), LAYOUT_DPIS)
def test_one_label_is_one_png_with_exact_size_dpi_and_a_readable_code(
    layout_name: str, dpi: int
) -> None:
    labels = sample_labels(1)
    rendered = render_labels(labels, layout=layout_name, fmt="png", dpi=dpi)
    assert rendered.media_type == "image/png"
    assert rendered.filename == f"sentrace-XC-2026-0042-{layout_name}-{dpi}dpi.png"
    image = Image.open(io.BytesIO(rendered.content))
    x_dpi, y_dpi = image.info["dpi"]
    assert x_dpi == pytest.approx(dots_per_mm(dpi) * 25.4, abs=0.01)
    assert y_dpi == pytest.approx(x_dpi)
    width_mm, height_mm = get_layout(layout_name).page_size_mm
    assert image.width / x_dpi * 25.4 == pytest.approx(width_mm, abs=0.1)
    assert image.height / y_dpi * 25.4 == pytest.approx(height_mm, abs=0.1)
    assert decode_qr_codes(image) == [labels[0].uri]


def test_thermal_png_is_one_bit_and_a4_png_is_grey() -> None:
    labels = sample_labels(1)
    thermal = render_labels(labels, layout="thermal-50x30", fmt="png").content
    a4 = render_labels(labels, layout="a4", fmt="png").content
    assert Image.open(io.BytesIO(thermal)).mode == "1"
    assert Image.open(io.BytesIO(a4)).mode == "L"


def test_several_thermal_labels_become_a_zip_of_pngs_each_with_its_own_code() -> None:
    labels = sample_labels(3)
    rendered = render_labels(labels, layout="thermal-100x50", fmt="png", dpi=300)
    assert rendered.media_type == "application/zip"
    assert rendered.filename.endswith(".zip")
    members = zip_members(rendered.content)
    assert sorted(members) == ["label-001.png", "label-002.png", "label-003.png"]
    decoded = [decode_qr_codes(Image.open(io.BytesIO(members[name]))) for name in sorted(members)]
    assert decoded == [[label.uri] for label in labels]


def test_a4_png_is_one_image_per_sheet_of_24() -> None:
    labels = sample_labels(30)
    single = render_labels(labels[:24], layout="a4", fmt="png")
    assert single.media_type == "image/png"
    assert sorted(decode_qr_codes(Image.open(io.BytesIO(single.content)))) == sorted(
        label.uri for label in labels[:24]
    )
    rendered = render_labels(labels, layout="a4", fmt="png")
    members = zip_members(rendered.content)
    assert sorted(members) == ["sheet-001.png", "sheet-002.png"]
    second = decode_qr_codes(Image.open(io.BytesIO(members["sheet-002.png"])))
    assert sorted(second) == sorted(label.uri for label in labels[24:])


def test_the_same_labels_give_the_same_bytes() -> None:
    labels = sample_labels(2)
    first = render_labels(labels, layout="thermal-50x30", fmt="png").content
    assert render_labels(labels, layout="thermal-50x30", fmt="png").content == first
