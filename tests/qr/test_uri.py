from __future__ import annotations

import contextlib
import string

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from qr.errors import (
    InvalidBaseUrl,
    InvalidGtin,
    InvalidLotCode,
    InvalidSerial,
    InvalidUri,
    LabelError,
)
from qr.gtin import gtin_check_digit
from qr.identifiers import GS1_AI82_CHARACTERS
from qr.uri import DigitalLink, build_uri, parse_uri

BASE = "https://truyxuat.sentrace.vn"
# RFC 3986 unreserved characters: the only ones a lot or serial may show unencoded.
UNRESERVED = set(string.ascii_letters + string.digits + "-._~")


def test_digital_link_with_gtin_lot_and_serial() -> None:
    uri = build_uri(BASE, gtin="8935049500018", lot="XC-2026-0042", serial="000123")
    assert uri == f"{BASE}/01/08935049500018/10/XC-2026-0042/21/000123"


def test_digital_link_without_serial_and_base_with_path_and_trailing_slash() -> None:
    uri = build_uri(f"{BASE}/dt/", gtin="96385074", lot="L1")
    assert uri == f"{BASE}/dt/01/00000096385074/10/L1"


def test_lot_link_for_products_without_gtin() -> None:
    assert build_uri(BASE, lot="XC-1") == f"{BASE}/l/XC-1"
    assert build_uri(BASE, lot="XC-1", serial="7") == f"{BASE}/l/XC-1/7"


def test_reserved_characters_in_lot_and_serial_are_percent_encoded() -> None:
    uri = build_uri(BASE, gtin="8935049500018", lot='A/B?C%D"E', serial="x&y=z")
    assert uri.endswith("/10/A%2FB%3FC%25D%22E/21/x%26y%3Dz")
    assert parse_uri(uri) == DigitalLink("08935049500018", 'A/B?C%D"E', "x&y=z")


def test_build_refuses_wrong_check_digit_bad_lot_and_bad_serial() -> None:
    with pytest.raises(InvalidGtin):
        build_uri(BASE, gtin="8935049500019", lot="L1")
    with pytest.raises(InvalidLotCode):
        build_uri(BASE, lot="LÔ 1")
    with pytest.raises(InvalidLotCode):
        build_uri(BASE, lot="L" * 21)
    with pytest.raises(InvalidSerial):
        build_uri(BASE, lot="L1", serial="")


@pytest.mark.parametrize(
    "base",
    [
        "truyxuat.sentrace.vn",
        "ftp://truyxuat.sentrace.vn",
        "https://",
        "https://h.vn/?a=1",
        "https://h.vn/#x",
        "https://h.vn/l",
        "https://h.vn/2026/",
        "http://[::1",
    ],
)
def test_base_urls_that_cannot_prefix_a_link_are_refused(base: str) -> None:
    with pytest.raises(InvalidBaseUrl):
        build_uri(base, lot="L1")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/01/08935049500018/10/L1", DigitalLink("08935049500018", "L1", None)),
        ("/01/8935049500018/10/L1/21/S1/", DigitalLink("08935049500018", "L1", "S1")),
        (
            "https://other.example/x/01/08935049500018/10/L1?17=260101#top",
            DigitalLink("08935049500018", "L1", None),
        ),
        ("/01/08935049500018/22/V2/10/L1", DigitalLink("08935049500018", "L1", None)),
        ("l/L1", DigitalLink(None, "L1", None)),
        ("https://h.vn/l/01/l", DigitalLink(None, "01", "l")),
        ("/01/08935049500018/10/l", DigitalLink("08935049500018", "l", None)),
    ],
)
def test_parse_accepts_full_urls_and_bare_paths(text: str, expected: DigitalLink) -> None:
    assert parse_uri(text) == expected


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("/01/08935049500019/10/L1", InvalidGtin),
        ("/01/08935049500018/10/L%C3%941", InvalidLotCode),
        (f"/01/08935049500018/10/{'A' * 21}", InvalidLotCode),
        ("/01/08935049500018/10/L1/21/S%201", InvalidSerial),
        ("/l/L%20", InvalidLotCode),
        ("/01/08935049500018", InvalidUri),
        ("/01/08935049500018/21/S1/10/L1", InvalidUri),
        ("/01/08935049500018/10/L1/17/260101", InvalidUri),
        ("/01/08935049500018/10", InvalidUri),
        ("/l", InvalidUri),
        ("/l/A/B/C", InvalidUri),
        ("/l//A", InvalidUri),
        ("/00/106141412345678908", InvalidUri),
        ("mailto:someone@example.com", InvalidUri),
        ("", InvalidUri),
        ("http://[::1/01/x", InvalidUri),
    ],
)
def test_parse_refuses_bad_links_with_specific_errors(text: str, error: type[LabelError]) -> None:
    with pytest.raises(error):
        parse_uri(text)


