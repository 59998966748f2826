from __future__ import annotations

import unicodedata
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from qr.compose import LabelPlan, draw_label, plan_label
from qr.errors import DataTooLong
from qr.fonts import FAMILY, font_path, load_font
from qr.layouts import LAYOUTS, get_layout
from qr.model import LabelData
from qr.text import ELLIPSIS, Paragraph, advance, fit_text
from tests.qr.helpers import sample_labels

LAYOUT_DPIS = [(name, dpi) for name, layout in LAYOUTS.items() for dpi in layout.dpis]
VOWELS = "aăâeêioôơuưy"
TONES = ["", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"]  # huyền sắc hỏi ngã nặng
VIETNAMESE_LETTERS = sorted(
    {unicodedata.normalize("NFC", v + t) for v in VOWELS for t in TONES} | set("bcdđghklmnpqrstvx")
)
LONG_NAME = (
    "Xoài cát Chu hữu cơ đặc sản Đồng Tháp loại một, tuyển chọn kỹ từ vườn hợp tác xã "
    "Mỹ Xương đạt chuẩn VietGAP để xuất khẩu"
)


def _glyph(char: str, size: int = 40) -> bytes:
    image = Image.new("L", (3 * size, 3 * size), 0)
    ImageDraw.Draw(image).text((size, size), char, font=load_font(size), fill=255)
    return image.tobytes()


def test_font_comes_from_the_pypi_package_not_the_system() -> None:
    path = font_path(400)
    assert "fontpkg_be_vietnam_pro" in path and path.endswith(".ttf")
    assert load_font(20).getname()[0] == FAMILY


def test_every_vietnamese_letter_has_its_own_glyph() -> None:
    missing = _glyph("\ue000")  # private-use code point: the font's "missing glyph" box
    letters = VIETNAMESE_LETTERS + [ch.upper() for ch in VIETNAMESE_LETTERS] + ["–", ELLIPSIS]
    uncovered = [ch for ch in letters if _glyph(ch) == missing]
    assert uncovered == []
    assert len(letters) > 140


def test_diacritics_are_drawn_not_dropped() -> None:
    phrase = "Xoài cát Chu – Đồng Tháp"
    plain = "Xoai cat Chu - Dong Thap"
    missing = _glyph("\ue000")
    assert all(_glyph(ch) != missing for ch in phrase if ch != " ")
    # Each accented letter differs from its base letter, so the marks reach the bitmap.
    for accented, base in zip(phrase, plain, strict=True):
        if accented != base and accented != "–":
            assert _glyph(accented) != _glyph(base), accented


def _ink_outside_allowed_areas(
    plan: LabelPlan, image: Image.Image
) -> tuple[int, int, int, int] | None:
    probe = image.convert("L")
    for box in (plan.qr_symbol_box, plan.text_box):
        probe.paste(255, (box.x, box.y, box.right, box.bottom))
    return probe.point(lambda v: 255 if v < 255 else 0).getbbox()


def _assert_lines_inside(plan: LabelPlan) -> None:
    for line in plan.lines:
        left, top, right, bottom = line.ink_box()
        assert left >= 0 and right <= plan.text_box.width, line
        assert top >= 0 and bottom <= plan.text_box.height, line
    box = plan.text_box
    assert box.x >= 0 and box.right <= plan.width and box.y >= 0 and box.bottom <= plan.height


@pytest.mark.parametrize(("layout_name", "dpi"), LAYOUT_DPIS)
def test_a_120_character_name_never_overflows_the_label(layout_name: str, dpi: int) -> None:
    assert len(LONG_NAME) >= 120
    layout = get_layout(layout_name)
    label = replace(
        sample_labels(1)[0],
        product_name_vi=LONG_NAME,
        product_name_en="Organic Cat Chu mango, hand-picked from cooperative orchards " * 2,
        commune="Xã Phong Hòa, huyện cũ Lai Vung (nay sáp nhập)",
    )
    plan = plan_label(label, layout, dpi)
    _assert_lines_inside(plan)
    assert _ink_outside_allowed_areas(plan, draw_label(plan, layout.color_mode)) is None
    texts = [line.text for line in plan.lines]
    assert any(ELLIPSIS in text for text in texts) or len(texts) > 6
    # The lot, the place and the serial are still printed in full.
    joined = " ".join(texts)
    assert label.serial is not None
    assert label.lot_code in joined and "Đồng Tháp" in joined and label.serial in joined


@pytest.mark.parametrize(("layout_name", "dpi"), LAYOUT_DPIS)
def test_every_field_is_printed_with_vietnamese_first(layout_name: str, dpi: int) -> None:
    label = sample_labels(1)[0]
    texts = " ".join(line.text for line in plan_label(label, get_layout(layout_name), dpi).lines)
    for expected in (
        "Xoài cát Chu",
        "Cat Chu mango",
        "Lô / Lot",
        "XC-2026-0042",
        "Thu hoạch / Harvest",
        "12/05/2026",
        "Xã Mỹ Xương, Đồng Tháp",
        "Số sê-ri / Serial",
        "000001",
    ):
        assert expected in texts


def test_optional_fields_are_left_out_when_absent() -> None:
    label = LabelData(uri="https://h.vn/l/X1", product_name_vi="Sen Tháp Mười", lot_code="X1")
    texts = [line.text for line in plan_label(label, get_layout("thermal-50x30"), 203).lines]
    assert texts == ["Sen Tháp Mười", "Lô / Lot: X1", "Đồng Tháp"]


def test_decomposed_vietnamese_is_drawn_as_composed() -> None:
    nfc = sample_labels(1)[0]
    nfd = replace(nfc, product_name_vi=unicodedata.normalize("NFD", nfc.product_name_vi))
    layout = get_layout("thermal-50x30")
    assert plan_label(nfd, layout, 203).lines == plan_label(nfc, layout, 203).lines


def test_text_shrinks_before_it_wraps_and_wraps_before_it_is_cut() -> None:
    para = Paragraph("Xoài cát Chu Đồng Tháp", 700, shorten_order=1)
    full = advance(para.text, 30, 700)
    shrunk = fit_text([para], width=full - 2, height=200, max_px=30, min_px=10)
    assert len(shrunk) == 1 and shrunk[0].size_px < 30 and shrunk[0].size_px >= 23
    narrow = advance(para.text, 30, 700) // 2
    wrapped = fit_text([para], width=narrow, height=200, max_px=30, min_px=10)
    assert len(wrapped) > 1 and " ".join(line.text for line in wrapped) == para.text
    cut = fit_text([para], width=narrow // 2, height=30, max_px=30, min_px=10)
    assert len(cut) == 1 and cut[0].text.endswith(ELLIPSIS) and cut[0].size_px == 10


def test_a_word_wider_than_the_box_is_split_between_characters() -> None:
    word = "XoàicátChuĐồngTháp"
    lines = fit_text([Paragraph(word)], width=60, height=400, max_px=14, min_px=12)
    assert "".join(line.text for line in lines) == word
    assert all(line.ink_box()[2] <= 60 for line in lines)


def test_text_that_cannot_fit_at_all_is_refused() -> None:
    paras = [Paragraph(f"Dòng {i}") for i in range(10)]
    with pytest.raises(DataTooLong):
        fit_text(paras, width=200, height=40, max_px=20, min_px=12)
    with pytest.raises(DataTooLong):
        fit_text([Paragraph("Ở")], width=3, height=100, max_px=20, min_px=12)


vietnamese_text = st.text(
    alphabet=st.sampled_from(
        VIETNAMESE_LETTERS + [c.upper() for c in VIETNAMESE_LETTERS] + list(" -,.()/0123456789")
    ),
    min_size=1,
    max_size=200,
).filter(str.strip)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    layout_name=st.sampled_from(sorted(LAYOUTS)),
    name=vietnamese_text,
    commune=st.none() | vietnamese_text,
    harvest=st.none() | st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
)
def test_any_vietnamese_text_stays_inside_the_label(
    layout_name: str, name: str, commune: str | None, harvest: date | None
) -> None:
    layout = get_layout(layout_name)
    label = replace(
        sample_labels(1)[0], product_name_vi=name, commune=commune, harvest_date=harvest
    )
    try:
        plan = plan_label(label, layout, layout.default_dpi)
    except DataTooLong:
        return
    _assert_lines_inside(plan)
    assert _ink_outside_allowed_areas(plan, draw_label(plan, layout.color_mode)) is None
