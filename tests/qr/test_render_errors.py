from __future__ import annotations

from dataclasses import replace

import pytest

from qr.errors import (
    InvalidGtin,
    InvalidLotCode,
    LabelError,
    NoLabels,
    TooManyLabels,
    UnknownFormat,
    UnknownLayout,
    UnsupportedDpi,
    UnsupportedErrorCorrection,
)
from qr.model import LabelData
from qr.render import MAX_LABELS_PER_FILE, render_labels
from qr.uri import build_uri
from tests.qr.helpers import BASE_URL, sample_labels


def test_unknown_layout_lists_the_known_ones() -> None:
    with pytest.raises(UnknownLayout, match="a4, export-100x70, thermal-100x50, thermal-50x30"):
        render_labels(sample_labels(1), layout="thermal-60x40", fmt="pdf")


def test_unknown_format_lists_the_known_ones() -> None:
    with pytest.raises(UnknownFormat, match="png, pdf, zpl"):
        render_labels(sample_labels(1), layout="thermal-50x30", fmt="svg")


def test_zero_labels_are_refused() -> None:
    with pytest.raises(NoLabels):
        render_labels([], layout="thermal-50x30", fmt="pdf")


def test_more_labels_than_one_file_may_hold_are_refused_before_any_drawing() -> None:
    label = sample_labels(1)[0]
    with pytest.raises(TooManyLabels):
        render_labels([label] * (MAX_LABELS_PER_FILE + 1), layout="thermal-50x30", fmt="pdf")


@pytest.mark.parametrize(("layout", "dpi"), [("thermal-50x30", 600), ("a4", 203), ("a4", 72)])
def test_a_resolution_the_layout_does_not_offer_is_refused(layout: str, dpi: int) -> None:
    with pytest.raises(UnsupportedDpi):
        render_labels(sample_labels(1), layout=layout, fmt="pdf", dpi=dpi)


def test_unknown_error_correction_is_refused() -> None:
    with pytest.raises(UnsupportedErrorCorrection):
        render_labels(
            sample_labels(1), layout="thermal-50x30", fmt="pdf", error_correction_level="L"
        )


def test_building_label_uris_refuses_bad_gtin_and_lot() -> None:
    with pytest.raises(InvalidGtin, match="check digit"):
        build_uri(BASE_URL, gtin="8935049500011", lot="XC-1")
    with pytest.raises(InvalidLotCode, match="'Ô'"):
        build_uri(BASE_URL, lot="LÔ-1")
    with pytest.raises(InvalidLotCode, match="at most 20"):
        build_uri(BASE_URL, lot="XC-2026-0042-0042-0042")


def test_every_label_error_has_a_stable_code_for_the_api() -> None:
    codes: set[str] = set()

    def walk(cls: type[LabelError]) -> None:
        for sub in cls.__subclasses__():
            assert sub.code != LabelError.code and sub.code not in codes, sub
            codes.add(sub.code)
            walk(sub)

    walk(LabelError)
    assert len(codes) >= 12


def test_label_data_needs_a_uri_a_name_and_a_lot() -> None:
    label = sample_labels(1)[0]
    with pytest.raises(ValueError, match="uri"):
        replace(label, uri="")
    with pytest.raises(ValueError, match="product_name_vi"):
        replace(label, product_name_vi="  ")
    with pytest.raises(ValueError, match="lot_code"):
        replace(label, lot_code="")
    assert LabelData(uri="u", product_name_vi="Sen", lot_code="L").province == "Đồng Tháp"


def test_file_name_is_safe_and_names_the_lot() -> None:
    labels = [replace(label, lot_code="A/B ?1") for label in sample_labels(1)]
    rendered = render_labels(labels, layout="thermal-50x30", fmt="zpl")
    assert rendered.filename == "sentrace-A_B_1-thermal-50x30-203dpi.zpl"
    mixed = [*sample_labels(1), replace(sample_labels(1)[0], lot_code="OTHER")]
    assert render_labels(mixed, layout="thermal-50x30", fmt="pdf").filename.startswith(
        "sentrace-labels-"
    )
