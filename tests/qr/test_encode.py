from __future__ import annotations

import io

import pytest
from PIL import Image

from qr.compose import plan_label
from qr.encode import (
    MIN_MODULE_DOTS,
    ErrorCorrection,
    choose_module_dots,
    encode_qr,
    error_correction,
)
from qr.errors import DataTooLong, UnsupportedErrorCorrection
from qr.layouts import LAYOUTS, dots_per_mm, get_layout
from qr.model import LabelData
from qr.render import render_labels
from tests.qr.helpers import decode_one, sample_labels

LAYOUT_DPIS = [(name, dpi) for name, layout in LAYOUTS.items() for dpi in layout.dpis]


def _png(
    labels: list[LabelData], layout: str, dpi: int | None = None, **kwargs: str
) -> Image.Image:
    rendered = render_labels(labels, layout=layout, fmt="png", dpi=dpi, **kwargs)
    return Image.open(io.BytesIO(rendered.content))


def test_qr_on_thermal_50x30_at_203_dpi_is_at_least_18_mm_wide_as_printed() -> None:
    image = _png(sample_labels(1), "thermal-50x30", 203)
    position = decode_one(image).position
    width_dots = position.top_right.x - position.top_left.x
    # zxing reports the centres of the outer modules' corners: add one module of slack.
    plan = plan_label(sample_labels(1)[0], get_layout("thermal-50x30"), 203)
    assert abs(width_dots - plan.qr_symbol_box.width) <= plan.module_dots
    assert plan.qr_symbol_box.width / dots_per_mm(203) >= 18.0
    assert width_dots / dots_per_mm(203) >= 18.0 - plan.module_dots / dots_per_mm(203)


@pytest.mark.parametrize(("layout_name", "dpi"), LAYOUT_DPIS)
def test_every_layout_prints_the_symbol_at_least_18_mm_with_whole_dot_modules(
    layout_name: str, dpi: int
) -> None:
    layout = get_layout(layout_name)
    plan = plan_label(sample_labels(1)[0], layout, dpi)
    assert plan.module_dots >= MIN_MODULE_DOTS
    assert plan.qr_symbol_box.width == plan.symbol.size * plan.module_dots
    assert plan.qr_symbol_box.width >= 18.0 * dots_per_mm(dpi)
    quiet = plan.qr_box
    assert quiet.x >= 0 and quiet.y >= 0
    assert quiet.right <= plan.text_box.x and quiet.bottom <= plan.height


def test_symbol_is_drawn_module_by_module_without_resampling() -> None:
    label = sample_labels(1)[0]
    plan = plan_label(label, get_layout("thermal-50x30"), 203)
    image = _png([label], "thermal-50x30", 203).convert("L")
    step = plan.module_dots
    x0, y0 = plan.qr_origin
    for row in range(plan.symbol.size):
        for col in range(plan.symbol.size):
            block = image.crop(
                (x0 + col * step, y0 + row * step, x0 + (col + 1) * step, y0 + (row + 1) * step)
            )
            expected = 0 if plan.symbol.is_dark(row, col) else 255
            assert block.getextrema() == (expected, expected), (row, col)


def test_quiet_zone_of_four_modules_is_blank() -> None:
    label = sample_labels(1)[0]
    plan = plan_label(label, get_layout("thermal-50x30"), 203)
    image = _png([label], "thermal-50x30", 203).convert("L")
    box, symbol = plan.qr_box, plan.qr_symbol_box
    quiet = image.crop((box.x, box.y, box.right, box.bottom))
    quiet.paste(
        255, (symbol.x - box.x, symbol.y - box.y, symbol.right - box.x, symbol.bottom - box.y)
    )
    assert quiet.getextrema() == (255, 255)


def test_error_correction_defaults_to_m_and_q_is_selectable() -> None:
    labels = sample_labels(1)
    assert decode_one(_png(labels, "thermal-50x30")).ec_level == "M"
    image = _png(labels, "thermal-50x30", error_correction_level="Q")
    assert decode_one(image).ec_level == "Q"
    assert decode_one(image).text == labels[0].uri


def test_unsupported_error_correction_is_refused() -> None:
    assert error_correction("q") is ErrorCorrection.Q
    with pytest.raises(UnsupportedErrorCorrection):
        error_correction("H")


def test_module_size_aims_at_the_target_but_never_under_the_minimum_width() -> None:
    symbol = encode_qr("https://truyxuat.sentrace.vn/l/XC-1", ErrorCorrection.M)
    size = symbol.size
    assert choose_module_dots(symbol, slot_dots=1000, min_width_dots=0) == 1000 // (size + 8)
    assert choose_module_dots(symbol, slot_dots=1000, min_width_dots=0, max_module_dots=10) == 10
    target = choose_module_dots(
        symbol, slot_dots=1000, min_width_dots=0, target_width_dots=5 * size
    )
    assert target == 5
    # Minimum width beats a smaller target.
    assert (
        choose_module_dots(
            symbol, slot_dots=1000, min_width_dots=7 * size, target_width_dots=3 * size
        )
        == 7
    )


def test_data_that_cannot_reach_the_minimum_width_in_the_slot_is_too_long() -> None:
    symbol = encode_qr("x" * 300, ErrorCorrection.M)
    with pytest.raises(DataTooLong, match="modules"):
        choose_module_dots(symbol, slot_dots=216, min_width_dots=144)
    with pytest.raises(DataTooLong):
        choose_module_dots(symbol, slot_dots=symbol.size_with_quiet_zone, min_width_dots=0)


def test_data_beyond_any_qr_version_is_too_long() -> None:
    with pytest.raises(DataTooLong, match="do not fit in any QR code"):
        encode_qr("x" * 3000, ErrorCorrection.Q)


def test_render_refuses_a_uri_too_long_for_a_small_label() -> None:
    label = sample_labels(1)[0]
    long_label = LabelData(
        uri="https://truyxuat.sentrace.vn/" + "a" * 900 + "/l/X",
        product_name_vi=label.product_name_vi,
        lot_code=label.lot_code,
    )
    with pytest.raises(DataTooLong):
        render_labels([long_label], layout="thermal-50x30", fmt="pdf")
