"""``from_hex`` decodes 32-byte values without its regex; it must accept and refuse the same.

The fast path relies on ``bytes.fromhex`` skipping whitespace: 64 characters decode to 32 bytes
only when all of them are hex digits. These tests compare it with the strict reading on
hex strings with whitespace, signs, non-ASCII digits and wrong prefixes mixed in.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.hashing import from_hex
from backend.hashing.errors import InvalidHex

_STRICT = re.compile(r"0x[0-9a-fA-F]{64}")


def reference(value: str) -> bytes | None:
    return bytes.fromhex(value[2:]) if _STRICT.fullmatch(value) else None


def outcome(value: str) -> bytes | None:
    try:
        return from_hex(value)
    except InvalidHex:
        return None


alphabet = st.sampled_from([*"0123456789abcdefABCDEF \t\n\x0b\x0c\r-+xg٣", "\xa0"])
prefixes = st.sampled_from(["0x", "0X", "", " 0x"])


@settings(max_examples=2000, deadline=None)
@given(
    st.text(alphabet=alphabet, min_size=62, max_size=68), st.sampled_from(["0x", "0X", "", " 0x"])
)
def test_accepts_exactly_what_the_strict_reading_accepts(body: str, prefix: str) -> None:
    value = prefix + body
    assert outcome(value) == reference(value)


@pytest.mark.parametrize(
    "value",
    [
        "0x" + "ab" * 31 + " a",
        "0x" + "ab" * 31 + "a ",
        "0x " + "ab" * 31 + "a",
        "0x" + "ab" * 32 + " ",
        "0x" + "g" * 64,
    ],
)
def test_whitespace_or_non_hex_in_66_characters_is_refused(value: str) -> None:
    with pytest.raises(InvalidHex):
        from_hex(value)


def test_both_cases_decode() -> None:
    assert from_hex("0x" + "AB" * 32) == from_hex("0x" + "ab" * 32) == b"\xab" * 32
