from __future__ import annotations

from dataclasses import replace

import pytest

from qr.compose import draw_label, plan_label
from qr.errors import UnsupportedFormat
from qr.layouts import LAYOUTS, get_layout
from qr.model import LabelData
from qr.render import render_labels
from qr.render.zpl import qr_field_data
from tests.qr.helpers import decode_qr_codes, ink_bbox, sample_labels
from tests.qr.zpl_raster import ZplLabel, parse_zpl, qr_symbol, rasterise

THERMAL = [(name, dpi) for name, layout in LAYOUTS.items() if layout.is_roll for dpi in layout.dpis]


def _render(labels: list[LabelData], layout: str, dpi: int | None = None) -> list[ZplLabel]:
    rendered = render_labels(labels, layout=layout, fmt="zpl", dpi=dpi)
    assert rendered.media_type == "application/zpl"
    assert rendered.filename.endswith(".zpl")
    return parse_zpl(rendered.content.decode("ascii"))


@pytest.mark.parametrize(("layout_name", "dpi"), THERMAL)
def test_zpl_fields_match_the_label_plan(layout_name: str, dpi: int) -> None:
    labels = sample_labels(2)
    layout = get_layout(layout_name)
    parsed = _render(labels, layout_name, dpi)
    assert len(parsed) == 2
    for label, zpl in zip(labels, parsed, strict=True):
        plan = plan_label(label, layout, dpi)
        assert (zpl.width, zpl.length) == (plan.width, plan.height)
        (qr_field,) = zpl.qr_fields
        assert qr_field.data == label.uri
        assert (qr_field.x, qr_field.y) == plan.qr_origin
        assert qr_field.magnification == plan.module_dots <= 10
        assert (qr_field.level, qr_field.input_mode) == ("M", "M")
        (graphic,) = zpl.graphics
        assert graphic.binary_bytes == graphic.field_bytes
        assert graphic.field_bytes == graphic.bytes_per_row * plan.text_box.height
        assert graphic.bytes_per_row * 8 == plan.text_box.width
        assert (graphic.x, graphic.y) == (plan.text_box.x, plan.text_box.y)


@pytest.mark.parametrize(("layout_name", "dpi"), THERMAL)
def test_rasterised_zpl_decodes_to_the_uri_with_text_beside_a_clear_quiet_zone(
    layout_name: str, dpi: int
) -> None:
    labels = sample_labels(2)
    for label, zpl in zip(labels, _render(labels, layout_name, dpi), strict=True):
        (graphic,) = zpl.graphics
        text_ink = ink_bbox(graphic.image())
        assert text_ink is not None, "the text graphic is blank"
        assert graphic.x + graphic.bytes_per_row * 8 <= zpl.width
        assert graphic.y + graphic.field_bytes // graphic.bytes_per_row <= zpl.length
        (qr_field,) = zpl.qr_fields
        side = qr_symbol(qr_field).width
        quiet = 4 * qr_field.magnification
        assert qr_field.x - quiet >= 0 and qr_field.y - quiet >= 0
        assert qr_field.y + side + quiet <= zpl.length
        # No text ink inside the symbol's quiet zone.
        assert graphic.x + text_ink[0] >= qr_field.x + side + quiet
        assert decode_qr_codes(rasterise(zpl)) == [label.uri]


def test_zpl_text_graphic_matches_the_png_label_text() -> None:
    label = sample_labels(1)[0]
    plan = plan_label(label, get_layout("thermal-50x30"), 203)
    (zpl,) = _render([label], "thermal-50x30")
    raster = rasterise(zpl).convert("1")
    png = draw_label(plan, "1")
    box = plan.text_box
    area = (box.x, box.y, box.right, box.bottom)
    assert raster.crop(area).tobytes() == png.crop(area).tobytes()


def test_error_correction_q_reaches_the_zpl_field() -> None:
    rendered = render_labels(
        sample_labels(1), layout="thermal-50x30", fmt="zpl", error_correction_level="Q"
    )
    (zpl,) = parse_zpl(rendered.content.decode("ascii"))
    assert zpl.qr_fields[0].level == "Q"
    assert decode_qr_codes(rasterise(zpl)) == [sample_labels(1)[0].uri]


def test_zpl_control_characters_in_the_uri_are_hex_escaped() -> None:
    label = replace(sample_labels(1)[0], uri="https://h.vn/~ops/l/A^B")
    data = qr_field_data(label.uri, "M")
    assert data.startswith("^FH\\^FDMM,B0023")
    assert "~" not in data and "^B" not in data
    (zpl,) = _render([label], "thermal-50x30")
    assert zpl.qr_fields[0].data == label.uri
    assert decode_qr_codes(rasterise(zpl)) == [label.uri]


def test_identical_labels_repeat_the_same_format() -> None:
    rendered = render_labels(
        sample_labels(3, serials=False), layout="thermal-50x30", fmt="zpl"
    ).content.decode("ascii")
    formats = rendered.split("^XZ\n")[:-1]
    assert len(formats) == 3 and len(set(formats)) == 1


def test_zpl_is_refused_for_the_a4_sheet() -> None:
    with pytest.raises(UnsupportedFormat, match="a4"):
        render_labels(sample_labels(1), layout="a4", fmt="zpl")
