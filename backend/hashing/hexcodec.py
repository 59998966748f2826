"""``0x`` hex text for hashes, the form they take in the database, the API and on chain."""

from __future__ import annotations

import re

from backend.hashing.errors import InvalidHex

_HEX_DIGITS = re.compile(r"[0-9a-fA-F]*")


def to_hex(value: bytes) -> str:
    """``0x`` followed by lowercase hex digits, two per byte."""
    return "0x" + bytes(value).hex()


def from_hex(value: str, *, size: int | None = 32) -> bytes:
    """Parse ``0x``-prefixed hex strictly; by default exactly 32 bytes (a bytes32).

    Strict because these strings come back from storage and from outside verifiers: a missing
    prefix, odd length, whitespace or a wrong size is a corrupted value, not something to guess
    about. Digits may be upper or lower case. ``size=None`` accepts any whole number of bytes.
    """
    if size == 32 and type(value) is str and len(value) == 66 and value[:2] == "0x":
        # The hot case (every proof node of every verification), without the regex: fromhex
        # skips whitespace, so 64 characters decode to 32 bytes only if all are hex digits.
        try:
            decoded = bytes.fromhex(value[2:])
        except ValueError:
            decoded = b""
        if len(decoded) == 32:
            return decoded
    if not isinstance(value, str):
        raise InvalidHex(f"expected a 0x-prefixed hex string, got {type(value).__name__}")
    digits = value[2:]
    if not value.startswith("0x") or not _HEX_DIGITS.fullmatch(digits) or len(digits) % 2:
        raise InvalidHex(f"not 0x-prefixed hex: {value[:80]!r}")
    if size is not None and len(digits) != 2 * size:
        raise InvalidHex(f"expected {size} bytes ({2 * size} hex digits), got {len(digits)} digits")
    return bytes.fromhex(digits)
