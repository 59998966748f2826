"""Field rules without a database: decimals, times, text, codes, free JSON."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from backend.errors import InvalidInput
from backend.models import EventType
from backend.services import validation
from backend.services.ledger.event_data import validate_event_data, validate_location

NOW = datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("given", "stored"),
    [("12.50", "12.5"), (12.5, "12.5"), ("012.5", "12.5"), (1000, "1000"), ("1000.000", "1000"),
     (0.1, "0.1"), (1e-6, "0.000001"), ("+3", "3"), (" 7 ", "7")],
)  # fmt: skip
def test_decimals_get_one_canonical_spelling(given: Any, stored: str) -> None:
    assert validation.decimal_string(given, field="q") == stored


@pytest.mark.parametrize(
    "given", [True, None, "abc", "1e3", "NaN", float("nan"), float("inf"), "", "1,5", "١٢"]
)
def test_non_decimals_are_refused_with_the_field_named(given: Any) -> None:
    with pytest.raises(InvalidInput) as refused:
        validation.decimal_string(given, field="data.dose")
    assert refused.value.field == "data.dose"


def test_event_times_are_aware_utc_whole_seconds_not_too_far_ahead() -> None:
    ict = timezone(timedelta(hours=7))
    given = datetime(2026, 6, 1, 19, 4, 59, 999999, tzinfo=ict)
    assert validation.event_time(given, now=NOW) == datetime(2026, 6, 1, 12, 4, 59, tzinfo=UTC)
    with pytest.raises(InvalidInput):
        validation.event_time(NOW + timedelta(minutes=5, seconds=1), now=NOW)
    with pytest.raises(InvalidInput):
        validation.event_time(datetime(2026, 6, 1, 12, 0), now=NOW)  # naive
    with pytest.raises(InvalidInput):
        validation.event_time(datetime(1999, 12, 31, tzinfo=UTC), now=NOW)


def test_text_is_nfc_trimmed_and_free_of_control_characters() -> None:
    nfd = unicodedata.normalize("NFD", "  Đồng Tháp  ")
    assert validation.text(nfd, field="f", max_length=20) == "Đồng Tháp"
    assert validation.text("a\nb", field="f", max_length=5, multiline=True) == "a\nb"
    for bad in ("a\nb", "a\x00b", "x" * 21):
        with pytest.raises(InvalidInput):
            validation.text(bad, field="f", max_length=20)


def test_nfd_and_nfc_lengths_are_judged_after_normalising() -> None:
    word = "Nguyễn"  # 6 characters in NFC, 8 in NFD
    assert validation.text(unicodedata.normalize("NFD", word), field="f", max_length=6) == word


@pytest.mark.parametrize("code", ["DT-XOAI-2605-000001", "a.b_c-1", "X" * 20])
def test_lot_codes_within_the_gs1_subset_pass(code: str) -> None:
    assert validation.lot_code(code) == code


@pytest.mark.parametrize("code", ["", "-A", "A B", "A/B", "XOÀI", "X" * 21, "A\tB", "A%20"])
def test_lot_codes_outside_it_are_refused(code: str) -> None:
    with pytest.raises(InvalidInput):
        validation.lot_code(code)


def test_free_json_is_nfc_without_floats_and_with_bounds() -> None:
    key = unicodedata.normalize("NFD", "nhiệt độ")
    cleaned = validation.json_object({key: [1.5, {"x": None}], "ok": True}, field="data")
    assert cleaned == {"nhiệt độ": ["1.5", {"x": None}], "ok": True}
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(10):
        node["n"] = {}
        node = node["n"]
    with pytest.raises(InvalidInput) as refused:
        validation.json_object(deep, field="data")
    assert (refused.value.field or "").startswith("data.n.n")
    with pytest.raises(InvalidInput):
        validation.json_object({"a": "x", unicodedata.normalize("NFD", "á"): 1, "á": 2}, field="d")


def test_locations_keep_coordinates_as_decimal_strings() -> None:
    assert validate_location({"lat": 10.29, "lon": "105.760"}) == {"lat": "10.29", "lon": "105.76"}
    assert validate_location(None) is None
    with pytest.raises(InvalidInput) as refused:
        validate_location({"lat": 10, "lon": 181})
    assert refused.value.field == "location.lon"


def test_event_data_rules_apply_per_type() -> None:
    assert validate_event_data(EventType.SHIPPING, {"truck": "66C-123.45"}) == {
        "truck": "66C-123.45"
    }
    with pytest.raises(InvalidInput) as refused:
        validate_event_data(EventType.QUALITY_CHECK, {"result": "PASS"})
    assert refused.value.field == "data.result"


def test_control_characters_are_exactly_unicodes_category_cc() -> None:
    """Every code point (lone surrogates too) is refused as a control character exactly when
    Unicode puts it in category Cc; multi-line and free text keep tab and line feed."""
    for point in range(0x110000):
        ch = chr(point)
        control = unicodedata.category(ch) == "Cc"
        assert bool(validation._CONTROL.search(ch)) is control, hex(point)
        assert bool(validation._CONTROL_BUT_LINES.search(ch)) is (control and ch not in "\n\t")
