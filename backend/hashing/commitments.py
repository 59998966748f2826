"""Private values by commitment (rules v2, item 1).

An exact GPS point or a person's name must not be published, yet the record has to prove that
it was not changed afterwards. The hashed document therefore holds ``{"commitment": "0x…"}`` in
its place, keccak256 of a fresh 32-byte salt followed by the value's canonical bytes (RFC 8785
of the NFC value, so a string keeps its quotes: ``"Mỹ Xương"``). The value and salt are kept off
chain and shown only to authorised readers, who recompute the commitment. Without the salt,
anyone could confirm a guess (a commune, a common family name) by hashing it.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping
from typing import Any

from backend.entropy import random_bytes
from backend.hashing.errors import InvalidSalt, NonCanonicalValue
from backend.hashing.hexcodec import to_hex
from backend.hashing.jcs import canonical_json
from backend.hashing.keccak import new_keccak

#: The one member of a commitment object.
COMMITMENT = "commitment"
SALT_SIZE = 32
_LOWER_HEX_32 = re.compile(r"0x[0-9a-f]{64}")


def new_salt() -> bytes:
    """32 bytes from the operating system's secure random source, one per committed value
    (from the draft's seed inside a write draft, so applying it commits with the same salts)."""
    return random_bytes("salt", SALT_SIZE)


def commitment_hash(value: Any, salt: bytes) -> bytes:
    """keccak256(salt ‖ canonical bytes of ``value``); the value must be hashable (no floats)."""
    if not isinstance(salt, bytes | bytearray) or len(salt) != SALT_SIZE:
        raise InvalidSalt(f"a salt is {SALT_SIZE} bytes")
    return new_keccak(bytes(salt) + canonical_json(value)).digest()


def commit(value: Any, salt: bytes) -> dict[str, str]:
    """The object that stands for ``value`` in a hashed document: ``{"commitment": "0x…"}``."""
    return {COMMITMENT: to_hex(commitment_hash(value, salt))}


def is_commitment(value: Any) -> bool:
    """True for exactly the shape :func:`commit` returns (one member, lowercase 32-byte hex)."""
    return (
        isinstance(value, Mapping)
        and len(value) == 1
        and isinstance(value.get(COMMITMENT), str)
        and _LOWER_HEX_32.fullmatch(value[COMMITMENT]) is not None
    )


def check_commitment(value: Any, salt: bytes, commitment: Mapping[str, Any] | str) -> bool:
    """True when ``value`` and ``salt`` open ``commitment`` (the object, or its hex text).

    A disclosed value that cannot be hashed (a float, say) or a salt of the wrong size opens
    nothing: False, not an error, since both come from storage that may have been tampered with.
    """
    text = commitment.get(COMMITMENT) if isinstance(commitment, Mapping) else commitment
    if not isinstance(text, str) or not _LOWER_HEX_32.fullmatch(text):
        return False
    try:
        expected = to_hex(commitment_hash(value, salt))
    except (InvalidSalt, NonCanonicalValue):
        return False
    return hmac.compare_digest(expected, text)
