"""Lot codes and serial numbers as GS1 sees them.

A lot code travels in GS1 Application Identifier (10) and a serial in AI (21). Both are
``X..20``: one to twenty characters from the "AI encodable character set 82" of the GS1
General Specifications (figure 7.11-1), which is printable ASCII without space, ``#``, ``$``,
``@``, ``[``, ``\\``, ``]``, ``^``, backtick, ``{``, ``|``, ``}`` and ``~``. Keeping to that set is
what lets the same value appear in a Digital Link, a GS1-128 barcode or an EDI message.
"""

from __future__ import annotations

import string

from qr.errors import InvalidLotCode, InvalidSerial, LabelError

#: GS1 AI encodable character set 82.
GS1_AI82_CHARACTERS = frozenset(
    "!\"%&'()*+,-./"
    + string.digits
    + ":;<=>?"
    + string.ascii_uppercase
    + "_"
    + string.ascii_lowercase
)
#: Longest lot code or serial that AI (10) / AI (21) can carry.
MAX_IDENTIFIER_LENGTH = 20


def validate_lot(value: str) -> str:
    """Return ``value`` if it can be a GS1 lot code (AI 10), else raise :class:`InvalidLotCode`."""
    return _validate(value, what="lot code", error=InvalidLotCode)


def validate_serial(value: str) -> str:
    """Return ``value`` if it can be a GS1 serial (AI 21), else raise :class:`InvalidSerial`."""
    return _validate(value, what="serial number", error=InvalidSerial)


def _validate(value: str, *, what: str, error: type[LabelError]) -> str:
    if not isinstance(value, str) or not value:
        raise error(f"the {what} is empty")
    if len(value) > MAX_IDENTIFIER_LENGTH:
        raise error(
            f"the {what} {value!r} has {len(value)} characters; "
            f"GS1 allows at most {MAX_IDENTIFIER_LENGTH}"
        )
    bad = sorted({ch for ch in value if ch not in GS1_AI82_CHARACTERS})
    if bad:
        shown = " ".join(repr(ch) for ch in bad)
        raise error(
            f"the {what} {value!r} contains characters GS1 does not allow: {shown} "
            "(allowed: letters A-Z a-z without accents, digits and ! \" % & ' ( ) * + , - . / "
            ": ; < = > ? _)"
        )
    return value
