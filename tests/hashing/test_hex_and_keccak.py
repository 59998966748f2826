"""Hex text of hashes and the Keccak backend."""

from __future__ import annotations

import pytest
from eth_utils import keccak as eth_keccak
from hypothesis import given
from hypothesis import strategies as st

from backend.hashing import (
    HashingError,
    InvalidHex,
    NonCanonicalValue,
    from_hex,
    keccak,
    lot_key,
    to_hex,
)
from backend.hashing.keccak import BACKEND


def test_keccak_is_ethereum_keccak_not_nist_sha3() -> None:
    assert to_hex(keccak(b"")) == (
        "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    )
    assert BACKEND in {"safe-pysha3", "pycryptodome"}


@given(st.binary(max_size=300))
def test_keccak_equals_eth_utils(data: bytes) -> None:
    assert keccak(data) == eth_keccak(data)


@given(st.binary(min_size=32, max_size=32))
def test_hex_round_trips_in_lowercase(value: bytes) -> None:
    text = to_hex(value)
    assert text == text.lower() and text.startswith("0x") and len(text) == 66
    assert from_hex(text) == value
    assert from_hex("0x" + text[2:].upper()) == value


@pytest.mark.parametrize(
    "text",
    [
        "",
        "0x",
        "00" * 32,
        "0X" + "00" * 32,
        "0x" + "00" * 31,
        "0x" + "00" * 33,
        "0x" + "0" * 63,
        "0x" + "g0" * 32,
        " 0x" + "00" * 32,
        "0x" + "00" * 32 + "\n",
        "0x" + "00" * 31 + " 0",
        "0x" + "٠" * 64,  # Arabic-Indic digits are digits to Python, not hex to us
    ],
)
def test_from_hex_refuses_anything_but_strict_bytes32(text: str) -> None:
    with pytest.raises(InvalidHex):
        from_hex(text)


def test_from_hex_refuses_non_text_and_can_read_other_sizes() -> None:
    with pytest.raises(InvalidHex):
        from_hex(b"0x00")  # type: ignore[arg-type]
    assert from_hex("0x", size=None) == b""
    assert from_hex("0x00ff", size=None) == b"\x00\xff"
    with pytest.raises(InvalidHex):
        from_hex("0x0", size=None)
    assert issubclass(InvalidHex, HashingError)


@pytest.mark.parametrize("code", ["", None, 42, "bad\ud800"])
def test_lot_key_refuses_what_is_not_a_lot_code(code: object) -> None:
    with pytest.raises(NonCanonicalValue) as caught:
        lot_key(code)  # type: ignore[arg-type]
    assert caught.value.path == "lot"
