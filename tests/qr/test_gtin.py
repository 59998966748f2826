from __future__ import annotations

import pytest
from biip.checksums import gs1_standard_check_digit

from qr.errors import InvalidGtin, LabelError
from qr.gtin import gtin_check_digit, normalize_gtin, vietnam_gtin


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("96385074", "00000096385074"),  # GTIN-8
        ("036000291452", "00036000291452"),  # GTIN-12 (UPC-A)
        ("8935049500018", "08935049500018"),  # GTIN-13, GS1 Vietnam
        ("08935049500018", "08935049500018"),  # already GTIN-14
        ("18935049500015", "18935049500015"),  # GTIN-14 with packaging indicator 1
    ],
)
def test_normalize_gtin_accepts_every_length_and_pads_to_14(value: str, expected: str) -> None:
    assert normalize_gtin(value) == expected


def test_wrong_check_digit_is_refused_with_the_expected_digit_in_the_message() -> None:
    with pytest.raises(InvalidGtin, match="last digit should be 8, not 9"):
        normalize_gtin("8935049500019")


@pytest.mark.parametrize(
    "value",
    [
        "",
        "123",
        "893504950001",
        "89350495000181",
        "893504950001x",
        " 8935049500018",
        "8935049500018\n",
        "٨٩٣٥٠٤٩٥٠٠٠١٨",
        "1234567890123456",
    ],
)
def test_malformed_gtins_are_refused(value: str) -> None:
    with pytest.raises(InvalidGtin):
        normalize_gtin(value)


@pytest.mark.parametrize("value", ["2012345000018", "0412345000018"])
def test_restricted_circulation_numbers_are_refused(value: str) -> None:
    with pytest.raises(InvalidGtin, match="restricted circulation"):
        normalize_gtin(value)


def test_invalid_gtin_is_a_label_error_and_a_value_error() -> None:
    with pytest.raises(LabelError):
        normalize_gtin("1")
    assert issubclass(InvalidGtin, ValueError)


def test_check_digit_matches_gs1_reference_examples() -> None:
    # GS1 General Specifications, check digit calculation example: 629104150021 -> 3.
    assert gtin_check_digit("629104150021") == 3
    assert gtin_check_digit("893504950001") == gs1_standard_check_digit("893504950001") == 8


def test_vietnam_gtin_builds_a_valid_893_gtin() -> None:
    gtin = vietnam_gtin("8935049", 1)
    assert gtin == "08935049000013"
    assert gtin[1:4] == "893"
    assert normalize_gtin(gtin) == gtin


@pytest.mark.parametrize(
    ("prefix", "item"), [("4012345", 1), ("893", 1), ("8935049", 100_000), ("89x5049", 1)]
)
def test_vietnam_gtin_refuses_foreign_short_or_overflowing_input(prefix: str, item: int) -> None:
    with pytest.raises(InvalidGtin):
        vietnam_gtin(prefix, item)
