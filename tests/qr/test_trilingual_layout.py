"""The export layout: Vietnamese, English and simplified Chinese captions in one font."""

from __future__ import annotations

import io
from datetime import date

import pytest
from PIL import Image

import qr.fonts
from qr import LabelData, render_labels
from qr.compose import plan_label
from qr.errors import FontMissing
from qr.fonts import TRILINGUAL, load_font
from qr.layouts import get_layout
from tests.qr.helpers import decode_qr_codes, pdf_pages

LABEL = LabelData(
    uri="https://sentrace.example/01/08935049500018/10/XK-01?15=260520&7007=260501",
    product_name_vi="Xoài cát Chu Đồng Tháp",
    product_name_en="Cat Chu mango",
    lot_code="XK-01",
    harvest_date=date(2026, 5, 1),
    best_before=date(2026, 5, 20),
    commune="Mỹ Xương",
    serial="000007",
)


def test_the_trilingual_font_has_vietnamese_and_chinese_glyphs() -> None:
    font = load_font(40, 400 + TRILINGUAL)
    for text in ("Ẫ", "ự", "采", "保质期"):
        left, top, right, bottom = font.getbbox(text)
        assert right > left and bottom > top, text
    # A glyph the font lacked would be drawn as its one ".notdef" box, the same for any two.
    assert bytes(font.getmask("采")) != bytes(font.getmask("保"))


def test_an_export_label_prints_three_languages_and_a_readable_code() -> None:
    plan = plan_label(LABEL, get_layout("export-100x70"), 203)
    printed = " ".join(line.text for line in plan.lines)  # long captions wrap
    assert "Lô / Lot / 批次: XK-01" in printed
    assert "Thu hoạch / Harvest / 采收日期: 01/05/2026" in printed
    assert "Hạn dùng / Best before / 保质期至: 20/05/2026" in printed
    assert "越南同塔省" in printed and "Số sê-ri / Serial / 序列号: 000007" in printed
    assert all(line.weight >= TRILINGUAL for line in plan.lines)
    rendered = render_labels([LABEL], layout="export-100x70", fmt="pdf")
    [(size_mm, page)] = pdf_pages(rendered.content, dpi=203)
    assert [round(v) for v in size_mm] == [100, 70]
    assert decode_qr_codes(page) == [LABEL.uri]
    png = render_labels([LABEL], layout="export-100x70", fmt="png")
    image = Image.open(io.BytesIO(png.content))
    text_block = image.crop((plan.text_box.x, 0, image.width, image.height)).convert("L")
    assert text_block.getextrema()[0] == 0  # ink was drawn where the captions are


def test_a_missing_font_is_a_label_error_naming_the_package(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(qr.fonts, "TRILINGUAL_FONT", qr.fonts.TRILINGUAL_FONT.with_name("none.ttc"))
    qr.fonts.font_path.cache_clear()
    qr.fonts.load_font.cache_clear()
    try:
        with pytest.raises(FontMissing, match="fonts-wqy-microhei"):
            load_font(41, 400 + TRILINGUAL)
    finally:
        qr.fonts.font_path.cache_clear()
        qr.fonts.load_font.cache_clear()