def test_digital_link_rebuilds_its_own_uri() -> None:
    link = DigitalLink("08935049500018", "L/1", "S1")
    assert parse_uri(link.uri(BASE)) == link


# --- properties -------------------------------------------------------------------------------

identifiers = st.text(alphabet=sorted(GS1_AI82_CHARACTERS), min_size=1, max_size=20)


@st.composite
def gtins(draw: st.DrawFn) -> str:
    """Valid GTIN-14s under GS1 Vietnam (893), any packaging indicator 0-8."""
    body = (
        draw(st.sampled_from("012345678"))
        + "893"
        + draw(st.text("0123456789", min_size=9, max_size=9))
    )
    return body + str(gtin_check_digit(body))


bases = st.sampled_from([BASE, f"{BASE}/", "http://127.0.0.1:8000", "https://h.vn/truy-xuat/dt"])


@settings(max_examples=300)
@given(base=bases, gtin=st.none() | gtins(), lot=identifiers, serial=st.none() | identifiers)
@example(base=BASE, gtin=None, lot="l", serial="01")
@example(base=BASE, gtin=None, lot="01", serial="l")
@example(base=BASE, gtin="08935049500018", lot="l", serial="%")
@example(base=BASE, gtin=None, lot="%2F", serial="..")
def test_build_then_parse_returns_the_same_fields(
    base: str, gtin: str | None, lot: str, serial: str | None
) -> None:
    uri = build_uri(base, gtin=gtin, lot=lot, serial=serial)
    expected = DigitalLink(gtin=gtin, lot=lot, serial=serial)
    assert parse_uri(uri) == expected
    path = uri.split("://", 1)[1].partition("/")[2]
    assert parse_uri("/" + path) == expected
    # Every identifier character is either unreserved or percent-encoded.
    tail = uri[len(base.rstrip("/")) :]
    assert set(tail.replace("%", "").replace("/", "")) <= UNRESERVED
    assert uri.isascii()


@settings(max_examples=500)
@given(st.text())
def test_parse_raises_nothing_but_label_errors_on_arbitrary_text(text: str) -> None:
    with contextlib.suppress(LabelError):
        parse_uri(text)


path_pieces = st.sampled_from(
    [
        "01",
        "10",
        "21",
        "22",
        "l",
        "00",
        "8935049500018",
        "08935049500018",
        "96385074",
        "A",
        "%2F",
        "%",
        "%C3%A9",
        "%00",
        "é",
        "..",
        "",
        "?x=1",
        "#f",
        "A" * 25,
        "9" * 14,
    ]
)


@settings(max_examples=500)
@given(
    prefix=st.sampled_from(["", "/", "https://h.vn/", "http://h.vn/x/", "ftp://h/", "//h/"]),
    pieces=st.lists(path_pieces | st.text(max_size=5), max_size=8),
)
def test_parse_raises_nothing_but_label_errors_on_link_shaped_junk(
    prefix: str, pieces: list[str]
) -> None:
    try:
        link = parse_uri(prefix + "/".join(pieces))
    except LabelError:
        return
    # Whatever parses is a well-formed link that builds back to something parseable.
    assert parse_uri(link.uri(BASE)) == link
