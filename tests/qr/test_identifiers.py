from __future__ import annotations

import re

import pytest
from biip.gs1_application_identifiers import GS1ApplicationIdentifier

from qr.errors import InvalidLotCode, InvalidSerial
from qr.identifiers import GS1_AI82_CHARACTERS, validate_lot, validate_serial


def test_ai82_set_agrees_with_biip_patterns_for_lot_and_serial() -> None:
    for ai in ("10", "21"):
        pattern = GS1ApplicationIdentifier.extract(ai).pattern
        allowed = {chr(c) for c in range(32, 127) if re.fullmatch(pattern, f"{ai}{chr(c)}")}
        assert allowed == GS1_AI82_CHARACTERS
    assert len(GS1_AI82_CHARACTERS) == 82


@pytest.mark.parametrize("lot", ["A", "XC-2026-0042", "a/b?c%d\"e'f", "A" * 20, "0:;<=>?_"])
def test_valid_lot_codes_pass_through_unchanged(lot: str) -> None:
    assert validate_lot(lot) == lot


@pytest.mark.parametrize(
    ("lot", "message"),
    [
        ("", "empty"),
        ("A" * 21, "21 characters"),
        ("LÔ-1", "'Ô'"),
        ("LOT 1", "' '"),
        ("LOT#1", "'#'"),
        ("LOT~1", "'~'"),
        ("LOT^1", "'\\^'"),
    ],
)
def test_bad_lot_codes_are_refused_with_the_reason(lot: str, message: str) -> None:
    with pytest.raises(InvalidLotCode, match=message):
        validate_lot(lot)


def test_bad_serials_raise_invalid_serial() -> None:
    with pytest.raises(InvalidSerial, match="serial number"):
        validate_serial("SỐ1")
